"""LVM evidence."""

from forewarn.specs._base import spec

spec("lvm.lvs", "command",
     "lvs -a --reportformat json --units b -o lv_name,vg_name,lv_attr,lv_size,pool_lv,origin,lv_active,lv_tags,data_percent,metadata_percent",
     "logical volumes and their activation", names=("lvs*",),
     sniff=(r'"lv_name"\s*:', r"^\s+LV\s+VG\s+Attr\s+LSize"), data=True)
spec("lvm.vgs", "command",
     "vgs --reportformat json --units b -o vg_name,vg_attr,vg_size,vg_free,pv_count,lv_count,vg_tags,vg_shared",
     "volume groups", names=("vgs*",),
     sniff=(r'"vg_name"\s*:\s*"[^"]*",\s*"(pv_count|vg_attr)"', r"^\s+VG\s+#PV\s+#LV"), data=True)
spec("lvm.pvs", "command",
     "pvs --reportformat json --units b -o pv_name,vg_name,pv_attr,pv_size,pv_free,dev_size",
     "physical volumes", names=("pvs*",),
     sniff=(r'"pv_name"\s*:', r"^\s+PV\s+VG\s+Fmt\s+Attr",
            r"^\s*/dev/\S+: open failed: No medium found"), data=True)  # what LVM prints for an empty USB device
spec("lvm.conf", "file", "/etc/lvm/lvm.conf", "LVM configuration", names=("lvm.conf*",),
     sniff=(r"^\s*devices\s*\{", r"^\s*(global_filter|auto_activation_volume_list)\s*="))
spec("lvm.initramfs_conf", "file", "/run/forewarn/initramfs/etc/lvm/lvm.conf",
     "the copy of lvm.conf inside the current initramfs", names=("initramfs-lvm.conf*",),
     sniff_weight=0)
spec("lvm.boot_files", "command",
     "stat -c '%Y %s %n' /etc/lvm/lvm.conf /boot/initrd.img-*",
     "modification times of lvm.conf and the initramfs images", names=("stat-boot*",),
     sniff=(r"^\d{9,11} \d+ /boot/initrd\.img-\S+$",), data=True)
