"""The report's "unexplained errors": error-looking lines that no signature and no rule explained,
grouped into templates, after the findings and never a finding."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzzing import examples

from forewarn.parse.log.syslog import parse_lines, parse_syslog
from forewarn.parse.log.unexplained import MAX_TEMPLATES, looks_error
from forewarn.pipeline import diagnose, load
from forewarn.report.markdown import render_markdown

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "tests/evidence/corosync-lab-2/2x-node1-syslog.log"  # real corosync output, SOURCE.md beside it
BENCH = Path("/work/shared/bench/gen_corpus.py")


def test_real_log_unexplained_line_is_reported_not_a_finding() -> None:
    report = diagnose(load([str(LAB)]), command="explain").report
    u = report.unexplained
    assert u is not None and u.templates >= 1
    g = next(g for g in u.groups if "Denied connection" in g.template)
    assert g.template == "[QB ] Denied connection, is not ready (<path>)"
    assert g.count == 1 and g.where.endswith("line 33") and g.nodes == ["node1"]
    assert all("Denied connection" not in f.message for f in report.findings)  # never a finding
    doc = report.to_json()["unexplained_errors"]
    assert doc["shown"][0]["count"] == 1 and "code" not in doc["shown"][0] and "severity" not in doc["shown"][0]
    md = render_markdown(report)
    assert md.index("## Unexplained errors") > md.index("**") and "Denied connection" in md


@pytest.mark.parametrize("listing,word", [
    ("host/plain-debian12/sysctl-a.txt", "kernel.panic"),  # `sysctl -a` of a real Debian 12 host
    ("host-debian12/dpkg-l-error-words.txt", "liberror-perl"),  # real `dpkg -l` rows
    # a healthy pool's status as its owner posted it (the ZFS rules read its fields)
    ("zfs/mcgarrah-zpool-status-v-rpool-after-recovery.txt", "No known data errors"),
])
def test_settings_and_listings_are_no_unexplained_errors(listing: str, word: str) -> None:
    """A setting or a package row with an error word in its name (`kernel.panic = 0`, `ii
    liberror-perl ... error/exception handling`) is data its own parser reads, not a message;
    a text nobody recognised (the real output of systemd's password agent) keeps its errors."""
    path = ROOT / "tests/evidence" / listing
    line = next(ln for ln in path.read_text().splitlines() if word in ln)
    assert looks_error(line)  # read as a log line, it would be an unexplained error
    agent = ROOT / "tests/evidence/host/systemd-vm/ask-password-agent.txt"
    u = diagnose(load([str(path), str(agent)]), command="explain").report.unexplained
    assert u is not None
    assert not [g for g in u.groups if word in g.example], [g.example for g in u.groups]
    # (its first line, the inotify limit, is a finding's evidence: explained)
    assert [g.template for g in u.groups] == ["Password agent failed with: <n>"]


# Real lines that say something failed without error/failed/fatal/...: each was dropped in silence
# before these words were error words (no signature named it, and it did not look like an error)
_SAID_OTHERWISE = [
    # a lab VM's own kernel (tests/evidence/lvm/vm/SOURCE.md)
    ("lvm/vm/node2/node2-syslog.log", "vda: unable to read partition table"),
    # `vgchange -ay` on the lab's pve-sd-2 (tests/evidence/lvm/vm/SOURCE.md)
    ("lvm/vm/pve-sd-2/sd-2-vgchange.txt", "Cannot process volume group pve"),
    # pvestatd in a public blog post (tests/evidence/storage/SOURCE.md)
    ("storage/blog-bigstor-pvesm-and-pvestatd.txt", "storage 'BIGSTOR' is not online"),
]
_PUBLIC = [
    # https://github.com/systemd/systemd/issues/13574
    "Feb 24 14:28:21 huawei systemd[1]: iot.service: main process exited, code=dumped, status=11/SEGV",
    # https://github.com/cilium/tetragon/issues/328
    "[  103.087243] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:",
]


@pytest.mark.parametrize("where,part", _SAID_OTHERWISE)
def test_failures_said_without_error_words_look_like_errors(where: str, part: str) -> None:
    line = next(ln for ln in (ROOT / "tests/evidence" / where).read_text().splitlines() if part in ln)
    assert looks_error(line), line


@pytest.mark.parametrize("line", _PUBLIC)
def test_public_failure_lines_without_error_words_look_like_errors(line: str) -> None:
    assert looks_error(line)


@pytest.mark.parametrize("where,part", [
    # real lines of this repository's evidence that hold those words inside other words
    ("corosync-lab-3/70-healthy-corosync.conf", "debug: off"),  # `bug:` inside `debug:`
    ("net/public/pveversion-v-pxvirt-issue75.txt", "not correctly installed"),  # `stall` inside `installed`
])
def test_the_new_words_count_only_as_words(where: str, part: str) -> None:
    line = next(ln for ln in (ROOT / "tests/evidence" / where).read_text().splitlines() if part in ln)
    assert not looks_error(line), line


def test_a_table_header_is_no_error_but_its_rows_may_be() -> None:
    """The column titles of `kubectl get cs` and `cilium status` (real pastes, SOURCE in the dev
    set's case.yaml) hold `ERROR` and `Last error`: names of columns. The rows under them that
    report a refused connection stay unexplained errors."""
    pastes = ROOT / "tests/evidence/pastes"
    cs = next(pastes.glob("069-*")) / "kubectl-get-cs.txt"
    cilium = next(pastes.glob("034-*")) / "cilium-status.txt"
    headers = [ln for p in (cs, cilium) for ln in p.read_text().splitlines() if ln.split()[:1] in (["NAME"], ["Name"])]
    assert len(headers) == 2 and all("error" in h.lower() for h in headers)
    assert not any(looks_error(h) for h in headers)
    u = diagnose(load([str(cs), str(cilium)]), command="explain").report.unexplained
    assert u is not None
    assert [g.template.split()[0] for g in u.groups] == ["controller-manager", "scheduler"]


def test_engine_and_per_line_code_find_the_same_templates() -> None:
    from forewarn.model.evidence import EvidenceRecord

    lines = LAB.read_text().splitlines()
    a = parse_lines(lines, sample=5).value.unexplained.templates
    b = parse_syslog(EvidenceRecord("log.syslog", "n", str(LAB), opener=lambda: open(LAB, "rb")).lines(), sample=5).value.unexplained.templates
    assert {k: (t.count, t.first_line) for k, t in a.items()} == {k: (t.count, t.first_line) for k, t in b.items()}
    assert a


def test_signature_lines_are_explained() -> None:
    """A line a signature names is an event, never unexplained (real: corosync-lab-2)."""
    lines = LAB.read_text().splitlines()
    parsed = parse_lines(lines).value
    named = {e.line_no for e in parsed.events}
    assert not named & {t.first_line for t in parsed.unexplained.templates.values()}


def test_bounded() -> None:
    lines = [f"Jun 04 07:24:36 pve1 app[1]: step{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}{chr(97 + i // 676)} failed"
             for i in range(MAX_TEMPLATES + 50)]
    u = parse_lines(lines).value.unexplained
    assert len(u.templates) == MAX_TEMPLATES and u.other == 50 and u.lines == len(lines)


@pytest.mark.skipif(not BENCH.exists(), reason="../shared/bench not present")
def test_known_noise_is_not_shown() -> None:
    """PMTUD probing, kubelet's system container stats and a bridge port's blocking state at
    every guest start, as the independent corpus generator (../shared/bench) writes them."""
    src = BENCH.read_text()
    noise = re.findall(r"'(Failed to get system container stats for [^']*)'", src)
    noise += [re.sub(r"%d", "7", m) for m in re.findall(r'"(pmtud: [^"]*)"', src)]
    noise += ["vmbr0: port 7(fwpr101p0) entered blocking state"]
    assert len(noise) >= 3
    for line in noise:
        assert not looks_error(line), line


def test_html_and_text_show_the_section_after_the_findings() -> None:
    from io import StringIO

    from rich.console import Console

    from forewarn.report.html import render_html
    from forewarn.report.text import render_text

    report = diagnose(load([str(LAB)]), command="explain").report
    page = render_html(report)
    assert 'id="unexplained"' in page and "Denied connection" in page
    assert page.index('id="findings"') < page.index('id="unexplained"')
    buf = StringIO()
    render_text(report, Console(file=buf, width=120, color_system=None))
    text = buf.getvalue()
    assert "Unexplained errors:" in text and text.index("Unexplained errors:") < text.index(" rules: ")


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="0123456789abcdefxABCF.:/-'\"` _=[]()g\u0663\\IEW]", max_size=80)
       | st.builds(lambda a, b: a + b, st.sampled_from(["E0321 00:23:45.006331    7194 kubelet.go:1480] ", '"x 1" k=', ""]),
                   st.text(alphabet='0123456789abcdef "\\=k', max_size=30)))
