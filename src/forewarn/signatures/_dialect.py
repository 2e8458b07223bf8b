"""The regex dialect of signatures: what Python's `re`, RE2 and Hyperscan all read the same way.

A signature's regex is compiled as written by every matcher: Python (`re`, on the decoded line,
with re.ASCII), RE2 (Latin-1 bytes) and Hyperscan (bytes). For the three to agree on every line
(the engine's guarantee), a signature keeps to this dialect, checked when the knowledge base is
loaded and by the suite:

- printable ASCII only; a non-ASCII character is matched by `.`, `\\S` or a negated class;
- no anchors (`^`, `$`, `\\A`, `\\Z`): a signature matches the message wherever it sits in the
  line, whatever shape was unwrapped around it;
- groups are `(...)`, `(?:...)` and `(?P<name>...)`; no look-around, back-reference, atomic
  group, possessive quantifier or inline flag (case is the signature's `case:` field);
- an atom that can match a non-ASCII character (`.`, `\\S`, `\\W`, `\\D`, a negated class) is
  repeated without an upper bound (`*`, `+`, `{m,}`): a character is one unit to Python and
  several bytes to the byte matchers, so `.?` or a bare `.` could match in one and not the
  other; unbounded repeats match the same lines in both;
- `{` is always a quantifier (a literal brace is `\\{`), and the pattern cannot match an
  empty string.

From the same parse come the literals every match must contain (the pure-Python matcher and
the per-line prefilter look for them first) and the engine's form of the pattern (the edges
that can match nothing dropped: whether a line matches does not change, and a matcher reports
fewer end positions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_WIDE_ESC = set("DWS")  # can match a non-ASCII character
_CLASS_ESC = set("dwsDWS")


class DialectError(ValueError):
    """The regex uses something outside the common dialect."""


@dataclass
class Item:
    kind: str  # "lit" | "class" | "esc" | "any" | "assert" | "group"
    text: str  # the atom as written (a group: with its parentheses)
    quant: str = ""  # the quantifier as written ("" = exactly once)
    lo: int = 1
    hi: int | None = 1  # None: unbounded
    char: str = ""  # the character of a "lit"
    wide: bool = False  # the atom can match a non-ASCII character
    branches: list[list["Item"]] = field(default_factory=list)  # a group's alternatives
    head: str = ""  # a group's opening: "(", "(?:" or "(?P<name>"

    @property
    def min_width(self) -> int:
        if self.kind == "assert":
            return 0
        inner = min((_width(b) for b in self.branches), default=0) if self.kind == "group" else 1
        return self.lo * inner

    def source(self) -> str:
        return self.text + self.quant


def _width(seq: list[Item]) -> int:
    return sum(i.min_width for i in seq)


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0

    def error(self, what: str) -> DialectError:
        return DialectError(f"{what} at position {self.i} of {self.p!r}")

    def alternatives(self, depth: int) -> list[list[Item]]:
        branches: list[list[Item]] = [[]]
        while self.i < len(self.p):
            c = self.p[self.i]
            if c == ")":
                if depth == 0:
                    raise self.error("unbalanced ')'")
                return branches
            if c == "|":
                self.i += 1
                branches.append([])
                continue
            item = self.atom(depth)
            self.quantifier(item)
            branches[-1].append(item)
        if depth:
            raise self.error("unclosed group")
        return branches

    def atom(self, depth: int) -> Item:
        p, start = self.p, self.i
        c = p[start]
        if not (" " <= c <= "~"):
            raise self.error(f"character {c!r} outside printable ASCII")
        if c == "\\":
            return self.escape()
        if c == "[":
            return self.klass()
        if c == "(":
            return self.group(depth)
        if c in "^$":
            raise self.error(f"anchor {c!r}")
        if c in "*+?{":
            raise self.error(f"quantifier {c!r} with nothing to repeat")
        self.i += 1
        if c == ".":
            return Item("any", ".", wide=True)
        if c == "}" or c == "]":
            raise self.error(f"unescaped {c!r}")
        return Item("lit", c, char=c)

    def escape(self) -> Item:
        p = self.p
        if self.i + 1 >= len(p):
            raise self.error("trailing backslash")
        c = p[self.i + 1]
        self.i += 2
        if c in _CLASS_ESC:
            return Item("esc", "\\" + c, wide=c in _WIDE_ESC)
        if c in "bB":
            return Item("assert", "\\" + c)
        if c == "t":
            return Item("lit", "\\t", char="\t")
        if c == "x":
            hx = p[self.i:self.i + 2]
            if len(hx) < 2 or not all(h in "0123456789abcdefABCDEF" for h in hx):
                raise self.error("bad \\x escape")
            ch = chr(int(hx, 16))
            self.i += 2
            if ord(ch) >= 128 or ch in "\n\r":
                raise self.error("\\x escape outside ASCII or a line break")
            return Item("lit", "\\x" + hx, char=ch)
        if c.isalnum():
            raise self.error(f"escape \\{c} (back-references, anchors and line breaks are not in the dialect)")
        return Item("lit", "\\" + c, char=c)

    def klass(self) -> Item:
        p, start = self.p, self.i
        j = start + 1
        negated = j < len(p) and p[j] == "^"
        if negated:
            j += 1
        wide = negated
        first = True
        while True:
            if j >= len(p):
                raise self.error("unclosed character class")
            c = p[j]
            if c == "]" and not first:
                break
            if not (" " <= c <= "~"):
                raise self.error(f"character {c!r} outside printable ASCII in a class")
            if c == "[" and p[j + 1:j + 2] == ":":
                raise self.error("POSIX class (Python does not read them)")
            if c == "\\":
                e = p[j + 1:j + 2]
                if e == "S":
                    raise self.error("\\S inside a class (RE2 and Python disagree on it)")
                if e in ("D", "W"):
                    wide = True
                elif e.isalnum() and e not in "dwstx":
                    raise self.error(f"escape \\{e} inside a class")
                j += 4 if e == "x" else 2
            else:
                j += 1
            first = False
        self.i = j + 1
        return Item("class", p[start:j + 1], wide=wide)

    def group(self, depth: int) -> Item:
        p, start = self.p, self.i
        if p.startswith("(?:", start):
            head = "(?:"
        elif p.startswith("(?P<", start):
            m = re.match(r"\(\?P<([A-Za-z_][A-Za-z0-9_]*)>", p[start:])
            if not m:
                raise self.error("bad group name")
            head = m.group(0)
        elif p.startswith("(?", start):
            raise self.error("look-around, back-reference, atomic group or inline flag")
        else:
            head = "("
        self.i = start + len(head)
        branches = self.alternatives(depth + 1)
        self.i += 1  # the ')'
        return Item("group", p[start:self.i], branches=branches, head=head)

    def quantifier(self, item: Item) -> None:
        p, start = self.p, self.i
        if start >= len(p):
            return
        c = p[start]
        if c in "*+?":
            lo, hi = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
            j = start + 1
        elif c == "{":
            m = re.match(r"\{(\d+)(,(\d*))?\}", p[start:])
            if not m:
                raise self.error("'{' that is not a quantifier (write \\{)")
            lo = int(m.group(1))
            hi = lo if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
            j = start + m.end()
        else:
            return
        if item.kind == "assert":
            raise self.error("repeated assertion")
        if p[j:j + 1] == "?":
            j += 1
        elif p[j:j + 1] == "+":
            raise self.error("possessive quantifier")
        if p[j:j + 1] in ("*", "+", "?", "{") and p[j:j + 1]:
            raise self.error("quantifier on a quantifier")
        item.quant, item.lo, item.hi = p[start:j], lo, hi
        self.i = j


def parse(pattern: str) -> list[list[Item]]:
    """The pattern's top-level alternatives; raises DialectError outside the dialect."""
    if not pattern:
        raise DialectError("empty pattern")
    branches = _Parser(pattern).alternatives(0)
    for seq in branches:
        _check_wide(seq, pattern)
    if min(_width(b) for b in branches) == 0:
        raise DialectError(f"{pattern!r} can match an empty string")
    return branches


