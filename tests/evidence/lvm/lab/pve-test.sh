# pve-test: a stand-alone PVE host (not in the cluster) given the same LUN
. /lab/common.sh
node_setup pve-test
run lvcreate -y -L 256M -n swap pve
run lvcreate -y -L 640M -n root pve
snapshot t-a
# its own "VM 100" is destroyed and created again on the storage it was given
cap t-b-lvremove lvremove -y user-data/vm-100-disk-0
cap t-b-lvcreate lvcreate -y -L 256M -n vm-100-disk-0 user-data
cap t-b-mkfs mkfs.ext4 -F /dev/user-data/vm-100-disk-0
mkdir -p /mnt/t100
run mount /dev/user-data/vm-100-disk-0 /mnt/t100
for i in 1 2 3 4; do echo "test vm $i" > /mnt/t100/t$i; done
sync
run umount /mnt/t100
snapshot t-b
cap t-b-hostname hostname
stop_syslog
