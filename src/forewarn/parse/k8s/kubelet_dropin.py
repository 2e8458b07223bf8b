"""kubelet's systemd drop-in (`10-kubelet.conf`, kubeadm's `10-kubeadm.conf`) and
`/var/lib/kubelet/kubeadm-flags.env`: the flags kubelet really starts with.

    [Service]
    Environment="KUBELET_DNS_ARGS=--cluster-dns=10.96.0.10 --cluster-domain=cluster.local"
    ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_DNS_ARGS

Flags are collected from every `Environment=` value, every `ExecStart=` line and every
`KUBELET_*=` line of an env file, with the line they are on. For a flag given twice the last
one wins, as for kubelet itself.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.k8s._flags import flags_in
from forewarn.parse._text import lazy_compile

_PROMPT = lazy_compile(r"^\s*(\S+@\S+.*[#$]\s|\[[^\]]*\][#$]\s|\$\s|#\s*(cat|vi|vim)\s)")
_SECTION = lazy_compile(r"^\s*\[(?P<name>[A-Za-z]+)\]\s*$")
_ASSIGN = lazy_compile(r"^\s*(?P<key>[A-Za-z][\w]*)\s*=\s*(?P<value>.*)$")


@dataclass(slots=True)
class KubeletDropin:
    env: dict[str, str] = field(default_factory=dict)  # KUBELET_* variables
    exec_start: list[str] = field(default_factory=list)
    env_files: list[str] = field(default_factory=list)
    flags: dict[str, str | None] = field(default_factory=dict)
    flag_lines: dict[str, int] = field(default_factory=dict)

    @property
    def cluster_dns(self) -> list[str]:
        v = self.flags.get("cluster-dns") or ""
        return [x.strip() for x in v.split(",") if x.strip()]

    @property
    def config_path(self) -> str | None:
        return self.flags.get("config")


def _env_pairs(value: str) -> list[tuple[str, str]]:
    """`Environment="A=1 2" "B=3"` -> [(A, "1 2"), (B, "3")]."""
    try:
        words = shlex.split(value, comments=False, posix=True)
    except ValueError:
        words = [value.strip().strip('"')]
    out = []
    for w in words:
        k, sep, v = w.partition("=")
        if sep and re.match(r"^[A-Za-z_]\w*$", k):
            out.append((k, v))
    return out


KUBELET_DROPIN = Key("k8s.kubelet_dropin", KubeletDropin)


@parser("k8s.kubelet_dropin")
def parse_kubelet_dropin(text: str) -> Parsed[KubeletDropin]:
    """Parse a kubelet drop-in or flags file.

    >>> r = parse_kubelet_dropin('[Service]\\n'
    ...     'Environment="KUBELET_DNS_ARGS=--cluster-dns=10.96.0.10 --cluster-domain=cluster.local"\\n'
    ...     'ExecStart=/usr/bin/kubelet $KUBELET_DNS_ARGS\\n')
    >>> v = r.value
    >>> (v.cluster_dns, v.flag_lines["cluster-dns"], v.exec_start, r.problems)
    (['10.96.0.10'], 2, ['/usr/bin/kubelet $KUBELET_DNS_ARGS'], [])
    """
    out = KubeletDropin()
    problems: list[ParseProblem] = []
    understood = 0
    in_section = False
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")) or _PROMPT.match(raw):
            continue
        if _SECTION.match(line):
            in_section = True
            continue
        m = _ASSIGN.match(line)
        if not m:
            problems.append(ParseProblem("not a key=value line", no, raw))
            continue
        key, value = m.group("key"), m.group("value")
        if key == "Environment":
            understood += 1
            for k, v in _env_pairs(value):
                out.env[k] = v
                for name, fv in flags_in(v):
                    out.flags[name] = fv
                    out.flag_lines[name] = no
        elif key == "EnvironmentFile":
            understood += 1
            out.env_files.append(value.lstrip("-").strip())
        elif key == "ExecStart":
            understood += 1
            if value.strip():
                out.exec_start.append(value.strip())
                for name, fv in flags_in(value):
                    out.flags[name] = fv
                    out.flag_lines[name] = no
        elif key.startswith("KUBELET_"):  # kubeadm-flags.env, /etc/default/kubelet
            understood += 1
            v = value.strip()
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
                v = v[1:-1]
            out.env[key] = v
            for name, fv in flags_in(v):
                out.flags[name] = fv
                out.flag_lines[name] = no
        elif not in_section:  # outside a [Section] only KUBELET_* lines belong here
            problems.append(ParseProblem(f"unexpected setting {key}", no, raw))
    if not understood:
        return Parsed(None, [ParseProblem("no systemd or KUBELET_* settings found"), *problems[:20]])
    return Parsed(out, problems[:50])
