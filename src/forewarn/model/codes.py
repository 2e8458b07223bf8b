"""Finding codes: a family prefix and three digits. The families are public API (CATALOGUE.md,
CATALOGUE-NEXT.md), and each rule family runs only where its platform shows."""

from __future__ import annotations

import re

# family -> the platform whose evidence must be present for its rules to apply
FAMILIES: dict[str, str] = {
    "PVE": "pve", "LVM": "lvm", "NET": "linux", "LNX": "linux", "OSK": "osk", "K8S": "k8s",
    "ZFS": "zfs", "CEPH": "ceph", "HW": "linux", "BAK": "pve", "PCMK": "pcmk",
}
_ALT = "|".join(sorted(FAMILIES, key=len, reverse=True))
CODE = re.compile(rf"^({_ALT}|FW)\d{{3}}$")
# a code as people write it in text: `pve 101`, `PVE-101`, `ceph104`
CODE_IN_TEXT = re.compile(rf"\b({_ALT})[ -]?(\d{{3}})\b", re.IGNORECASE)


def family_of(code: str) -> str:
    m = CODE.match(code)
    return m.group(1) if m else code.rstrip("0123456789")
