# pve-sd boot 1: system disk probed first (sda), the empty USB "virtual media" second (sdb);
# global_filter as in the seed: r|/dev/sdb|
. /lab/common.sh
cat >> /etc/lvm/lvm.conf <<'LC'
devices {
	global_filter = [ "r|/dev/sdb|" ]
}
LC
node_setup pve-sd scsi-first
cp /etc/lvm/lvm.conf "$OUT/sd-1-lvm.conf"
run lvcreate -y -L 512M -n root pve
cap sd-1-lvmconfig lvmconfig devices/global_filter devices/scan_lvs
cap sd-1-vgchange vgchange -ay pve
snapshot sd-1
cap sd-1-hostname hostname
stop_syslog
