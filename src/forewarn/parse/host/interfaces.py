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
import shlex
from dataclasses import dataclass, field, replace

from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser

PHASES = ("pre-up", "up", "post-up", "pre-down", "down", "post-down")
_VAR = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")
_SPLIT_SHELL = re.compile(r"\|\||&&|;|\|")
_MTU_WRITTEN = re.compile(r"\bmtu\s+(\S+)")
# `ip link add` keywords (before `type`) that take an argument
_LINK_ARGS = {"link", "name", "mtu", "address", "broadcast", "brd", "txqueuelen", "txqlen", "qlen",
              "numtxqueues", "numrxqueues", "index", "gso_max_size", "gso_max_segs", "gro_max_size",
              "netns", "alias", "group", "addrgenmode", "master", "vrf"}
_SET_ARGS = _LINK_ARGS | {"type", "mtu", "master", "name", "alias", "netns", "link-netnsid", "vf", "xdp",
                          "arp", "dynamic", "multicast", "allmulticast", "promisc", "protodown",
                          "trailers", "carrier"}
_SET_FLAGS = {"up", "down", "nomaster", "novrf"}


@dataclass(frozen=True, slots=True)
class Option:
    name: str  # as written: "bridge_ports"
    key: str  # as ifupdown2 reads it, dashes for underscores: "bridge-ports"
    value: str  # as written (variables not expanded)
    line: int
    underscore: bool  # written with "_" (the ifupdown spelling)


@dataclass(frozen=True, slots=True)
class LinkCommand:
    """An `ip link add|set|delete`, `ip tunnel add` or `brctl addif` inside a stanza's command."""

    action: str  # "add" | "set" | "delete" | "addif"
    name: str  # the device the command is about (variables expanded)
    kind: str | None  # `type` of `ip link add`, `mode` of `ip tunnel add`: gretap, vxlan, ...
    mtu: int | None  # `mtu N` in the command (None: not given, or not a number after expansion)
    mtu_written: str | None  # the MTU as written before expansion ("$IF_MTU")
    dev: str | None  # the underlay: `dev X` (tunnel/vxlan) or `link X`
    master: str | None  # `master B` (ip link set) or the bridge of `brctl addif B X`
    local: str | None
    remote: str | None  # `remote` or vxlan `group`
    vxlan_id: int | None
    line: int


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


def _to_int(v: str | None) -> int | None:
    try:
        return int(v) if v is not None else None
    except ValueError:
        return None


def _ip_command(words: list[str], line: int) -> LinkCommand | None:
    """Read one `ip ...` command (the words after `ip`)."""
    i = 0
    while i < len(words) and words[i].startswith("-"):  # global options: -4, -d, -n NS ...
        i += 2 if words[i] in ("-n", "-netns", "-b", "-batch", "-rc", "-rcvbuf") else 1
    if i + 1 >= len(words):
        return None
    obj, verb, rest = words[i], words[i + 1], words[i + 2:]
    is_link = obj in ("l", "li", "lin", "link")
    if is_link and verb in ("a", "ad", "add"):
        return _link_add(rest, line)
    if obj in ("t", "tu", "tun", "tunn", "tunne", "tunnel") and verb in ("a", "ad", "add"):
        return _tunnel_add(rest, line)
    if is_link and verb in ("s", "se", "set", "change"):
        return _link_set(rest, line)
    if is_link and verb in ("d", "de", "del", "delete"):
        name = next((w for w in rest if w not in ("dev", "type")), None)
        return LinkCommand("delete", name, None, None, None, None, None, None, None, None, line) if name else None
    return None


