"""Hardware health parsers: smartctl (text and JSON) and `nvme smart-log`."""
