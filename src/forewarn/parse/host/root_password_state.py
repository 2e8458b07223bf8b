"""Whether an account's password is empty, locked or set: `passwd -S root`. Only that fact.

    root P 2026-11-22 0 99999 7 -1
    root NP 2025-05-20 0 99999 7 -1
    root L 01/01/2024 0 99999 7 -1
    root PS 2015-09-20 0 99999 7 -1 (Password set, SHA512 crypt.)

Debian's `passwd -S` prints `P` (usable password), `NP` (no password: the field is empty, a login
needs none), `L` (locked: the field starts with `!` or `*`); Red Hat's prints `PS`, `NP`, `LK`
with a note in brackets. The date is YYYY-MM-DD on current systems, MM/DD/YYYY on older ones.

A line of /etc/shadow (`root::19000:0:99999:7:::`) is understood too, but only its state is
kept: the parser never stores or repeats the password field, and refuses to echo any line that
carries something that looks like a hash (`$6$...`, `$y$...`, 13 DES characters), not even in a
parse problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_STATUS = lazy_compile(r"^(?P<user>[a-z_][a-z0-9_.\-]*\$?) (?P<code>P|PS|NP|L|LK)(?: (?P<changed>\S+))?(?: .*)?$")
_SHADOW = lazy_compile(r"^(?P<user>[a-z_][a-z0-9_.\-]*\$?):(?P<field>[^:]*):(?P<rest>[^\n]*)$")
# Anything that looks like a crypt(3) hash or part of one.
_HASHY = lazy_compile(r"\$[0-9a-z]{1,3}\$|\$[0-9a-z]{1,3}\$[^\s:]*|(?<![A-Za-z0-9./])[A-Za-z0-9./]{13,}(?![A-Za-z0-9./])")
_STATES = {"P": "set", "PS": "set", "NP": "empty", "L": "locked", "LK": "locked"}


@dataclass(frozen=True, slots=True)
class PasswordStatus:
    user: str
    state: str  # "empty" | "locked" | "set"
    code: str  # as printed by passwd -S ("NP"), or "shadow" for a shadow line
    changed: str | None  # date of the last change as printed (None for a shadow line)
    line: int


@dataclass(slots=True)
class PasswordStates:
    accounts: list[PasswordStatus] = field(default_factory=list)

    def get(self, user: str = "root") -> PasswordStatus | None:
        return next((a for a in self.accounts if a.user == user), None)

    @property
    def root(self) -> PasswordStatus | None:
        return self.get("root")


def looks_like_hash(text: str) -> bool:
    """True when `text` carries something that may be a password hash (never print such text)."""
    return bool(_HASHY.search(text))


def _shadow_state(pw: str) -> str:
    if pw == "":
        return "empty"
    if pw[0] in "!*":
        return "locked"
    return "set"


ROOT_PASSWORD_STATE = Key("host.root_password_state", PasswordStates)


@parser("host.root_password_state")
def parse_root_password_state(text: str) -> Parsed[PasswordStates]:
    """Parse `passwd -S root` (or `passwd -S -a`); a shadow line gives its state only.

    >>> r = parse_root_password_state("root NP 2025-05-20 0 99999 7 -1\\n")
    >>> a = r.value.root
    >>> (a.state, a.code, a.changed, a.line, r.problems)
    ('empty', 'NP', '2025-05-20', 1, [])
    >>> r = parse_root_password_state("root:$6$saltsalt$" + "x" * 86 + ":19000:0:99999:7:::\\n")
    >>> (r.value.root.state, r.value.root.code, "$6$" in repr(r))
    ('set', 'shadow', False)
    """
    out = PasswordStates()
    problems: list[ParseProblem] = []
    shadow_lines = 0
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        m = _STATUS.match(line)
        if m:
            out.accounts.append(PasswordStatus(m.group("user"), _STATES[m.group("code")], m.group("code"),
                                               m.group("changed"), no))
            continue
        s = _SHADOW.match(line)
        if s and s.group("rest").count(":") >= 5:
            shadow_lines += 1
            out.accounts.append(PasswordStatus(s.group("user"), _shadow_state(s.group("field")), "shadow", None, no))
            continue
        # never echo a line that may carry a hash
        shown = None if looks_like_hash(raw) or ":" in raw else raw
        problems.append(ParseProblem("not a `passwd -S` line" + (" (line withheld: it may hold a hash)" if shown is None else ""),
                                     no, shown))
    if shadow_lines:
        problems.insert(0, ParseProblem(f"{shadow_lines} /etc/shadow line(s) given: only whether each password is "
                                        "empty, locked or set was kept; collect `passwd -S root` instead"))
    if not out.accounts:
        return Parsed(None, [ParseProblem("no `passwd -S` line found")] + problems[:5])
    return Parsed(out, problems)
