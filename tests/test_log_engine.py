"""The fast log engine (logscan/engine.py) finds exactly what the per-line parser finds.

Every real log under tests/evidence and tests/parsers is parsed twice, by the per-line path
(`parse_lines`, the reference) and through `EvidenceRecord.lines()` (the engine), with every
matcher this machine has; the results must be identical. Edge cases of line breaks, encodings,
gzip and the two-process split are checked against the same reference.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fuzzing import examples

from forewarn.model.evidence import EvidenceRecord
from forewarn.logscan import engine, pieces
from forewarn.parse.log import syslog as sl
from forewarn.parse.log.match import signatures

ROOT = Path(__file__).parent
REAL = sorted(p for d in ("evidence", "parsers") for p in (ROOT / d).rglob("*")
              if p.is_file() and p.suffix in (".log", ".txt") and p.stat().st_size < 4 << 20)
MATCHERS = []
for _name in ("hyperscan", "re2", "python"):
    try:
        engine.matcher_for(sl._pattern_set(), _name)
        MATCHERS.append(_name)
    except RuntimeError:
        pass


def record(data: bytes, path: Path | None = None) -> EvidenceRecord:
    if path is not None:
        return EvidenceRecord("log.syslog", "n", str(path), opener=lambda: open(path, "rb"))
    return EvidenceRecord("log.syslog", "n", "mem", data=data)


def as_dict(parsed):
    v = parsed.value
    return (dataclasses.asdict(v) if v is not None else None), [str(p) for p in parsed.problems]


def _templates(v):
    """The unexplained errors of a result, all that the report shows of them."""
    return ({k: (t.count, t.first_line, t.last_line, t.first_ts, t.last_ts, t.example)
             for k, t in v.unexplained.templates.items()}, v.unexplained.other)


def assert_engine_reads_as_per_line(rec: EvidenceRecord) -> None:
    """The engine's result (sample, matcher, processes as configured) is the per-line code's."""
    new = sl.parse_syslog(rec.lines()).value
    old = reference(rec, sample=10**9).value
    assert new.events == old.events
    assert (new.lines, new.comments, new.kinds, new.last_ts) == (old.lines, old.comments, old.kinds, old.last_ts)
    assert _templates(new) == _templates(old)


def reference(rec: EvidenceRecord, sample: int = sl.SAMPLE_LINES):
    """The per-line parser over the lines Python's text reader gives."""
    return sl.parse_lines(iter(rec.lines()), sample=sample)


@pytest.fixture(params=MATCHERS)
def matcher(request, monkeypatch):
    monkeypatch.setenv("FOREWARN_MATCHER", request.param)
    return request.param


def test_a_fast_matcher_is_there():
    assert MATCHERS[-1] == "python"
    assert len(REAL) > 50


@pytest.mark.parametrize("path", REAL, ids=lambda p: str(p.relative_to(ROOT)))
def test_real_logs_same_result_as_per_line(path, matcher):
    rec = record(b"", path)
    assert as_dict(sl.parse_syslog(rec.lines())) == as_dict(reference(rec))


@pytest.mark.parametrize("path", REAL, ids=lambda p: str(p.relative_to(ROOT)))
def test_real_logs_engine_from_line_one(path, matcher):
    """With no sample at all, every line is the engine's: the same events (a boot marker takes
    the time of the nearest earlier stamped line, as when every line is read), lines, comments
    and last time stamp as the per-line parser reading every line."""
    rec = record(b"", path)
    new, old = sl.parse_syslog(rec.lines(), sample=0).value, reference(rec, sample=10**9).value
    if old is None or new is None:
        return  # nothing looks like a log: both give up (whether they do depends on the sample)
    assert new.events == old.events
    assert (new.lines, new.comments, new.kinds, new.dropped_events, new.last_ts) == \
        (old.lines, old.comments, old.kinds, old.dropped_events, old.last_ts)


def _real_lines() -> list[bytes]:
    out: list[bytes] = []
    for p in REAL:
        out.extend(p.read_bytes().splitlines())
    return out


