"""One timeline event in words (the `summary` of a log line in every rendering of the timeline)."""

from __future__ import annotations

from datetime import datetime

from forewarn.facts import corosync_episodes as ce
from forewarn.facts.corosync_episodes import id_list
from forewarn.facts.timeline.model import TEvent


def event_summary(t: TEvent, name: ce.Namer) -> str:
    """What the event says, in a few words, with corosync's host ids named (`link 0 to node2 down`)."""
    return summary(t.kind, t.attrs, t.ne.ev.prog, t.ne.ev.text, name)


def summary(kind: str, a: dict[str, str], prog: str | None, text: str, name: ce.Namer) -> str:
    h = name.short(a.get("host", "?")) if "host" in a else ""
    if kind == "knet_link_down":
        return f"link {a.get('link', '0')} to {h} down"
    if kind == "knet_link_up":
        return f"link {a.get('link', '0')} to {h} up"
    if kind == "knet_no_links":
        return f"no active link left to {h}"
    if kind == "token_timeout":
        return f"token not received for {a.get('ms', '?')} ms"
    if kind == "processor_failed":
        return "a processor failed: forming a new configuration"
    if kind == "membership":
        parts = [f"ring {a.get('ring', '?')} formed"]
        if a.get("joined"):
            parts.append(f"joined {' '.join(id_list(a['joined']))}")
        if a.get("left"):
            parts.append(f"left {' '.join(id_list(a['left']))}")
        return ", ".join(parts)
    if kind == "failed_leave":
        return f"no leave message from {' '.join(id_list(a.get('ids')))} (they failed)"
    if kind == "quorum_members":
        return f"members {' '.join(id_list(a.get('ids')))}"
    if kind == "config_version_mismatch":
        return f"config_version {a.get('theirs')} received, mine is {a.get('mine')}: corosync exits"
    if kind == "non_primary":
        return "LOST QUORUM (non-primary component)"
    if kind == "primary":
        return "quorate (primary component)"
    if kind == "pmxcfs_lost_quorum":
        return "pmxcfs: node lost quorum"
    if kind == "pmxcfs_quorum":
        return "pmxcfs: node has quorum"
    if kind == "pmxcfs_cpg_error":
        return f"pmxcfs [{a.get('svc', '?')}]: {a.get('call', 'cpg')} failed: {a.get('err', '?')}"
    if kind == "pmxcfs_crit":
        return f"pmxcfs [{a.get('svc', '?')}] crit: {a.get('what', '')}"
    if kind == "pmxcfs_sync_start":
        return f"pmxcfs [{a.get('svc', '?')}]: data sync started"
    if kind == "pmxcfs_synced":
        return f"pmxcfs [{a.get('svc', '?')}]: all data up to date"
    if kind == "cfs_lock_error":
        return f"cfs-lock {a.get('lock', '?')}: {a.get('err', '')}"
    if kind == "ha_status_change":
        return f"{prog or 'HA'}: {a.get('from')} => {a.get('to')}"
    if kind == "ha_lost_lock":
        return f"{prog or 'HA'}: LOST LOCK {a.get('lock', '?')}"
    if kind == "ha_acquired_lock":
        return f"{prog or 'HA'}: got lock {a.get('lock', '?')} back"
    if kind == "ha_fence":
        return f"HA: fencing node {a.get('node', '?')}"
    if kind == "boot":
        return "BOOT" + (f" (kernel {a['kernel']})" if a.get("kernel") else "")
    if kind == "shutdown":
        return "clean shutdown"
    if kind == "corosync_start":
        return "corosync started"
    if kind == "corosync_exit":
        return "corosync exited cleanly"
    if kind == "nfs_not_responding":
        return f"NFS server {a.get('server', '?')} not responding"
    if kind == "nfs_ok":
        return f"NFS server {a.get('server', '?')} OK"
    if kind == "hung_task":
        return f"hung task {a.get('task', '?')}:{a.get('pid', '?')} blocked > {a.get('seconds', '?')} s"
    if kind == "retransmit":
        return "retransmit"
    if kind == "oom_kill":
        return f"OOM killer killed {a.get('comm', '?')} ({a.get('pid', '?')})"
    if kind == "kubelet_no_podsandbox":
        return f"kubelet: no PodSandbox found with id {a.get('sandbox', '?')[:12]}"
    if kind == "kubelet_cgroup_subsystem_missing":
        return f"kubelet: cgroup subsystem {a.get('subsystem', '?')} is not mounted"
    if kind == "kubelet_csinode_init_failed":
        return _clip(f"kubelet: failed to initialize CSINodeInfo: {a.get('err', '')}")
    if kind == "kubelet_register_failed":
        return _clip(f"kubelet: unable to register node {a.get('node', '?')}: {a.get('err', '')}")
    if kind.startswith("nova_"):
        what = kind[5:].replace("_", " ")
        return _clip(f"nova-compute: {what}" + (f": {a['detail']}" if a.get("detail") else ""))
    msg = text.split("]: ", 1)[-1] if "]: " in text else text.split(": ", 1)[-1]
    label = (prog + ": ") if prog and not msg.startswith(prog) else ""
    return _clip(label + msg.strip())


def _clip(text: str, n: int = 160) -> str:
    text = text.strip().rstrip(";,:").strip()
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def clock_text(ts: datetime | None, t: TEvent | None = None) -> str:
    if ts is None:
        return f"line {t.line}" if t is not None else "?"
    return f"{ts:%H:%M:%S}"


def group_text(nodes: list[str]) -> str:
    return nodes[0] if len(nodes) == 1 else "{" + ", ".join(nodes) + "}"
