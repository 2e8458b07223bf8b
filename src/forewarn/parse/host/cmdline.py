"""`/proc/cmdline`: the kernel command line the host booted with.

    BOOT_IMAGE=/boot/vmlinuz-6.8.12-1-pve root=/dev/mapper/pve-root ro quiet intel_iommu=on iommu=pt

Space-separated `key` or `key=value` words (a value may be double-quoted); words after a lone
`--` go to init and are kept apart. A paste may carry the shell prompt line before it.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_WORD = lazy_compile(r"^[A-Za-z0-9_][\w.\-/]*(=.*)?$")
_KERNEL = lazy_compile(r"vmlinuz-(?P<ver>\S+)$")
_PROMPT = lazy_compile(r"^(\S+@\S+[:~#$\s].*?)?[#$]\s*cat\s+/proc/cmdline\s*$")
_FALSE = ("0", "false", "no", "off")


@dataclass(slots=True)
class KernelCmdline:
    raw: str
    line: int
    params: dict[str, str | None] = field(default_factory=dict)  # last value wins, None: a flag
    words: list[str] = field(default_factory=list)
    init_args: list[str] = field(default_factory=list)

    def get(self, key: str) -> str | None:
        return self.params.get(key)

    def has(self, key: str) -> bool:
        return key in self.params

    @property
    def kernel_version(self) -> str | None:
        """`6.8.12-1-pve` from `BOOT_IMAGE=/boot/vmlinuz-6.8.12-1-pve` (absent on some boot loaders)."""
        img = self.params.get("BOOT_IMAGE") or ""
        m = _KERNEL.search(img)
        return m.group("ver") if m else None

    @property
    def unified_cgroup(self) -> bool | None:
        """`systemd.unified_cgroup_hierarchy=`: False when set to 0, True when set to 1, None when
        not given (then systemd's default applies: the unified hierarchy on PVE >= 7)."""
        if "systemd.unified_cgroup_hierarchy" not in self.params:
            return None
        v = (self.params["systemd.unified_cgroup_hierarchy"] or "1").strip('"').lower()
        return v not in _FALSE


CMDLINE = Key("host.cmdline", KernelCmdline)


@parser("host.cmdline")
def parse_cmdline(text: str) -> Parsed[KernelCmdline]:
    """Parse `/proc/cmdline`.

    >>> r = parse_cmdline("BOOT_IMAGE=/boot/vmlinuz-5.11.22-4-pve root=/dev/mapper/pve-root ro quiet "
    ...                   "systemd.unified_cgroup_hierarchy=0\\n")
    >>> c = r.value
    >>> (c.kernel_version, c.get("root"), c.has("quiet"), c.unified_cgroup, r.problems)
    ('5.11.22-4-pve', '/dev/mapper/pve-root', True, False, [])
    """
    problems: list[ParseProblem] = []
    lines = [(no, raw) for no, raw in enumerate(text.splitlines(), 1)
             if raw.strip() and not _PROMPT.match(raw.strip())]
    if not lines:
        return Parsed(None, [ParseProblem("empty command line")])
    no, raw = lines[0]
    for extra_no, extra in lines[1:]:
        problems.append(ParseProblem("/proc/cmdline has one line; ignored", extra_no, extra))
    try:
        words = shlex.split(raw, posix=True)
    except ValueError:
        problems.append(ParseProblem("unbalanced quotes; split on spaces", no, raw))
        words = raw.split()
    out = KernelCmdline(raw.strip(), no)
    if "--" in words:
        i = words.index("--")
        words, out.init_args = words[:i], words[i + 1:]
    bad = [w for w in words if not _WORD.match(w)]
    if not words or len(bad) * 2 > len(words):
        return Parsed(None, [ParseProblem("does not look like a kernel command line", no, raw[:200]),
                             *problems])
    for w in words:
        if w in bad:
            problems.append(ParseProblem(f"not a kernel parameter: {w[:60]!r}", no, raw))
            continue
        out.words.append(w)
        key, sep, value = w.partition("=")
        out.params[key] = value if sep else None
    return Parsed(out, problems)
