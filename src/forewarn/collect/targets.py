"""Where to collect from: SSH targets as typed on the command line or read from a nodelist.

Kept apart from the SSH source so that telling a host from a path (`scan pve1` vs
`scan bundle.tar.gz`) never imports the SSH stack: an offline scan has no use for it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

# what names a file or bundle rather than a host: a path separator, or a file-like suffix
_PATHLIKE = re.compile(r"[/\\]|\.(tar|tgz|gz|xz|bz2|zst|txt|log|cfg|conf|json|ya?ml|fw|pem|out)$", re.I)


# Every host or address reaches the SSH client, and from there a user's ProxyCommand (`%h`),
# so only these shapes are accepted; a nodelist is evidence from a node, not trusted input.
_HOSTNAME = re.compile(r"(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
                       r"(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?", re.ASCII)
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\$?", re.ASCII)
_ZONE = re.compile(r"[A-Za-z0-9_.-]{1,64}", re.ASCII)
_DOTTED = re.compile(r"[0-9.]+", re.ASCII)


class BadTarget(ValueError):
    """Not `[user@]host[:port]` with a host name, an IPv4 or an IPv6 address."""


def _shown(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:80] + "…")


def check_host(host: str) -> str | None:
    """Why `host` is not a host name, an IPv4 address or an IPv6 address (`fe80::1%vmbr0`); None if it is.

    >>> check_host("pve1.example.com"), check_host("10.0.0.1"), check_host("fe80::1%vmbr0")
    (None, None, None)
    >>> check_host("10.0.0.1 -oProxyCommand=x")
    'not a host name, an IPv4 or an IPv6 address'
    """
    bad = "not a host name, an IPv4 or an IPv6 address"
    if ":" in host:
        addr, pct, zone = host.partition("%")
        if pct and not _ZONE.fullmatch(zone):
            return "an IPv6 address whose zone id is not an interface name"
        try:
            ipaddress.IPv6Address(addr)
        except ValueError:
            return bad
        return None
    if _DOTTED.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return bad
        return None
    return None if _HOSTNAME.fullmatch(host) else bad


def _problem(host: str, user: str | None, port: int | None) -> str | None:
    if not host:
        return "no host name"
    why = check_host(host)
    if why:
        return f"{_shown(host)} is {why}"
    if user is not None and not _USER.fullmatch(user):
        return f"{_shown(user)} is not a user name"
    if port is not None and not 0 < port < 65536:
        return f"port {port} is not 1-65535"
    return None


@dataclass(frozen=True, slots=True)
class Target:
    """`[user@]host[:port]` as given on the command line (`[v6addr]:port` for IPv6).

    Every Target is checked when it is made: the host is a host name, an IPv4 or an IPv6
    address, the user a plain login name, the port 1-65535 (BadTarget otherwise).
    """

    host: str
    user: str | None = None
    port: int | None = None

    def __post_init__(self) -> None:
        why = _problem(self.host, self.user, self.port)
        if why:
            raise BadTarget(why)

    @classmethod
    def parse(cls, text: str) -> "Target":
        """
        >>> Target.parse("root@pve1"), Target.parse("pve2:2222").port, Target.parse("[fe80::1]:22").host
        (Target(host='pve1', user='root', port=None), 2222, 'fe80::1')
        >>> Target.parse("admin@10.0.0.5").user, Target.parse("fe80::1%vmbr0").host
        ('admin', 'fe80::1%vmbr0')
        >>> Target.parse("127.0.0.1:22 -oProxyCommand=touch$IFS/tmp/x")
        Traceback (most recent call last):
        forewarn.collect.targets.BadTarget: '127.0.0.1:22 -oProxyCommand=touch$IFS/tmp/x': the port is not a number
        """
        user, at, rest = text.rpartition("@")
        port: str | None = None
        host = rest
        if rest.startswith("["):
            inner, bracket, tail = rest[1:].partition("]")
            if not bracket or (tail and not tail.startswith(":")):
                raise BadTarget(f"{_shown(text)}: not [IPv6 address]:port")
            host, port = inner, (tail[1:] if tail else None)
        elif rest.count(":") == 1:
            host, _, port = rest.partition(":")
        if at and not user:
            why = "empty user name"
        elif port is not None and not (port.isascii() and port.isdigit()):
            why = "the port is not a number"
        else:
            why = _problem(host, user or None, int(port) if port else None)
        if why:
            raise BadTarget(f"{_shown(text)}: {why}")
        return cls(host=host, user=user or None, port=int(port) if port else None)

    def with_host(self, host: str) -> "Target":
        return Target(host=host, user=self.user, port=self.port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (f"{self.user}@" if self.user else "") + host + (f":{self.port}" if self.port else "")


@dataclass(frozen=True, slots=True)
class Member:
    name: str  # the node's name in the nodelist (its address when the nodelist has no name)
    target: Target | None  # None: the nodelist's value for it was refused
    address: str = ""  # as the nodelist gives it
    refused: str = ""  # why the address was refused (it is never used)


def looks_like_target(arg: str) -> bool:
    """Is a command-line argument an SSH target rather than a bundle or a file?

    An existing path is always a path; `user@host` is always a target; otherwise a bare word
    without a path separator or a file suffix is a host (an alias from ~/.ssh/config).

    >>> looks_like_target("root@pve1"), looks_like_target("pve1"), looks_like_target("bundle.tar.gz")
    (True, True, False)
    >>> looks_like_target("examples/seed001-quorum-flap"), looks_like_target("syslog.txt")
    (False, False)
    """
    if Path(arg).exists():
        return False
    if "@" in arg and not arg.startswith("@"):
        return "/" not in arg.split("@", 1)[0]
    return not _PATHLIKE.search(arg) and arg not in ("-", ".", "..")


def members_from_conf(text: str, seed: Target) -> list[Member]:
    """The nodes of a corosync.conf as SSH targets: ring0 address (or lowest link, or name),
    with the seed's user and port. A value that is not a host name, an IPv4 or an IPv6 address
    gives a member with `refused` set and no target: the file comes from a node, and what it
    says reaches the SSH client (and a ProxyCommand's `%h`).

    >>> conf = "nodelist {\\n node {\\n name: pve1\\n ring0_addr: 10.0.0.1\\n }\\n"
    >>> conf += " node {\\n name: pve2\\n ring1_addr: 10.1.0.2\\n }\\n node {\\n name: pve3\\n }\\n}\\n"
    >>> [(m.name, str(m.target)) for m in members_from_conf(conf, Target.parse("root@10.0.0.1"))]
    [('pve1', 'root@10.0.0.1'), ('pve2', 'root@10.1.0.2'), ('pve3', 'root@pve3')]
    >>> bad = "nodelist {\\n node {\\n name: pve4\\n ring0_addr: 10.0.0.4 -oProxyCommand=x\\n }\\n}\\n"
    >>> [(m.name, m.target, m.refused) for m in members_from_conf(bad, Target.parse("pve1"))]
    [('pve4', None, 'not a host name, an IPv4 or an IPv6 address')]
    """
    from forewarn.parse.pve.corosync_conf import parse_corosync_conf

    conf = parse_corosync_conf(text).value
    out: list[Member] = []
    seen: set[str] = set()
    for node in conf.nodes if conf is not None else []:
        addr = node.addrs.get(0) or (node.addrs[min(node.addrs)] if node.addrs else None) or node.name
        if not addr or addr in seen:
            continue
        seen.add(addr)
        name = node.name or addr
        why = check_host(addr)
        out.append(Member(name=name, target=None if why else seed.with_host(addr), address=addr,
                          refused=why or ""))
    return out
