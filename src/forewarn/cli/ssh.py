"""The SSH side of `forewarn scan` and `forewarn collect`: options, targets, `--cluster`, `-i`.

Kept out of main.py so the commands only gain a decorator and a few lines: `ssh_options` adds
the options, `wants_ssh` tells whether the arguments name nodes to reach over SSH, and
`ssh_sources` turns them (or `--cluster`'s nodelist) into sources for the collection runner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

SSH_KEYS = ("cluster", "inventory", "limit", "parallel", "insecure_no_host_key_check", "known_hosts", "identity",
            "ssh_config", "connect_timeout")


def ssh_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--cluster", "cluster", metavar="[USER@]HOST",
                     help="Scan every node of the cluster: read the nodelist from HOST's corosync.conf "
                          "and reach each node by its ring0 address, as the same user."),
        click.option("-i", "--inventory", "inventory", metavar="INVENTORY", type=click.Path(exists=True),
                     help="Scan the hosts of an Ansible inventory (INI or YAML; any inventory when Ansible's "
                          "ansible-inventory is installed) at their ansible_host, ansible_port, ansible_user."),
        click.option("--limit", "limit", metavar="PATTERN",
                     help="With -i: only the hosts this Ansible pattern selects (pve1, group, 'pve*', "
                          "'a:b', 'a:&b', 'all:!c')."),
        click.option("--parallel", type=click.IntRange(1, 256), default=8, show_default=True,
                     help="Nodes collected at the same time over SSH."),
        click.option("--insecure-no-host-key-check", "insecure_no_host_key_check", is_flag=True,
                     help="DANGEROUS: accept any SSH host key (no known_hosts check at all)."),
        click.option("--known-hosts", "known_hosts", multiple=True, type=click.Path(dir_okay=False),
                     help="known_hosts file to check host keys against (repeatable); default: the SSH "
                          "config's, else ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts."),
        click.option("--identity", "identity", multiple=True, type=click.Path(dir_okay=False),
                     help="Private key file to log in with (repeatable); default: ssh-agent and ~/.ssh/id_*."),
        click.option("--ssh-config", "ssh_config", type=click.Path(dir_okay=False),
                     help="OpenSSH client config to read instead of ~/.ssh/config."),
        click.option("--connect-timeout", type=click.FloatRange(0.5, 300), default=10.0, show_default=True,
                     help="Seconds to wait for a node to answer an SSH connection."),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


def pop_ssh(kw: dict[str, Any]) -> dict[str, Any]:
    """Take the SSH options out of a command's keyword arguments."""
    return {k: kw.pop(k) for k in SSH_KEYS if k in kw}


def wants_ssh(targets: tuple[str, ...], ssh: dict[str, Any]) -> bool:
    """True when the command should reach nodes over SSH (`--cluster`, or targets naming hosts).

    Raises click.UsageError when bundles or files and hosts are mixed.
    """
    from forewarn.cli.config import from_config
    from forewarn.collect.targets import looks_like_target

    for key in ("cluster", "inventory"):
        if ssh.get(key) and targets and from_config(key) and not from_config("targets"):
            ssh[key] = None  # the config file's cluster or inventory is the target when the command line names none
    if ssh.get("limit") and not ssh.get("inventory"):
        if from_config("limit"):
            ssh["limit"] = None
        else:
            raise click.UsageError("--limit selects hosts of an inventory: give -i INVENTORY too")
    if ssh.get("cluster") or ssh.get("inventory"):
        if targets and not all(looks_like_target(t) for t in targets):
            raise click.UsageError(f"give SSH targets or bundles/files ({', '.join(targets)}), not both")
        return True
    if not targets:
        return False
    hosts = [t for t in targets if looks_like_target(t)]
    if hosts and len(hosts) != len(targets):
        paths = [t for t in targets if t not in hosts]
        raise click.UsageError(f"give either SSH targets ({', '.join(hosts)}) or bundles/files "
                               f"({', '.join(paths)}), not both")
    return bool(hosts)


def options_from(ssh: dict[str, Any]) -> Any:
    from forewarn.collect.sources.ssh import SSHOptions

    return SSHOptions(config_files=(ssh["ssh_config"],) if ssh.get("ssh_config") else (),
                      identity_files=tuple(ssh.get("identity") or ()),
                      known_hosts=tuple(ssh.get("known_hosts") or ()),
                      insecure_no_host_key_check=bool(ssh.get("insecure_no_host_key_check")),
                      connect_timeout=float(ssh.get("connect_timeout") or 10.0),
                      max_channels=int(ssh.get("max_channels") or 4))


