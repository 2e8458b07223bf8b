"""How many dev-set cases are diagnosed by codes none of whose fixtures came from that case.

Reads tests/evidence/devset-coverage.yaml (tools/gen_devset_coverage.py writes it) and, for each
diagnosed case, the provenance of each diagnosing code: a Python rule's YAML (its cases' sources
and evidence paths, and the SOURCE.md files beside that evidence) and, for a signature's finding,
the signature rows that carry it (their example and near-miss sources). A code's fixtures "came
from" a case when that provenance names the case: its folder name, "case NNN" with its number, a
fixture folder or file named after its number ("/NNN-"), or its public source address. A case is independent when none of its diagnosing codes' fixtures
came from it: the rule or signature was written for the class of problem and found this
instance on its own. Conservative by design: one shared thread address is enough to count a
case as not independent.

    .venv/bin/python tools/devset_independence.py [--set DIR] [-v]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools"))
COVERAGE = ROOT / "tests" / "evidence" / "devset-coverage.yaml"
EVIDENCE = ROOT / "tests" / "evidence"


def _yaml(path: Path) -> object:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def provenance(code: str) -> str:
    """Every text that says where a code's fixtures came from."""
    from forewarn.rules import RULES
    from forewarn.signatures import load

    parts: list[str] = []
    if code in RULES:
        cases = Path(RULES[code].module_file).with_suffix(".yaml")
        text = cases.read_text(encoding="utf-8")
        parts.append(text)
        for rel in re.findall(r"\{file: ([^}\s]+)\}", text):
            folder = (EVIDENCE / rel).parent
            parts.append(rel)
            for name in ("SOURCE.md", "SOURCES.md", "README.md"):
                if (folder / name).is_file():
                    parts.append((folder / name).read_text(encoding="utf-8", errors="replace"))
    for sig in load():
        if sig.finding is not None and sig.finding.code == code:
            parts.extend(x.source for x in (*sig.examples, *sig.near_misses))
    return "\n".join(parts)


def names_of(case: str, folder: Path) -> list[str]:
    """How a fixture's provenance would name this case."""
    number = case.split("-", 1)[0]
    out = [case, f"case {number}", f"realworld {number}", f"/{number}-"]
    meta = _yaml(folder / "case.yaml")
    if isinstance(meta, dict) and isinstance(meta.get("source"), str):
        out.append(meta["source"].rstrip("/"))
    return out


def independence(dev: Path) -> tuple[list[str], list[str]]:
    """(independent cases, cases whose diagnosing codes learned from them)."""
    doc = _yaml(COVERAGE)
    assert isinstance(doc, dict)
    cache: dict[str, str] = {}
    free, learned = [], []
    for case, codes in sorted(doc["cases"].items()):
        names = names_of(case, dev / "cases" / case)
        from_case = False
        for code in codes:
            text = cache.setdefault(code, provenance(code))
            if any(n in text for n in names):
                from_case = True
        (learned if from_case else free).append(case)
    return free, learned


def main() -> None:
    from gen_devset_coverage import default_set

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", type=Path, default=default_set())
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if a.set is None:
        sys.exit("devset_independence: no ../shared/realworld here (give --set DIR)")
    free, learned = independence(a.set)
    if a.verbose:
        for c in free:
            print(f"independent  {c}")
        for c in learned:
            print(f"from case    {c}")
    print(f"{len(free)} of {len(free) + len(learned)} diagnosed cases by codes none of whose fixtures came "
          f"from that case")


if __name__ == "__main__":
    main()
