"""`/etc/network/interfaces` and the files it sources, in the ifupdown and ifupdown2 dialects.

    auto eno1
    iface eno1 inet manual
        bond-master bond0

    auto bond0
    iface bond0
        bond-slaves eno1 eno2
        bond-mode balance-alb

    auto vmbr1
    iface vmbr1 inet static
        address 10.254.0.240/21
        bridge_ports gretap0esxi-5
    source /etc/network/interfaces.d/*

A stanza starts with `iface NAME [inet|inet6 METHOD]` (ifupdown2 also takes `iface NAME` alone);
`auto`, `allow-CLASS`, `source`, `source-directory`, `mapping` and `rename` lines stand alone and
end the stanza before them. Every other line belongs to the current stanza: `OPTION VALUE`.
ifupdown writes some options with underscores (`bridge_ports`), ifupdown2 with dashes
(`bridge-ports`); both spellings are kept with the name ifupdown2 uses (`key`) and whether the line
used an underscore. `pre-up`/`up`/`post-up`/`pre-down`/`down`/`post-down` are shell commands: their
`$IFACE`, `$LOGICAL`, `$ADDRFAM`, `$METHOD` and `$IF_<OPTION>` variables are expanded per stanza
(an `$IF_` variable of an option the stanza lacks is empty, as in the shell), and the `ip link
add|set`, `ip tunnel add` and `brctl addif` commands in them are read (`ip link add name $IFACE mtu
$IF_MTU type gretap ...`). A trailing backslash joins lines; `#` starts a comment only at the start
of a line. Files named by `source`/`source-directory` are separate instances of this spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.host.link_commands import LinkCommand, link_commands
from forewarn.parse._text import lazy_compile

PHASES = ("pre-up", "up", "post-up", "pre-down", "down", "post-down")
_VAR = lazy_compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True, slots=True)
class Option:
    name: str  # as written: "bridge_ports"
    key: str  # as ifupdown2 reads it, dashes for underscores: "bridge-ports"
    value: str  # as written (variables not expanded)
    line: int
    underscore: bool  # written with "_" (the ifupdown spelling)




@dataclass(frozen=True, slots=True)
class Command:
    phase: str  # pre-up, up, post-up, pre-down, down, post-down
    text: str  # as written
    expanded: str  # with the stanza's variables filled in
    line: int


@dataclass(slots=True)
class Stanza:
    name: str
    family: str | None  # "inet" | "inet6" | None (ifupdown2's bare `iface NAME`)
    method: str | None  # static | manual | dhcp | loopback | tunnel | ... | None
    line: int
    options: list[Option] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    links: list[LinkCommand] = field(default_factory=list)

    def values(self, key: str) -> list[str]:
        """Every value of an option, by its ifupdown2 name (`bridge-ports` also finds `bridge_ports`)."""
        key = key.replace("_", "-")
        return [o.value for o in self.options if o.key == key]

    def get(self, key: str) -> str | None:
        vals = self.values(key)
        return vals[0] if vals else None

    def option(self, key: str) -> Option | None:
        key = key.replace("_", "-")
        return next((o for o in self.options if o.key == key), None)

    def words(self, key: str) -> list[str]:
        """The whitespace-separated words of every value of an option (ports of a bond or bridge)."""
        return [w for v in self.values(key) for w in v.split()]

    @property
    def mtu(self) -> int | None:
        v = self.get("mtu")
        try:
            return int(v.split()[0]) if v else None
        except ValueError:
            return None

    @property
    def kind(self) -> str | None:
        """What the stanza configures, from its options and commands: bond, bridge, vxlan, gretap ..."""
        if self.get("vxlan-id") is not None:
            return "vxlan"
        for lc in self.links:
            if lc.action == "add" and lc.name == self.name and lc.kind:
                return lc.kind
        if self.method == "tunnel":
            return self.get("mode") or self.get("tunnel-mode") or "tunnel"
        if self.words("bond-slaves") or self.get("bond-mode") is not None or self.words("slaves"):
            return "bond"
        if self.option("bridge-ports") is not None:
            return "bridge"
        if self.get("vlan-raw-device") is not None or self.get("vlan-id") is not None:
            return "vlan"
        if self.method == "loopback":
            return "loopback"
        return None


@dataclass(frozen=True, slots=True)
class Include:
    kind: str  # "source" | "source-directory"
    path: str
    line: int


@dataclass(slots=True)
class Interfaces:
    stanzas: list[Stanza] = field(default_factory=list)
    auto: dict[str, int] = field(default_factory=dict)  # interface -> line of its `auto`/`allow-auto`
    allow: dict[str, list[str]] = field(default_factory=dict)  # `allow-hotplug eno1` -> {"hotplug": ["eno1"]}
    includes: list[Include] = field(default_factory=list)
    header: str | None = None  # the first comment line before any stanza (`#version:1` of PVE SDN)

    def named(self, name: str) -> list[Stanza]:
        return [s for s in self.stanzas if s.name == name]

    def stanza(self, name: str) -> Stanza | None:
        return next((s for s in self.stanzas if s.name == name), None)

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(s.name for s in self.stanzas))


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) with backslash continuations joined."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not pending:
            start = no
        if line.endswith("\\") and not line.lstrip().startswith("#"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        out.append((start, " ".join(p.strip() for p in pending if p.strip()) if len(pending) > 1 else pending[0]))
        pending = []
    if pending:
        out.append((start, " ".join(p.strip() for p in pending if p.strip())))
    return out


def expand(text: str, stanza: Stanza, phase: str | None = None) -> str:
    """Fill in ifupdown's environment: $IFACE, $LOGICAL, $ADDRFAM, $METHOD, $MODE, $PHASE, $IF_<OPT>."""
    env = {"IFACE": stanza.name, "LOGICAL": stanza.name, "ADDRFAM": stanza.family or "",
           "METHOD": stanza.method or ""}
    if phase:
        env["PHASE"] = phase
        env["MODE"] = "start" if phase in ("pre-up", "up", "post-up") else "stop"
    for o in stanza.options:
        env.setdefault("IF_" + o.key.upper().replace("-", "_"), o.value)

    def sub(m: re.Match[str]) -> str:
        var = m.group("braced") or m.group("bare")
        if var in env:
            return env[var]
        return "" if var.startswith("IF_") else m.group(0)

    return _VAR.sub(sub, text)