def _check_wide(seq: list[Item], pattern: str) -> None:
    for it in seq:
        if it.wide and it.hi is not None:
            raise DialectError(f"{it.source()!r} in {pattern!r}: an atom that can match a non-ASCII character "
                               "must be repeated without an upper bound (*, + or {m,})")
        for b in it.branches:
            _check_wide(b, pattern)


# -- literals ------------------------------------------------------------------------------------

def _runs(seq: list[Item], out: list[str], run: list[str]) -> list[str]:
    """Collect into `out` the runs of characters every match of `seq` contains contiguously;
    returns the run still open at the end of `seq`."""
    for it in seq:
        if it.kind == "assert":
            continue
        single = it.kind == "group" and len(it.branches) == 1
        if it.kind == "lit" and it.lo == it.hi:
            run.extend(it.char * it.lo)
        elif it.kind == "lit" and it.lo >= 1:
            run.append(it.char)  # x+ : the text before touches the first x, the text after the last
            out.append("".join(run))
            run = [it.char]
        elif single and it.quant == "":
            run = _runs(it.branches[0], out, run)
        elif single and it.lo >= 1:
            run = _runs(it.branches[0], out, run)
            out.append("".join(run))
            run = []
        else:
            out.append("".join(run))
            run = []
    return run


def literals(branches: list[list[Item]], *, fold: bool) -> tuple[str, ...]:
    """One literal per top-level alternative that every match of it contains (the longest such
    run of characters), lower-cased when `fold`. An alternative without one gives ""."""
    out: list[str] = []
    for seq in branches:
        found: list[str] = []
        found.append("".join(_runs(seq, found, [])))
        best = max(found, key=len)
        out.append(best.lower() if fold else best)
    return tuple(dict.fromkeys(out))


