"""Every descendant of a local command dies with it, also one that left its process group.

`setsid cmd &` in a command puts `cmd` in a session of its own: killing the command's process
group misses it, and once the shell exits it would be re-parented to init and outlive the scan,
holding the stdout pipe open. Two things close that:

- while a local collection runs, forewarn is a child subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`):
  orphans of its commands are re-parented to forewarn instead of init, so they stay in its
  process tree and it reaps them once killed (no zombies left behind);
- each command's environment carries a marker (`FOREWARN_JOB=<id>`), which every descendant
  inherits; at the command's end every process of that tree with the marker, and everything
  under it, is killed.

A descendant that both empties its environment (`env -i`) and leaves the session is not
recognised; the plan's read-only commands do neither.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import time

MARK = "FOREWARN_JOB"
_PR_SET_CHILD_SUBREAPER = 36
_users = 0
_active = False
_unreaped: set[int] = set()  # killed children of ours not yet collected


def _prctl_subreaper(on: bool) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0)) == 0
    except (OSError, AttributeError):  # not Linux
        return False


def acquire() -> None:
    """A local source opens: forewarn becomes a subreaper (counted, for nested sources)."""
    global _users, _active
    if _users == 0:
        _active = _prctl_subreaper(True)
    _users += 1


def release() -> None:
    global _users, _active
    _users = max(0, _users - 1)
    if _users == 0 and _active:
        _prctl_subreaper(False)
        _active = False


def _parents() -> dict[int, int]:
    out: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()  # the name in (...) may hold spaces
        if len(fields) > 1 and fields[1].isdigit():
            out[int(name)] = int(fields[1])
    return out


def _children_of(pid: int) -> list[int] | None:
    """`pid`'s children from /proc/PID/task/*/children (None without CONFIG_PROC_CHILDREN)."""
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as fh:
                out += [int(x) for x in fh.read().split()]
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{tid}"):
                continue  # the thread ended meanwhile
            return None
        except OSError:
            continue
    return out


def _tree(root: int) -> dict[int, list[int]] | None:
    """Children by parent, for `root`'s own process tree only (cheap: no walk over all of /proc)."""
    tree: dict[int, list[int]] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        kids = _children_of(pid)
        if kids is None:
            return None
        tree[pid] = kids
        todo += [k for k in kids if k not in tree]
    return tree


def _has_mark(pid: int, mark: bytes, prefix: bool) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            env = fh.read()
    except OSError:  # gone, or not ours to read
        return False
    return any(v.startswith(mark) if prefix else v == mark for v in env.split(b"\0"))


def marked(job: str, *, prefix: bool = False) -> list[int]:
    """Processes carrying `FOREWARN_JOB=job` (any job starting with `job` if `prefix`), and every
    process under them. With the subreaper on, only forewarn's own tree is looked at."""
    me = os.getpid()
    tree = _tree(me) if _active else None
    if tree is not None:  # orphans of our commands are ours: our own tree holds them all
        children = tree
        scope = set(tree) - {me}
    else:
        children = {}
        parents = _parents()
        for pid, ppid in parents.items():
            children.setdefault(ppid, []).append(pid)
        scope = set(parents) - {me}
    mark = f"{MARK}={job}".encode()
    found = {pid for pid in scope if _has_mark(pid, mark, prefix)}
    todo = list(found)
    while todo:  # descendants too, whatever their environment
        for c in children.get(todo.pop(), []):
            if c not in found and c != me:
                found.add(c)
                todo.append(c)
    return sorted(found)


async def kill_marked(job: str, *, prefix: bool = False, spare: int | None = None) -> list[int]:
    """SIGKILL every process of `job` (see `marked`), then reap those re-parented to forewarn.
    `spare` is the command's own shell, which asyncio waits for: never reaped here."""
    pids = marked(job, prefix=prefix)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    _unreaped.update(p for p in pids if p != spare)
    await reap()
    return pids


async def reap(wait: float = 0.5) -> None:
    """Collect killed orphans that are forewarn's children now (they would stay zombies)."""
    deadline = time.monotonic() + wait
    while _unreaped:
        last = time.monotonic() > deadline
        for pid in list(_unreaped):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                # not our child (yet: its killed parent may still hand it over); in the end its
                # own parent or init reaps it, and a pid kept longer could be reused
                done = pid if last or not os.path.exists(f"/proc/{pid}") else 0
            if done:
                _unreaped.discard(pid)
        if not _unreaped or last:
            return
        await asyncio.sleep(0.02)
