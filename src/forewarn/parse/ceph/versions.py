"""The Ceph releases the running daemons report: `ceph versions` (JSON, its only format).

    {"mon": {"ceph version 15.2.0 (dc6a...) octopus (rc)": 3},
     "mds": {"ceph version 14.2.8 (2d09...) nautilus (stable)": 2},
     "overall": {...}}

Each daemon type maps the full version string to how many daemons run it; `overall` sums them.
A daemon type with more than one key runs mixed releases (an upgrade half done, or daemons not
restarted after the packages were upgraded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_VERSION = lazy_compile(r"ceph version (?P<v>\S+)(?: \([0-9a-f]+\))?(?: (?P<name>[a-z]+))?")


@dataclass(slots=True)
class CephVersions:
    by_type: dict[str, dict[str, int]] = field(default_factory=dict)  # "osd" -> {"15.2.14 octopus": 3}

    def mixed(self) -> dict[str, dict[str, int]]:
        """The daemon types that run more than one version."""
        return {t: v for t, v in self.by_type.items() if len(v) > 1}


VERSIONS = Key("ceph.versions", CephVersions)


def short(version: str) -> str:
    """`ceph version 15.2.0 (dc6a0b5c...) octopus (rc)` -> `15.2.0 octopus`.

    >>> short("ceph version 15.2.14 (cd3bb7e87a2f62c1b862ff3fd8b1eec13391a5be) octopus (stable)")
    '15.2.14 octopus'
    """
    m = _VERSION.search(version)
    if not m:
        return version.strip()
    return f"{m.group('v')} {m.group('name')}" if m.group("name") else m.group("v")


@parser("ceph.versions")
def parse_ceph_versions(text: str) -> Parsed[CephVersions]:
    """Parse `ceph versions`.

    >>> r = parse_ceph_versions('{"osd": {"ceph version 1.2 (ab) x (rc)": 1, "ceph version 1.3 (cd) x (rc)": 2}, "mds": {}}')
    >>> r.value.mixed()
    {'osd': {'1.2 x': 1, '1.3 x': 2}}
    """
    try:
        doc = json.loads(text)
    except ValueError as e:
        return Parsed(None, [ParseProblem(f"not JSON: {e}")])
    if not isinstance(doc, dict):
        return Parsed(None, [ParseProblem("JSON that is not an object: not `ceph versions`")])
    out = CephVersions()
    for dtype, versions in doc.items():
        if dtype == "overall" or not isinstance(versions, dict):
            continue
        counts = {short(str(k)): n for k, n in versions.items()
                  if isinstance(n, int) and not isinstance(n, bool) and n > 0}
        if counts:
            out.by_type[str(dtype)] = counts
    if not out.by_type and "overall" not in doc:
        return Parsed(None, [ParseProblem("JSON without daemon types or `overall`: not `ceph versions`")])
    return Parsed(out, [])