def test_line_breaks_encodings_and_comments(matcher):
    real = _real_lines()
    events = [ln for ln in real if sl.parse_lines([ln.decode("utf-8", "replace")]).value
              and sl.parse_lines([ln.decode("utf-8", "replace")]).value.events]
    assert len(events) > 100
    tricky = [
        b"", b"   ", b"# a comment with is down in it", b"   // Link: host: 8 link: 0 is down",
        b"\xc2\xa0# comment after a no-break space",
        b"Mar 21 09:12:44 pve5 corosync[3813]: \xe2\x80\x83[KNET  ] link: host: 8 link: 0 is down",
        b"Mar 21 09:12:44 pve5 kernel: \xff\xfe broken bytes then nfs: server 10.0.0.1 not responding",
        b'{"MESSAGE":"[TOTEM ] A processor failed, forming new configuration: token timed out (3000ms), '
        b'waiting 3600ms for consensus.","_HOSTNAME":"pve1","SYSLOG_IDENTIFIER":"corosync",'
        b'"__REALTIME_TIMESTAMP":"1700000000000000"}',
        b'  {"MESSAGE":"lost lock \'ha_agent_pve1_lock - cfs lock update failed - Permission denied",'
        b'"SYSLOG_IDENTIFIER":"pve-ha-lrm"}',
        b"-- Boot 0123456789abcdef0123456789abcdef --", b"-- Reboot --",
    ]
    body = []
    for i, ln in enumerate(real[:3000] + events + tricky * 3):
        body.append(ln)
        body.append([b"\n", b"\r\n", b"\r", b"\n"][i % 4])
    data = b"".join(body)
    for tail in (b"", b"Mar 21 09:12:45 pve5 watchdog-mux[1]: client watchdog expired - disable watchdog updates"):
        rec = record(data + tail)
        for sample in (0, 1000, sl.SAMPLE_LINES):
            new = sl.parse_syslog(rec.lines(), sample=sample).value
            old = reference(rec, sample=10**9).value
            assert new.events == old.events
            assert (new.lines, new.comments, new.last_ts) == (old.lines, old.comments, old.last_ts)
        assert as_dict(sl.parse_syslog(rec.lines(), sample=10**9)) == as_dict(reference(rec, sample=10**9))


def test_gzip_log_is_read_and_not_binary(tmp_path):
    src = ROOT / "evidence/corosync-lab/06-five-faults-node5-syslog.log"
    gz = tmp_path / "syslog.2.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    rec = record(b"", gz)
    assert not rec.is_binary()
    assert rec.head(64) == src.read_bytes()[:64]
    assert as_dict(sl.parse_syslog(rec.lines())) == as_dict(reference(record(b"", src)))
    mem = record(gzip.compress(src.read_bytes()))  # stdin or a bundle member held in memory
    assert as_dict(sl.parse_syslog(mem.lines())) == as_dict(reference(record(b"", src)))


@pytest.mark.parametrize("hold", [1 << 30, 200], ids=["held", "held-then-piped"])
def test_two_processes_give_the_same_result(tmp_path, monkeypatch, matcher, hold):
    """Also when the parent takes in the worker's records while it scans its own half (a small
    HOLD_BYTES: it stops taking in, and the rest waits in the pipe), in small batches."""
    from forewarn.logscan import workers

    monkeypatch.setattr(workers.Worker, "HOLD_BYTES", hold)
    monkeypatch.setattr(workers.Worker, "BATCH", 2)
    monkeypatch.setattr(engine, "SPLIT_BYTES", 1)
    monkeypatch.setattr(engine, "BLOCK_BYTES", 1 << 14)  # many blocks, hits near block edges
    monkeypatch.setattr(pieces, "BLOCK_BYTES", 1 << 14)  # the scanning core reads its own
    monkeypatch.setenv("FOREWARN_JOBS", "2")
    real = b"\n".join(_real_lines())
    noise = b"Mar 21 09:12:44 pve5 pvestatd[1234]: status update time (5.123 seconds)\n" * 997
    big = tmp_path / "syslog"
    big.write_bytes(noise + real + b"\r\n" + real + b"\n" + noise[:-1])  # no break at the very end
    assert_engine_reads_as_per_line(record(b"", big))


@pytest.mark.parametrize("noise_lines", [1500, 7600, 30000], ids=["sample-takes-all", "sample-past-middle", "halves"])
def test_the_worker_starts_before_the_sample_and_is_stopped_when_not_needed(tmp_path, monkeypatch, noise_lines):
    """The second half's process starts before the parent reads its per-line sample (the first
    SAMPLE_LINES lines): when the sample takes the whole log, or runs past the middle, the
    worker is stopped and the parent reads on alone; the result is the per-line code's."""
    from forewarn.logscan import workers

    started: list[workers.Worker] = []
    real_init = workers.Worker.__init__

    def init(self, *a, **k):
        real_init(self, *a, **k)
        started.append(self)

    monkeypatch.setattr(workers.Worker, "__init__", init)
    monkeypatch.setattr(engine, "SPLIT_BYTES", 1)
    monkeypatch.setenv("FOREWARN_JOBS", "2")
    real = b"\n".join(_real_lines()[:200]) + b"\n"
    half = b"Mar 21 09:12:44 pve5 pvestatd[1234]: status update time (5.123 seconds)\n" * (noise_lines // 2)
    big = tmp_path / "syslog"
    big.write_bytes(half + real + half + real)
    assert_engine_reads_as_per_line(record(b"", big))
    assert len(started) == 1
    assert not started[0].proc.is_alive()
    assert (started[0].lines > 0) == (noise_lines == 30000)  # its half was used, or it was stopped


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", " ", "\\", "\"", "n", "u", "x", "\x00", "\n", "\r", "\r\n"]), max_size=30))
def test_every_matcher_offers_the_same_escape_and_nul_lines(chars):
    """Hyperscan finds backslash escapes and NUL bytes with its patterns, the others with
    `mark_hits`: the same lines either way."""
    block = "".join(chars).encode() + b"\n"
    has_cr = b"\r" in block
    got = {}
    for name in MATCHERS:
        m = engine.matcher_for(sl._pattern_set(), name)
        pos = m.positions(block)
        if not m.marks_inside:
            engine.mark_hits(block, 0, len(block), pos)
        got[name] = {engine.line_bounds(block, p, has_cr) for p in pos}
    assert len({frozenset(v) for v in got.values()}) == 1, got


