# pve-sd boot 2: the empty USB "virtual media" probed first (sda), the system disk second (sdb);
# global_filter as in the seed: r|/dev/sdb|
. /lab/common.sh
cat >> /etc/lvm/lvm.conf <<'LC'
devices {
	global_filter = [ "r|/dev/sdb|" ]
}
LC
node_setup pve-sd usb-first
cp /etc/lvm/lvm.conf "$OUT/sd-2-lvm.conf"
cap sd-2-lvmconfig lvmconfig devices/global_filter devices/scan_lvs
cap sd-2-vgchange vgchange -ay pve
snapshot sd-2
cap sd-2-hostname hostname
stop_syslog
