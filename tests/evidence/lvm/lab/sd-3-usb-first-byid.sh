# pve-sd boot 3: USB probed first again (system disk = sdb), filter by stable by-id path
# (Proxmox's default rejects + the seed's USB reject), scan_lvs = 0
. /lab/common.sh
cat >> /etc/lvm/lvm.conf <<'LC'
devices {
	global_filter = [ "r|/dev/zd.*|", "r|/dev/rbd.*|", "r|/dev/disk/by-id/usb.*|" ]
	scan_lvs = 0
}
LC
node_setup pve-sd usb-first
cp /etc/lvm/lvm.conf "$OUT/sd-3-lvm.conf"
cap sd-3-lvmconfig lvmconfig devices/global_filter devices/scan_lvs
cap sd-3-vgchange vgchange -ay pve
snapshot sd-3
cap sd-3-hostname hostname
stop_syslog
