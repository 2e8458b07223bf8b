"""Error-looking lines no signature explained, grouped into templates (the report's "unexplained
errors" section): when nothing matches, still point at the lines that matter.

A line looks like an error when its message holds one of ERROR_WORDS (error, failed, fatal, crit,
panic, denied, refused, timed out, ...) or a klog `E`/`F` prefix. Lines a signature names are
explained (they are events); known noise (NOISE: lines that healthy clusters print all day, each
with its public source) is not shown. A template masks what varies between occurrences of one
message: quoted values, paths, addresses, ids and numbers.

Memory is bounded: each file keeps at most MAX_TEMPLATES templates (later new ones are counted in
`other`, never dropped silently), each with its count, first and last line and time, and one
example line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

MAX_TEMPLATES = 300  # per file; the report shows the most frequent (report/unexplained.py)
ERROR_WORDS = ("error", "fail", "fatal", "crit", "panic", "denied", "refused", "timed out", "timeout",
               "segfault", "oops",
               # how programs say it without those words: PVE's Perl dies with `unable to ...`, the
               # kernel with `BUG:` and `stalls`, storage with `not responding`, `uncorrectable`
               "unable", "cannot", "can't", "could not", "couldn't", "not responding", "has not responded",
               "uncorrectable", "corrupt", "bug:", "stall", "oom-kill", "out of memory", "no space left",
               "abort", "reject", "dumped", "no quorum", "not online", "not ready")
# the matcher's extra pattern (dialect of signatures/_dialect.py: RE2, Hyperscan and re alike)
ENGINE_PATTERN = "(?i)(?:" + "|".join(ERROR_WORDS) + ")"
# over the lower-cased message (an IGNORECASE alternation costs Python's re 3-4 times as much);
# the lookahead lets the scanner skip positions no word can start at
_ERROR_WORD = re.compile(r"(?=[efcpdrtsounhab])\b(?:(?:errors?|fail(?:s|ed|ures?|ing)?|fatal|crit(?:ical)?|panic|"
                         r"denied|refused|timed out|timeout|segfault|oops|unable|cannot|can't|could not|couldn't|"
                         r"not responding|has not responded|uncorrectable|corrupt(?:ed|ion)?|stall(?:s|ed)?|"
                         r"oom-kill|out of memory|no space left|abort(?:s|ed|ing)?|reject(?:s|ed|ing)?|dumped|"
                         r"no quorum|not online|not ready)\b|bug:)")
_KLOG_ERROR = re.compile(r"^[EFef]\d{4} \d\d:\d\d:\d\d")  # klog's E/F severity prefix
# klog's I (info) prefix: the program's own word that the line is no error, whatever words it holds
# (kubelet's probe results, `"SyncLoop (probe)" ... status="not ready"`; the apiserver's `http: TLS
# handshake error` from health checks, which seed 004 says to ignore)
_KLOG_INFO = re.compile(r"^[Ii]\d{4} \d\d:\d\d:\d\d")
_NOT_ERROR = re.compile(r"\b(?:0|no) (?:errors?|failures?)\b|\berrors?[=:] ?0\b|\bfailed[=:] ?0\b")
# Every match of _NOT_ERROR holds one match of _ERROR_WORD and reaches at most 3 characters before
# it (`no `) and 3 after it (`: 0`): it is searched only there, and only in a line with one error word
_NOT_ERROR_BEFORE, _NOT_ERROR_AFTER = 3, 3

# Lines healthy clusters print all day: never shown as unexplained errors. Each with a word every
# line it matches holds (lower case), so most lines skip the search.
NOISE_PATTERNS = (
    # corosync/knet path-MTU discovery probing (kronosnet libknet/threads_pmtud.c): it reports
    # every MTU it settles on; only `Aborting PMTUD process` is a problem (PVE153)
    ("pmtud: ", r"\bpmtud: (?!aborting)"),
    # kubelet on systemd hosts: cadvisor cannot split stats of some system slices
    # (kubernetes/kubernetes#56850): harmless, printed every few seconds
    ("system container stats", r"Failed to get system container stats for"),
    # cadvisor could not read part of a container's stats and says it goes on (kubernetes/kubernetes#80807,
    # "one each minute", the same class as #56850)
    ("continuing to push stats", r"Failed to update stats for container .*, continuing to push stats"),
    # a bridge port goes blocking -> forwarding at every guest start (linux net/bridge/br_stp.c)
    (" state", r"entered (?:blocking|disabled|forwarding|learning) state"),
    # kubeadm's hints after an error it already printed (cmd/kubeadm/app/cmd/util: `To see the stack
    # trace...`; preflight: `...non-fatal with --ignore-preflight-errors`): how to read more, not a fault
    ("stack trace of this error", r"To see the stack trace of this error execute with --v=\d+ or higher"),
    ("non-fatal", r"If you know what you are doing, you can make a check non-fatal with"),
)
_NOISE_WORDS = tuple(word for word, _p in NOISE_PATTERNS)
NOISE = re.compile("|".join(f"(?:{p})" for _w, p in NOISE_PATTERNS), re.I)  # one search a line

_MASKS = (
    # a double-quoted value may hold escaped quotes (klog's err="failed to \"StartContainer\" ...")
    (re.compile(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`"), "<q>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<id>"),
    (re.compile(r"\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b", re.I), "<mac>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?:/\d+)?\b"), "<ip>"),
    (re.compile(r"\b(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}\b", re.I), "<ip>"),
    (re.compile(r"(?<![\w.])(?:/[\w.@:+-]+)+/?"), "<path>"),
    (re.compile(r"\b0x[0-9a-f]+\b|\b[0-9a-f]*\d[0-9a-f]*[a-f][0-9a-f]*\b|\b[0-9a-f]*[a-f][0-9a-f]*\d[0-9a-f]*\b",
                re.I), "<hex>"),
    (re.compile(r"\d+"), "<n>"),
)
_SPACES = re.compile(r"\s+")
(_QUOTED, _Q), (_UUID, _ID) = _MASKS[:2]  # the first masks (_FIRST), which template() applies itself
# A UUID's first hyphen, where the rest of its hyphens follow: a literal first, so the scan skips
# to each hyphen in C (the UUID mask itself tries every position of a line: ~7 µs on a kubelet line)
_UUID_HYPHEN = re.compile(r"-(?=[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-)", re.I)


def looks_error(msg: str, level: str | None = None) -> bool:
    """Whether a message reads as an error (and is no known noise). `level`: the klog severity
    letter a log header took off the line (I W E F); a message that still starts with klog's prefix
    (kubelet in a journal) says its own.

    >>> looks_error("kernel: EXT4-fs error (device sda1): ext4_find_entry:1455: comm nginx: reading directory lblock 0")
    True
    >>> looks_error("pvestatd[1881]: status update time (5.123 seconds)"), looks_error("rsync: 0 errors")
    (False, False)
    >>> looks_error('corosync[3813]:   [KNET  ] pmtud: PMTUD link change for host: 3 link: 0 from 469 to 1397 failed')
    False
    >>> looks_error("NAME                 STATUS      MESSAGE        ERROR"), looks_error("Status:  FAILED  ERROR  12")
    (False, True)
    >>> looks_error('I0509 08:18:50.485093  941881 kubelet.go:2668] "SyncLoop (probe)" status="not ready"')
    False
    >>> looks_error('"Probe failed" probeType="Readiness"', level="I"), looks_error("all done", level="E")
    (False, True)
    """
    if level in ("I", "i") or _KLOG_INFO.match(msg) is not None:
        return False
    low = msg.lower()
    klog = level in ("E", "F", "e", "f") or _KLOG_ERROR.match(msg) is not None
    words = _ERROR_WORD.finditer(low)
    first = next(words, None)
    if first is None:
        if not klog:
            return False
    elif not klog and _not_error_at(low, first) and next(words, None) is None:
        return False  # "0 errors", "no failures", "errors=0" and no other error word
    if "  " in msg and _TABLE_HEADER.fullmatch(msg.strip()):
        return False
    folded = msg.casefold()  # what re.I treats alike (`ſ` is `s`)
    for w in _NOISE_WORDS:
        if w in folded:
            return NOISE.search(msg) is None
    return True


def _not_error_at(low: str, word: re.Match[str]) -> bool:
    """Whether `_NOT_ERROR` matches around this error word (the line's only one): `\\b` still
    sees the character before the window, and the window holds the one after the match."""
    start, end = word.span()
    return _NOT_ERROR.search(low, max(0, start - _NOT_ERROR_BEFORE), end + _NOT_ERROR_AFTER + 1) is not None


# The header row of a command's table (`kubectl get cs`: `NAME  STATUS  MESSAGE  ERROR`; `cilium
# status`: `Name  Last success  Last error  Count  Message`): three or more column titles of letters
# (a capital first, at most three words), two or more spaces apart. It names columns, it reports nothing.
_TABLE_HEADER = re.compile(r"[A-Z][A-Za-z]*(?: [A-Za-z]+){0,2}(?: {2,}[A-Z][A-Za-z]*(?: [A-Za-z]+){0,2}){2,}")


def could_be_error(line: str) -> bool:
    """A cheap superset of `looks_error` over a whole raw line."""
    low = line.lower()
    return any(w in low for w in ERROR_WORDS) or _KLOG_ERROR.match(line) is not None


# Every mask treats the digits alike except 0 (`0x`): lines that differ only in which digits they
# hold (addresses, ports, pids, sizes) have one shape and one template, masked once.
def shape(text: str) -> str:
    """`text` with its digits 2-9 written 1: what the masks, `looks_error` and the log header
    read alike (0 is kept: `0 errors`, `0x`).

    >>> shape("rhost=::ffff:75.81.79.218 errors=0")
    'rhost=::ffff:11.11.11.111 errors=0'
    """
    # through UTF-8: bytes.translate is a table, str.translate a dict lookup a character (5x
    # slower); a digit byte is always the digit itself in UTF-8, so the two agree on every text
    return shape_key(text).decode("utf-8", "surrogatepass")


_SHAPE_BYTES = bytes.maketrans(b"23456789", b"11111111")


def shape_key(text: str) -> bytes:
    """`shape(text)` as UTF-8 bytes, made ten times faster (a cache key): two texts have one key
    exactly when they have one shape, since UTF-8 is one-to-one and no multi-byte character
    holds an ASCII digit byte.

    >>> shape_key("rhost=::ffff:75.81.79.218 errors=0") == shape("rhost=::ffff:75.81.79.218 errors=0").encode()
    True
    """
    return text.encode("utf-8", "surrogatepass").translate(_SHAPE_BYTES)


def template(msg: str) -> str:
    """The message with what varies masked.

    >>> template("nfs: server 10.0.0.5 not responding, timed out after 600 ms on /mnt/pve/nas")
    'nfs: server <ip> not responding, timed out after <n> ms on <path>'
    >>> template("Failed to start 'vm:101': unit pve-guest-101.scope (id 7f3a9c2e) error 0x1f")
    'Failed to start <q>: unit pve-guest-<n>.scope (id <hex>) error <hex>'
    >>> template('E0321 00:23:45.006331    7194 kubelet.go:1480] "Failed to start ContainerManager" err="no swap"')
    'E kubelet.go] "Failed to start ContainerManager" err=<q>'
    """
    head, kept, rest = klog_parts(msg.strip())
    return _masked(shape(mask_ids(head + kept + _QUOTED.sub(_Q, rest))))


# klog's prefix inside a message (a syslog line of kubelet): `E0321 00:23:45.006331    7194 file.go:1480] `
_KLOG_HEAD = re.compile(r"(?P<level>[IWEF])\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ (?P<src>[\w.\-]+):\d+\] ")
# klog's structured form: the message is the first quoted string, then key=value pairs
_KLOG_MESSAGE = re.compile(r'"(?:[^"\\]|\\.)*"(?=$| [\w.\-]+=)')


def klog_parts(t: str) -> tuple[str, str, str]:
    """(klog prefix as `LEVEL file.go] `, the message of a structured line, the rest): the
    prefix's time, pid and line number say nothing of the error, and the quoted message of
    `"Error syncing pod, skipping" err="..."` is the error itself, not a value to mask (masked,
    every structured line of one source file made one template).

    >>> klog_parts('I0321 00:36:37.791118    7194 prober.go:107] "Probe failed" probeType="Startup"')
    ('I prober.go] ', '"Probe failed"', ' probeType="Startup"')
    >>> klog_parts('"Failed to start ContainerManager" err="x"'), klog_parts("plain 'x'")
    (('', '"Failed to start ContainerManager"', ' err="x"'), ('', '', "plain 'x'"))
    """
    head = ""
    m = _KLOG_HEAD.match(t)
    if m is not None:
        head, t = f"{m.group('level')} {m.group('src')}] ", t[m.end():]
    q = _KLOG_MESSAGE.match(t) if t[:1] == '"' else None
    if q is None:
        return head, "", t
    return head, q.group(), t[q.end():]


def mask_ids(t: str) -> str:
    """`_UUID.sub(_ID, t)`, tried only where a UUID's first hyphen is: each match of the mask
    starts 8 characters before one. Two matches never overlap (one starting inside another would
    need a word boundary or a hyphen where the other has hex digits), so these are `sub`'s.

    >>> mask_ids("pod=9b4503bc-e892-464d-47b8-85fa78d8cdd6 uid=x-1234-5678-9abc-")
    'pod=<id> uid=x-1234-5678-9abc-'
    """
    out: list[str] = []
    done = 0  # t[:done] is in out
    for h in _UUID_HYPHEN.finditer(t):
        start = h.start() - 8
        m = _UUID.match(t, start) if start >= 0 else None
        if m is not None:
            out.append(t[done:start])
            out.append(_ID)
            done = m.end()
    if not out:
        return t
    out.append(t[done:])
    return "".join(out)


# The first masks (quoted values, UUIDs) run on every line: what they mask varies in letters as
# well as digits (container paths, pod UIDs), so the shape of a line they have not masked yet
# is new at almost every line and its cache never hits.
_FIRST = 2


@lru_cache(maxsize=8192)
def _masked(shape: str) -> str:
    """The other masks cost ~30 µs a line and a log repeats its error lines in few shapes (the
    same failed login from many addresses), so each shape is masked once."""
    t = shape
    for rx, repl in _MASKS[_FIRST:]:
        t = rx.sub(repl, t)
    return _SPACES.sub(" ", t)[:300]


@dataclass(slots=True)
class Template:
    text: str
    count: int
    first_line: int
    last_line: int
    first_ts: datetime | None
    last_ts: datetime | None
    example: str  # the first line as read
    year_known: bool = False  # the times carry their year (else the report infers it, as for events)


@dataclass(slots=True)
class Unexplained:
    """The templates of one file, bounded."""

    templates: dict[str, Template] = field(default_factory=dict)
    other: int = 0  # lines of templates beyond MAX_TEMPLATES

    def add(self, no: int, msg: str, ts: datetime | None, raw: str, year_known: bool = False) -> None:
        self.add_template(no, template(msg), ts, raw, year_known)

    def add_template(self, no: int, key: str, ts: datetime | None, raw: str | None, year_known: bool = False) -> None:
        """`add` with the message's template made already (by a scanning worker process). `raw`
        is None for a line whose template an earlier line of the same pass gave: that one made
        the template, or found no room for it (and there is none now)."""
        t = self.templates.get(key)
        if t is not None:
            t.count += 1
            t.last_line = no
            t.last_ts = ts or t.last_ts
        elif len(self.templates) < MAX_TEMPLATES:
            self.templates[key] = Template(key, 1, no, no, ts, ts, (raw or "").replace("\x00", "").strip()[:400],
                                           year_known)
        else:
            self.other += 1

    @property
    def lines(self) -> int:
        return sum(t.count for t in self.templates.values()) + self.other
