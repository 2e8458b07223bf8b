"""Readable citations for a rule's seed reference (`seeds/000_ddaad953b0664170.txt:27`).

The seed files are copies that do not ship with forewarn, so a finding cites the public document
they came from: its title, the section the line falls in, and its address where one is known
(seed_sources.yaml). The rule keeps its seed id; only what a reader sees changes.

>>> c = citations("seeds/000_ddaad953b0664170.txt:27")[0]
>>> (c.section, c.url)
('Migrate 提示 `ERROR: migration aborted (duration 00:00:00): CT is locked (migrate)`', 'https://vlab.ibugone.com/traps/')
>>> citations("https://github.com/ClusterLabs/pcs/issues/247")[0].text()
'https://github.com/ClusterLabs/pcs/issues/247'
>>> citations("seeds/001_2bd87300fc635f04.txt:127")[0].text()
'«Что может отказать у Proxmox?» (what can fail in Proxmox), a Russian article on an 8-host PVE cluster, section “Сетевые ошибки” (no public address found)'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

_FILE = Path(__file__).with_name("seed_sources.yaml")
_REF = re.compile(r"(?:seeds/)?(?P<id>\d{3}_[0-9a-f]+)(?:\.txt)?(?::(?P<line>\d+))?")


@dataclass(frozen=True, slots=True)
class Citation:
    seed: str  # the reference as the rule gives it
    document: str
    section: str | None
    url: str | None  # the page, with the section's anchor when the page sets one

    def text(self) -> str:
        if self.url and self.document == self.url:  # a public page cited by its address alone
            return self.url
        sec = f", section “{self.section}”" if self.section else ""
        where = f": {self.url}" if self.url else " (no public address found)"
        return f"{self.document}{sec}{where}"

    def to_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "document": self.document, "section": self.section, "url": self.url}


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    """The table, from the start-up cache (forewarn/cache.py): every `why` reads it, and yaml
    alone took ~15 ms to import (the pure-Python loader ~44 ms to read it)."""
    from forewarn.cache import cached, key_of

    def build() -> dict[str, Any]:
        import yaml

        data = yaml.load(_FILE.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return json.loads(json.dumps(data or {}, default=str))

    table: dict[str, Any] = cached("citations", key_of([_FILE]), build)
    return table


def _one(ref: str) -> Citation:
    if ref.strip().startswith(("https://", "http://")):  # rules beyond the seeds cite public pages
        return Citation(ref.strip(), ref.strip(), None, ref.strip())
    m = _REF.fullmatch(ref.strip())
    doc = _table().get(m.group("id")) if m else None
    if m is None or doc is None:  # not a seed we know: say what the rule says, nothing invented
        return Citation(ref.strip(), ref.strip(), None, None)
    line = int(m.group("line") or 0)
    section, anchor = None, None
    for start, title, *rest in doc.get("sections", []):
        if start > line:
            break
        section, anchor = title, (rest[0] if rest else None)
    url = doc.get("url")
    if url and anchor:
        url = f"{url}#{anchor}"
    return Citation(ref.strip(), doc["document"], section, url)


def citations(seed: str) -> list[Citation]:
    """Every reference in a rule's `seed` field (`seeds/A.txt:1, seeds/B.txt:2`)."""
    return [_one(part) for part in seed.split(",") if part.strip()]


def cite(seed: str) -> str:
    """The readable citation(s) of a `seed` field, one per reference, `; `-joined."""
    return "; ".join(c.text() for c in citations(seed))