def test_a_template_does_not_depend_on_which_digits_a_line_holds(msg: str) -> None:
    """template() masks each digit shape once (digits 1-9 read alike): that is exact only while
    no mask tells those digits apart; this checks it against the masks applied to the line itself."""
    from forewarn.parse.log import unexplained

    head, kept, rest = unexplained.klog_parts(msg.strip())
    direct = head + kept + unexplained._QUOTED.sub(unexplained._Q, rest)
    for rx, repl in unexplained._MASKS[1:]:
        direct = rx.sub(repl, direct)
    assert unexplained.template(msg) == unexplained._SPACES.sub(" ", direct)[:300]



_ID_PARTS = st.sampled_from(["9b4503bc-e892-464d-47b8-85fa78d8cdd6", "9B4503BC-E892-464D-47B8-85FA78D8CDD6",
                             "pod", "e892-", "-464d-47b8-", "85fa78d8cdd6", "0", "a", "-", "_", "é", " ", "/", "\"",
                             "1234", "abcd1234", "x-1234-5678-9abc-"])


@settings(max_examples=examples(3000), deadline=None)
@given(st.lists(_ID_PARTS, max_size=12))
def test_ids_are_masked_where_the_uuid_mask_would_mask_them(parts: list[str]) -> None:
    """mask_ids tries the UUID mask only at a UUID's first hyphen: it must give what the mask's
    own `sub` gives, on UUIDs that touch, overlap, sit in words or follow a non-ASCII letter."""
    from forewarn.parse.log import unexplained

    text = "".join(parts)
    assert unexplained.mask_ids(text) == unexplained._UUID.sub(unexplained._ID, text), text


