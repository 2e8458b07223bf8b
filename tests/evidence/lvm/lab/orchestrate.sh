#!/bin/bash
# Host side of the LVM lab: sparse disk images, PV/VG creation on loop devices, then the VMs
# (run-vm.sh) in the order of the scenario, driven through each VM's second serial port.
# Usage: orchestrate.sh <workdir>   (the lab initrd must be at <workdir>/lab-initrd.img)
set -euo pipefail
LAB=$(cd "$(dirname "$0")" && pwd)
W=$1
mkdir -p "$W/host"
export LVM_SUPPRESS_FD_WARNINGS=1
PIDS=()
LOOPS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    for l in "${LOOPS[@]:-}"; do [ -n "$l" ] && { vgchange -an --devices "$l" >/dev/null 2>&1 || true; losetup -d "$l" 2>/dev/null || true; }; done
}
trap cleanup EXIT

hcap() { local n=$1; shift; { "$@"; } > "$W/host/$n.txt" 2>&1 || true; printf '%s\t%s\n' "$n" "$*" >> "$W/host/commands.tsv"; }

# --- images and VGs, made on the host with loop devices -----------------------------------
for n in node1 node2 pve-test pve-sd; do
    truncate -s 3G "$W/$n.img"
    L=$(losetup -f --show "$W/$n.img"); LOOPS+=("$L")
    hcap "$n-pvcreate" pvcreate "$L"
    hcap "$n-vgcreate" vgcreate pve "$L"
    hcap "$n-vgs" vgs --devices "$L"
    losetup -d "$L"; LOOPS=()
done
truncate -s 4G "$W/shared.img"
L=$(losetup -f --show "$W/shared.img"); LOOPS+=("$L")
hcap shared-losetup losetup -a
hcap shared-pvcreate pvcreate "$L"
hcap shared-vgcreate vgcreate user-data "$L"
hcap shared-pvs pvs
hcap shared-vgs vgs
hcap shared-pvs-spec-json pvs --reportformat json --units b -o pv_name,vg_name,pv_attr,pv_size,pv_free,dev_size
hcap shared-vgs-spec-json vgs --reportformat json --units b -o vg_name,vg_attr,vg_size,vg_free,pv_count,lv_count,vg_tags,vg_shared
hcap shared-lvs lvs
losetup -d "$L"; LOOPS=()

# --- VMs -----------------------------------------------------------------------------------
vm() {  # vm NAME SCENARIO LOCALIMG WITH_SHARED
    local name=$1 scen=$2 img=$3 shared=$4
    local args=(-device virtio-scsi-pci,id=scsi0
        -drive "file=$W/$img.img,if=none,id=local,format=raw,cache=none,file.locking=off"
        -device "scsi-hd,drive=local,bus=scsi0.0,serial=local-$img")
    if [ "$shared" = yes ]; then
        args+=(-drive "file=$W/shared.img,if=none,id=shared,format=raw,cache=none,file.locking=off"
               -device "scsi-hd,drive=shared,bus=scsi0.0,serial=lun0-user-data,share-rw=on")
    fi
    args+=(-device qemu-xhci -drive if=none,id=stick -device usb-storage,drive=stick,removable=on
           -chardev "socket,id=ctl,path=$W/$name.sock,server=on,wait=off" -device isa-serial,chardev=ctl)
    rm -f "$W/$name-console.log"
    "$LAB/run-vm.sh" "$name" "$LAB/$scen" "$W" "${args[@]}" > "$W/$name-run.log" 2>&1 &
    PIDS+=("$!")
}
wait_for() {  # wait_for NAME TEXT [TIMEOUT]
    local t=0
    until grep -q "$2" "$W/$1-console.log" 2>/dev/null; do
        sleep 2; t=$((t + 2))
        [ "$t" -lt "${3:-600}" ] || { echo "timeout waiting for '$2' on $1" >&2; return 1; }
    done
    echo "$(date -u +%T) $1: $2" >> "$W/timeline.txt"
}
send() {  # send NAME TOKEN: repeat until the guest says it got it
    local t=0
    until grep -q "LAB: got $2" "$W/$1-console.log" 2>/dev/null; do
        python3 -c 'import socket,sys
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall((sys.argv[2]+"\n").encode()); s.close()' "$W/$1.sock" "$2" || true
        sleep 2; t=$((t + 2))
        [ "$t" -lt 300 ] || { echo "timeout sending $2 to $1" >&2; return 1; }
    done
    echo "$(date -u +%T) -> $1: $2" >> "$W/timeline.txt"
}

: > "$W/timeline.txt"
vm node1 node1.sh node1 yes;           wait_for node1 "LAB: READY1"
vm node2 node2.sh node2 yes;           wait_for node2 "LAB: READY-B1"
send node1 GO2;                        wait_for node1 "LAB: READY2"
send node2 GO-B2;                      wait_for node2 "LAB: READY-B2"
send node1 GO3;                        wait_for node1 "LAB: READY3"
send node2 GO-B3;                      wait_for node2 "LAB: done"
send node1 GO4
vm pve-test pve-test.sh pve-test yes;  wait_for pve-test "LAB: done"
sleep 20
send node1 GO5;                        wait_for node1 "LAB: done"
vm pve-sd-1 sd-1-scsi-first.sh pve-sd no;      wait_for pve-sd-1 "LAB: done"
vm pve-sd-2 sd-2-usb-first.sh pve-sd no;       wait_for pve-sd-2 "LAB: done"
vm pve-sd-3 sd-3-usb-first-byid.sh pve-sd no;  wait_for pve-sd-3 "LAB: done"
wait
PIDS=()
echo "all done"
