#!/bin/bash
# Lab for forewarn host.mounts: a private mount namespace whose root is a fresh tmpfs, with
# the mounts a Proxmox node typically has under /mnt/pve, one of them with a space in its name.
set -e
R=/tmp/fwroot
mkdir -p $R
mount -t tmpfs -o size=64m rootfs $R
mkdir -p $R/usr $R/proc $R/mnt/pve/ISOS "$R/mnt/pve/nas backup" $R/mnt/backup $R/var/lib/vz
ln -s usr/bin $R/bin; ln -s usr/lib $R/lib; ln -s usr/lib64 $R/lib64 2>/dev/null || true
mount --bind -o ro /usr $R/usr
mount -t proc proc $R/proc
mount -t tmpfs -o size=16m,mode=755 tmpfs $R/mnt/pve/ISOS
mount -t tmpfs -o size=16m tmpfs "$R/mnt/pve/nas backup"
chroot $R /usr/bin/cat /proc/self/mounts
