"""kube-apiserver's flags, from its static pod manifest
(`/etc/kubernetes/manifests/kube-apiserver.yaml`), a systemd unit or an env file.

        - --service-cluster-ip-range=10.96.0.0/12
        image: registry.k8s.io/kube-apiserver:v1.33.0

Flags are read line by line wherever they stand (manifest list items, `ExecStart=` lines,
`KUBE_API_ARGS="..."`), so every layout gives the same value and every flag keeps its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.k8s._flags import flags_in
from forewarn.parse._text import lazy_compile

_IMAGE = lazy_compile(r"^\s*-?\s*image:\s*['\"]?(?P<image>\S*kube-apiserver[^\s'\"]*)")
_VERSION = lazy_compile(r":v?(?P<v>\d+\.\d+\.\d+\S*)$")


@dataclass(slots=True)
class ApiserverFlags:
    flags: dict[str, str | None] = field(default_factory=dict)
    flag_lines: dict[str, int] = field(default_factory=dict)
    image: str | None = None
    image_line: int | None = None

    @property
    def service_cidrs(self) -> list[str]:
        v = self.flags.get("service-cluster-ip-range") or ""
        return [x.strip() for x in v.split(",") if x.strip()]

    @property
    def version(self) -> str | None:
        m = _VERSION.search(self.image or "")
        return m.group("v") if m else None


APISERVER_MANIFEST = Key("k8s.apiserver_manifest", ApiserverFlags)


@parser("k8s.apiserver_manifest")
def parse_apiserver_manifest(text: str) -> Parsed[ApiserverFlags]:
    """Parse kube-apiserver's flags.

    >>> r = parse_apiserver_manifest("  - command:\\n    - kube-apiserver\\n"
    ...     "    - --service-cluster-ip-range=172.20.0.0/16\\n    image: registry.k8s.io/kube-apiserver:v1.33.0\\n")
    >>> v = r.value
    >>> (v.service_cidrs, v.flag_lines["service-cluster-ip-range"], v.version)
    (['172.20.0.0/16'], 3, '1.33.0')
    """
    out = ApiserverFlags()
    for no, raw in enumerate(text.splitlines(), 1):
        if raw.lstrip().startswith("#"):
            continue
        m = _IMAGE.match(raw)
        if m and out.image is None:
            out.image, out.image_line = m.group("image"), no
        for name, value in flags_in(raw):
            out.flags[name] = value
            out.flag_lines[name] = no
    if not out.flags:
        return Parsed(None, [ParseProblem("no kube-apiserver flags found")])
    problems: list[ParseProblem] = []
    if "kube-apiserver" not in text and "service-cluster-ip-range" not in out.flags:
        problems.append(ParseProblem("flags found, but nothing says they are kube-apiserver's"))
    return Parsed(out, problems)
