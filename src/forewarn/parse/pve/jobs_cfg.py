"""`/etc/pve/jobs.cfg`: scheduled jobs, in Proxmox's section-config format.

    vzdump: backup-0b12dd8f-1938
    	schedule 03:30
    	enabled 1
    	storage nas-backup
    	vmid 100,103,102,105

Backup jobs (`vzdump:`) select guests by `all 1` (minus `exclude`), `vmid` or `pool`, optionally
only on one `node`; `enabled 0` turns a job off. The file format is storage.cfg's, so the value
is the same SectionConfig.
"""

from __future__ import annotations

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed
from forewarn.parse._registry import parser
from forewarn.parse.pve.section_config import SectionConfig, parse_section_config

JOBS_CFG = Key("pve.jobs_cfg", SectionConfig)


@parser("pve.jobs_cfg")
def parse_jobs_cfg(text: str) -> Parsed[SectionConfig]:
    """Parse jobs.cfg.

    >>> r = parse_jobs_cfg("vzdump: backup-1\\n\\tschedule 03:30\\n\\tvmid 100,103\\n\\tenabled 1\\n")
    >>> [(s.type, s.id, s.list("vmid")) for s in r.value.sections]
    [('vzdump', 'backup-1', ['100', '103'])]
    """
    return parse_section_config(text)