_ESCAPED_PARTS = st.sampled_from(["] lin", "k", "\u212a", "\u0130", "i", ": host: ", "can't l", "ve migrate", "nfs: server ",
                                  "\\", "\\\"", "\\u", "\\n", "\x00", " ", "x", "\ufffd", "\u00e9", "\r"])


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.lists(_ESCAPED_PARTS, max_size=10), min_size=1, max_size=6))
@example([["] lin", "\u212a", ": host: ", "\\\""]])  # the Kelvin sign lower-cases to k: "link: host: "
@example([["\\\"", "nfs: s", "\\", "erver "], ["x"], ["\\u", "y"], ["] link: host: "]])
def test_escaped_lines_are_read_as_could_name_says(lines):
    """A line offered for its escapes or NULs alone is read when parse/log/match.could_name says
    a signature could name what the reader unwraps of it: one RE2 pass over all such lines of a
    piece (matchers.EscapedLines) says the same of each."""
    from forewarn.logscan.marks import EscapedLines
    from forewarn.parse.log.match import could_name

    texts = ["".join(parts).replace("\r", " ") for parts in lines]
    buf = "\n".join(texts).encode()
    spans, at = [], 0
    for text in texts:
        n = len(text.encode())
        spans.append((at, at + n))
        at += n + 1
    got = EscapedLines(sl._pattern_set().naming).could_name(buf, spans)
    want = [could_name(t) for t in texts]
    assert all(g or not w for g, w in zip(got, want))  # never a line the reader would name
    if not any(ch in t for t in texts for ch in "\u0130\u212a"):  # which lower-case to ASCII letters
        assert got == want


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(_ESCAPED_PARTS, max_size=40))
def test_hyperscan_reports_an_escaped_line_once(parts):
    """However many escapes a line holds, Hyperscan reports its escape pattern once a line
    (each runs to the line's end): the engine's Python loop sees one position a line."""
    if "hyperscan" not in MATCHERS:
        pytest.skip("no Hyperscan here")
    block = "".join(parts).encode() + b"\n"
    m = engine.matcher_for(sl._pattern_set(), "hyperscan")
    hits = [(p, i) for p, i in m.matches(block) if i in m.escape_ids]
    assert len(hits) == len(set(hits))
    has_cr = b"\r" in block
    lines = [engine.line_bounds(block, p, has_cr) for p, _i in hits]
    assert len(lines) == len(set(zip(lines, [i for _p, i in hits])))


def test_a_pattern_a_matcher_rejects_falls_back_to_its_literals():
    """A library version that reads a pattern differently must not take the set down: the
    pattern's literals (which every match contains) stand in for it, a superset."""
    ps = engine.PatternSet(patterns=(r"zz[a-z]{1,70000}",), re2=(r"zz[a-z]{1,70000}",),
                           literals=((b"zz",),), plain=("(?i)(?:zz)",))
    lines = [b"zzabc", b"nothing here"]
    for name in MATCHERS:
        m = engine.make(ps, name)
        block = b"\n".join(lines) + b"\n"
        found = {engine.line_bounds(block, p, False) for p in m.positions(block)}
        assert sorted(block[s:e] for s, e in found) == [b"zzabc"], name