@pytest.mark.parametrize("word,pattern", __import__("forewarn.parse.log.unexplained", fromlist=["x"]).NOISE_PATTERNS)
def test_each_noise_pattern_holds_its_word(word: str, pattern: str) -> None:
    """looks_error searches NOISE only in lines that hold one of its words: every text a noise
    pattern matches must hold that pattern's word. Dropping a negative lookahead only widens
    what a pattern matches, so the check over the wider pattern covers the real one."""

    @settings(max_examples=200, deadline=None)
    @given(st.from_regex(re.compile(re.sub(r"\(\?!\w+\)", "", pattern), re.I), fullmatch=True))
    def holds(text: str) -> None:
        assert word in text.casefold()

    holds()


def _looks_error_plain(msg: str) -> bool:
    """looks_error as its rule says it, without the shortcuts: the reference it is tested against."""
    from forewarn.parse.log import unexplained as u

    if u._KLOG_INFO.match(msg):
        return False
    low = msg.lower()
    klog = u._KLOG_ERROR.match(msg) is not None
    if not klog and not u._ERROR_WORD.search(low):
        return False
    if u._NOT_ERROR.search(low) and len(u._ERROR_WORD.findall(low)) + klog <= 1:
        return False
    if "  " in msg and u._TABLE_HEADER.fullmatch(msg.strip()):
        return False
    return u.NOISE.search(msg) is None


@settings(max_examples=examples(4000), deadline=None)
@given(st.lists(st.sampled_from(["0", "1", "no", "No", " ", "error", "errors", "Error", "failure", "failures",
                                 "failed", "=", ":", "x", "_", "-", "e", "s", "unable", "timed out", "not ready",
                                 "pmtud: ", "bug:", "E0722 20:27:25.279953 ", "I0722 20:27:25.279953 "]),
                max_size=14))
def test_looks_error_is_its_plain_rule(words: list[str]) -> None:
    """`0 errors`, `no failures`, `errors=0` make no error line alone: looks_error searches for
    them only around the line's one error word; the answer is the plain rule's."""
    from forewarn.parse.log.unexplained import looks_error

    msg = "".join(words)
    assert looks_error(msg) == _looks_error_plain(msg), msg


