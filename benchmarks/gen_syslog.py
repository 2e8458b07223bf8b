"""Write a Proxmox-node-like syslog of any size: mostly benign noise, rare real problem lines.

    python benchmarks/gen_syslog.py OUT SIZE [--seed N] [--problem-every BYTES]

SIZE takes K/M/G suffixes (binary). The log is traditional rsyslog format
(`Mar 21 09:12:44 pve5 prog[pid]: message`), one node (pve5), one clock that starts on Jan 1
and moves 0-3 s per line and never goes back (it stops at Dec 31 23:59:59 rather than wrap).
Scan it with a time after its end (`--now`, or any day after the log's last date) so that the
year is inferred as one year.

Noise, by weight (the shapes of real lines; variable parts filled in at random):

- pveproxy worker churn, pvedaemon logins, pmxcfs notices, the PVE 5/6 replication
  runner's three lines a minute, cron sessions, sshd logins, systemd user sessions.
  Shapes from public pastes: pveproxy `worker N finished / starting 1 worker(s) / worker N
  started / got inotify poll request in wrong process - disabling inotify / worker exit`
  (https://github.com/dougiteixeira/proxmoxve/issues/186); pveproxy start/stop and systemd
  `Started pveproxy.service` (https://github.com/Meliox/PVE-mods/issues/342); pvedaemon
  `authentication failure; rhost=... user=root@pam msg=Authentication failure`
  (https://github.com/extremeshok/xshok-proxmox/issues/69); pmxcfs `[dcdb] notice: ...` and
  `[status] notice: ...` (https://cnblogs.com/createyuan/p/10832313.html); the replication
  runner unit (https://github.com/ayufan/pve-patches/issues/24); CRON `pam_unix(cron:session)`
  and `(root) CMD (...)` (https://github.com/hostinger/api-cli/issues/26); sshd `Accepted
  publickey for root from ... ssh2: ED25519 SHA256:...` and `pam_unix(sshd:session)`
  (https://github.com/systemd/systemd/issues/17266); systemd user sessions `Started Session c2
  of user root.`, `Reached target Paths.` (https://github.com/mempodippy/vlany/issues/28).
  (No pvestatd `status update time (N seconds)`: pvestatd prints it only for an update cycle over
  5 s, pve-manager PVE/Service/pvestatd.pm, a slow storage forewarn reports as PVE241; a healthy
  node prints none. It was a tenth of this corpus's lines, at 1-12 s.)
  `Reached target ...` and `successful auth` lines carry a signature's literal without matching
  its regex (`Reached target` is the shutdown signature's literal), as real logs do.
- Real kernel and corosync lines of the corosync lab (tests/evidence/**/*syslog*.log) that are
  not problems, re-stamped.

Problem lines (about one per `--problem-every` bytes, 1.5 MB by default: ~700 in 1 GiB): every
line in which the per-line parser finds an event in the repository's real evidence
(tests/evidence, tests/parsers): its program, pid and message verbatim, under this log's own
header (its clock and host), so that the log stays one node in time order (a line's own
timestamp and host name, from another day and another node, would make times jump back).
Every signature kind that has such a line in the evidence is used; `--list-kinds` prints them.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from forewarn.parse.log.headers import header as _header  # noqa: E402
from forewarn.parse.log.syslog import parse_lines  # noqa: E402

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
HOST = "pve5"
_TRAD = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ \S+")


def size_arg(s: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]?)i?B?", s.strip(), re.I)
    if not m:
        raise argparse.ArgumentTypeError(f"bad size {s!r}")
    return int(float(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2).upper()])


def evidence_files() -> list[Path]:
    return sorted(p for d in ("tests/evidence", "tests/parsers") for p in (ROOT / d).rglob("*")
                  if p.is_file() and p.suffix in (".log", ".txt") and p.stat().st_size < 4 << 20)


def problem_lines() -> dict[str, list[str]]:
    """kind -> distinct real lines in which the parser finds that kind, as `prog[pid]: message`
    (the header is this log's, added when written): the events the syslog parser finds in the
    evidence, then those the task-log and container-log parsers find (their text as pvedaemon's or
    kubelet's message)."""
    from forewarn.parse.k8s.container_log import parse_container_log
    from forewarn.parse.pve.task_log import parse_task_log

    out: dict[str, list[str]] = {}
    for parse, default_prog in ((lambda ls: parse_lines(ls, sample=10**9), "kernel"),
                                (parse_task_log, "pvedaemon[1885]"), (parse_container_log, "kubelet[3388]")):
        for p in evidence_files():
            text = p.read_text(encoding="utf-8", errors="replace")
            parsed = parse(text.splitlines())
            if parsed.value is None:
                continue
            for ev in parsed.value.events:
                if ev.text.startswith("--"):
                    continue  # a journal marker has no program to put under a header
                head = _header(ev.text)
                msg = head[1]["msg"] if head else ev.text
                prog = (ev.prog + (f"[{ev.pid}]" if ev.pid else "")) if ev.prog else default_prog
                body = f"{prog}: {msg}"
                again = parse_lines([f"Mar 21 09:20:00 {HOST} {body}"]).value
                if again is None or [e.kind for e in again.events] != [ev.kind]:
                    continue  # only lines the syslog parser finds again, as the same kind
                lst = out.setdefault(ev.kind, [])
                if body not in lst:
                    lst.append(body)
    return out


def lab_noise() -> list[str]:
    """Real kernel/corosync/rsyslog messages of the lab logs that are not problems, header cut."""
    out = []
    for p in sorted((ROOT / "tests/evidence").rglob("*syslog*.log")):
        for line in p.read_text(encoding="utf-8", errors="replace").splitlines():
            parsed = parse_lines([line])
            if parsed.value is None or parsed.value.events or not _TRAD.match(line):
                continue
            out.append(line.split(" ", 4)[4])
    return sorted(set(out))


def _b64(rng: random.Random, n: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return "".join(rng.choice(alphabet) for _ in range(n))


class Noise:
    def __init__(self, rng: random.Random, lab: list[str]) -> None:
        self.rng = rng
        self.lab = lab
        self.proxy, self.daemon, self.cfs = 2436, 1885, 1892
        self.pid = 100000
        self.session = 1
        self.uptime = 86400.0

    def next_pid(self) -> int:
        self.pid += self.rng.randint(1, 40)
        if self.pid > 4_000_000:
            self.pid = 300
        return self.pid

    def burst(self) -> list[str]:
        r = self.rng.random()
        p = self.next_pid
        if r < 0.22:
            old, new = p(), p()
            return [f"pveproxy[{self.proxy}]: worker {old} finished", f"pveproxy[{self.proxy}]: starting 1 worker(s)",
                    f"pveproxy[{self.proxy}]: worker {new} started",
                    f"pveproxy[{new}]: got inotify poll request in wrong process - disabling inotify",
                    f"pveproxy[{new}]: worker exit"]
        if r < 0.34:
            return [f"pvedaemon[{self.daemon}]: <root@pam> successful auth for user 'root@pam'"]
        if r < 0.37:
            ip = f"::ffff:{self.rng.randint(1, 223)}.{self.rng.randint(0, 255)}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"
            return [f"pvedaemon[{self.daemon}]: authentication failure; rhost={ip} user=root@pam msg=Authentication failure"]
        if r < 0.57:
            return [f"pmxcfs[{self.cfs}]: [status] notice: received log"]
        if r < 0.60:
            return [f"pmxcfs[{self.cfs}]: [dcdb] notice: data verification successful"]
        if r < 0.70:
            return ["systemd[1]: Starting Proxmox VE replication runner...", "systemd[1]: pvesr.service: Succeeded.",
                    "systemd[1]: Started Proxmox VE replication runner."]
        if r < 0.80:
            c = p()
            return [f"CRON[{c}]: pam_unix(cron:session): session opened for user root(uid=0) by root(uid=0)",
                    f"CRON[{p()}]: (root) CMD (if test -x /usr/sbin/apticron; then /usr/sbin/apticron --cron; else true; fi)",
                    f"CRON[{c}]: pam_unix(cron:session): session closed for user root"]
        if r < 0.86:
            s, u = p(), p()
            self.session += 1
            ip = f"192.168.{self.rng.randint(0, 3)}.{self.rng.randint(2, 250)}"
            return [f"sshd[{s}]: Accepted publickey for root from {ip} port {self.rng.randint(30000, 65000)} ssh2: ED25519 SHA256:{_b64(self.rng, 43)}",
                    f"sshd[{s}]: pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)",
                    f"systemd[1]: Started Session {self.session} of user root.",
                    f"systemd[{u}]: Reached target Paths.", f"systemd[{u}]: Reached target Sockets.",
                    f"systemd[{u}]: Reached target Timers.", f"systemd[{u}]: Reached target Basic System.",
                    f"systemd[{u}]: Reached target Default.", f"systemd[{u}]: Startup finished in {self.rng.randint(12, 90)}ms.",
                    "systemd[1]: Started User Manager for UID 0."]
        if r < 0.88:
            new = p()
            return [f"pveproxy[{self.proxy}]: received signal TERM", f"pveproxy[{self.proxy}]: server closing",
                    "systemd[1]: Starting pveproxy.service - PVE API Proxy Server...",
                    f"pveproxy[{new}]: starting server", f"pveproxy[{new}]: starting 3 worker(s)",
                    "systemd[1]: Started pveproxy.service - PVE API Proxy Server."]
        self.uptime += self.rng.uniform(0, 30)
        msg = self.rng.choice(self.lab)
        if msg.startswith("kernel: ["):
            msg = re.sub(r"^kernel: \[\s*[\d.]+\]", f"kernel: [{self.uptime:12.6f}]", msg)
        return [msg]


def generate(out: Path, size: int, seed: int = 1, problem_every: int = 1_500_000) -> dict[str, int]:
    """Write the log; returns how many problem lines of each kind went in."""
    rng = random.Random(seed)
    problems = problem_lines()
    kinds = sorted(problems)
    noise = Noise(rng, lab_noise())
    placed: dict[str, int] = {}
    t = 0  # seconds since Jan 1 00:00:00 of a 365-day year; never goes back
    written = 0
    next_problem = rng.randint(problem_every // 2, problem_every * 3 // 2)
    k = 0
    buf: list[str] = []
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        while written < size:
            t = min(t + rng.randint(0, 3), YEAR - 1)
            day, rest = divmod(t, 86400)
            month, mday = _month_day(day)
            stamp = f"{MONTHS[month]} {mday:2d} {rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d} {HOST} "
            if written >= next_problem:
                kind = kinds[k % len(kinds)]
                k += 1
                placed[kind] = placed.get(kind, 0) + 1
                next_problem = written + rng.randint(problem_every // 2, problem_every * 3 // 2)
                lines = [stamp + rng.choice(problems[kind])]
            else:
                lines = [stamp + m for m in noise.burst()]
            for line in lines:
                buf.append(line)
                written += len(line) + 1
            if len(buf) >= 4096:
                fh.write("\n".join(buf) + "\n")
                buf.clear()
        if buf:
            fh.write("\n".join(buf) + "\n")
    return placed


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
YEAR = 365 * 86400


def _month_day(day: int) -> tuple[int, int]:
    for i, n in enumerate(_DAYS):
        if day < n:
            return i, day + 1
        day -= n
    return 11, 31


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, nargs="?")
    ap.add_argument("size", type=size_arg, nargs="?", default=size_arg("64M"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--problem-every", type=size_arg, default=1_500_000)
    ap.add_argument("--list-kinds", action="store_true", help="print the real problem lines by kind and exit")
    a = ap.parse_args()
    if a.list_kinds:
        for kind, lines in sorted(problem_lines().items()):
            print(f"{kind}: {len(lines)} line(s), e.g. {lines[0][:110]}")
        return
    if a.out is None:
        ap.error("OUT is required")
    placed = generate(a.out, a.size, a.seed, a.problem_every)
    print(f"{a.out}: {a.out.stat().st_size} bytes, {sum(placed.values())} problem lines of {len(placed)} kinds")


if __name__ == "__main__":
    main()
