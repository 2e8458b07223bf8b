"""The shape of the code: no import cycle among forewarn's modules, no module over 400 lines, and
the engine refusing a rule's read of a key it did not declare."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forewarn.facts.context import Context
    from forewarn.rules import Rule

SRC = Path(__file__).resolve().parent.parent / "src" / "forewarn"
MAX_LINES = 400
# the read-only command checker is one module on purpose: its safety is reviewed in one place
LINE_EXCEPTIONS = {"collect/readonly.py": 600}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth (function-level too), except under `if TYPE_CHECKING:`."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The forewarn module an import names: itself if it is one, else its nearest package."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph() -> dict[str, set[str]]:
    known = _modules()
    graph: dict[str, set[str]] = {m: set() for m in known}
    for mod, path in known.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                # `from pkg import mod` imports the module pkg.mod when there is one
                targets = [f"{base}.{a.name}" for a in node.names] or [base]
                targets = [t if _resolve(t, known) == t else base for t in targets]
            for t in targets:
                if not t.startswith("forewarn"):
                    continue
                dep = _resolve(t, known)
                if dep is not None and dep != mod:
                    graph[mod].add(dep)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph is deep enough to exhaust Python's recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp: list[str] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_tarjan_finds_a_cycle_and_only_cycles() -> None:
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert strongly_connected(g) == [["a", "b", "c"]]


def test_no_import_cycle() -> None:
    cycles = strongly_connected(import_graph())
    assert not cycles, "import cycles (a module of each imports another, TYPE_CHECKING aside):\n" + \
        "\n".join(" <-> ".join(c) for c in cycles)


def test_no_module_over_400_lines() -> None:
    too_long = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > LINE_EXCEPTIONS.get(rel, MAX_LINES):
            too_long.append(f"{rel}: {n} lines")
    assert not too_long, "modules over the limit (split them along their seams):\n" + "\n".join(too_long)


# -- the engine refuses an undeclared read ---------------------------------------------------

EVIDENCE = Path(__file__).resolve().parent / "evidence"


def _hostname_context() -> "Context":
    from forewarn.facts.context import Context
    from forewarn.model.evidence import EvidenceRecord

    path = EVIDENCE / "k8s" / "lab-hostname.txt"  # real `hostname` output (tests/evidence/k8s/SOURCE.md)
    rec = EvidenceRecord(spec="host.hostname", node="node1", artifact=path.name, data=path.read_bytes())
    return Context([rec])


def _probe_rule(declared: tuple[object, ...]) -> "Rule":
    from forewarn.model.findings import Severity, When
    from forewarn.parse.host.hostname import HOSTNAME
    from forewarn.parse.host.uname import UNAME
    from forewarn.rules import Hit, Rule
    from forewarn.model.keys import spec_of

    def probe(ctx: "Context") -> Iterator[Hit]:
        for node, f in ctx.by_node(HOSTNAME).items():
            kernel = ctx.fact(UNAME, node)  # declared or not, depending on the test
            yield Hit(f"{node}: {f.value.name}, kernel {kernel.value.release if kernel else 'unknown'}", nodes=node)

    return Rule(code="FW999", name="probe", title="probe", severity=Severity.LOW, family="FW", platform="linux",
                inputs=(HOSTNAME.spec,), requires=(), reads=tuple(spec_of(k) for k in declared),
                seed="", fix=(), when=When.NOW, func=probe, doc={}, module_file=__file__)


def test_reading_an_undeclared_key_crashes_the_rule() -> None:
    from forewarn.rules._engine import run_rule

    findings = run_rule(_probe_rule(declared=()), _hostname_context())
    crashed = [f for f in findings if f.code == "FW902"]
    assert crashed, [(f.code, f.status, f.message) for f in findings]
    assert "UndeclaredRead" in crashed[0].message and "host.uname" in crashed[0].message


def test_the_same_read_declared_runs() -> None:
    from forewarn.parse.host.uname import UNAME
    from forewarn.rules._engine import run_rule

    findings = run_rule(_probe_rule(declared=(UNAME,)), _hostname_context())
    assert [f.code for f in findings] == ["FW999"], [(f.code, f.message) for f in findings]
    assert "kernel unknown" in findings[0].message


# -- rules read keys, not spec names ---------------------------------------------------------

# PVE106 is being rewritten on another branch; it moves to keys with that change
STRING_READS_ALLOWED: set[str] = set()  # none left
_READS = {"facts", "by_node", "fact", "has", "raw"}
_DECLARES = {"inputs", "requires", "reads"}


def _spec_literals(node: ast.AST, parsed: set[str]) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and n.value in parsed]


def test_rules_declare_and_read_typed_keys() -> None:
    """A rule names what it reads by its parser's Key (`ctx.by_node(SYSCTL)`), never by a spec name
    string, so a rule and its parser cannot drift apart unseen (mypy checks the value's type)."""
    from forewarn.parse._registry import all_parsers

    parsed = set(all_parsers())
    found: list[str] = []
    for path in sorted((SRC / "rules").rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel in STRING_READS_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _READS and node.args:
                found += [f"{rel}:{node.lineno}: {func.attr}({s!r})" for s in _spec_literals(node.args[0], parsed)]
            if isinstance(func, ast.Name) and func.id == "rule":
                for kw in node.keywords:
                    if kw.arg in _DECLARES:
                        found += [f"{rel}:{node.lineno}: {kw.arg}={s!r}" for s in _spec_literals(kw.value, parsed)]
    assert not found, "spec names where a Key belongs (import it from the parser's module):\n" + "\n".join(found)
