"""Read-only, provably: every shell script the collector runs is checked against one allowlist.

The collector only runs scripts built by `collect/plan.py` from the declared specs. Each script is
lexed here (quotes, `$(...)`, `;`, `&&`, `||`, pipes, redirections, `if`/`for` keywords) and
every simple command in it must be an executable on `ALLOWLIST`, used in a read-only way
(`pvecm status`, never `pvecm expected 1`; `systemctl show`, never `systemctl restart`;
`sysctl -a`, never `sysctl -w`). A redirection may only write to `/dev/null` or duplicate a file
descriptor (`2>&1`). Anything the lexer does not understand (backquotes, here-documents, `case`,
`eval`, a command name built from a variable) is refused rather than guessed at.

The plan refuses a spec whose script fails this check (the refusal is recorded in the manifest),
and `tests/test_collect_readonly.py` fails the build for it, so a new spec with a writing command
can neither slip into a release nor run on a node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


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
        k = s.find("}", i)
        if k < 0:
            raise Unsupported("unterminated ${")
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

    @property
    def argv(self) -> list[str]:
        return [w.text for w in self.words]

    def __str__(self) -> str:
        return " ".join(self.argv)


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
        return nested + ([SimpleCommand([], redirs)] if redirs else [])
    while words and _is_assignment(words[0]):
        words.pop(0)
    if words and not words[0].quoted and words[0].text in _RESERVED_BAD:
        raise Unsupported(f"shell construct {words[0].text!r}")
    return nested + [SimpleCommand(words, redirs)]


def _is_assignment(w: Word) -> bool:
    name, eq, _ = w.text.partition("=")
    return bool(eq) and name.isidentifier() and not w.text.startswith("=")


# -- the allowlist --------------------------------------------------------------------------
Check = Callable[[list[str]], "str | None"]


def _any(args: list[str]) -> str | None:
    return None


def _verbs(*allowed: str, value_options: tuple[str, ...] = ()) -> Check:
    """The first non-option argument (the verb) must be one of `allowed`."""

    def check(args: list[str]) -> str | None:
        i = 0
        while i < len(args):
            a = args[i]
            if a in value_options:
                i += 2
                continue
            if a.startswith("-"):
                i += 1
                continue
            return None if a in allowed else f"verb {a!r} is not one of {', '.join(allowed)}"
        return None if "" in allowed else f"needs one of {', '.join(allowed)}"

    return check


def _letters(allowed: str) -> Check:
    """Only short options whose letters are all in `allowed` (`-s`, `-siH`), no operands."""

    def check(args: list[str]) -> str | None:
        for a in args:
            if not a.startswith("-") or a.startswith("--") or len(a) < 2:
                return f"argument {a!r} is not allowed"
            bad = [ch for ch in a[1:] if ch not in allowed]
            if bad:
                return f"option -{''.join(bad)} is not read-only or not known"
        return None

    return check


def _forbid(*flags: str, no_assign: bool = False, no_operands: bool = False) -> Check:
    def check(args: list[str]) -> str | None:
        for a in args:
            if a in flags or any(a.startswith(f + "=") for f in flags if f.startswith("--")):
                return f"option {a} writes"
            if no_assign and "=" in a and not a.startswith("-"):
                return f"{a!r} would set a value"
            if no_operands and not a.startswith("-"):
                return f"operand {a!r} would change something"
        return None

    return check


def _exactly(*allowed_argvs: tuple[str, ...]) -> Check:
    def check(args: list[str]) -> str | None:
        return None if tuple(args) in allowed_argvs else f"arguments {' '.join(args)!r} are not allowed"

    return check


def _command_builtin(args: list[str]) -> str | None:
    return None if args[:1] == ["-v"] and len(args) == 2 else "`command` only as `command -v NAME`"


def _export(args: list[str]) -> str | None:
    for a in args:
        name = a.partition("=")[0]
        if not name.isidentifier():
            return f"export {a!r}"
    return None


def _ip(args: list[str]) -> str | None:
    objects = {"addr", "address", "a", "link", "l", "route", "r", "ro", "neigh", "neighbour", "n",
               "rule", "ru", "maddr", "netconf"}
    writes = {"add", "a", "del", "delete", "change", "chg", "replace", "set", "flush", "save",
              "restore", "append", "prepend", "test", "exec"}
    rest = [a for a in args if not a.startswith("-")]
    if not rest:
        return "needs an object (addr, link, route, ...)"
    if rest[0] not in objects:
        return f"object {rest[0]!r} is not allowed"
    if any(a in writes for a in rest[1:]):
        return "only show/list is read-only"
    if rest[1:2] and rest[1] not in ("show", "list", "sh", "ls", "lst", "get", "dev"):
        return f"{rest[1]!r} is not show/list"
    return None


def _dpkg(args: list[str]) -> str | None:
    ok = {"-l", "--list", "-s", "--status", "-L", "--listfiles", "--print-architecture",
          "--get-selections", "-S", "--search", "--audit", "-C"}
    if not args or args[0] not in ok:
        return "only dpkg -l/-s/-L/-S/--get-selections"
    return None


def _dpkg_query(args: list[str]) -> str | None:
    return None if any(a in ("-l", "--list", "-W", "--show", "-s", "--status", "-L", "--listfiles",
                             "-S", "--search", "-f", "--showformat") or a.startswith("--showformat=")
                       or a.startswith("-f") for a in args[:1]) else "only dpkg-query -l/-W/-s/-L/-S"


def _hostname(args: list[str]) -> str | None:
    for a in args:
        if not a.startswith("-"):
            return "hostname NAME would set the host name"
        if a in ("-F", "--file", "-b", "--boot"):
            return f"hostname {a} sets the host name"
    return None


def _sshd(args: list[str]) -> str | None:
    if "-T" not in args:
        return "sshd only with -T (print the effective config)"
    i = 0
    while i < len(args):
        if args[i] in ("-f", "-C"):
            i += 2
            continue
        if args[i] != "-T":
            return f"sshd option {args[i]!r} is not allowed"
        i += 1
    return None


def _passwd(args: list[str]) -> str | None:
    if not args or args[0] not in ("-S", "--status"):
        return "passwd only with -S (status)"
    return None if all(a in ("-a", "--all") or not a.startswith("-") for a in args[1:]) else "passwd -S only"


def _date(args: list[str]) -> str | None:
    return _forbid("-s", "--set")(args) or (
        None if all(a.startswith(("-", "+")) for a in args) else "date MMDDhhmm would set the clock")


def _tail(args: list[str]) -> str | None:
    return _forbid("-f", "-F", "--follow", "--retry")(args)


def _journalctl(args: list[str]) -> str | None:
    return _forbid("-f", "--follow", "--vacuum-size", "--vacuum-time", "--vacuum-files", "--rotate",
                   "--flush", "--sync", "--relinquish-var", "--smart-relinquish-var", "--setup-keys",
                   "--update-catalog", "--new-id128", "--cursor-file")(args)


_KUBECTL_VALUE_OPTS = ("-n", "--namespace", "-o", "--output", "--kubeconfig", "--context", "-l",
                       "--selector", "--request-timeout", "--cluster", "--user", "-f", "--field-selector")

# executable -> check of its arguments (None = read-only as used). Shell builtins included.
ALLOWLIST: dict[str, Check] = {
    # shell builtins and plumbing used by the plan's guards and loops
    "test": _any, "[": _any, "echo": _any, "printf": _any, "true": _any, "false": _any, ":": _any,
    "exit": _any, "break": _any, "continue": _any, "command": _command_builtin, "export": _export,
    "set": lambda a: None if a[:1] == ["--"] else "`set` only as `set -- ARGS` (positional parameters)",
    # file and system readers
    "cat": _any, "ls": _any, "stat": _any, "df": _any, "findmnt": _any, "head": _any, "tail": _tail,
    "wc": _any, "grep": _any, "uname": _any, "hostname": _hostname, "id": _any, "date": _date,
    "lsblk": _any, "xfs_info": _any, "uptime": _any, "nproc": _any, "readlink": _any,
    "realpath": _any, "tac": _any, "sleep": _any,
    # Proxmox VE and corosync
    "pvecm": _verbs("status", "nodes"),
    "corosync-quorumtool": _letters("sliHpaV"),
    "corosync-cfgtool": _letters("sna"),
    "ha-manager": _verbs("status"),
    "pvesr": _verbs("status"),
    "pvesm": _verbs("status"),
    "pveversion": _forbid(no_operands=True),
    # services, logs, storage, network, packages, time, auth
    "systemctl": _verbs("show", "is-active", "is-enabled", "is-failed", "status", "list-units",
                        "list-unit-files", "list-timers", "cat"),
    "journalctl": _journalctl,
    "lvs": _any, "vgs": _any, "pvs": _any,
    "zfs": _verbs("list", "get"),
    "zpool": _verbs("status", "list", "get"),
    "ip": _ip,
    "sysctl": _forbid("-w", "--write", "-p", "--load", "--system", "-f", no_assign=True),
    "dpkg": _dpkg, "dpkg-query": _dpkg_query,
    "chronyc": _verbs("sources", "sourcestats", "tracking", "activity", "ntpdata", "serverstats"),
    "sshd": _sshd, "passwd": _passwd,
    "timedatectl": _verbs("show", "status"),
    # containers and Kubernetes
    "docker": _verbs("info", "version", "ps", "inspect", "images"),
    "crictl": _verbs("info", "ps", "pods", "images", "inspect", "inspectp", "version", "stats"),
    "kubectl": _verbs("get", "version", "describe", "cluster-info", "top", "api-resources",
                      "api-versions", value_options=_KUBECTL_VALUE_OPTS),
    "calicoctl": _verbs("get", "version"),
}

# wrappers whose operand is itself a command to check
_WRAPPERS = {"timeout", "exec"}


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
    words = list(cmd.words)
    while words:
        w = words[0]
        if w.dynamic:
            problems.append(Violation(shown, f"the command name {w.text!r} is computed"))
            return problems
        name = w.text
        base = name.rsplit("/", 1)[-1] if name.startswith("/") else name
        if "/" in base or not base:
            problems.append(Violation(shown, f"{name!r} is not a plain command name"))
            return problems
        args = [a.text for a in words[1:]]
        if base in _WRAPPERS:
            rest = words[1:]
            if base == "timeout":  # timeout [-s SIG] [-k DUR] [--preserve-status] DURATION COMMAND...
                while rest and rest[0].text.startswith("-"):
                    takes = rest[0].text in ("-s", "--signal", "-k", "--kill-after")
                    rest = rest[2:] if takes else rest[1:]
                rest = rest[1:]
            words = rest
            continue
        check = ALLOWLIST.get(base)
        if check is None:
            problems.append(Violation(shown, f"{base} is not on the read-only allowlist"))
        else:
            why = check(args)
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
    names = []
    for c in simple_commands(script):
        words = [w.text for w in c.words]
        while words and words[0] in _WRAPPERS:
            head, words = words[0], words[1:]
            if head == "timeout":
                while words and words[0].startswith("-"):
                    words = words[2:] if words[0] in ("-s", "--signal", "-k", "--kill-after") else words[1:]
                words = words[1:]
        if words:
            names.append(words[0].rsplit("/", 1)[-1])
    return names