# -- the engine's form ---------------------------------------------------------------------------

def _trim(seq: list[Item], end: bool) -> list[Item]:
    seq = list(seq)
    idx = -1 if end else 0
    while seq and seq[idx].min_width == 0:
        seq.pop(idx)
    if not seq:
        return seq
    it = seq[idx]
    if it.kind == "group" and len(it.branches) == 1 and it.lo == it.hi == 1:
        inner = _trim(it.branches[0], end)
        seq[idx] = Item("group", it.head + "".join(x.source() for x in inner) + ")",
                        branches=[inner], head=it.head)
    elif it.hi is None and it.lo >= 1:  # x+ at an edge: one x is there whenever more are
        seq[idx] = Item(it.kind, it.text, "" if it.lo == 1 else f"{{{it.lo}}}", it.lo, it.lo,
                        it.char, it.wide, it.branches, it.head)
    return seq


def _in_line(seq: list[Item]) -> str:
    """The sequence's source, every negated class kept inside one line (`[^']` -> `[^\\n\\r']`):
    the matchers run over blocks of many lines, and a class that could cross a line break would
    keep partial matches alive from line to line (RE2's DFA grows, Hyperscan reports more)."""
    out = []
    for it in seq:
        if it.kind == "class" and it.text.startswith("[^"):
            out.append("[^\\n\\r" + it.text[2:] + it.quant)
        elif it.kind == "group":
            inner = "|".join(_in_line(b) for b in it.branches)
            out.append(it.head + inner + ")" + it.quant)
        else:
            out.append(it.source())
    return "".join(out)


def _from_anchor(seq: list[Item], at_least: int = 4) -> list[Item]:
    """`seq` from its first run of `at_least` literal characters on (the whole of it if it has
    none at its top level). Whatever comes before the run only narrows the lines a pattern
    matches; a matcher looking for a short or case-folded prefix (`(CT|VM) `) first pays for
    it on every line, while the literal run is what it finds fast."""
    run = 0
    for i, it in enumerate(seq):
        if it.kind == "lit" and it.quant == "":
            run += 1
            if run >= at_least:
                return seq[i - run + 1:]
        else:
            run = 0
    return seq


def engine_form(branches: list[list[Item]]) -> str:
    """The pattern the byte matchers run: each alternative with its edges that can match
    nothing dropped, an unbounded repeat at an edge cut to its minimum and negated classes kept
    inside a line, each alternative starting at its first literal run (see `_from_anchor`). It
    matches somewhere in every line the signature matches (a few more lines, at most, which the
    reader then rechecks with the signature itself).

    >>> print(engine_form(parse(r"lost lock '(?P<lock>[^' ]+)'?(?: - (?P<err>.*))?")))
    lost lock '(?P<lock>[^\\n\\r' ])
    """
    parts = [_in_line(_trim(_trim(_from_anchor(seq), True), False)) for seq in branches]
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


_RE2_SPACE = re.compile(r"(\\\\)|(\[(?:\\.|[^\]\\])*\])|\\s|\\S")


def re2_form(pattern: str) -> str:
    r"""RE2's `\s` leaves out the vertical tab that Python and Hyperscan include: spell it out.

    >>> re2_form(r"a\s+b[^\s']+\S+\\s")
    "a[\\s\\x0b]+b[^\\s\\x0b']+[^\\s\\x0b]+\\\\s"
    """
    def sub(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(1)
        if m.group(2):
            return m.group(2).replace("\\s", "\\s\\x0b")
        return "[\\s\\x0b]" if m.group(0) == "\\s" else "[^\\s\\x0b]"

    return _RE2_SPACE.sub(sub, pattern)
