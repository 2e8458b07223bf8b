"""lvm.conf, the copy of it inside the initramfs, and `lvmconfig` output.

    devices {
         # added by pve-manager to avoid scanning ZFS zvols and Ceph rbds
         global_filter=["r|/dev/zd.*|","r|/dev/rbd.*|"]
    }

Sections are `name {` ... `}` (nested); a setting is `key = value`, the value a number, a
"string" or an array `[ "a", "b" ]` that may span lines (LVM also takes items with no comma
between them); `#` starts a comment outside strings. `lvmconfig devices/global_filter` prints
`global_filter=[...]` with no section around it, and a one-item array as a plain string:
such keys are put in the section LVM defines them in. A key set twice keeps the last value, as
LVM does ("Ignoring duplicate config value"). lvmconfig's own lines (`Configuration node
devices/scan_lvs not found`, `LVM configuration valid.`, `WARNING: ...`) are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

# where lvmconfig's section-less output puts a key (lvm.conf(5))
KEY_SECTION = {
    "filter": "devices", "global_filter": "devices", "scan_lvs": "devices", "types": "devices",
    "obtain_device_list_from_udev": "devices", "external_device_info_source": "devices",
    "use_devicesfile": "devices", "devicesfile": "devices", "multipath_component_detection": "devices",
    "md_component_detection": "devices", "auto_activation_volume_list": "activation",
    "volume_list": "activation", "read_only_volume_list": "activation", "udev_sync": "activation",
    "udev_rules": "activation", "event_activation": "global", "use_lvmetad": "global",
    "use_lvmlockd": "global", "locking_type": "global", "system_id_source": "global",
}
_NOT_FOUND = lazy_compile(r"^\s*Configuration node (?P<path>\S+) not found\s*$")
_TOOL_LINE = lazy_compile(r"^\s*(WARNING:|LVM configuration valid\.|Parse error|Failed to load config)")
_WORD = lazy_compile(r"[A-Za-z0-9_.+\-/]+")


@dataclass(frozen=True, slots=True)
class ConfSetting:
    section: str  # "devices", "activation", ... ("a/b" when nested; "" when unknown)
    key: str
    value: str | int | float | tuple[str | int | float, ...] | None
    line: int
    end_line: int

    @property
    def path(self) -> str:
        return f"{self.section}/{self.key}" if self.section else self.key

    @property
    def items(self) -> tuple[str, ...]:
        """The value as a list of strings (an array's items; a single value as one item)."""
        if self.value is None:
            return ()
        if isinstance(self.value, tuple):
            return tuple(str(v) for v in self.value)
        return (str(self.value),)


@dataclass(slots=True)
class LvmConf:
    settings: list[ConfSetting]  # every assignment, in file order (duplicates included)
    sections: list[tuple[str, int]] = field(default_factory=list)  # section names and lines
    missing: list[tuple[str, int]] = field(default_factory=list)  # lvmconfig: "... not found"
    messages: list[tuple[int, str]] = field(default_factory=list)  # lvmconfig's other lines

    def all(self, path: str) -> list[ConfSetting]:
        return [s for s in self.settings if s.path == path]

    def get(self, path: str) -> ConfSetting | None:
        """The setting LVM uses: the last one written."""
        found = self.all(path)
        return found[-1] if found else None

    @property
    def filter(self) -> ConfSetting | None:
        return self.get("devices/filter")

    @property
    def global_filter(self) -> ConfSetting | None:
        return self.get("devices/global_filter")

    @property
    def scan_lvs(self) -> ConfSetting | None:
        return self.get("devices/scan_lvs")

    @property
    def auto_activation_volume_list(self) -> ConfSetting | None:
        return self.get("activation/auto_activation_volume_list")

    @property
    def volume_list(self) -> ConfSetting | None:
        return self.get("activation/volume_list")


class _Scanner:
    """Tokens of the LVM config syntax with their line numbers."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1

    def _skip(self) -> None:
        t = self.text
        while self.i < len(t):
            c = t[self.i]
            if c == "\n":
                self.line += 1
                self.i += 1
            elif c in " \t\r\f\v":
                self.i += 1
            elif c == "#":
                j = t.find("\n", self.i)
                self.i = len(t) if j < 0 else j
            else:
                return

    def next(self) -> tuple[str, str, int] | None:
        """(kind, text, line): kind is one of `{ } [ ] , = str word other`."""
        self._skip()
        t = self.text
        if self.i >= len(t):
            return None
        c = t[self.i]
        line = self.line
        if c in "{}[],=":
            self.i += 1
            return c, c, line
        if c == '"':
            j = self.i + 1
            buf = []
            while j < len(t) and t[j] != '"':
                if t[j] == "\\" and j + 1 < len(t):
                    j += 1
                if t[j] == "\n":
                    self.line += 1
                buf.append(t[j])
                j += 1
            closed = j < len(t)
            self.i = j + 1 if closed else len(t)
            return ("str" if closed else "badstr"), "".join(buf), line
        m = _WORD.match(t, self.i)
        if m:
            self.i = m.end()
            return "word", m.group(), line
        j = self.i
        while j < len(t) and t[j] not in " \t\r\n{}[],=\"#":
            j += 1
        j = max(j, self.i + 1)
        tok = t[self.i:j]
        self.i = j
        return "other", tok, line


def _number(word: str) -> int | float | str:
    if re.fullmatch(r"-?\d+", word):
        return int(word)
    if re.fullmatch(r"-?\d+\.\d+", word):
        return float(word)
    return word


LVM_CONF = Key("lvm.conf", LvmConf)
INITRAMFS_CONF = Key("lvm.initramfs_conf", LvmConf)


@parser("lvm.conf", "lvm.initramfs_conf")
def parse_lvm_conf(text: str) -> Parsed[LvmConf]:
    """Parse lvm.conf (or `lvmconfig` output) into its settings, with line numbers.

    >>> r = parse_lvm_conf('devices {\\n  # global_filter = [ "a|.*|" ]\\n'
    ...     '  global_filter = [ "r|/dev/zd.*|",\\n    "r|/dev/disk/by-id/usb.*|" ]\\n}\\n'
    ...     'auto_activation_volume_list="pve"\\n')
    >>> g = r.value.global_filter
    >>> (g.items, g.line, g.end_line, r.value.auto_activation_volume_list.path, r.problems)
    (('r|/dev/zd.*|', 'r|/dev/disk/by-id/usb.*|'), 3, 4, 'activation/auto_activation_volume_list', [])
    """
    problems: list[ParseProblem] = []
    missing: list[tuple[str, int]] = []
    messages: list[tuple[int, str]] = []
    lines = text.splitlines()
    kept = []
    for no, raw in enumerate(lines, 1):
        m = _NOT_FOUND.match(raw)
        if m:
            missing.append((m.group("path"), no))
            kept.append("")
        elif _TOOL_LINE.match(raw):
            messages.append((no, raw.strip()))
            kept.append("")
        else:
            kept.append(raw)
    sc = _Scanner("\n".join(kept))
    settings: list[ConfSetting] = []
    sections: list[tuple[str, int]] = []
    stack: list[str] = []
    pending: tuple[str, str, int] | None = None  # a word waiting for `{` or `=`

    def bad(reason: str, line: int) -> None:
        if len(problems) < 30:
            problems.append(ParseProblem(reason, line, lines[line - 1][:200] if 0 < line <= len(lines) else None))

    while True:
        tok = sc.next()
        if tok is None:
            break
        kind, val, line = tok
        if pending is None:
            if kind == "word":
                pending = tok
            elif kind == "}":
                if stack:
                    stack.pop()
                else:
                    bad("'}' without an open section", line)
            else:
                bad(f"unexpected {val!r}", line)
            continue
        name, line0 = pending[1], pending[2]
        pending = None
        if kind == "{":
            stack.append(name)
            sections.append(("/".join(stack), line0))
            continue
        if kind != "=":
            bad(f"`{name}` is followed by neither '=' nor '{{'", line0)
            if kind == "word":
                pending = tok
            elif kind == "}" and stack:
                stack.pop()
            continue
        # the value
        vt = sc.next()
        if vt is None:
            bad(f"`{name}` has no value", line0)
            break
        vkind, vval, vline = vt
        value: str | int | float | tuple[str | int | float, ...] | None
        end_line = vline
        if vkind == "str":
            value = vval
        elif vkind == "word":
            value = _number(vval)
        elif vkind == "[":
            items: list[str | int | float] = []
            closed = False
            while True:
                it = sc.next()
                if it is None:
                    break
                ik, iv, il = it
                end_line = il
                if ik == "]":
                    closed = True
                    break
                if ik == ",":
                    continue
                if ik == "str":
                    items.append(iv)
                elif ik == "word":
                    items.append(_number(iv))
                else:
                    bad(f"unexpected {iv!r} in the array of `{name}`", il)
                    if ik in ("}", "{", "="):
                        break
            if not closed:
                bad(f"the array of `{name}` is not closed", line0)
            value = tuple(items)
        else:
            bad(f"`{name}` has no readable value", line0)
            value = None
        section = "/".join(stack) if stack else KEY_SECTION.get(name, "")
        settings.append(ConfSetting(section, name, value, line0, end_line))
    if pending is not None:
        bad(f"`{pending[1]}` is followed by neither '=' nor '{{'", pending[2])
    if stack:
        problems.append(ParseProblem(f"{len(stack)} section(s) not closed (truncated file?)"))
    if not settings and not sections and not missing and not messages:
        if text.strip() and all(not ln.strip() or ln.lstrip().startswith("#") for ln in lines):
            return Parsed(LvmConf([]), problems)  # comments only: a valid file that sets nothing
        problems.insert(0, ParseProblem("no LVM configuration section or setting in it"))
        return Parsed(None, problems)
    return Parsed(LvmConf(settings, sections, missing, messages), problems)
