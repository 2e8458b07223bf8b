"""Write docs/catalogue.md from the rules' YAML (forewarn.catalogue): every code, its kind,
severity and title, by family. tests/test_catalogue.py fails when the page is stale.

    .venv/bin/python tools/gen_catalogue_page.py
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from forewarn.catalogue import CATALOGUE  # noqa: E402

PAGE = ROOT / "docs" / "catalogue.md"
FAMILIES = {"PVE": "Proxmox VE: cluster, HA, storage, guests", "LVM": "LVM", "NET": "Host networking",
            "LNX": "Linux host", "OSK": "OpenStack / Kolla", "K8S": "Kubernetes", "ZFS": "ZFS", "CEPH": "Ceph",
            "HW": "Hardware", "BAK": "Backups", "PCMK": "Pacemaker"}


def render() -> str:
    from forewarn.rules import RULES

    out = ["# The catalogue", "",
           "Generated from the rules' YAML files by `tools/gen_catalogue_page.py`; do not edit by hand.",
           "`forewarn rules CODE` shows one rule in full (what it does, why it matters, a real example, the fix).",
           "*detect*: a rule reads the evidence and reports it; *advise*: a pitfall no evidence shows,",
           "found by `forewarn why`. *by*: a Python rule, or a knowledge-base signature (signatures/*.yaml)",
           "whose line means the problem by itself.", ""]
    kinds = Counter((m.family, m.kind) for m in CATALOGUE.values())
    out += ["| family | detect | advise |", "|---|---:|---:|"]
    for fam, title in FAMILIES.items():
        out.append(f"| {fam} — {title} | {kinds[(fam, 'detect')]} | {kinds[(fam, 'advise')]} |")
    total_d = sum(v for (f, k), v in kinds.items() if k == "detect")
    total_a = sum(v for (f, k), v in kinds.items() if k == "advise")
    out += [f"| **all** | **{total_d}** | **{total_a}** |", ""]
    for fam, title in FAMILIES.items():
        rows = [m for m in CATALOGUE.values() if m.family == fam]
        if not rows:
            continue
        out += [f"## {fam} — {title}", "", "| code | kind | by | severity | title | file |", "|---|---|---|---|---|---|"]
        for m in sorted(rows, key=lambda m: m.code):
            rel = m.path.relative_to(ROOT / "src" / "forewarn").as_posix()
            title_ = m.title.replace("|", "\\|")
            kind = m.kind if m.code in RULES or m.kind == "advise" or m.by == "signature" else "planned"
            by = m.by if m.kind == "detect" else ""
            out.append(f"| {m.code} | {kind} | {by} | {m.severity.label} | {title_} | `{rel}` |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    PAGE.write_text(render(), encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}: {len(CATALOGUE)} rows")
