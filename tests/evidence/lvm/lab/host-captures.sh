#!/bin/bash
# Captures on this Debian 12 machine itself (lvm2 2.03.16-2, initramfs-tools 0.142+deb12u3,
# linux-image 6.1.0-56-amd64): lvm.conf in the states a PVE admin goes through, lvmconfig's
# view of each, the copy inside the initramfs, and `stat -c '%Y %s %n'` of lvm.conf and the
# initramfs images. It runs in a private mount namespace where /etc/lvm, /boot and
# /var/lib/initramfs-tools are copies (cp -a, times kept), so the machine's own files and
# other users of /boot are never touched.
# Usage: host-captures.sh <outdir>
set -euo pipefail
O=$(realpath -m "$1"); mkdir -p "$O"
if [ -z "${LAB_IN_NS:-}" ]; then
    exec env LAB_IN_NS=1 unshare -m --propagation private "$0" "$O"
fi
S=$(mktemp -d /tmp/lvmlab-ns.XXXXXX)
cp -a /etc/lvm "$S/etc-lvm"; mount --bind "$S/etc-lvm" /etc/lvm
cp -a /boot "$S/boot"; mount --bind "$S/boot" /boot
if [ -d /var/lib/initramfs-tools ]; then
    cp -a /var/lib/initramfs-tools "$S/varlib"; mount --bind "$S/varlib" /var/lib/initramfs-tools
fi
trap 'umount /etc/lvm /boot /var/lib/initramfs-tools 2>/dev/null || true; rm -rf "$S"' EXIT
export LVM_SUPPRESS_FD_WARNINGS=1
K=6.1.0-56-amd64
CONF=/etc/lvm/lvm.conf
log() { printf '%s\t%s\n' "$(date -u +%FT%TZ)" "$*" >> "$O/commands.tsv"; }
cap() { local n=$1; shift; log "$n: $*"; { "$@"; } > "$O/$n" 2>&1 || true; }
initrd_conf() {  # the lvm.conf inside the current initramfs
    local d; d=$(mktemp -d)
    unmkinitramfs "/boot/initrd.img-$K" "$d"
    cp "$d/etc/lvm/lvm.conf" "$O/$1"; log "$1: unmkinitramfs /boot/initrd.img-$K; cp etc/lvm/lvm.conf"
    rm -rf "$d"
}
stat_boot() { cap "$1" sh -c "stat -c '%Y %s %n' /etc/lvm/lvm.conf /boot/initrd.img-*"; }

# 0: Debian's lvm.conf as installed, initramfs generated after it
cap 00-debian-lvmconfig-diff.txt lvmconfig --typeconfig diff
cap 00-debian-lvmconfig-keys.txt lvmconfig devices/global_filter devices/filter devices/scan_lvs activation/auto_activation_volume_list
stat_boot 00-debian-stat-boot.txt
initrd_conf 00-debian-initramfs-lvm.conf

# 1: the two blocks pve-manager's postinst appends (text as in its set_lvm_conf), initramfs rebuilt
sleep 2
cat >> "$CONF" <<'PVE'
devices {
     # added by pve-manager to avoid scanning ZFS zvols and Ceph rbds
     global_filter=["r|/dev/zd.*|","r|/dev/rbd.*|"]
}
devices {
     # added by pve-manager to avoid scanning LVM volumes
     scan_lvs=0
 }
PVE
log "01: appended pve-manager's two devices blocks to $CONF"
cap 01-pve-lvmconfig-validate.txt lvmconfig --validate
cap 01-pve-lvmconfig-diff.txt lvmconfig --typeconfig diff
cap 01-pve-lvmconfig-keys.txt lvmconfig devices/global_filter devices/scan_lvs activation/auto_activation_volume_list
cap 01-pve-update-initramfs.txt update-initramfs -u -k all
stat_boot 01-pve-stat-boot.txt
initrd_conf 01-pve-initramfs-lvm.conf
cp "$CONF" "$O/01-pve-lvm.conf"; log "01-pve-lvm.conf: cp $CONF"

# 2: the seed's edit: reject USB devices by stable path, initramfs NOT rebuilt
sleep 2
sed -i 's#^\(\s*\)global_filter=\["r|/dev/zd.\*|","r|/dev/rbd.\*|"\]$#\1global_filter=["r|/dev/zd.*|","r|/dev/rbd.*|","r|/dev/disk/by-id/usb.*|"]#' "$CONF"
log "02: sed: global_filter += \"r|/dev/disk/by-id/usb.*|\" (no update-initramfs)"
cap 02-usb-lvmconfig-keys.txt lvmconfig devices/global_filter devices/scan_lvs
stat_boot 02-usb-stat-boot.txt
initrd_conf 02-usb-initramfs-lvm.conf
cp "$CONF" "$O/02-usb-lvm.conf"; log "02-usb-lvm.conf: cp $CONF"

# 3: update-initramfs, as the fix says
sleep 2
cap 03-usb-update-initramfs.txt update-initramfs -u -k all
stat_boot 03-usb-stat-boot.txt
initrd_conf 03-usb-initramfs-lvm.conf

# 4: the seed's old, unstable filter (r|/dev/sdb|) plus auto_activation_volume_list as the seed sets it
sleep 2
sed -i 's#^\(\s*\)global_filter=\[.*\]$#\1global_filter=["r|/dev/zd.*|","r|/dev/rbd.*|","r|/dev/sdb|"]#' "$CONF"
cat >> "$CONF" <<'ACT'
activation {
	auto_activation_volume_list = [ "pve", "data" ]
}
ACT
log "04: global_filter with r|/dev/sdb|; activation { auto_activation_volume_list = [ \"pve\", \"data\" ] } appended"
cap 04-sdb-lvmconfig-keys.txt lvmconfig devices/global_filter devices/scan_lvs activation/auto_activation_volume_list
cp "$CONF" "$O/04-sdb-lvm.conf"; log "04-sdb-lvm.conf: cp $CONF"
stat_boot 04-sdb-stat-boot.txt

# 5: lvmconfig on the duplicate-section and missing-comma cases (LVM_SYSTEM_DIR = a scratch dir)
T=$(mktemp -d)
printf 'devices {\n\tglobal_filter = [ "r|/dev/sda|" ]\n\tscan_lvs = 1\n}\ndevices {\n\tglobal_filter = [ "r|/dev/zd.*|", "r|/dev/rbd.*|" ]\n}\n' > "$T/lvm.conf"
cp "$T/lvm.conf" "$O/05-duplicate-sections-lvm.conf"
cap 05-duplicate-sections-lvmconfig.txt env LVM_SYSTEM_DIR="$T" lvmconfig devices/global_filter devices/scan_lvs
printf 'devices {\n    global_filter = ["r|/dev/disk/by-id/usb.*|", "r|/dev/zd.*|", "r|/dev/mapper/pve-.*|" "r|/dev/mapper/.*-(vm|base)--[0-9]+--disk--[0-9]+|"]\n}\nactivation {\n    auto_activation_volume_list = ["pve", "data"]\n}\n' > "$T/lvm.conf"
cp "$T/lvm.conf" "$O/05-missing-comma-lvm.conf"
cap 05-missing-comma-lvmconfig.txt env LVM_SYSTEM_DIR="$T" lvmconfig devices/global_filter activation/auto_activation_volume_list
rm -rf "$T"
echo done
