"""LVM parsers: the `lvs`/`vgs`/`pvs` reports, lvm.conf (and `lvmconfig` output), boot file times."""
