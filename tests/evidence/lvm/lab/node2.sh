# node2: cluster member; logs in to the same "iSCSI LUN" (shared VG user-data)
. /lab/common.sh
node_setup node2
run lvcreate -y -L 256M -n swap pve
run lvcreate -y -L 640M -n root pve
run lvcreate -y --type thin-pool -L 1G -n data pve
# user-data is visible, its LVs are not active here yet
snapshot n2-a
# what lvm2's udev rule (69-lvm.rules) runs when the LUN appears: autoactivation of the VG
cap n2-a-autoactivate vgchange -aay --autoactivation event user-data
snapshot n2-b
say READY-B1
wait_go GO-B2
# the seed's fix: lvchange -an on every host but the one that runs the guest (CT 100 runs on node1)
cap n2-c-lvchange lvchange -an user-data/vm-100-disk-0
snapshot n2-c
say READY-B2
wait_go GO-B3
# LVM106 fix: only local VGs are autoactivated
run vgchange -an user-data
cat >> /etc/lvm/lvm.conf <<'LC'
activation {
	auto_activation_volume_list = [ "pve" ]
}
LC
cap n2-d-lvmconfig-aavl lvmconfig activation/auto_activation_volume_list
cap n2-d-autoactivate vgchange -aay --autoactivation event user-data
snapshot n2-d
cp /etc/lvm/lvm.conf "$OUT/n2-d-lvm.conf"
cap n2-d-hostname hostname
stop_syslog
