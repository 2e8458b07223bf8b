"""Where to collect from: SSH targets as typed on the command line or read from a nodelist.

Kept apart from the SSH source so that telling a host from a path (`scan pve1` vs
`scan bundle.tar.gz`) never imports the SSH stack: an offline scan has no use for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# what names a file or bundle rather than a host: a path separator, or a file-like suffix
_PATHLIKE = re.compile(r"[/\\]|\.(tar|tgz|gz|xz|bz2|zst|txt|log|cfg|conf|json|ya?ml|fw|pem|out)$", re.I)


@dataclass(frozen=True, slots=True)
class Target:
    """`[user@]host[:port]` as given on the command line (`[v6addr]:port` for IPv6)."""

    host: str
    user: str | None = None
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> "Target":
        """
        >>> Target.parse("root@pve1"), Target.parse("pve2:2222").port, Target.parse("[fe80::1]:22").host
        (Target(host='pve1', user='root', port=None), 2222, 'fe80::1')
        >>> Target.parse("admin@10.0.0.5").user, Target.parse("fe80::1").host
        ('admin', 'fe80::1')
        """
        user, _, rest = text.rpartition("@")
        port: int | None = None
        host = rest
        if rest.startswith("["):
            inner, _, tail = rest[1:].partition("]")
            host = inner
            if tail.startswith(":") and tail[1:].isdigit():
                port = int(tail[1:])
        elif rest.count(":") == 1:
            h, _, p = rest.partition(":")
            if p.isdigit():
                host, port = h, int(p)
        if not host:
            raise ValueError(f"{text!r}: no host name")
        return cls(host=host, user=user or None, port=port)

    def with_host(self, host: str) -> "Target":
        return Target(host=host, user=self.user, port=self.port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (f"{self.user}@" if self.user else "") + host + (f":{self.port}" if self.port else "")



@dataclass(frozen=True, slots=True)
class Member:
    name: str  # the node's name in the nodelist (its address when the nodelist has no name)
    target: Target


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
    with the seed's user and port.

    >>> conf = "nodelist {\\n node {\\n name: pve1\\n ring0_addr: 10.0.0.1\\n }\\n"
    >>> conf += " node {\\n name: pve2\\n ring1_addr: 10.1.0.2\\n }\\n node {\\n name: pve3\\n }\\n}\\n"
    >>> [(m.name, str(m.target)) for m in members_from_conf(conf, Target.parse("root@10.0.0.1"))]
    [('pve1', 'root@10.0.0.1'), ('pve2', 'root@10.1.0.2'), ('pve3', 'root@pve3')]
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
        out.append(Member(name=node.name or addr, target=seed.with_host(addr)))
    return out
