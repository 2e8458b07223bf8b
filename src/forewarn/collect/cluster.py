"""SSH targets from the command line, and `--cluster`: every node of a cluster from one of them.

`forewarn scan root@pve1 root@pve2` names the nodes; `forewarn scan --cluster root@pve1` reads
the nodelist from pve1's corosync.conf (`/etc/pve/corosync.conf`, the cluster-wide copy, or
`/etc/corosync/corosync.conf` when pmxcfs is not mounted) and reaches every node by its ring0
address (or its name when it has none), with the same user, port and options. This is the
only place collection reads a file's meaning: it needs the nodelist to know where to go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from forewarn.collect.sources.ssh import SSHOptions, SSHSource, Target

CONF_PATHS = ("/etc/pve/corosync.conf", "/etc/corosync/corosync.conf")
# what names a file or bundle rather than a host: a path separator, or a file-like suffix
_PATHLIKE = re.compile(r"[/\\]|\.(tar|tgz|gz|xz|bz2|zst|txt|log|cfg|conf|json|ya?ml|fw|pem|out)$", re.I)


class ClusterError(Exception):
    """--cluster cannot work out the nodes (one-line message, exit 2)."""


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


async def discover(seed: Target | str, options: SSHOptions) -> tuple[str, list[Member]]:
    """Connect to `seed`, read its corosync.conf, return (the path read, the members).

    Raises SourceError when the seed cannot be reached, ClusterError when it has no nodelist.
    """
    seed = seed if isinstance(seed, Target) else Target.parse(seed)
    src = SSHSource(seed, options)
    await src.open()
    # "the same user": the one the seed logged in as, also when it came from ~/.ssh/config
    # (`Host pve1 / User admin`); likewise a non-default port
    as_seed = Target(host=seed.host, user=seed.user or src.username,
                     port=seed.port or (src.port if src.port not in (None, 22) else None))
    problems: list[str] = []
    try:
        for path in CONF_PATHS:
            res = await src.run(f"cat {path}", timeout=15, max_bytes=1 << 20)
            text = res.stdout.decode("utf-8", "replace")
            if res.error or res.timed_out:
                problems.append(f"{path}: {res.error or 'timed out (pmxcfs hung?)'}")
                continue
            if res.rc != 0 or not text.strip():
                err = res.stderr.decode("utf-8", "replace").strip().splitlines()
                problems.append(f"{path}: {err[-1] if err else f'exit {res.rc}'}")
                continue
            members = members_from_conf(text, as_seed)
            if members:
                return path, members
            problems.append(f"{path}: no nodelist")
    finally:
        await src.close()
    raise ClusterError(f"--cluster {seed}: cannot read the nodelist on {src.node}: " + "; ".join(problems))
