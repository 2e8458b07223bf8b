# node1: cluster member; runs CT 100 from the shared VG user-data (see SOURCE.md, scenario "shared VG")
. /lab/common.sh
node_setup node1
# local VG "pve" (created on the host with pvcreate/vgcreate), laid out like the PVE installer does
run lvcreate -y -L 256M -n swap pve
run lvcreate -y -L 640M -n root pve
run lvcreate -y --type thin-pool -L 1G -n data pve
run lvcreate -y -V 2G --thin -n vm-102-disk-0 pve/data
# guest volumes on the shared VG (created on the host on the "iSCSI LUN")
run lvcreate -y -L 256M -n vm-100-disk-0 user-data
run lvcreate -y -L 256M -n vm-101-disk-0 user-data
run mkfs.ext4 -q -L ct100 /dev/user-data/vm-100-disk-0
run mkfs.ext4 -q -L ct101 /dev/user-data/vm-101-disk-0
mkdir -p /mnt/ct100
run mount /dev/user-data/vm-100-disk-0 /mnt/ct100
mkdir -p /mnt/ct100/etc /mnt/ct100/var/lib/app
for i in 1 2 3 4 5 6 7 8; do echo "ct100 file $i" > /mnt/ct100/var/lib/app/f$i; done
sync
# CT 100 runs here (LV open); vm-101-disk-0 stays active but unused, as after an iSCSI login
snapshot n1-a
cap n1-a-dmsetup-info dmsetup info -c
say READY1
wait_go GO2
snapshot n1-b
say READY2
wait_go GO3
# the seed's one-liner: deactivate every active LV of user-data; the open one refuses
cap n1-c-awk-oneliner sh -c "lvs | awk '\$2 == \"user-data\" && substr(\$3, 5, 1) == \"a\" { print \$2 \"/\" \$1 }' | xargs lvchange -an"
snapshot n1-c
say READY3
wait_go GO4
# CT 100 keeps working on its rootfs while the test node does its own thing with the VG
(
    i=0
    while [ ! -f /tmp/stop ]; do
        i=$((i + 1))
        echo "ct100 write $i $(date -u +%T)" > "/mnt/ct100/var/lib/app/w$i" 2>/dev/null
        sync
        echo 3 > /proc/sys/vm/drop_caches
        ls -lR /mnt/ct100 > /dev/null 2>&1
        cat /mnt/ct100/var/lib/app/* > /dev/null 2>&1
        sleep 2
    done
) &
wait_go GO5
touch /tmp/stop
sleep 3
ls -lR /mnt/ct100 > /dev/null 2>&1
snapshot n1-d
cap n1-d-dmsetup-info dmsetup info -c
cap n1-d-dmesg-ext4 sh -c "dmesg | grep -i ext4"
cap n1-d-hostname hostname
stop_syslog
