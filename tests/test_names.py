"""Names that find each other: a search for a rule's code or name, or for a spec's name, finds its file.

- A rule lives in rules/<family>/<code>_<name>.py (code in lower case, the rule's kebab-case name in
  snake case), its YAML beside it with the same stem.
- A parser that serves one spec lives in parse/<family>/<name>.py, named after its spec
  (`pve.pvecm_status` -> parse/pve/pvecm_status.py); one that serves several specs is named after
  the file format they share and lives in their family's package.

The lists below hold names that may not follow (none today); an entry that now follows the rule
(or names nothing) fails, so the lists stay true.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from forewarn.parse._registry import all_parsers
from forewarn.rules import RULES

PARSERS = all_parsers()

# code -> the rule's file name today (rules/<family>/<file>)
RULE_FILE_EXCEPTIONS: dict[str, str] = {}

# parser module (below forewarn.parse) -> why its name is not its spec's (or its specs' family)
PARSER_MODULE_EXCEPTIONS: dict[str, str] = {}


def _rule_file_wanted(code: str) -> str:
    return f"{code.lower()}_{RULES[code].name.replace('-', '_')}.py"


def test_rule_files_are_named_code_and_name() -> None:
    wrong = []
    for code, r in sorted(RULES.items()):
        path = Path(r.module_file)
        if path.parent.name != r.family.lower():
            wrong.append(f"{code}: in rules/{path.parent.name}/, not rules/{r.family.lower()}/")
        if path.name != _rule_file_wanted(code) and RULE_FILE_EXCEPTIONS.get(code) != path.name:
            wrong.append(f"{code}: {path.name}, not {_rule_file_wanted(code)}")
        cases = path.with_suffix(".yaml")
        if not cases.is_file():
            wrong.append(f"{code}: no {cases.name} beside {path.name}")
    assert not wrong, "rule files named otherwise than rules/<family>/<code>_<name>.py:\n" + "\n".join(wrong)


def test_rule_file_exceptions_are_still_needed() -> None:
    stale = [code for code, name in sorted(RULE_FILE_EXCEPTIONS.items())
             if code not in RULES or Path(RULES[code].module_file).name != name
             or name == _rule_file_wanted(code)]
    assert not stale, f"drop these from RULE_FILE_EXCEPTIONS (renamed or gone): {stale}"


def _parser_modules() -> dict[str, set[str]]:
    """parser module below forewarn.parse -> the specs it serves."""
    out: dict[str, set[str]] = {}
    for spec, p in PARSERS.items():
        module = inspect.getmodule(p.func)
        assert module is not None
        out.setdefault(module.__name__.removeprefix("forewarn.parse."), set()).add(spec)
    return out


def _parser_name_problem(module: str, specs: set[str]) -> str | None:
    package, _, name = module.rpartition(".")
    families = {s.split(".", 1)[0] for s in specs}
    if families != {package}:
        return f"serves {', '.join(sorted(specs))} from package {package}"
    if len(specs) == 1:
        spec_name = next(iter(specs)).split(".", 1)[1]
        if name != spec_name:
            return f"serves only {next(iter(specs))}: name it {package}/{spec_name}.py"
    return None


def test_parser_modules_are_named_after_their_spec() -> None:
    wrong = [f"parse/{m.replace('.', '/')}.py: {why}" for m, specs in sorted(_parser_modules().items())
             if (why := _parser_name_problem(m, specs)) and m not in PARSER_MODULE_EXCEPTIONS]
    assert not wrong, "parser modules named neither after their spec nor in their specs' family:\n" + "\n".join(wrong)


def test_parser_module_exceptions_are_still_needed() -> None:
    modules = _parser_modules()
    stale = [m for m in sorted(PARSER_MODULE_EXCEPTIONS)
             if m not in modules or _parser_name_problem(m, modules[m]) is None]
    assert not stale, f"drop these from PARSER_MODULE_EXCEPTIONS (renamed or gone): {stale}"
