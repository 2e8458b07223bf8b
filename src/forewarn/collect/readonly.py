"""Read-only, provably: every shell script the collector runs is checked against one allowlist.

The collector only runs scripts built by `collect/plan.py` from the declared specs. Each script is
lexed here (quotes, `$(...)`, `;`, `&&`, `||`, pipes, redirections, `if`/`for` keywords) and
every simple command in it must match, word for word, an argv shape of `readonly.yaml` (the
table, read by `argv_shapes.py`): `pvecm status`, never `pvecm expected 1`; `systemctl show`,
never `systemctl restart` nor `systemctl -p show restart`; `sysctl -a`, never `sysctl -w` nor
`--sys`. A variable may only be set on its own line, to the prelude's values or as one of the
script's lower-case variables (never `LD_PRELOAD=x cmd`, `export PATH=...`). A redirection may
only write to `/dev/null` or duplicate a file descriptor (`2>&1`). Anything the lexer does not
understand (backquotes, here-documents, `case`, `eval`, `${x:-...}`, a command name built from
a variable) is refused rather than guessed at.

The plan refuses a spec whose script fails this check (the refusal is recorded in the manifest),
and `tests/test_collect_readonly.py` fails the build for it, so a new spec with a writing command
can neither slip into a release nor run on a node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.collect.argv_shapes import match, table


class Unsupported(ValueError):
    """The script uses shell syntax the checker does not model: it is refused."""


# -- lexing ---------------------------------------------------------------------------------
@dataclass(slots=True)
class Word:
    text: str  # with quotes removed; expansions are kept as written (`$f`)
    dynamic: bool = False  # contains a parameter expansion or a command substitution
    quoted: bool = False
    subs: list[str] = field(default_factory=list)  # inner scripts of $( ... )


@dataclass(frozen=True, slots=True)
class Op:
    op: str  # ; && || | & ( ) newline


@dataclass(frozen=True, slots=True)
class Redir:
    op: str  # > >> >| < <& >& &> &>> << <>
    fd: str = ""


_OPS = ("&&", "||", ";;", ";", "|", "&", "(", ")")
_REDIRS = ("&>>", "&>", ">>", ">|", ">&", "<&", "<<", "<>", ">", "<")


def _capture_parens(s: str, i: int) -> tuple[str, int]:
    """`s[i]` is just after `$(`: return the inner text and the index after the closing `)`."""
    depth, j, start = 1, i, i
    while j < len(s):
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == "'":
            k = s.find("'", j + 1)
            if k < 0:
                raise Unsupported("unterminated single quote")
            j = k + 1
            continue
        if c == '"':
            j += 1
            while j < len(s) and s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            j += 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return s[start:j], j + 1
        j += 1
    raise Unsupported("unterminated $(")


def lex(script: str) -> list[Word | Op | Redir]:
    out: list[Word | Op | Redir] = []
    i, n = 0, len(script)
    cur: Word | None = None

    def end_word() -> None:
        nonlocal cur
        if cur is not None:
            out.append(cur)
            cur = None

    def word() -> Word:
        nonlocal cur
        if cur is None:
            cur = Word("")
        return cur

    while i < n:
        c = script[i]
        if c in " \t":
            end_word()
            i += 1
            continue
        if c == "\n":
            end_word()
            out.append(Op("\n"))
            i += 1
            continue
        if c == "#" and cur is None:
            k = script.find("\n", i)
            i = n if k < 0 else k
            continue
        if c == "\\":
            if i + 1 < n and script[i + 1] == "\n":
                i += 2
                continue
            w = word()
            w.text += script[i + 1: i + 2]
            w.quoted = True
            i += 2
            continue
        if c == "'":
            k = script.find("'", i + 1)
            if k < 0:
                raise Unsupported("unterminated single quote")
            w = word()
            w.text += script[i + 1:k]
            w.quoted = True
            i = k + 1
            continue
        if c == '"':
            w = word()
            w.quoted = True
            j = i + 1
            while True:
                if j >= n:
                    raise Unsupported("unterminated double quote")
                d = script[j]
                if d == '"':
                    break
                if d == "\\" and j + 1 < n:
                    w.text += script[j + 1]
                    j += 2
                    continue
                if d == "`":
                    raise Unsupported("backquote command substitution")
                if d == "$":
                    j = _dollar(script, j, w)
                    continue
                w.text += d
                j += 1
            i = j + 1
            continue
        if c == "`":
            raise Unsupported("backquote command substitution")
        if c == "$":
            i = _dollar(script, i, word())
            continue
        red = next((r for r in _REDIRS if script.startswith(r, i)), None)
        if red is not None and not (red.startswith("&") and cur is not None):
            fd = ""
            if cur is not None and not cur.quoted and not cur.dynamic and cur.text.isdigit():
                fd, cur = cur.text, None
            end_word()
            if red in ("<<", "<>"):
                raise Unsupported(f"redirection {red}")
            out.append(Redir(red, fd))
            i += len(red)
            continue
        op = next((o for o in _OPS if script.startswith(o, i)), None)
        if op is not None:
            end_word()
            if op == ";;":
                raise Unsupported("case statement")
            out.append(Op(op))
            i += len(op)
            continue
        word().text += c
        i += 1
    end_word()
    return out


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _dollar(s: str, i: int, w: Word) -> int:
    """Handle `$...` at s[i]; append to `w`; return the next index."""
    w.dynamic = True
    if s.startswith("$((", i):
        raise Unsupported("arithmetic expansion")
    if s.startswith("$(", i):
        inner, j = _capture_parens(s, i + 2)
        w.subs.append(inner)
        w.text += "$(" + inner + ")"
        return j
    if s.startswith("${", i):
        # only ${NAME}: `${x:-$(cmd)}` and friends hide a command substitution in the default
        k = s.find("}", i)
        if k < 0:
            raise Unsupported("unterminated ${")
        if not _NAME.fullmatch(s[i + 2:k]):
            raise Unsupported(f"parameter expansion {s[i:k + 1]!r} (only ${{NAME}})")
        w.text += s[i:k + 1]
        return k + 1
    j = i + 1
    while j < len(s) and (s[j].isalnum() or s[j] == "_"):
        j += 1
    if j == i + 1 and j < len(s) and s[j] in "?#$!@*-0123456789":
        j += 1
    w.text += s[i:j]
    return j


# -- simple commands ------------------------------------------------------------------------
@dataclass(slots=True)
class SimpleCommand:
    words: list[Word]
    redirs: list[tuple[Redir, Word | None]]
    assigns: list[Word] = field(default_factory=list)  # NAME=VALUE words before the command (or alone)

    @property
    def argv(self) -> list[str]:
        return [w.text for w in self.words]

    def __str__(self) -> str:
        return " ".join([a.text for a in self.assigns] + self.argv)


_RESERVED_SKIP = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}"}
_RESERVED_BAD = {"case", "esac", "function", "select", "eval", "source", ".", "trap", "alias"}


def simple_commands(script: str) -> list[SimpleCommand]:
    """Every simple command in `script`, including those inside `$(...)`, flattened."""
    tokens = lex(script)
    out: list[SimpleCommand] = []
    cur: list[Word | Redir] = []

    def flush() -> None:
        if cur:
            out.extend(_to_commands(cur))
        cur.clear()

    for t in tokens:
        if isinstance(t, Op):
            flush()
        else:
            cur.append(t)
    flush()
    return out


def _to_commands(items: list[Word | Redir]) -> list[SimpleCommand]:
    words: list[Word] = []
    redirs: list[tuple[Redir, Word | None]] = []
    nested: list[SimpleCommand] = []
    i = 0
    while i < len(items):
        t = items[i]
        if isinstance(t, Redir):
            target = items[i + 1] if i + 1 < len(items) and isinstance(items[i + 1], Word) else None
            redirs.append((t, target))  # type: ignore[arg-type]
            if target is not None:
                for sub in target.subs:
                    nested.extend(simple_commands(sub))
            i += 2
            continue
        for sub in t.subs:
            nested.extend(simple_commands(sub))
        words.append(t)
        i += 1
    # keywords in command position, then `for NAME in ...` and leading assignments
    while words and not words[0].quoted and words[0].text in _RESERVED_SKIP:
        words.pop(0)
    if words and not words[0].quoted and words[0].text == "for":
        # `for NAME in ...` assigns NAME like `NAME=...` does (`for PATH in /tmp` would too)
        var = [Word(words[1].text + "=", dynamic=True)] if len(words) > 1 else []
        return nested + [SimpleCommand([], redirs, var)]
    assigns: list[Word] = []
    while words and _is_assignment(words[0]):
        assigns.append(words.pop(0))
    if words and not words[0].quoted and words[0].text in _RESERVED_BAD:
        raise Unsupported(f"shell construct {words[0].text!r}")
    return nested + [SimpleCommand(words, redirs, assigns)]


def _is_assignment(w: Word) -> bool:
    name, eq, _ = w.text.partition("=")
    return bool(eq) and name.isidentifier() and not w.text.startswith("=")


# -- the allowlist: readonly.yaml ------------------------------------------------------------
# the commands a script may run at all (their argv shapes are in the table)
ALLOWLIST: frozenset[str] = frozenset(table().commands)


@dataclass(frozen=True, slots=True)
class Violation:
    command: str
    reason: str

    def __str__(self) -> str:
        return f"`{self.command}`: {self.reason}"


def check_command(cmd: SimpleCommand) -> list[Violation]:
    problems: list[Violation] = []
    shown = str(cmd) or "(redirection only)"
    for red, target in cmd.redirs:
        t = target.text if target is not None else ""
        if red.op in (">", ">>", ">|", "&>", "&>>"):
            if t != "/dev/null" or (target is not None and target.dynamic):
                problems.append(Violation(shown, f"redirection {red.fd}{red.op} {t} writes a file"))
        elif red.op in (">&", "<&"):
            if not t.isdigit() and t != "-":
                problems.append(Violation(shown, f"redirection {red.fd}{red.op}{t} is not a descriptor"))
        elif red.op == "<":
            if target is None:
                problems.append(Violation(shown, "input redirection without a file"))
    tab = table()
    if cmd.assigns and cmd.words:
        return problems + [Violation(shown, f"{cmd.assigns[0].text.partition('=')[0]}=... before a command "
                                            "puts it in the command's environment")]
    for a in cmd.assigns:
        name = a.text.partition("=")[0]
        if a.text not in tab.exact_assignments and not tab.local_name.fullmatch(name):
            problems.append(Violation(shown, f"assigning {name} is not allowed (only the scripts' own "
                                             "lower-case variables)"))
    words = list(cmd.words)
    while words:
        w = words[0]
        if w.dynamic:
            problems.append(Violation(shown, f"the command name {w.text!r} is computed"))
            return problems
        name = w.text
        base = name.rsplit("/", 1)[-1]
        if "/" in name and name.rsplit("/", 1)[0] not in tab.paths:
            problems.append(Violation(shown, f"{name!r} is not a system command (not in {', '.join(tab.paths)})"))
            return problems
        if not base:
            problems.append(Violation(shown, f"{name!r} is not a command name"))
            return problems
        wrapper = tab.wrappers.get(base)
        if wrapper is not None:
            why, used = match(wrapper, words[1:], base, wrapper=True)
            if why:
                problems.append(Violation(shown, why))
                return problems
            words = words[1 + used:]
            continue
        shape = tab.commands.get(base)
        if shape is None:
            problems.append(Violation(shown, f"{base} is not on the read-only allowlist"))
        else:
            why, _ = match(shape, words[1:], base)
            if why:
                problems.append(Violation(shown, why))
        break
    return problems


def check_script(script: str) -> list[Violation]:
    """Every reason `script` is not provably read-only (empty: it is)."""
    try:
        cmds = simple_commands(script)
    except Unsupported as exc:
        return [Violation(script.strip().splitlines()[0][:80] if script.strip() else script, str(exc))]
    out: list[Violation] = []
    for c in cmds:
        out.extend(check_command(c))
    return out


def executables(script: str) -> list[str]:
    """The command names a script runs (for docs and tests); wrappers are looked through."""
    tab = table()
    names = []
    for c in simple_commands(script):
        words = list(c.words)
        while words and words[0].text in tab.wrappers:
            _, used = match(tab.wrappers[words[0].text], words[1:], words[0].text, wrapper=True)
            words = words[1 + used:]
        if words:
            names.append(words[0].text.rsplit("/", 1)[-1])
    return names