@settings(max_examples=examples(2000), deadline=None)
@given(st.from_regex(__import__("forewarn.parse.log.unexplained", fromlist=["x"])._NOT_ERROR, fullmatch=True))
def test_every_not_error_text_is_one_error_word_and_a_few_characters_around_it(text: str) -> None:
    """The window looks_error searches `_NOT_ERROR` in: each match holds an error word, and
    reaches at most _NOT_ERROR_BEFORE characters before it and _NOT_ERROR_AFTER after it."""
    from forewarn.parse.log import unexplained as u

    words = list(u._ERROR_WORD.finditer(text))
    assert len(words) == 1, text
    assert words[0].start() <= u._NOT_ERROR_BEFORE and len(text) - words[0].end() <= u._NOT_ERROR_AFTER, text


_REST_WORDS = st.sampled_from(["pve5 ", "pve7 ", "pvedaemon[1885]: ", "kernel: ", "corosync[3813]: ", "[KNET  ] ",
                               "[12.5] ", "0", "1", "7", "9", "10.0.0.5", " ", ":", "=", "error", "errors", " failed",
                               "failure", "no ", "errors=", "E0722 20:27:25.279953 ", "pmtud: ", "'x9'", "0x1f",
                               "authentication failure; rhost=::ffff:75.81.79.218 user=root@pam", "\u0663", "abc"])


@settings(max_examples=examples(1000), deadline=None)
@given(st.lists(_REST_WORDS, max_size=10), st.permutations("123456789"))
def test_what_a_syslog_rest_makes_depends_on_its_digit_shape_alone(words: list[str], digits: list[str]) -> None:
    """The reader caches what the rest of a stamped line no signature names makes by its digit
    shape (records._BY_SHAPE): two rests that differ only in which of 1-9 they hold must make the
    same thing (unexplained with one template, or nothing)."""
    from forewarn.parse.log import records

    rest = "".join(words)
    other = rest.translate(str.maketrans("123456789", "".join(digits)))
    a = records._made_of("Mar 21 09:12:44 " + rest, (), False)
    b = records._made_of("Mar  2 19:02:04 " + other, (), False)
    assert (a[0], a[1], a[2] if a[0] == "unexplained" else None) == \
        (b[0], b[1], b[2] if b[0] == "unexplained" else None), (rest, other)


def test_a_zero_is_not_read_as_another_digit() -> None:
    """`errors=0` is no error, `errors=7` is: the shape cache must keep them apart, in either order."""
    from forewarn.model.evidence import EvidenceRecord

    lines = ["Mar 21 09:12:44 pve5 sync[12]: run done, errors=7", "Mar 21 09:12:45 pve5 sync[12]: run done, errors=0",
             "Mar 21 09:12:46 pve5 sync[12]: run done, errors=0", "Mar 21 09:12:47 pve5 sync[12]: run done, errors=3"]
    for order in (lines, lines[::-1]):
        order = ["Mar 21 09:12:40 pve5 systemd[1]: Started sync.service."] + order  # the sample: the format
        data = ("\n".join(order) + "\n").encode()
        engine = parse_syslog(EvidenceRecord("log.syslog", "n", "mem", data=data).lines(), sample=1).value
        per_line = parse_lines(order).value
        assert {k: t.count for k, t in engine.unexplained.templates.items()} == \
            {k: t.count for k, t in per_line.unexplained.templates.items()} == {"run done, errors=<n>": 2}


@settings(max_examples=examples(500), deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=60))
def test_shape_writes_digits_two_to_nine_as_one_and_nothing_else(text: str) -> None:
    """`shape` goes through UTF-8 bytes for speed: it must equal the plain character mapping on any
    text, lone surrogates and non-ASCII digits included."""
    from forewarn.parse.log.unexplained import shape

    assert shape(text) == text.translate(str.maketrans("23456789", "11111111"))



def _error_words_alone() -> str:
    """_ERROR_WORD without its lookahead and word boundaries: the words themselves."""
    from forewarn.parse.log.unexplained import _ERROR_WORD

    return re.sub(r"\(\?=\[[^]]*\]\)|\\b", "", _ERROR_WORD.pattern)


@settings(max_examples=examples(2000), deadline=None)
@given(st.from_regex(_error_words_alone(), fullmatch=True))
def test_every_error_word_holds_one_of_the_engines_literals(word: str) -> None:
    """The engine offers past the sample only lines holding one of ERROR_WORDS (its pattern and
    `could_be_error`); a word `looks_error` accepts without one would be missed in a big log."""
    from forewarn.parse.log.unexplained import ERROR_WORDS, _ERROR_WORD, could_be_error

    assert _ERROR_WORD.fullmatch(word), word  # the words are the regex's own
    assert could_be_error(word) and any(w in word for w in ERROR_WORDS), word


