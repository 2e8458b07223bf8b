"""The read-only allowlist as data: `readonly.yaml` says, per command, exactly which argv is allowed.

This module only reads that table and matches an argv against it the way the programs parse
their own (GNU getopt: options anywhere unless `permute: false`, `--` ends them, short flags
bundle, a value option takes the next word or what is attached to it). Nothing here knows any
particular command: a new command, option or subcommand is a line in the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

TABLE = Path(__file__).with_name("readonly.yaml")


class Arg(Protocol):
    text: str
    dynamic: bool  # computed by the shell ($x, $(...)): only `any` accepts it


@dataclass(frozen=True, slots=True)
class Rule:
    """What a value or an operand may be."""

    any: bool = False
    words: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None
    min: int = 0
    max: int | None = None

    def accepts(self, arg: Arg) -> bool:
        if self.any:
            return True
        if arg.dynamic:
            return False
        return arg.text in self.words or bool(self.pattern and self.pattern.fullmatch(arg.text))


NONE = Rule(max=0)


@dataclass(frozen=True, slots=True)
class Shape:
    flags: frozenset[str] = frozenset()
    values: dict[str, Rule] = field(default_factory=dict)
    operands: Rule = NONE
    subcommands: dict[str, "Shape"] | None = None
    require: tuple[str, ...] = ()
    bundle: bool = True
    permute: bool = True
    raw: bool = False
    leading: Rule | None = None  # wrappers: the word before the wrapped command (timeout's DURATION)


@dataclass(frozen=True, slots=True)
class Table:
    commands: dict[str, Shape]
    wrappers: dict[str, Shape]
    exact_assignments: frozenset[str]
    local_name: re.Pattern[str]
    paths: tuple[str, ...]


_KEYS = {"flags", "values", "operands", "subcommands", "require", "bundle", "permute", "raw", "leading"}


def _rule(spec: Any, where: str) -> Rule:
    if spec == "any":
        return Rule(any=True)
    if spec in (None, "none"):
        return NONE
    if isinstance(spec, list):
        return Rule(words=frozenset(map(str, spec)))
    if isinstance(spec, dict) and set(spec) <= {"pattern", "values", "min", "max"}:
        pat = spec.get("pattern")
        return Rule(words=frozenset(map(str, spec.get("values") or ())),
                    pattern=re.compile(pat) if pat else None, min=int(spec.get("min", 0)),
                    max=int(spec["max"]) if "max" in spec else None)
    raise ValueError(f"{TABLE.name}: {where}: not a rule: {spec!r}")


def _shape(spec: Any, where: str) -> Shape:
    if not isinstance(spec, dict) or not set(spec) <= _KEYS:
        raise ValueError(f"{TABLE.name}: {where}: unknown keys {sorted(set(spec or {}) - _KEYS)}")
    subs = spec.get("subcommands")
    return Shape(
        flags=frozenset(map(str, spec.get("flags") or ())),
        values={str(k): _rule(v, f"{where} {k}") for k, v in (spec.get("values") or {}).items()},
        operands=_rule(spec.get("operands"), f"{where} operands"),
        subcommands={str(k): _shape(v or {}, f"{where} {k}") for k, v in subs.items()} if subs else None,
        require=tuple(map(str, spec.get("require") or ())),
        bundle=bool(spec.get("bundle", True)),
        permute=bool(spec.get("permute", True)),
        raw=bool(spec.get("raw", False)),
        leading=_rule(spec["leading"], f"{where} leading") if "leading" in spec else None,
    )


@lru_cache(maxsize=1)
def table() -> Table:
    import yaml

    data = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    assigns = data["assignments"]
    return Table(
        commands={str(k): _shape(v, str(k)) for k, v in data["commands"].items()},
        wrappers={str(k): _shape(v or {}, str(k)) for k, v in data["wrappers"].items()},
        exact_assignments=frozenset(map(str, assigns["exact"])),
        local_name=re.compile(str(assigns["local"])),
        paths=tuple(map(str, data["paths"])),
    )


def match(shape: Shape, args: list[Arg], name: str, *, wrapper: bool = False) -> tuple[str | None, int]:
    """Check `args` against `shape`: (why not, or None; how many words were read).

    For a `wrapper` (exec, timeout) reading stops at its first operand, after the `leading` one
    if it has one (timeout's DURATION): the rest is the command it runs, which starts at the
    returned index.
    """
    if shape.raw:
        return None, len(args)
    flags, values = set(shape.flags), dict(shape.values)
    operands_rule, subs, permute, require = shape.operands, shape.subcommands, shape.permute, list(shape.require)
    seen: set[str] = set()
    operands: list[Arg] = []
    only_operands = False
    i = 0

    def value(opt: str, attached: Arg | None) -> str | None:
        nonlocal i
        if attached is None:
            if i >= len(args):
                return f"option {opt} needs a value"
            attached = args[i]
            i += 1
        return None if values[opt].accepts(attached) else f"{opt} {attached.text!r} is not an allowed value"

    while i < len(args):
        a = args[i]
        i += 1
        t = a.text
        if only_operands or t == "-" or not t.startswith("-"):
            if wrapper:
                if shape.leading is None:
                    return None, i - 1
                return (None if shape.leading.accepts(a) else f"{name}: {t!r} is not allowed here"), i
            if subs is not None:
                sub = subs.get(t) if not a.dynamic else None
                if sub is None:
                    return f"{name}: {t!r} is not one of {', '.join(subs)}", i
                name = f"{name} {t}"
                flags |= sub.flags
                values.update(sub.values)
                operands_rule, subs, permute = sub.operands, sub.subcommands, sub.permute and permute
                require += sub.require
                continue
            operands.append(a)
            only_operands = only_operands or not permute
            continue
        if t == "--":
            seen.add(t)
            only_operands = True
            continue
        if t.startswith("--"):
            opt, eq, rest = t.partition("=")
            if opt in values:
                seen.add(opt)
                why = value(opt, _Word(rest, a.dynamic) if eq else None)
                if why:
                    return f"{name}: {why}", i
            elif opt in flags and not eq:
                seen.add(opt)
            else:
                return f"{name}: option {t} is not allowed", i
            continue
        if t in flags:
            seen.add(t)
            continue
        if t in values:
            seen.add(t)
            why = value(t, None)
            if why:
                return f"{name}: {why}", i
            continue
        if not shape.bundle or a.dynamic:
            return f"{name}: option {t} is not allowed", i
        for j in range(1, len(t)):
            opt = "-" + t[j]
            if opt in flags:
                seen.add(opt)
                continue
            if opt in values:
                seen.add(opt)
                why = value(opt, _Word(t[j + 1:], a.dynamic) if t[j + 1:] else None)
                if why:
                    return f"{name}: {why}", i
                break
            return f"{name}: option {opt} (in {t}) is not allowed", i
    if wrapper:
        return f"{name}: no command to run", i
    if subs is not None:
        return f"{name}: needs one of {', '.join(subs)}", i
    missing = [r for r in require if r not in seen]
    if missing:
        return f"{name}: needs {' '.join(missing)}", i
    return _check_operands(operands_rule, operands, name), i


def _check_operands(rule: Rule, operands: list[Arg], name: str) -> str | None:
    if rule.max is not None and len(operands) > rule.max:
        extra = operands[rule.max].text if rule.max < len(operands) else ""
        return f"{name}: {extra!r} is not allowed here" if rule.max == 0 else f"{name}: at most {rule.max} operand(s)"
    if len(operands) < rule.min:
        return f"{name}: needs {rule.min} operand(s)"
    bad = [o.text for o in operands if not rule.accepts(o)]
    return f"{name}: operand {bad[0]!r} is not allowed" if bad else None


@dataclass(slots=True)
class _Word:
    text: str
    dynamic: bool = False