_WORDS = st.sampled_from([lit for s in signatures() for lit in s.literals] + [
    "Mar 21 09:12:44 pve5 ", "corosync[3813]: ", "[KNET  ] ", "link: host: ", "8", " link: 0 ", "is down",
    "'", "\u00e9", "\u00a0", " ", "\t", "\x0b", "(", ")", "]", "ms", "1234", "\ufffd", "x", "host: host: 3 ",
    "VM 100 is locked (snapshot-delete)", "-", ".", "\"", "\u212a", "K", "\\", "\\\"", "\\n", "\x00",
    # lines that differ in their digits alone (the reader caches what a digit shape makes)
    "0", "7", "errors=", " failed", "authentication failure; rhost=::ffff:75.81.79.218 user=root@pam"])


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(_WORDS, max_size=12))
def test_matchers_never_miss_a_line(words):
    """Whatever a signature's regex matches in a line's text (Python, re.ASCII), every matcher
    offers that line from its bytes: the common dialect means the same thing to all of them."""
    line = "".join(words).replace("\n", " ")
    wanted = any(s.regex.search(line) for s in signatures())
    if not wanted:
        return
    block = line.encode() + b"\n"
    for name in MATCHERS:
        assert engine.matcher_for(sl._pattern_set(), name).positions(block), (name, line)


_HEADS = st.sampled_from(["", "Mar 21 09:12:44 pve5 kernel: ", "Mar 21 09:12:44 pve5 corosync[3813]: ",
                          "Mar  2 19:02:04 pve7 pvedaemon[2918]: ", "Mar 21 09:12:44 pve5 pvedaemon[1885]: ",
                          "I0722 20:27:25.279953       1 file.go:172] ", "E0722 20:27:25.279953       1 file.go:172] ",
                          "2021-02-15 17:57:57 ", "  ", "| ", "Error: "])


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.tuples(_HEADS, st.lists(_WORDS, max_size=10)), min_size=1, max_size=8))
def test_engine_reads_any_line_as_the_per_line_code_does(lines):
    """The engine hands the reader which patterns matched in a line, and the reader tries only
    those signatures (and the error words only when their pattern matched): the same events,
    kinds and unexplained templates as the per-line code, which tries every signature."""
    data = "\n".join(head + "".join(words).replace("\n", " ") for head, words in lines).encode() + b"\n"
    rec = record(data)
    old = reference(rec, sample=10**9).value
    for name in MATCHERS:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("FOREWARN_MATCHER", name)
            new = sl.parse_syslog(rec.lines(), sample=0).value
        if old is None or new is None:
            continue
        assert (new.events, new.kinds) == (old.events, old.kinds), name
        assert _templates(new) == _templates(old), name


def test_gzip_loose_file_is_recognised_as_a_log(tmp_path):
    from forewarn.collect.loose import load_files

    src = ROOT / "evidence/corosync-lab/06-five-faults-node5-syslog.log"
    gz = tmp_path / "syslog.2.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    bundle = load_files([str(gz)])
    assert [r.spec for r in bundle.records] == ["log.syslog"]
    assert bundle.records[0].lines().__iter__().__next__() == src.read_text().splitlines()[0]


def test_hyperscan_cache_is_used_and_a_bad_one_ignored(tmp_path, monkeypatch):
    if "hyperscan" not in MATCHERS:
        pytest.skip("no hyperscan here")
    monkeypatch.setenv("FOREWARN_CACHE", str(tmp_path))
    ps = sl._pattern_set()
    line = b"Nov 22 04:02:18 node1 corosync[537]:   [KNET  ] link: host: 3 link: 0 is down\n"
    first = engine.make(ps, "hyperscan")
    (cached,) = tmp_path.glob("hs-block-*.db")
    assert engine.make(ps, "hyperscan").positions(line) == first.positions(line) == [len(line) - 2]
    cached.write_bytes(b"not a database")
    assert engine.make(ps, "hyperscan").positions(line) == [len(line) - 2]


@pytest.mark.parametrize("path", REAL, ids=lambda p: str(p.relative_to(ROOT)))
def test_real_logs_container_parser_same_result(path, matcher):
    """The container-log parser reads big logs through the engine too: the same result."""
    from forewarn.parse.k8s.container_log import parse_container_log

    rec = record(b"", path)
    assert as_dict(parse_container_log(rec.lines())) == as_dict(parse_container_log(list(rec.lines())))
    new = parse_container_log(rec.lines(), sample=1).value
    old = parse_container_log(list(rec.lines()), sample=10**9).value
    if old is None:
        assert new is None or not new.events
        return
    assert new.events == old.events
    assert (new.lines, new.kinds, new.last_ts) == (old.lines, old.kinds, old.last_ts)


def test_damaged_gzip_is_a_read_error_not_a_crash(tmp_path):
    src = ROOT / "evidence/corosync-lab/06-five-faults-node5-syslog.log"
    gz = tmp_path / "syslog.2.gz"
    gz.write_bytes(gzip.compress(src.read_bytes() * 50)[:3000])
    with pytest.raises((EOFError, OSError)):
        sl.parse_syslog(record(b"", gz).lines(), sample=10)
