#!/bin/bash
# Boot one lab VM: run-vm.sh <name> <scenario.sh> <workdir> [extra qemu args...]
# The scenario runs as a shell script inside the VM (see lab-init); its files come back in
# <workdir>/<name>-out/. Disks are given as extra qemu arguments by the caller.
set -euo pipefail
name=$1 scenario=$2 work=$3; shift 3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/$name-in" "$work/$name-out"
cp "$scenario" "$work/$name-in/scenario.sh"
[ -f "$here/common.sh" ] && cp "$here/common.sh" "$work/$name-in/common.sh"
tar -C "$work/$name-in" -cf "$work/$name-in.tar" .
truncate -s 64M "$work/$name-out.img"
timeout 900 qemu-system-x86_64 -accel "${ACCEL:-tcg}" -m 1024 -smp 1 -display none -monitor none -no-reboot \
  -kernel /boot/vmlinuz-6.1.0-56-amd64 -initrd "$work/lab-initrd.img" \
  -append "console=ttyS0 rdinit=/lab-init loglevel=4 panic=-1 modprobe.blacklist=virtio_scsi,usb_storage,uas" \
  -serial "file:$work/$name-console.log" \
  -drive "file=$work/$name-in.tar,if=none,id=labin,format=raw,readonly=on" \
  -device virtio-blk-pci,drive=labin,serial=labin \
  -drive "file=$work/$name-out.img,if=none,id=labout,format=raw" \
  -device virtio-blk-pci,drive=labout,serial=labout \
  "$@"
tar -C "$work/$name-out" -xf "$work/$name-out.img"
