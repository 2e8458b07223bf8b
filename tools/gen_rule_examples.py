"""Write each rule's `example:` (in its YAML, before `cases:`) from its first real failing case.

    .venv/bin/python tools/gen_rule_examples.py            # all rules
    .venv/bin/python tools/gen_rule_examples.py PVE102     # some

The example is what `forewarn rules CODE` shows, installed anywhere: the lines the rule's finding
cites, with a line of context, cut at whole lines. tests/test_catalogue.py checks that every
example's lines are the lines of its case's evidence at those numbers.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from forewarn.facts.context import Context  # noqa: E402
from forewarn.model.findings import Status  # noqa: E402
from forewarn.rules import RULES  # noqa: E402
from forewarn.rules._engine import run_rule  # noqa: E402
from rulecases import case_nodes, case_now, case_records, evidence_root, text_of  # noqa: E402

CONTEXT = 1  # lines around each cited line
MAX_LINES = 14  # per evidence text shown
MAX_WIDTH = 160
_EXAMPLE = re.compile(r"^example:\n(?:[ \t].*\n|\n|\.\.\.\n)*", re.M)


def _texts(case: dict) -> dict[tuple[str, str], str]:
    out = {}
    for node, specs in case_nodes(case).items():
        for spec, val in (specs or {}).items():
            vals = val if isinstance(val, list) else [val]
            out[(str(node), spec.split("#", 1)[0])] = text_of(vals[0], evidence_root())[0]
    return out


def _window(lines: list[str], cited: list[int]) -> list[int]:
    keep: list[int] = []
    for n in sorted(set(cited)):
        for m in range(n - CONTEXT, n + CONTEXT + 1):
            if 1 <= m <= len(lines) and m not in keep:
                keep.append(m)
        if len(keep) >= MAX_LINES:
            break
    return sorted(keep)[:MAX_LINES]


def example_for(code: str) -> dict | None:
    r = RULES[code]
    data = yaml.safe_load(r.cases_file.read_text(encoding="utf-8")) or {}
    for name, case in (data.get("cases") or {}).items():
        if case.get("expect") != "fail":
            continue
        ctx = Context(case_records(case), now=case_now(case))
        failed = [f for f in run_rule(r, ctx) if f.status is Status.FAIL]
        if not failed:
            continue
        texts = _texts(case)
        shown = []
        for ref in failed[0].evidence[:3]:
            text = texts.get((ref.node, ref.spec)) or texts.get(("node", ref.spec))
            if text is None:
                continue
            lines = text.splitlines()
            nums = _window(lines, list(ref.lines)) if ref.lines else list(range(1, min(len(lines), MAX_LINES) + 1))
            label = ref.spec if (ref.node, ref.spec) not in texts else f"{ref.node}: {ref.spec}"
            shown.append({"label": label, "lines": nums, "text": [lines[n - 1][:MAX_WIDTH] for n in nums]})
        if shown:
            return {"case": name, "message": failed[0].message.splitlines()[0][:300], "evidence": shown}
    return None


class _Dumper(yaml.SafeDumper):
    pass


def _list(dumper: yaml.SafeDumper, items: list) -> yaml.SequenceNode:
    # line numbers on one line; evidence lines one per line (a string each keeps trailing blanks)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items,
                                     flow_style=all(isinstance(i, int) for i in items))


_Dumper.add_representer(list, _list)


def write(code: str, example: dict) -> None:
    path = RULES[code].cases_file
    text = path.read_text(encoding="utf-8")
    block = yaml.dump({"example": example}, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=200)
    text = _EXAMPLE.sub("", text)
    i = text.find("\ncases:")
    text = text[: i + 1] + block + text[i + 1:] if i >= 0 else text + block
    path.write_text(text, encoding="utf-8")


def main(codes: list[str]) -> None:
    for code in codes or sorted(RULES):
        ex = example_for(code)
        if ex is None:
            print(f"{code}: no failing case gives a finding with evidence", file=sys.stderr)
            continue
        write(code, ex)
        print(f"{code}: {ex['case']} ({sum(len(e['lines']) for e in ex['evidence'])} lines)")


if __name__ == "__main__":
    main(sys.argv[1:])
