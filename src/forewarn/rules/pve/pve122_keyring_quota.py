"""PVE122 keyring-quota: a uid is at its kernel key quota; Docker in LXC then fails with
`join session keyring: create session key: disk quota exceeded`."""

from __future__ import annotations

import math
from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import StepTemplate
from forewarn.parse.host.key_users import KEY_USERS

NEAR = 0.9  # a uid this close to a limit fails
RAISE = 0.8  # limits used this much are raised in the fix
DEFAULT_MAXKEYS, DEFAULT_MAXBYTES = 200, 20000
SYSCTL_FILE = "/etc/sysctl.d/90-forewarn-keys.conf"


def _round_up(value: float, step_: int) -> int:
    return int(math.ceil(value / step_) * step_)


def new_limit(limit: int, used: int, unit: int) -> int:
    """25x the limit (the seed's 20000 -> 500000 bytes, 200 -> 5000 keys), at least 10x what is used."""
    return _round_up(max(limit * 25, used * 10), unit)


def _fix(keys: int | None, nbytes: int | None) -> list[StepTemplate]:
    out: list[StepTemplate] = []
    conf: list[str] = []
    if nbytes:
        out.append(step(f"sysctl -w kernel.keys.maxbytes={nbytes}"))
        conf.append(f"kernel.keys.maxbytes = {nbytes}")
    if keys:
        out.append(step(f"sysctl -w kernel.keys.maxkeys={keys}"))
        conf.append(f"kernel.keys.maxkeys = {keys}")
    body = "\\n".join(conf) + "\\n"
    out.append(step(f"printf '{body}' > {SYSCTL_FILE}"))
    out.append(step("sysctl --system"))
    out.append(note(f"Persist in {SYSCTL_FILE}, not /etc/sysctl.conf (the seed's advice): PVE 9 "
                    "(Debian 13) no longer applies /etc/sysctl.conf at boot, only /etc/sysctl.d/*.conf."))
    out.append(step("cat /proc/key-users"))
    return out


@rule(code="PVE122", inputs=(KEY_USERS,) + logs.LOG_SPECS, platform="linux")
def keyring_quota(ctx: Context) -> Iterator[Hit]:
    hit_nodes: set[str] = set()
    for f in ctx.facts(KEY_USERS):
        near = [u for u in f.value.users if u.uid != 0 and max(u.keys_ratio, u.bytes_ratio) >= NEAR]
        if not near:
            continue
        users = [u for u in f.value.users if u.uid != 0]
        keys = bytes_ = None
        if any(u.keys_ratio >= RAISE for u in users):
            u = max(users, key=lambda x: x.keys_ratio)
            keys = new_limit(u.max_keys, u.quota_keys, 100)
        if any(u.bytes_ratio >= RAISE for u in users):
            u = max(users, key=lambda x: x.bytes_ratio)
            bytes_ = new_limit(u.max_bytes, u.quota_bytes, 10000)
        parts = []
        for u in near:
            what = []
            if u.keys_ratio >= NEAR:
                what.append(f"{u.quota_keys}/{u.max_keys} keys ({u.keys_ratio:.0%})")
            if u.bytes_ratio >= NEAR:
                what.append(f"{u.quota_bytes}/{u.max_bytes} bytes ({u.bytes_ratio:.0%})")
            ct = " (unprivileged containers' root)" if u.uid == 100000 else ""
            parts.append(f"uid {u.uid}{ct} at " + " and ".join(what))
        hit_nodes.add(f.node)
        yield Hit(
            f"{f.node}: kernel key quota nearly exhausted: " + "; ".join(parts)
            + " — new Docker containers inside LXC fail with `disk quota exceeded`",
            nodes=f.node, evidence=[f.ref([u.line for u in near])], fix=_fix(keys, bytes_),
            when=When.NOW, details={"uids": [u.uid for u in near], "maxkeys": keys, "maxbytes": bytes_},
        )

    evs = logs.events(ctx, None, ("keyring_quota",))
    by_node: dict[str, list[logs.NodeEvent]] = {}
    for e in evs:
        by_node.setdefault(e.node, []).append(e)
    for node, group in by_node.items():
        seen = " (and /proc/key-users shows it now)" if node in hit_nodes else ""
        kf = ctx.fact(KEY_USERS, node)
        if node in hit_nodes:
            fix = None
        elif kf is not None:
            fix = [step("cat /proc/key-users"), note("/proc/key-users shows no uid near its limit now: the "
                                                     "containers that needed the keys may be gone; raise "
                                                     "the limits anyway if Docker keeps failing.")] + _fix(
                DEFAULT_MAXKEYS * 25, DEFAULT_MAXBYTES * 25)
        else:
            fix = _fix(DEFAULT_MAXKEYS * 25, DEFAULT_MAXBYTES * 25)
        yield Hit(
            f"{node}: a container could not join a session keyring: `disk quota exceeded` ({len(group)} line(s), "
            f"first at {logs.time_label(group[0])}): the uid its processes run as ran out of kernel keys "
            f"(kernel.keys.maxkeys/maxbytes), so new containers fail to start{seen}",
            nodes=node, evidence=logs.refs(group), when=When.PAST, fix=fix,
            details={"count": len(group)},
        )
