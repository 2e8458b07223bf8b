"""Where a secret value ends, in each syntax the redactor meets (a helper of `redact.py`).

A value runs to its format's own delimiter, never to a guessed one:

- a quoted value (`"…"`, `'…'`, or JSON-escaped inside a JSON string, `\\"…\\"`) runs to its
  closing quote, backslash escapes respected, so `password="two words"` is masked whole;
- an unquoted value of a key that is itself inside a quoted string (systemd's
  `Environment="DB_PASS=two words"`, Docker's `"Env": ["DB_PASS=x y"]`) runs to that string's
  closing quote;
- the value of a key that starts a configuration line runs to the end of the line (ini, oslo,
  YAML, PVE configs: `pass=abc;X` is one value);
- an unquoted value inside a line of text (a log line, a command line) runs to the next blank;
  `;` and `&` are part of it (`pass=abc;X`, `password=abc&X`), only a closing `,;)}]` stays.

Which keys hold secrets is decided by name (`secret_name`), and a few values that are plainly
not secret (yes/no, a file path, an earlier mask) are left alone (`is_secret`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

_SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "token", "credential", "psk", "cookie",
                 "apikey", "api_key", "api-key", "privatekey", "private_key", "private-key")
_EXACT = {"auth", "client-key-data", "pass", "pwd", "pw", "authkey", "community", "psk",
          "identitytoken", "registrytoken", "bindpw", "rootpw"}
_PUBLIC_PARTS = {"public", "pub", "ssh", "host"}
_NOT_SECRET_VALUES = {"", "yes", "no", "true", "false", "on", "off", "none", "null", "~", "0", "1",
                      '""', "''", "******", "********", "xxxxx", "<hidden>", "|", ">", "{}", "[]",
                      "required", "optional", "disabled", "enabled"}
_PATH = re.compile(r"^/(?:[\w.@+\-]+/)+[\w.@+\-]*$")
MASKED = re.compile(r"^<redacted:[0-9a-f]+>$|^\*+$")
_STRONG = ("password", "passwd", "passphrase", "secret", "psk", "credential", "pass", "pwd")


@lru_cache(maxsize=4096)
def secret_name(name: str) -> bool:
    """Does a key of this name hold a secret? (`password`, `encryption-key`; not `sshkeys`)."""
    n = name.strip().strip("\"'\\").lstrip("-").lower()
    if not n:
        return False
    if n in _EXACT:
        return True
    if any(w in n for w in _SECRET_WORDS):
        # where a secret is, not the secret: a file, a path, a reference (`secretKeyRef`,
        # `secretName` of a Kubernetes Secret)
        return not n.endswith(("file", "_path", "-path", "ref", "name"))
    parts = [p for p in re.split(r"[_\-.]", n) if p]
    if parts and parts[-1] in ("key", "pass", "pwd", "pw", "authkey"):
        return not any(p in _PUBLIC_PARTS for p in parts[:-1])
    return False


def plain(value: str) -> bool:
    """A value that is obviously not a secret (and is left as is)."""
    v = value.strip().strip(",;").strip()
    q = v.strip("\"'")
    return v.lower() in _NOT_SECRET_VALUES or q.lower() in _NOT_SECRET_VALUES or bool(
        _PATH.match(q)) or bool(MASKED.match(q)) or q.startswith("<redacted:")


def is_secret(key: str, value: str) -> bool:
    """Mask `value` of `key`? Numbers under a `token` name are timeouts (corosync's
    `token: 3000`, `token_retransmits_before_loss_const`), not secrets; a numeric *password* is."""
    if not secret_name(key) or plain(value):
        return False
    v = value.strip().strip("\"'")
    if v.isdigit() and len(v) <= 10 and not any(w in key.lower() for w in _STRONG):
        return False
    return True


# -- quotes -------------------------------------------------------------------------------------
Quote = tuple[int, str]  # (backslashes before it: 0 plain, 1 inside a JSON string, ...), the quote


def quote_at(text: str, i: int) -> Quote | None:
    """The quote (with its escaping backslashes) that opens at text[i], or None."""
    j = i
    while j < len(text) and text[j] == "\\":
        j += 1
    if j < len(text) and text[j] in "\"'" and j - i <= 4:
        return j - i, text[j]
    return None


def closing(text: str, start: int, quote: Quote) -> int:
    """Where the string opened by `quote` ends (the index of its closing quote's first
    backslash), searching from `start`; -1 if it does not end on this line. At nesting level
    k the closer is the quote behind 2^k - 1 backslashes, modulo 2^(k+1) (escaped backslashes
    before it belong to the value)."""
    level, ch = quote
    period, want = 1 << (level + 1), (1 << level) - 1
    j = start
    while True:
        p = text.find(ch, j)
        if p < 0:
            return -1
        n, k = 0, p - 1
        while k >= start and text[k] == "\\":
            n, k = n + 1, k - 1
        if n % period == want and n >= level:
            if level == 0 and text.startswith(ch, p + 1) and p > start:
                j = p + 2  # a doubled quote is an escaped one (YAML 'it''s', CSV "a""b")
                continue
            return p - level
        j = p + 1


_BLANK = re.compile(r"\s")
_TRAILING = ",;)}]\"'\\"  # the end of what holds an unquoted value, not part of it


def value_span(text: str, i: int, *, inside: Quote | None = None, to_eol: bool = False) -> tuple[int, int, int]:
    """(start, end) of the value that begins at text[i] without its quotes, and where the
    value's syntax ends (after a closing quote). `inside`: the key sits in a string opened by
    that quote; `to_eol`: an unquoted value runs to the end of the line."""
    q = quote_at(text, i)
    if q is not None:
        s = i + q[0] + 1
        c = closing(text, s, q)
        if c < 0:  # not closed on this line: all of the rest is value
            e = len(text.rstrip())
            return s, e, e
        return s, c, c + q[0] + 1
    if inside is not None:
        c = closing(text, i, inside)
        e = c if c >= 0 else len(text.rstrip())
        return i, e, e
    if to_eol:
        e = len(text.rstrip())
        return i, e, e
    m = _BLANK.search(text, i)
    e = m.start() if m else len(text)
    while e > i + 1 and text[e - 1] in _TRAILING:
        e -= 1
    return i, e, e


# -- keys anywhere in a line --------------------------------------------------------------------
# `key=v`, `key: v`, `key:v`, `"key": v`, `\"key\":\"v\"`, `'key' => 'v'`, `--key=v`; a key may
# also start inside a quoted string (`"DB_PASS=v"`), whose quote then ends an unquoted value
_KEY = re.compile(r"(?<![\w.\-\\])(?P<open>\\{0,3}[\"'])?(?P<key>--?[A-Za-z][\w.\-]*|[A-Za-z_][\w.\-]*)"
                  r"(?P<close>(?P=open))?(?P<sep>\s*=>\s*|\s*[=:]\s*)")
_ENDS_SECRET = re.compile(r"(?i)(?:pass(?:word|wd|phrase)?|pwd|pw|secret|token|psk|credentials?|auth|"
                          r"(?:^|[_\-.])key)$")
_XML_ELEMENT = re.compile(r"<(?P<key>[A-Za-z_][\w.\-]*)>(?P<val>[^<]+)</(?P=key)>")
# `--key value`, PVE's single-dash `-cipassword value`
_FLAG = re.compile(r"(?<![\w\-])(?P<key>--[A-Za-z][\w\-]*|-[A-Za-z][\w\-]{2,})\s+(?=[^\s\-])")

Mask = Callable[[str], str]
IsSecret = Callable[[str, str], bool]


def mask_spans(text: str, spans: list[tuple[int, int]], mask: Mask) -> str:
    out, last = [], 0
    for s, e in sorted(spans):
        if s < last:
            continue
        out.append(text[last:s])
        out.append(mask(text[s:e]))
        last = e
    out.append(text[last:])
    return "".join(out)


# every secret name holds one of these (see `secret_name`); keys are looked for only around them
NAME_HINTS = ("pass", "pw", "secret", "token", "key", "auth", "psk", "credential", "communit", "cookie")
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def _key_starts(text: str, low: str, words: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where the keys that hold one of `words` start: (before an opening quote, at the key)."""
    starts = set()
    for w in words:
        p = low.find(w)
        while p >= 0:
            k = p
            while k > 0 and text[k - 1] in _KEY_CHARS:
                k -= 1
            j = k
            if j > 0 and text[j - 1] in "\"'":
                j -= 1
                while j > 0 and text[j - 1] == "\\" and k - j < 4:
                    j -= 1
            starts.add((j, k))
            p = low.find(w, p + len(w))
    return sorted(starts)


