# Helpers for the lab scenarios (sourced inside the VM).
OUT=/lab/out
export LVM_SUPPRESS_FD_WARNINGS=1

say() { echo "LAB: $*" > /dev/ttyS0; }

# cap NAME CMD...: stdout then stderr of CMD, as a terminal shows them, into $OUT/NAME.txt
cap() {
    name=$1; shift
    "$@" > "$OUT/$name.txt" 2>&1
    rc=$?
    printf '%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$name" "$rc" "$*" >> "$OUT/commands.tsv"
    return 0
}

# run CMD...: a setup step; its output goes to steps.txt
run() {
    echo "# $(date -u +%TZ) $*" >> "$OUT/steps.txt"
    "$@" >> "$OUT/steps.txt" 2>&1
    echo "# rc=$?" >> "$OUT/steps.txt"
}

# wait_go TOKEN: block until the host writes a line containing TOKEN on the second serial port
wait_go() {
    say "waiting for $1"
    while :; do
        read -r line <&3 || sleep 1
        case "$line" in *"$1"*) say "got $1"; return 0 ;; esac
    done
}

LVS_SPEC="lv_name,vg_name,lv_attr,lv_size,pool_lv,origin,lv_active,lv_tags"
VGS_SPEC="vg_name,vg_attr,vg_size,vg_free,pv_count,lv_count,vg_tags,vg_shared"
PVS_SPEC="pv_name,vg_name,pv_attr,pv_size,pv_free,dev_size"

# snapshot PREFIX: the report set every scenario captures at each step
snapshot() {
    p=$1
    cap "$p-lvs" lvs
    cap "$p-lvs-a-active" lvs -a -o +lv_active
    cap "$p-vgs" vgs
    cap "$p-pvs" pvs
    cap "$p-lvs-spec-json" lvs -a --reportformat json --units b -o "$LVS_SPEC"
    cap "$p-vgs-spec-json" vgs --reportformat json --units b -o "$VGS_SPEC"
    cap "$p-pvs-spec-json" pvs --reportformat json --units b -o "$PVS_SPEC"
    cap "$p-lvs-spec-text" lvs -a --units b -o "$LVS_SPEC"
    cap "$p-lvs-json" lvs --reportformat json
}

# wait_disk: until the first SCSI disk (sda) exists
wait_disk() {
    i=0
    while [ ! -e /sys/block/sda ] && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
    udevadm settle --timeout=30
}

# node_setup HOSTNAME [ORDER]: host name, syslog, storage drivers (ORDER "scsi-first" or
# "usb-first"), the usual LVM command names
node_setup() {
    hostname "$1"
    echo "$1" > /etc/hostname
    for t in lvs vgs pvs lvcreate lvchange lvremove vgchange vgcreate vgremove pvcreate \
             vgscan pvscan lvmconfig lvscan lvdisplay; do
        ln -sf lvm "/usr/sbin/$t"
    done
    mkdir -p /var/spool/rsyslog /var/log /mnt
    cat > /etc/rsyslog.conf <<'RS'
module(load="imuxsock")
module(load="imklog")
$WorkDirectory /var/spool/rsyslog
$ActionFileDefaultTemplate RSYSLOG_TraditionalFileFormat
*.* /var/log/syslog
RS
    rsyslogd -f /etc/rsyslog.conf -i /run/rsyslogd.pid
    dmesg -n 1
    exec 3< /dev/ttyS1 2>/dev/null || true
    stty -echo <&3 2>/dev/null
    case "${2:-scsi-first}" in
        usb-first)
            modprobe xhci_pci; modprobe usb-storage; wait_disk
            modprobe virtio_scsi ;;
        *)
            modprobe virtio_scsi; wait_disk
            modprobe xhci_pci; modprobe usb-storage ;;
    esac
    sleep 4
    udevadm settle --timeout=30
    logger -t lab "node $1 up, storage order ${2:-scsi-first}"
    cap "$1-by-id" ls -l /dev/disk/by-id/
}

stop_syslog() {
    kill "$(cat /run/rsyslogd.pid)" 2>/dev/null
    sleep 1
    cp /var/log/syslog "$OUT/$(hostname)-syslog.log"
}
