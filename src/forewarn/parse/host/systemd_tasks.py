"""systemd's task limit per unit: `systemctl show -p Id,TasksMax,TasksCurrent <units>`.

    TasksCurrent=31
    TasksMax=32
    Id=fwforks.service

    TasksCurrent=1
    TasksMax=7061
    Id=fwdefault.service

One block of `Key=Value` lines per unit, blocks separated by a blank line; systemd prints the
properties in its own order. `TasksMax=infinity` (or 18446744073709551615 on old systemd) is no
limit; `TasksCurrent=[not set]` means the unit is not running or task accounting is off.
`systemctl show -p DefaultTasksMax` (no unit) prints the manager's default, which systemd derives
as 15% of the kernel's limit (4915 when that is 32768: the seed's lightdm). `systemctl status`
lines (`● lightdm.service - ...` then `Tasks: 4915 (limit: 4915)`) are understood too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_KV = lazy_compile(r"^(?P<key>[A-Z][A-Za-z]+)=(?P<value>.*)$")
_STATUS_HEAD = lazy_compile(r"^(?:[●○×*]\s+)?(?P<unit>[\w@.\-\\:]+\.(?:service|scope|slice|socket|mount))(?: - .*)?$")
_STATUS_TASKS = lazy_compile(r"^Tasks:\s+(?P<current>\d+)(?:\s+\(limit:\s+(?P<max>\d+|infinity)\))?")
_UINT64_MAX = 18446744073709551615
_ERROR = lazy_compile(r"^(System has not been booted with systemd.*|Failed to connect to bus.*|"
                      r"Failed to get properties.*|Running in chroot, ignoring request.*)$")


def _count(value: str) -> int | None:
    """`32` -> 32; `infinity`, `[not set]`, UINT64_MAX, junk -> None."""
    value = value.strip()
    if not value.isdigit():
        return None
    n = int(value)
    return None if n >= _UINT64_MAX else n


@dataclass(frozen=True, slots=True)
class UnitTasks:
    id: str
    tasks_max: int | None  # None: no limit (infinity) or not shown
    tasks_current: int | None  # None: not running / not accounted
    tasks_max_raw: str | None
    line: int
    lines: tuple[int, ...] = ()

    @property
    def limited(self) -> bool:
        return self.tasks_max is not None

    @property
    def use(self) -> float | None:
        """TasksCurrent / TasksMax, None when either is unknown or unlimited."""
        if self.tasks_max and self.tasks_current is not None:
            return self.tasks_current / self.tasks_max
        return None


@dataclass(slots=True)
class SystemdTasks:
    units: list[UnitTasks] = field(default_factory=list)
    default_tasks_max: int | None = None
    default_line: int = 0
    error: str | None = None

    def get(self, unit: str) -> UnitTasks | None:
        return next((u for u in self.units if u.id == unit), None)


SYSTEMD_TASKS = Key("host.systemd_tasks", SystemdTasks)


@parser("host.systemd_tasks")
def parse_systemd_tasks(text: str) -> Parsed[SystemdTasks]:
    """Parse `systemctl show -p Id,TasksMax,TasksCurrent <units>` (and `systemctl status` Tasks lines).

    >>> r = parse_systemd_tasks("TasksCurrent=31\\nTasksMax=32\\nId=fwforks.service\\n\\n"
    ...                         "TasksCurrent=9\\nTasksMax=infinity\\nId=systemd-udevd.service\\n")
    >>> [(u.id, u.tasks_current, u.tasks_max, u.line) for u in r.value.units]
    [('fwforks.service', 31, 32, 1), ('systemd-udevd.service', 9, None, 5)]
    """
    out = SystemdTasks()
    problems: list[ParseProblem] = []
    block: dict[str, tuple[str, int]] = {}
    status_unit: tuple[str, int] | None = None

    def flush() -> None:
        nonlocal block
        if not block:
            return
        if "Id" in block:
            mx = block.get("TasksMax")
            cur = block.get("TasksCurrent")
            nums = tuple(sorted(n for _, n in block.values()))
            out.units.append(UnitTasks(block["Id"][0], _count(mx[0]) if mx else None,
                                       _count(cur[0]) if cur else None, mx[0] if mx else None, nums[0], nums))
        elif set(block) - {"DefaultTasksMax"}:
            problems.append(ParseProblem("a block without `Id=`: which unit it is cannot be told",
                                         min(n for _, n in block.values())))
        block = {}

    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if _ERROR.match(line):
            out.error = out.error or line
            continue
        m = _KV.match(line)
        if m:
            key, value = m.group("key"), m.group("value")
            if key == "DefaultTasksMax":
                out.default_tasks_max, out.default_line = _count(value), no
                continue
            if key in block:  # blocks printed without a blank line between them
                flush()
            block[key] = (value, no)
            continue
        h = _STATUS_HEAD.match(line)
        if h:
            status_unit = (h.group("unit"), no)
            continue
        t = _STATUS_TASKS.match(line)
        if t and status_unit is not None:
            mx = t.group("max")
            out.units.append(UnitTasks(status_unit[0], _count(mx) if mx else None, int(t.group("current")),
                                       mx, no, (status_unit[1], no)))
            status_unit = None
            continue
        if status_unit is None and not out.units and not block:
            problems.append(ParseProblem("not a `Key=Value` line", no, raw))
    flush()
    if not out.units and out.default_tasks_max is None and out.error is None:
        return Parsed(None, [ParseProblem("no unit with TasksMax/TasksCurrent found")] + problems[:5])
    return Parsed(out, problems)