async def ssh_sources(targets: tuple[str, ...], ssh: dict[str, Any],
                      echo: Callable[[str], None] = lambda s: None) -> tuple[list[Any], list[str]]:
    """The sources to collect from, and notes for the report's inputs.

    Raises SourceError (seed unreachable) or ClusterError (no nodelist) for `--cluster`.
    """
    from forewarn.collect.cluster import discover, refused_member
    from forewarn.collect.inventory import refused_host
    from forewarn.collect.sources.ssh import SSHSource
    from forewarn.collect.targets import Target

    opts = options_from(ssh)
    notes: list[str] = []
    if opts.insecure_no_host_key_check:
        warning = "SSH host keys NOT checked (--insecure-no-host-key-check)"
        notes.append(warning)
        echo(f"forewarn: warning: {warning}")
    parsed: list[tuple[Target, str | None]] = []
    refused: list[Any] = []
    try:
        # a target typed on the command line is checked before anything connects (exit 2)
        typed = [Target.parse(t) for t in targets]
        if ssh.get("cluster"):
            path, members = await discover(ssh["cluster"], opts)
            notes.append(f"--cluster {ssh['cluster']}: {len(members)} node(s) from {path}: "
                         + ", ".join(f"{m.name} ({m.target or 'refused'})" for m in members))
            # an address from the nodelist is evidence: a bad one is this node's finding only
            refused += [refused_member(m, path) for m in members if m.target is None]
            parsed += [(m.target, m.name) for m in members if m.target is not None]
        parsed += [(t, None) for t in typed]
        if ssh.get("inventory"):
            hosts, note = _inventory(ssh["inventory"], ssh.get("limit"), echo)
            notes.append(note)
            refused += [refused_host(h, ssh["inventory"]) for h in hosts if h.target is None]
            parsed += [(h.target, h.name) for h in hosts if h.target is not None]
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    seen: set[str] = set()
    sources: list[Any] = []
    for target, name in parsed:
        if str(target) in seen:  # a node given twice (or both by --cluster and by name)
            continue
        seen.add(str(target))
        sources.append(SSHSource(target, opts, name=name))
    sources += refused
    return sources, notes


def _inventory(path: str, limit: str | None, echo: Callable[[str], None]) -> tuple[list[Any], str]:
    """The hosts of an inventory (after --limit), and the report's note; InventoryError is a ValueError."""
    from forewarn.collect.inventory import hosts_of, load, select

    inv = load(path)
    names, unmatched = select(inv, limit)
    for term in unmatched:  # as Ansible: a pattern that matches nothing is ignored, with a warning
        echo(f"forewarn: warning: --limit: {term!r} matches no host or group of {path}")
    hosts = hosts_of(inv, names)
    note = (f"inventory {path} ({inv.reader}{f', --limit {limit}' if limit else ''}): {len(hosts)} host(s): "
            + ", ".join(f"{h.name} ({h.target or 'refused'})" for h in hosts))
    return hosts, note


def collect_ssh(targets: tuple[str, ...], ssh: dict[str, Any], *, out_dir: Any = None, progress: Any = None,
                echo: Callable[[str], None] = lambda s: None, plan: Any = None, **run_kw: Any) -> Any:
    """Collect `plan` (default: every spec) from SSH targets (or `--cluster`); returns the Bundle.

    `--parallel` bounds the nodes collected at once; an unreachable node becomes FW908 in the
    bundle and the others are collected. A `--cluster` seed that cannot be reached (or has no
    nodelist) raises click.ClickException: there is nothing to scan.
    """
    import asyncio

    from forewarn.collect.cluster import ClusterError
    from forewarn.collect.plan import build_plan
    from forewarn.collect.run import acollect_nodes
    from forewarn.collect.sources.base import SourceError

    # the runner's --jobs commands at once on a node are as many SSH channels on its one
    # connection; OpenSSH's sshd allows 10 sessions per connection (MaxSessions)
    ssh = {**ssh, "max_channels": min(int(run_kw.get("jobs") or 4), 9)}

    async def go() -> Any:
        try:
            sources, notes = await ssh_sources(targets, ssh, echo)
        except (SourceError, ClusterError) as exc:
            raise click.ClickException(str(exc)) from None
        # a node is named by its own host name once reached: say which inventory (or nodelist) name it had
        named = [(s, s.node) for s in sources if getattr(s, "target", None) and s.node != s.target.host]
        bundle = await acollect_nodes(sources, plan or build_plan(), out_dir=out_dir, progress=progress,
                                      node_jobs=int(ssh.get("parallel") or 8), **run_kw)
        notes += [f"{given} answered as {s.node} (the node's own host name names it)" for s, given in named
                  if getattr(s, "hostname", None) and s.node != given]
        bundle.notes[:0] = notes
        return bundle

    return asyncio.run(go())