def keyed_values(text: str, secret: IsSecret, named: Callable[[str], bool] = secret_name,
                 start: int = 0, words: tuple[str, ...] = NAME_HINTS) -> list[tuple[int, int]]:
    """Spans of secret values of keys anywhere in `text` (from `start`): `key=v`, `key: v`,
    `"key": "v"`, `--key=v`, `--key v`, `-cipassword v`, a key inside a quoted string
    (`Environment="AWS_SECRET_ACCESS_KEY=…"`). Only keys holding one of `words` are looked at;
    `named(key)` says whether one may hold a secret, `secret(key, value)` decides."""
    low = text.lower()
    spans: list[tuple[int, int]] = []
    done = start
    for quoted, bare in _key_starts(text, low, words):
        if bare < done:
            continue
        m = _KEY.match(text, quoted) or (_KEY.match(text, bare) if bare != quoted else None)
        if m is not None:
            key, open_ = m.group("key"), m.group("open")
            if not named(key) or (m.group("sep") == ":" and not open_ and not _ENDS_SECRET.search(key)):
                # `name:value` without a blank is a package (`libsecret-1:amd64`) or a time,
                continue  # unless the name ends like a secret (`password:X`)
            if m.end() >= len(text):
                continue
            inside = quote_at(open_, 0) if open_ and not m.group("close") else None
            s, e, end = value_span(text, m.end(), inside=inside)
            if e > s and secret(key, text[s:e]):
                spans.append((s, e))
                done = end
            continue
        x = _XML_ELEMENT.match(text, bare - 1) if bare and text[bare - 1] == "<" else None
        if x is not None and named(x.group("key")) and secret(x.group("key"), x.group("val")):
            spans.append(x.span("val"))
            done = x.end()
            continue
        f = _FLAG.match(text, bare)
        if f is not None and named(f.group("key")):
            s, e, end = value_span(text, f.end())
            if e > s and secret(f.group("key"), text[s:e]):
                spans.append((s, e))
                done = end
    return spans


