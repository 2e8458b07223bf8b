"""HW: disk and hardware health (SMART, NVMe health log) on any Linux node."""
