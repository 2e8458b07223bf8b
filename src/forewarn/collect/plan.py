"""The collection plan: from the declared specs, exactly which shell scripts run on a node.

Every spec in the registry (`forewarn.specs`) becomes one item:

- a **command** spec runs its `source` (or its `collect` script when `source` only describes
  it) with stderr kept in the output, as sos does;
- a **file** spec is read with `cat` (a log file with `tail -c`, so only its newest part is
  kept), in two steps: its path (a glob, several `|` alternatives, or one plain path) is first
  **listed and resolved on the node** by the shell (a cheap `for f in GLOB` listing, then
  `readlink -f` of each), and each instance is then read, at its resolved path, as its own
  artifact with the path it was listed under as `source` (every
  `/etc/pve/nodes/*/qemu-server/*.conf`). The never-collect list is applied to the resolved path
  too, so `/var/log/corosync/corosync.log -> /etc/corosync/authkey` is never read, and nothing
  under /etc/pve is read through a link that leaves /etc/pve (pmxcfs holds no such link);
- before any of it, **guards** decide whether the spec applies here: the platform's guard
  (`pve.*` only where `pvecm` is on PATH or `/etc/pve` exists, `lvm.*` only where `lvs` exists),
  the command's executable being installed, the spec's own `applies_if`, and, for files, the
  file existing. A guard is a cheap shell test in the same script, so it runs under the same
  timeout; when it fails the script exits with `SKIP_RC` and a `forewarn-skip: why` line on
  stderr, and the spec is listed as *skipped* (not applicable), never as evidence.

Every script starts with `PRELUDE` (C locale, sbin on PATH) and passes `readonly.check_script`;
a spec whose script does not is *refused* here and never runs. Paths that hold only secrets
(`redact.never_collect`) are never read, even when a glob expands to them.

`root` prefixes every path (tests point the plan at a temporary tree); the recorded `source`
and the bundle path stay the real node paths.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from forewarn.collect.readonly import check_script
from forewarn.collect.redact import never_collect
from forewarn.specs import Spec, all_specs

SKIP_RC = 79
SKIP_MARK = "forewarn-skip:"
PRELUDE = 'LC_ALL=C; export LC_ALL; PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export PATH\n'

MiB = 1024 * 1024
DEFAULT_MAX_BYTES = {"command": 8 * MiB, "file": 4 * MiB, "log": 16 * MiB}
MULTI_LOG_MAX_BYTES = 2 * MiB  # each of many log files (task logs, container logs)
DEFAULT_MAX_INSTANCES = {"command": 1, "file": 2000, "log": 50}
EXPAND_TIMEOUT = 15.0
EXPAND_MAX_BYTES = 4 * MiB

# platform -> (shell test, why it is skipped when false). `{root}` is the path prefix.
PLATFORM_GUARDS: dict[str, tuple[str, str]] = {
    "pve": ("command -v pvecm >/dev/null 2>&1 || [ -d {root}/etc/pve ]",
            "not a Proxmox VE node (no pvecm on PATH, no /etc/pve)"),
    "lvm": ("command -v lvs >/dev/null 2>&1", "the LVM tools (lvs) are not installed"),
    # a Kubernetes node, or a host with a container runtime (the K8S rules cover Docker too)
    "k8s": ("[ -d {root}/etc/kubernetes ] || [ -d {root}/var/lib/kubelet ] || [ -d {root}/var/lib/docker ] "
            "|| [ -d {root}/var/lib/containerd ] || [ -e {root}/var/run/docker.sock ]",
            "no Kubernetes or container runtime here (no /etc/kubernetes, /var/lib/kubelet, "
            "/var/lib/docker, /var/lib/containerd)"),
    # a Ceph client or cluster node: ceph-common alone (PVE installs it) has no cluster to ask
    "ceph": ("[ -f {root}/etc/ceph/ceph.conf ] || [ -f {root}/etc/pve/ceph.conf ]",
             "no Ceph configuration here (no /etc/ceph/ceph.conf, no /etc/pve/ceph.conf)"),
}
# a file or command under these directories hangs together with its service: once one times out,
# the rest of the group is not started (recorded as not run) so the node budget is not burnt
HANG_GROUPS = ("/etc/pve",)
_GLOB = re.compile(r"[*?\[]")
_PLACEHOLDER = re.compile(r"<[^<>]+>")


@dataclass(frozen=True, slots=True)
class Task:
    """One script whose output is one artifact."""

    spec: str  # the declared spec that asked for it
    record_spec: str  # the spec name the artifact is recorded under (`recorded_as` or `spec`)
    kind: str  # record kind: command | file | log
    source: str  # the command that runs, or the path read (real node path, no root prefix)
    artifact: str  # path under the node's folder of the bundle
    script: str
    timeout: float
    max_bytes: int
    merge_stderr: bool = False  # the script already sends stderr to stdout
    tail: bool = False  # the output is the end of a log file (`tail -c`)
    hang_group: str = ""

    @property
    def label(self) -> str:
        return self.spec if self.kind == "command" else f"{self.spec} {self.source}"


@dataclass(frozen=True, slots=True)
class Expansion:
    """A listing step: which instances of a file spec exist on the node."""

    spec: str
    patterns: tuple[str, ...]  # real node paths with globs
    script: str
    timeout: float
    multi: bool
    max_instances: int
    hang_group: str = ""
    decl: Spec | None = field(default=None, compare=False, repr=False)  # the spec it lists for

    @property
    def label(self) -> str:
        return f"{self.spec} (listing {' '.join(self.patterns)})"


Item = Task | Expansion


@dataclass(slots=True)
class Plan:
    items: list[Item]
    root: str = ""
    refused: list[dict[str, str]] = field(default_factory=list)  # not read-only: never runs
    not_live: list[dict[str, str]] = field(default_factory=list)  # no live collection declared
    never: list[dict[str, str]] = field(default_factory=list)  # secret paths named by a spec
    max_timeout: float | None = None

    def specs(self) -> list[str]:
        return list(dict.fromkeys(i.spec for i in self.items))

    def scripts(self) -> Iterator[str]:
        """Every script this plan can run (instances of expansions with a sample path)."""
        for item in self.items:
            yield item.script
            if isinstance(item, Expansion):
                t = self.instance(item, self.root + item.patterns[0].replace("*", "x"))
                if t is not None:
                    yield t.script

    def instance(self, exp: Expansion, node_path: str, resolved: str | None = None) -> Task | None:
        """The task reading one listed instance (`node_path` with the root prefix, as listed;
        `resolved`: where it really is, as `readlink -f` said, which is what is read)."""
        spec = exp.decl or _registry().get(exp.spec)
        if spec is None:
            return None
        real = node_path[len(self.root):] if self.root and node_path.startswith(self.root) else node_path
        return _file_task(spec, real, self.root, self.max_timeout, guard_platform=False,
                          multi=exp.multi, read=resolved)


def _registry() -> dict[str, Spec]:
    from forewarn.specs import SPECS

    return SPECS


def _q(path: str) -> str:
    return shlex.quote(path)


def _guard(test: str, why: str) -> str:
    return f"{test} || {{ echo {_q(SKIP_MARK + ' ' + why)} >&2; exit {SKIP_RC}; }}\n"


def _root(text: str, root: str) -> str:
    return text.replace("{root}", _q(root) if root else "")


def _platform_guard(spec: Spec, root: str) -> str:
    g = PLATFORM_GUARDS.get(spec.platform)
    return _guard(_root(g[0], root), g[1]) if g else ""


def _applies_guard(spec: Spec, root: str) -> str:
    """`applies_if` may end in a shell comment, `# why`, that says why it is skipped when false."""
    if not spec.applies_if:
        return ""
    cond = _root(spec.applies_if, root)
    _, hash_, why = spec.applies_if.rpartition("  # ")
    shown = why.strip() if hash_ else "condition not met: " + " ".join(_root(spec.applies_if, "").split())[:100]
    return _guard(f"{{ {cond}\n}} >/dev/null 2>&1", shown)


def _timeout(spec: Spec, cap: float | None) -> float:
    t = spec.timeout or 20.0
    return min(t, cap) if cap else t


def _max_bytes(spec: Spec, multi: bool) -> int:
    if spec.max_bytes:
        return spec.max_bytes
    if spec.kind == "log" and multi:
        return MULTI_LOG_MAX_BYTES
    return DEFAULT_MAX_BYTES.get(spec.kind, 4 * MiB)


def _hang_group(path: str) -> str:
    return next((g for g in HANG_GROUPS if path == g or path.startswith(g + "/")), "")


def _record_kind(spec: Spec) -> tuple[str, str]:
    target = _registry().get(spec.recorded_as) if spec.recorded_as else None
    return (spec.recorded_as or spec.name), (target.kind if target is not None else spec.kind)


def _command_task(spec: Spec, root: str, cap: float | None) -> Task:
    command = _root(spec.collect, root) if spec.collect else spec.source
    guards = _platform_guard(spec, root)
    if not spec.collect:
        exe = shlex.split(spec.source)[0]
        guards += _guard(f"command -v {_q(exe)} >/dev/null 2>&1", f"{exe} is not installed")
    guards += _applies_guard(spec, root)
    body = f"{{ {command}\n}} 2>&1\n" if spec.merge_stderr else f"{command}\n"
    record_spec, kind = _record_kind(spec)
    return Task(spec=spec.name, record_spec=record_spec, kind=kind, source=spec.collect or spec.source, artifact=spec.bundle_path_for(), script=PRELUDE + guards + body,
                timeout=_timeout(spec, cap), max_bytes=_max_bytes(spec, False),
                merge_stderr=spec.merge_stderr)


def _file_task(spec: Spec, path: str, root: str, cap: float | None, *, guard_platform: bool,
               multi: bool, read: str | None = None) -> Task:
    """Read one file (`path` is the real node path; `read`, with the root prefix, where it
    really is, if a listing resolved it). Logs: only the last `max_bytes`."""
    full = _q(read or root + path)
    limit = _max_bytes(spec, multi)
    is_log = spec.kind == "log"
    guards = (_platform_guard(spec, root) + _applies_guard(spec, root)) if guard_platform else ""
    guards += _guard(f"[ -f {full} ]", "not present")
    reader = f"tail -c {limit} -- {full}" if is_log else f"cat -- {full}"
    record_spec, kind = _record_kind(spec)
    return Task(spec=spec.name, record_spec=record_spec, kind=kind, source=path,
                artifact=spec.bundle_path_for(path), script=PRELUDE + guards + f"exec {reader}\n",
                timeout=_timeout(spec, cap), max_bytes=limit, tail=is_log, hang_group=_hang_group(path))


def _expansion(spec: Spec, patterns: list[str], root: str, cap: float | None) -> Expansion:
    quoted = " ".join(_glob_word(root, p) for p in patterns)
    guards = _platform_guard(spec, root) + _applies_guard(spec, root)
    # the paths, NUL-separated, then `=` and where each really is (`readlink -f`, same order), so
    # that a file reached twice (/lib -> /usr/lib, /var/log/containers/*.log -> /var/log/pods/)
    # is read once and a link into a secret place is not followed
    body = (f"set --\nfor f in {quoted}; do [ -f \"$f\" ] && set -- \"$@\" \"$f\"; done\n"
            "[ $# -gt 0 ] || exit 0\nprintf '%s\\0' \"$@\"\nprintf '=\\0'\n"
            "readlink -f -z -- \"$@\" 2>/dev/null\nexit 0\n")
    limit = spec.max_instances or DEFAULT_MAX_INSTANCES.get(spec.kind, 1000)
    return Expansion(spec=spec.name, patterns=tuple(patterns), script=PRELUDE + guards + body,
                     timeout=min(_timeout(spec, cap), EXPAND_TIMEOUT), multi=spec.multi,
                     max_instances=limit, hang_group=_hang_group(patterns[0]), decl=spec)


def _glob_word(root: str, pattern: str) -> str:
    """Quote a path for the shell, leaving its glob characters active."""
    out = []
    for part in re.split(r"([*?]|\[[^\]/]*\])", root + pattern):
        if not part:
            continue
        out.append(part if _GLOB.match(part) else _q(part))
    return "".join(out)


def build_plan(specs: Iterable[Spec] | None = None, *, root: str = "", max_timeout: float | None = None,
               include: Iterable[str] = (), exclude: Iterable[str] = ()) -> Plan:
    """The plan for every registered spec (or `specs`).

    `include` / `exclude`: spec-name globs (`pve.*`, `log.journal*`); `max_timeout` caps every
    spec's timeout (`--command-timeout`); `root` prefixes every path (tests).
    """
    root = root.rstrip("/")
    inc, exc = tuple(include), tuple(exclude)
    plan = Plan(items=[], root=root, max_timeout=max_timeout)
    for spec in (list(specs) if specs is not None else all_specs()):
        if inc and not any(fnmatch.fnmatchcase(spec.name, g) for g in inc):
            continue
        if any(fnmatch.fnmatchcase(spec.name, g) for g in exc):
            continue
        item = _plan_spec(plan, spec, root, max_timeout)
        if item is None:
            continue
        problems = check_script(item.script)
        if isinstance(item, Expansion) and not problems:
            sample = plan.instance(item, root + item.patterns[0].replace("*", "x"))
            problems = check_script(sample.script) if sample is not None else []
        if problems:
            plan.refused.append({"spec": spec.name, "reason": "not provably read-only: "
                                 + "; ".join(str(p) for p in problems[:3])})
            continue
        plan.items.append(item)
    return plan


def _plan_spec(plan: Plan, spec: Spec, root: str, cap: float | None) -> Item | None:
    if not spec.live:
        plan.not_live.append({"spec": spec.name, "reason": "not collected live (declared live=False)"})
        return None
    if spec.kind == "command":
        if not spec.collect and _PLACEHOLDER.search(spec.source):
            plan.not_live.append({"spec": spec.name, "reason": "its command is a description "
                                  f"({spec.source}); it needs a `collect` script to run live"})
            return None
        return _command_task(spec, root, cap)
    patterns = [p for p in (spec.collect or spec.source).split("|") if p.startswith("/")]
    if not patterns:
        plan.not_live.append({"spec": spec.name, "reason": "no absolute path to read"})
        return None
    allowed = []
    for p in patterns:
        why = never_collect(p)
        if why:
            plan.never.append({"spec": spec.name, "path": p, "reason": why})
        else:
            allowed.append(p)
    if not allowed:
        return None
    # even one plain path is listed first: the listing resolves links, and a link into a secret
    # place (corosync.log -> authkey) is refused before anything is read
    return _expansion(spec, allowed, root, cap)


def parse_listing(exp: Expansion, raw: bytes, root: str) -> tuple[list[tuple[str, str]], list[dict[str, str]]]:
    """The instances to read from an expansion's output, as (path as listed, path resolved),
    both with root, and what was dropped."""
    listed, _, resolved_raw = raw.partition(b"\0=\0")
    paths_all = [p.decode("utf-8", "surrogateescape") for p in listed.split(b"\0") if p.startswith(b"/")]
    resolved = [p.decode("utf-8", "surrogateescape") for p in resolved_raw.split(b"\0") if p]
    if len(resolved) != len(paths_all):  # no GNU readlink -z: no de-duplication, paths as listed
        resolved = list(paths_all)

    def unroot(p: str) -> str:
        return p[len(root):] if root and p.startswith(root + "/") else p

    dropped: list[dict[str, str]] = []
    paths: list[tuple[str, str]] = []
    seen: set[str] = set()
    for path, real in zip(paths_all, resolved):
        why = never_collect(unroot(path)) or never_collect(unroot(real)) or _leaves_pve(unroot(path), unroot(real))
        if why:
            shown = unroot(path) if real == path else f"{unroot(path)} -> {unroot(real)}"
            dropped.append({"spec": exp.spec, "path": unroot(path), "reason": f"never collected: {why}",
                            "resolved": unroot(real)} if real != path else
                           {"spec": exp.spec, "path": shown, "reason": f"never collected: {why}"})
            continue
        if real in seen:
            continue  # the same file under another name
        seen.add(real)
        # /proc/mounts -> self/mounts resolves to the listing shell's own /proc/PID: read as listed
        paths.append((path, path if unroot(real).startswith("/proc/") else real))
    if not exp.multi:
        return paths[:1], dropped
    if any(p.rsplit("/", 1)[-1].startswith("UPID:") for p, _ in paths):
        paths.sort(key=lambda pr: _upid_start(pr[0]))  # PVE task logs: oldest first, by the task's start time
    if len(paths) > exp.max_instances:
        kept = paths[-exp.max_instances:]
        dropped.append({"spec": exp.spec, "path": " ".join(exp.patterns),
                        "reason": f"{len(paths) - len(kept)} of {len(paths)} instances not read "
                                  f"(at most {exp.max_instances} are; the last ones listed were kept)"})
        paths = kept
    return paths, dropped


def _leaves_pve(path: str, real: str) -> str | None:
    """A path under /etc/pve that resolves outside it: pmxcfs has no such links of its own, so
    someone made it (a guest config linked to a file elsewhere); it is not followed."""
    inside = lambda p: p == "/etc/pve" or p.startswith("/etc/pve/")  # noqa: E731
    if inside(path) and not inside(real):
        return f"a link out of /etc/pve (to {real}) is not followed"
    return None


def _upid_start(path: str) -> tuple[int, str]:
    """UPID:node:pid:pstart:starttime:type:id:user: -> starttime (hex) for ordering."""
    parts = path.rsplit("/", 1)[-1].split(":")
    try:
        return int(parts[4], 16), path
    except (IndexError, ValueError):
        return 0, path