# -- command lines whose password option has no telling name ------------------------------------
_MYSQL = re.compile(r"\b(?:mysql|mysqldump|mysqladmin|mysqlcheck|mysqlimport|mysqlshow|mysqlpump|mariadb"
                    r"|mariadb-dump|mariadb-admin|mariadb-check)\b")
_MYSQL_P = re.compile(r"(?<!\S)-p(?=[^\s])")
_SSHPASS = re.compile(r"\bsshpass\b(?:\s+-[^p\s]\S*(?:\s+[^-\s]\S*)?)*\s+-p\s*(?=\S)")
_USER_PASS = re.compile(r"\b(?:curl|wget|smbclient|rpcclient|smbcacls|net|mount\.cifs|lftp|ftp)\b")
_USER_OPT = re.compile(r"(?<!\S)(?:-u|-U|--user|--proxy-user|--http-user|--ftp-user)(?:=|\s*)(?=\S)")
_SHORT_PW = re.compile(r"\b(?:ldapsearch|ldapmodify|ldapadd|ldapdelete|ldapwhoami|ldappasswd|ldapcompare"
                       r"|redis-cli|ipmitool|sqlcmd)\b")
_SHORT_PW_OPT = re.compile(r"(?<!\S)(?:-w|-a|-P)\s*(?=[^\s\-])")
_CHPASSWD = re.compile(r"(?P<user>[\w.\-]+):(?P<pw>[^\s'\"]+)['\"]?\s*\|\s*(?:sudo\s+)?chpasswd\b")


COMMAND_HINTS = ("mysql", "maria", "sshpass", "curl", "wget", "smb", "rpcclient", "net ", "mount.cifs",
                 "ftp", "ldap", "redis-cli", "ipmitool", "sqlcmd", "chpasswd")


def command_values(text: str, low: str) -> list[tuple[int, int]]:
    """Passwords given to well-known programs by short options: `mysqldump -pX`, `sshpass -p X`,
    `curl -u admin:X`, `smbclient -U admin%X`, `ldapsearch -w X`, `echo 'root:X' | chpasswd`.
    `low`: the text in lower case (programs are looked for only where their names appear)."""
    if not any(h in low for h in COMMAND_HINTS):
        return []
    spans: list[tuple[int, int]] = []
    m = _MYSQL.search(text) if "mysql" in low or "maria" in low else None
    if m:
        for p in _MYSQL_P.finditer(text, m.end()):
            s, e, _ = value_span(text, p.end())
            spans.append((s, e))
    for m in (_SSHPASS.finditer(text) if "sshpass" in low else ()):
        s, e, _ = value_span(text, m.end())
        spans.append((s, e))
    m = _USER_PASS.search(text)
    if m:
        for u in _USER_OPT.finditer(text, m.end()):
            s, e, _ = value_span(text, u.end())
            cut = min((i for i in (text.find(":", s, e), text.find("%", s, e)) if i >= 0), default=-1)
            if cut >= 0 and cut + 1 < e:
                spans.append((cut + 1, e))
    m = _SHORT_PW.search(text)
    if m:
        for p in _SHORT_PW_OPT.finditer(text, m.end()):
            s, e, _ = value_span(text, p.end())
            spans.append((s, e))
    for m in (_CHPASSWD.finditer(text) if "chpasswd" in low else ()):
        spans.append(m.span("pw"))
    return [(s, e) for s, e in spans if e > s and not plain(text[s:e])]