def _link_add(rest: list[str], line: int) -> LinkCommand | None:
    name = dev = master = local = remote = kind = None
    mtu: int | None = None
    vxlan_id = None
    i = 0
    while i < len(rest):
        w = rest[i]
        if w == "type" and i + 1 < len(rest):
            kind = rest[i + 1]
            args = rest[i + 2:]
            for j, a in enumerate(args):
                nxt = args[j + 1] if j + 1 < len(args) else None
                if a == "peer":
                    break
                if a in ("dev", "link") and nxt:
                    dev = nxt
                elif a == "local" and nxt:
                    local = nxt
                elif a in ("remote", "group") and nxt:
                    remote = nxt
                elif a in ("id", "vni") and nxt:
                    vxlan_id = _to_int(nxt)
            break
        if w in _LINK_ARGS and i + 1 < len(rest):
            v = rest[i + 1]
            if w == "mtu":
                mtu = _to_int(v)
                if mtu is None and v in ("type", "name", "link"):
                    i += 1  # `mtu $IF_MTU` with no mtu option: the shell left nothing after `mtu`
                    continue
            elif w == "name":
                name = v
            elif w == "link":
                dev = v
            elif w == "master":
                master = v
            i += 2
            continue
        if name is None and not w.startswith("-"):
            name = w
        i += 1
    if not name:
        return None
    return LinkCommand("add", name, kind, mtu, None, dev, master, local, remote,
                       vxlan_id if kind == "vxlan" else None, line)


def _tunnel_add(rest: list[str], line: int) -> LinkCommand | None:
    name = kind = dev = local = remote = None
    mtu = None
    i = 0
    while i < len(rest):
        w = rest[i]
        nxt = rest[i + 1] if i + 1 < len(rest) else None
        if w == "mode" and nxt:
            kind = nxt
        elif w in ("dev",) and nxt:
            dev = nxt
        elif w == "local" and nxt:
            local = nxt
        elif w == "remote" and nxt:
            remote = nxt
        elif w == "name" and nxt:
            name = nxt
        elif w in ("ttl", "tos", "key", "ikey", "okey", "encaplimit", "hoplimit", "flowlabel", "tclass",
                   "dscp", "encap", "encap-sport", "encap-dport"):
            pass
        else:
            if name is None and w not in ("nopmtudisc", "pmtudisc", "seq", "iseq", "oseq", "csum",
                                          "icsum", "ocsum", "noencap"):
                name = w
            i += 1
            continue
        i += 2
    if not name:
        return None
    return LinkCommand("add", name, kind, mtu, None, dev, None, local, remote, None, line)


def _link_set(rest: list[str], line: int) -> LinkCommand | None:
    name = master = None
    mtu = None
    has_mtu = False
    i = 0
    while i < len(rest):
        w = rest[i]
        if w == "dev" and i + 1 < len(rest):
            name = rest[i + 1]
            i += 2
            continue
        if w in _SET_ARGS and i + 1 < len(rest):
            if w == "mtu":
                mtu, has_mtu = _to_int(rest[i + 1]), True
            elif w == "master":
                master = rest[i + 1]
            i += 2
            continue
        if w not in _SET_FLAGS and name is None:
            name = w
        i += 1
    if not name or (not has_mtu and master is None):
        return None
    return LinkCommand("set", name, None, mtu, None, None, master, None, None, None, line)


def link_commands(command: str, written: str, line: int) -> list[LinkCommand]:
    """The link commands in one (expanded) shell command line; `written` is the unexpanded form."""
    out: list[LinkCommand] = []
    parts = _SPLIT_SHELL.split(command)
    parts_w = _SPLIT_SHELL.split(written)
    for k, part in enumerate(parts):
        try:
            words = shlex.split(part, comments=False)
        except ValueError:
            words = part.split()
        if not words:
            continue
        prog = words[0].rsplit("/", 1)[-1]
        if prog == "ip":
            lc = _ip_command(words[1:], line)
            if lc is not None:
                m = _MTU_WRITTEN.search(parts_w[k]) if len(parts_w) == len(parts) else None
                if m and lc.action in ("add", "set"):
                    lc = replace(lc, mtu_written=m.group(1))
                out.append(lc)
        elif prog == "brctl" and len(words) >= 4 and words[1] == "addif":
            for port in words[3:]:
                out.append(LinkCommand("addif", port, None, None, None, None, words[2], None, None, None, line))
    return out


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
