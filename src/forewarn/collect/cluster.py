"""SSH targets from the command line, and `--cluster`: every node of a cluster from one of them.

`forewarn scan root@pve1 root@pve2` names the nodes; `forewarn scan --cluster root@pve1` reads
the nodelist from pve1's corosync.conf (`/etc/pve/corosync.conf`, the cluster-wide copy, or
`/etc/corosync/corosync.conf` when pmxcfs is not mounted) and reaches every node by its ring0
address (or its name when it has none), with the same user, port and options. This is the
only place collection reads a file's meaning: it needs the nodelist to know where to go.
"""

from __future__ import annotations

from forewarn.collect.sources.refused import RefusedSource, shown
from forewarn.collect.sources.ssh import SSHOptions, SSHSource
from forewarn.collect.targets import Member, Target, members_from_conf

CONF_PATHS = ("/etc/pve/corosync.conf", "/etc/corosync/corosync.conf")


class ClusterError(Exception):
    """--cluster cannot work out the nodes (one-line message, exit 2)."""


def refused_member(member: Member, conf_path: str) -> RefusedSource:
    """A nodelist member whose address was refused (collect/sources/refused.py)."""
    return RefusedSource(member.name, f"refused the address {shown(member.address)} that {conf_path} gives for it "
                                      f"({member.refused or 'not valid'}); it was not contacted")


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
