"""JUnit XML, for CI test views (GitLab, Jenkins, Azure, GitHub test reporters).

One testsuite per node, one testcase per rule on it: a failure per finding (its message, the
evidence lines and the fix in the body), could-not-check as skipped with its reason, a pass as an
empty testcase. Not-applicable rules are left out: no test ran. A node only named by the evidence
(corosync.conf's other members) gets the failures that name it, never a pass: nothing of it was
read. An accepted (suppressed) finding passes, its reason in system-out.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from forewarn.model.findings import Finding, Status
from forewarn.report.model import Report

CLUSTER = "(cluster)"  # findings that name no node
# what XML 1.0 cannot carry at all (a log's escape sequences, NULs): shown as U+FFFD
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _body(f: Finding) -> str:
    out = [f"{f.severity.label.upper()} {f.code} {f.title}", f.message, ""]
    for ev in f.evidence:
        where = f" line {', '.join(map(str, ev.lines))}" if ev.lines else ""
        out.append(f"evidence: {ev.node}: {ev.artifact}{where}")
        numbered = zip(ev.lines, ev.excerpt) if len(ev.lines) == len(ev.excerpt) else ((None, x) for x in ev.excerpt)
        out += [f"  {n:>6} | {text}" if n is not None else f"         {text}" for n, text in numbered]
    if f.cause:
        out += ["", f"why: {f.cause}"]
    if f.fix:
        out += ["", "fix:"] + [f"  # {s.note}" if s.note else f"  $ {s.command}" + (f"   # on {s.node}" if s.node else "")
                               for s in f.fix]
    return "\n".join(out)


def _case(suite: ET.Element, node: str, code: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", name=f"{code} {name}", classname=f"forewarn.{node}", time="0")


def render_junit(report: Report) -> str:
    read = list(report.nodes) or [CLUSTER]
    failing: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in report.failed(include_suppressed=True):
        for node in f.nodes or (CLUSTER,):
            failing[(node, f.code)].append(f)
    named = sorted({n for n, _ in failing} - set(read))
    outcome = {f.code: f for f in report.by_status(Status.PASS) + report.by_status(Status.COULD_NOT_CHECK)}
    rules = sorted({*outcome, *(code for _, code in failing)})
    checked = {*outcome, *(f.code for f in report.findings if f.family != "FW" and f.status is Status.FAIL)}
    names = {f.code: f.name for f in report.findings}

    root = ET.Element("testsuites", name=_clean(f"forewarn {report.command}: {report.source}"))
    for node in [*read, *named]:
        suite = ET.SubElement(root, "testsuite", name=node, timestamp=report.generated.strftime("%Y-%m-%dT%H:%M:%S"))
        for code in rules:
            found = failing.get((node, code), [])
            if not found and (node in named or code not in checked):
                continue  # a node nothing was read of; or an FW code that did not fire
            case = _case(suite, node, code, names[code])
            live = [f for f in found if f.suppressed is None]
            for f in live:
                fail = ET.SubElement(case, "failure", message=_clean(f.message or f.title), type=f.severity.label)
                fail.text = _clean(_body(f))
            if found and not live:
                ET.SubElement(case, "system-out").text = _clean("\n".join(f"suppressed: {f.suppressed}" for f in found))
            elif not found and code in outcome and outcome[code].status is Status.COULD_NOT_CHECK:
                ET.SubElement(case, "skipped", message=_clean(outcome[code].message))
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
        suite.set("errors", "0")
        suite.set("time", "0")
    for attr in ("tests", "failures", "skipped", "errors"):
        root.set(attr, str(sum(int(s.get(attr, "0")) for s in root)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