def _close(stanza: Stanza | None) -> None:
    """Expand the stanza's commands once all its options are known and read their link commands."""
    if stanza is None:
        return
    expanded = []
    for c in stanza.commands:
        text = expand(c.text, stanza, c.phase)
        expanded.append(Command(c.phase, c.text, text, c.line))
        stanza.links.extend(link_commands(text, c.text, c.line))
    stanza.commands[:] = expanded


INTERFACES = Key("host.interfaces", Interfaces)


@parser("host.interfaces")
def parse_interfaces(text: str) -> Parsed[Interfaces]:
    """Parse /etc/network/interfaces (or a file it sources).

    >>> r = parse_interfaces("auto gretap0esxi-5\\niface gretap0esxi-5 inet manual\\n"
    ...     "    pre-up ip link add name $IFACE mtu $IF_MTU type gretap local 10.38.95.115 remote 10.38.95.111\\n"
    ...     "    mtu 1500\\n\\nauto vmbr1\\niface vmbr1 inet static\\n    bridge_ports gretap0esxi-5\\n")
    >>> g, b = r.value.stanzas
    >>> (g.kind, g.mtu, g.links[0].mtu, g.links[0].mtu_written, g.commands[0].expanded.split()[4:6])
    ('gretap', 1500, 1500, '$IF_MTU', ['gretap0esxi-5', 'mtu'])
    >>> (b.kind, b.words("bridge-ports"), b.options[0].underscore, sorted(r.value.auto))
    ('bridge', ['gretap0esxi-5'], True, ['gretap0esxi-5', 'vmbr1'])
    """
    problems: list[ParseProblem] = []
    out = Interfaces()
    current: Stanza | None = None
    in_mapping = False
    seen_anything = False
    for no, line in _logical_lines(text):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            if out.header is None and not seen_anything:
                out.header = stripped
            continue
        seen_anything = True
        words = stripped.split()
        head = words[0]
        if head == "iface":
            _close(current)
            in_mapping = False
            if len(words) < 2:
                problems.append(ParseProblem("`iface` without a name", no, line))
                current = None
                continue
            family = words[2] if len(words) > 2 else None
            method = words[3] if len(words) > 3 else None
            if family is not None and family not in ("inet", "inet6", "ipx", "can"):
                problems.append(ParseProblem(f"unknown address family {family!r}", no, line))
            current = Stanza(words[1], family, method, no)
            out.stanzas.append(current)
            continue
        if head == "auto" or head == "allow-auto" or head.startswith("allow-"):
            _close(current)
            current, in_mapping = None, False
            names = words[1:]
            if not names:
                problems.append(ParseProblem(f"`{head}` without interface names", no, line))
            if head in ("auto", "allow-auto"):
                for n in names:
                    out.auto.setdefault(n, no)
            else:
                out.allow.setdefault(head[len("allow-"):], []).extend(names)
            continue
        if head in ("source", "source-directory"):
            _close(current)
            current, in_mapping = None, False
            if len(words) < 2:
                problems.append(ParseProblem(f"`{head}` without a path", no, line))
            else:
                out.includes.append(Include(head, stripped[len(head):].strip(), no))
            continue
        if head in ("mapping", "rename"):
            _close(current)
            current = None
            in_mapping = head == "mapping"
            continue
        if in_mapping:
            continue  # `script` / `map` lines of a mapping stanza
        if head.startswith("%") or stripped.startswith("<%"):
            problems.append(ParseProblem("template line (ifupdown2 mako) not evaluated", no, line))
            continue
        if current is None:
            problems.append(ParseProblem("option outside an `iface` stanza", no, line))
            continue
        value = stripped[len(head):].strip()
        if head in PHASES:
            current.commands.append(Command(head, value, value, no))
            continue
        if not re.match(r"^[A-Za-z][A-Za-z0-9_\-.]*$", head):
            problems.append(ParseProblem("not an `option value` line", no, line))
            continue
        current.options.append(Option(head, head.replace("_", "-"), value, no, "_" in head))
    _close(current)
    if not out.stanzas and not out.auto and not out.includes and not out.allow:
        problems.insert(0, ParseProblem("no `iface`, `auto` or `source` lines found"))
        return Parsed(None, problems)
    return Parsed(out, problems)
