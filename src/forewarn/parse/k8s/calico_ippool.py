"""Calico's IP pools and their encapsulation: IPIP, VXLAN, or neither (plain BGP routing).

Read from any of:

- IPPool YAML (`calicoctl get ippool -o yaml`, `kubectl get ippools.crd.projectcalico.org -o yaml`):
  `spec.ipipMode: Always|CrossSubnet|Never`, `spec.vxlanMode`;
- the old v1 `ipPool` resource: `spec.ipip.enabled: true|false`;
- `calicoctl get ippool -o wide`: a table with an `IPIP` (true/false) or `IPIPMODE` column;
- calico-node's environment (`CALICO_IPV4POOL_IPIP` = Always / CrossSubnet / Never / Off).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.k8s._yaml import documents
from forewarn.parse._text import lazy_compile

_MODES = {"always": "Always", "crosssubnet": "CrossSubnet", "cross-subnet": "CrossSubnet",
          "never": "Never", "off": "Never", "false": "Never", "true": "Always", "disabled": "Never"}
_ENV = lazy_compile(r"CALICO_IPV4POOL_(?P<what>IPIP|VXLAN|CIDR)\b\W*?(?:value:\s*|=\s*|\s+)['\"]?(?P<value>[\w./:-]+)")
_ENV_NAME = lazy_compile(r"name:\s*['\"]?CALICO_IPV4POOL_(?P<what>IPIP|VXLAN|CIDR)['\"]?\s*$")
_ENV_VALUE = lazy_compile(r"^\s*value:\s*['\"]?(?P<value>[\w./:-]+)")
_HEADER = lazy_compile(r"^\s*(NAME\s+)?CIDR\s+")


@dataclass(frozen=True, slots=True)
class Pool:
    cidr: str | None
    ipip_mode: str | None  # Always | CrossSubnet | Never; None: not stated
    vxlan_mode: str | None
    source: str  # "ippool" | "ipPool-v1" | "table" | "calico-node-env"
    line: int
    name: str | None = None
    disabled: bool | None = None


@dataclass(slots=True)
class CalicoPools:
    pools: list[Pool] = field(default_factory=list)

    @property
    def bgp_only(self) -> bool | None:
        """True when every enabled pool with a stated mode uses neither IPIP nor VXLAN."""
        known = [p for p in self.pools if p.ipip_mode is not None and not p.disabled]
        if not known:
            return None
        return all(p.ipip_mode == "Never" and p.vxlan_mode in (None, "Never") for p in known)


def _mode(v: object) -> str | None:
    if isinstance(v, bool):
        return "Always" if v else "Never"
    if isinstance(v, str):
        return _MODES.get(v.strip().lower())
    return None


def _from_yaml(text: str, out: CalicoPools, problems: list[ParseProblem]) -> None:
    docs, probs = documents(text)
    problems.extend(probs)
    for d in docs:
        items: list[tuple[dict, tuple[str, ...]]] = []
        if isinstance(d.data, dict) and isinstance(d.data.get("items"), list):
            items = [(it, ("items", str(i))) for i, it in enumerate(d.data["items"]) if isinstance(it, dict)]
        elif isinstance(d.data, dict):
            items = [(d.data, ())]
        for obj, base in items:
            kind = obj.get("kind")
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            if kind == "IPPool":
                out.pools.append(Pool(
                    cidr=str(spec.get("cidr")) if spec.get("cidr") else None,
                    ipip_mode=_mode(spec.get("ipipMode")) or ("Never" if "ipipMode" not in spec else None),
                    vxlan_mode=_mode(spec.get("vxlanMode")),
                    source="ippool", line=d.line(*base, "spec", "ipipMode") or d.line(*base, "kind") or 0,
                    name=str(meta.get("name")) if meta.get("name") else None,
                    disabled=spec.get("disabled") if isinstance(spec.get("disabled"), bool) else None))
            elif kind == "ipPool":
                ipip = spec.get("ipip") if isinstance(spec.get("ipip"), dict) else {}
                enabled = ipip.get("enabled")
                mode = ipip.get("mode")
                ipip_mode = ("Never" if enabled is False or not ipip else
                             "CrossSubnet" if str(mode).lower() == "cross-subnet" else "Always")
                out.pools.append(Pool(
                    cidr=str(meta.get("cidr")) if meta.get("cidr") else None, ipip_mode=ipip_mode,
                    vxlan_mode=None, source="ipPool-v1",
                    line=d.line(*base, "spec", "ipip", "enabled") or d.line(*base, "kind") or 0,
                    disabled=spec.get("disabled") if isinstance(spec.get("disabled"), bool) else None))


def _from_lines(text: str, out: CalicoPools) -> None:
    lines = text.splitlines()
    header: list[str] | None = None
    pending: str | None = None
    for no, raw in enumerate(lines, 1):
        if _HEADER.match(raw) and ("IPIP" in raw or "NAT" in raw):
            header = raw.split()
            continue
        if header:
            cols = raw.split()
            if len(cols) == len(header) and "/" in cols[header.index("CIDR")]:
                row = dict(zip(header, cols))
                ipip = row.get("IPIPMODE", row.get("IPIP"))
                out.pools.append(Pool(cidr=row["CIDR"], ipip_mode=_mode(ipip),
                                      vxlan_mode=_mode(row.get("VXLANMODE")), source="table", line=no,
                                      name=row.get("NAME"),
                                      disabled=(row["DISABLED"].lower() == "true") if "DISABLED" in row else None))
                continue
            if raw.strip():
                header = None
        m = _ENV_NAME.search(raw)
        if m:
            pending = m.group("what")
            continue
        if pending:
            v = _ENV_VALUE.match(raw)
            if v and pending == "IPIP":
                out.pools.append(Pool(None, _mode(v.group("value")), None, "calico-node-env", no))
            pending = None
            continue
        m = _ENV.search(raw)
        if m and m.group("what") == "IPIP" and "value:" not in raw.split("CALICO_IPV4POOL_IPIP")[0]:
            out.pools.append(Pool(None, _mode(m.group("value")), None, "calico-node-env", no))


CALICO_IPPOOL = Key("k8s.calico_ippool", CalicoPools)


@parser("k8s.calico_ippool")
def parse_calico_ippool(text: str) -> Parsed[CalicoPools]:
    """Parse Calico IP pools.

    >>> r = parse_calico_ippool("CIDR                       NAT     IPIP\\n10.253.0.0/16              true    false\\n")
    >>> [(p.cidr, p.ipip_mode, p.line) for p in r.value.pools], r.value.bgp_only
    ([('10.253.0.0/16', 'Never', 2)], True)
    """
    out = CalicoPools()
    problems: list[ParseProblem] = []
    if re.search(r"^\s*kind:\s*(IPPool|IPPoolList|ipPool|List)\s*$", text, re.M):
        _from_yaml(text, out, problems)
    if not out.pools:
        _from_lines(text, out)
    if not out.pools:
        return Parsed(None, [ParseProblem("no Calico IP pool or CALICO_IPV4POOL_IPIP setting found"), *problems])
    return Parsed(out, problems)