KUBEADM = Path(__file__).resolve().parent / "evidence" / "pastes" / "027-kubeadm-preflight-cri-v1-ipforward-brnetfilter"


def test_kubeadm_hints_are_not_errors_but_its_errors_are() -> None:
    """`kubeadm init` stopped by its preflight (containerd/containerd#8032, kept in the repository):
    the two hint lines after the error (`To see the stack trace ...`, `... non-fatal with
    --ignore-preflight-errors`) say how to read more; the fatal lines stay unexplained errors."""
    text = (KUBEADM / "kubeadm-init.txt").read_text()
    assert "To see the stack trace of this error execute with --v=5 or higher" in text
    templates = [t.text for t in parse_lines(text.splitlines()).value.unexplained.templates.values()]
    assert not [t for t in templates if "stack trace" in t or "non-fatal" in t], templates
    assert any(t.startswith("error execution phase preflight") for t in templates), templates


def test_a_kubelet_structured_error_keeps_its_message_in_its_template() -> None:
    """kubelet's structured lines quote their message (`E0617 ... eviction_manager.go:616]
    "Eviction manager: cannot evict a critical pod" pod="..."`, the k3s journal kept in the
    repository, tests/evidence/k8s-node/kubelet-log): the template keeps the level, the source file
    and the message, and masks the time, the pid and the values. Masked with the values, the message
    was lost: every structured error of one source file made one template."""
    text = (Path(__file__).resolve().parent / "evidence" / "k8s-node" / "kubelet-log" /
            "k3s-homelab-eviction-ephemeral-storage.txt").read_text()
    templates = [t.text for t in parse_lines(text.splitlines()).value.unexplained.templates.values()]
    assert templates == ['E eviction_manager.go] "Eviction manager: cannot evict a critical pod" pod=<q>'], templates


def test_cadvisor_stats_it_pushes_anyway_are_noise() -> None:
    """kubelet's cadvisor warning that ends `continuing to push stats` comes once a minute on healthy
    nodes (verbatim from https://github.com/kubernetes/kubernetes/issues/80807); a kubelet error
    (the k3s journal of tests/evidence/k8s-node/kubelet-log) stays an error."""
    noise = ('W0731 10:18:30.338623  110562 container.go:523] Failed to update stats for container '
             '"/system.slice/kubelet.service": stat failed on  with error: no such file or directory, '
             'continuing to push stats')
    assert not looks_error(noise)
    assert looks_error('E0617 16:18:42.213132 3814777 eviction_manager.go:616] "Eviction manager: cannot evict '
                       'a critical pod" pod="flux-system/kustomize-controller-6b7bfd984d-r8m6z"')


def test_klog_info_lines_are_no_errors_whatever_words_they_hold() -> None:
    """klog's own severity decides: kubelet's readiness results at I (verbatim from
    https://github.com/kubernetes/kubernetes/issues/138889) are not errors, in a journal or read as
    bare klog lines; the apiserver's I-level TLS handshake errors of seed 004, which the seed says
    to ignore, neither; an E line stays an error."""
    info = ('I0509 08:18:50.485093  941881 kubelet.go:2668] "SyncLoop (probe)" probe="readiness" '
            'status="not ready" pod="manager/northftpmaster-0"')
    error = ('E0617 16:18:42.213132 3814777 eviction_manager.go:616] "Eviction manager: cannot evict a critical '
             'pod" pod="flux-system/kustomize-controller-6b7bfd984d-r8m6z"')
    seed = (Path(__file__).resolve().parent / "evidence" / "seeds" / "004_3ae197d3b21d8357.txt").read_text()
    tls = next(ln for ln in seed.splitlines() if ln.startswith("I0722 ") and "TLS handshake error" in ln)
    assert not looks_error(info) and not looks_error(tls) and looks_error(error)
    for lines in ([info, error], [f"May 09 08:18:50 node3 kubelet[941881]: {info}",
                                  f"Jun 17 16:18:42 homelab-1 k3s[3814777]: {error}"]):
        templates = [t.text for t in parse_lines(lines).value.unexplained.templates.values()]
        assert len(templates) == 1 and "cannot evict a critical pod" in templates[0], templates
