"""The link commands in `/etc/network/interfaces` hook lines: `ip link add|set`, `ip tunnel add`,
`brctl addif`, with the MTU as written (`mtu $IF_MTU`) and as expanded."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace

from forewarn.parse._text import lazy_compile, to_int

_SPLIT_SHELL = lazy_compile(r"\|\||&&|;|\|")
_MTU_WRITTEN = lazy_compile(r"\bmtu\s+(\S+)")
# `ip link add` keywords (before `type`) that take an argument
_LINK_ARGS = {"link", "name", "mtu", "address", "broadcast", "brd", "txqueuelen", "txqlen", "qlen",
              "numtxqueues", "numrxqueues", "index", "gso_max_size", "gso_max_segs", "gro_max_size",
              "netns", "alias", "group", "addrgenmode", "master", "vrf"}
_SET_ARGS = _LINK_ARGS | {"type", "mtu", "master", "name", "alias", "netns", "link-netnsid", "vf", "xdp",
                          "arp", "dynamic", "multicast", "allmulticast", "promisc", "protodown",
                          "trailers", "carrier"}
_SET_FLAGS = {"up", "down", "nomaster", "novrf"}



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
                    vxlan_id = to_int(nxt)
            break
        if w in _LINK_ARGS and i + 1 < len(rest):
            v = rest[i + 1]
            if w == "mtu":
                mtu = to_int(v)
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
                mtu, has_mtu = to_int(rest[i + 1]), True
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
