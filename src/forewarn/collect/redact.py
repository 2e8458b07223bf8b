"""Redaction: secrets are masked in memory, before anything reaches disk or the screen.

Two layers:

1. **Never collected.** Paths that hold nothing but secrets are never read, whatever a spec's
   glob expands to: corosync's `authkey`, `/etc/pve/priv/` (storage passwords, tokens, the
   cluster's private keys), `*.key`, SSH host and user private keys, `/etc/shadow` and
   `/etc/gshadow`, Ceph keyrings. The plan refuses them and the manifest lists them as skipped;
   a path is resolved on the node before it is read and the list applies to where it leads.
2. **Masked in text.** Every artifact (files, command output, logs, error text) goes through
   `Redactor.redact`, which keeps the structure so parsers still work: a key stays, its value
   becomes `<redacted:1a2b3c4d>`:

   - PEM private key blocks (`-----BEGIN ... PRIVATE KEY-----` ... `-----END ...`): the BEGIN
     and END lines stay, the body becomes one masked line (certificates are kept);
   - password hashes in shadow-style lines (`user:$6$...:19000:0:99999:7:::`);
   - values of secret-looking keys in every common syntax: `key = value` (ini, oslo, sysctl,
     env), `key: value` and `key:value` (YAML, PVE guest configs), `<tab>key value` (PVE section
     configs such as storage.cfg, ifupdown's `wpa-psk`), `"key": "value"` and `\\"key\\":\\"value\\"`
     (JSON, and JSON inside docker's JSON logs), `'key' => 'value'` (Perl), `<key>value</key>`,
     `--key=value` / `--key value` / PVE's `-cipassword value` (command lines), a key inside a
     quoted string (systemd's `Environment="AWS_SECRET_ACCESS_KEY=…"`): names containing
     password, passwd, passphrase, secret, token, credential, cookie, psk, or ending in `key`
     (`encryption-key`, `secret_key`, not `sshkeys` or `public_key`), plus `auth`,
     `client-key-data` (kubeconfig). Each value is masked whole, up to its format's own end
     (`redact_syntax.py`): a quoted value to its closing quote (escapes respected), a YAML block
     scalar (`x_password: |`) to its last deeper line, a config line's value to the line's end;
   - Kubernetes `env` items whose `name` is secret-looking: their `value`;
   - every `lxc.environment` value, and a PVE guest's notes (its `#` lines and `description:`,
     also `-description` in task logs): the owner's words, not evidence;
   - passwords of well-known programs' short options: `mysqldump -pX`, `sshpass -p X`,
     `curl -u admin:X`, `smbclient -U admin%X`, `ldapsearch -w X`, `echo 'root:X' | chpasswd`;
   - passwords in URLs (`rabbit://openstack:PASSWORD@host`, `mysql+pymysql://nova:PASSWORD@db`);
   - `Authorization:` headers and `Bearer` tokens;
   - Kolla `passwords.yml`: every value, whatever its key.

A secret inside free prose ("the token is X") is the one shape that is not found.

The mask is a keyed hash (HMAC-SHA256 with a random key that lives only for one collection):
within one bundle equal secrets get equal masks (so "the PBS password differs between nodes"
stays visible), but a mask cannot be checked against guesses offline. Values that are plainly not
secret (empty, yes/no/true/false/on/off, an absolute file path) are left alone.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import os
import posixpath
import re
from dataclasses import dataclass

from forewarn.collect.redact_syntax import (COMMAND_HINTS, MASKED, NAME_HINTS, command_values, is_secret,
                                            keyed_values, mask_spans, plain, secret_name, value_span)

__all__ = ["NEVER_COLLECT", "Redacted", "Redactor", "never_collect", "secret_name"]

# -- never collected --------------------------------------------------------------------------
NEVER_COLLECT: tuple[tuple[str, str], ...] = (
    ("*/authkey", "corosync authkey (binary secret)"),
    ("*/authkey.key", "Proxmox VE auth private key"),
    ("*.key", "private key file"),
    ("*.pw", "password file"),
    ("*.keyring", "Ceph keyring"),
    ("*/ssh_host_*_key", "SSH host private key"),
    ("*/.ssh/id_*", "SSH private key"),
    ("/etc/shadow", "password hashes"),
    ("/etc/shadow-", "password hashes"),
    ("/etc/gshadow", "password hashes"),
    ("/etc/gshadow-", "password hashes"),
    ("*/secrets/*", "secrets directory"),
)
_PUBLIC_OK = ("*.pub",)


def never_collect(path: str) -> str | None:
    """Why `path` (a path on the node) must never be read, or None if it may be."""
    p = posixpath.normpath(path) if path else path
    if p == "/etc/pve/priv" or p.startswith("/etc/pve/priv/"):
        return "Proxmox VE private area (keys, storage passwords, tokens)"
    if any(fnmatch.fnmatchcase(p, g) for g in _PUBLIC_OK):
        return None
    for pattern, why in NEVER_COLLECT:
        if fnmatch.fnmatchcase(p, pattern):
            return why
    return None


# -- masking ----------------------------------------------------------------------------------
_PEM_BEGIN = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----")
_PEM_INLINE = re.compile(r"(-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----)(.*?)"
                         r"(-----END \2PRIVATE KEY(?: BLOCK)?-----|$)")
_SHADOW = re.compile(r"^([^:\s]+):(\$[0-9a-zA-Z]+\$[^:\s]+|[A-Za-z0-9./]{13}):([\d:]*)$")
_URL_PASS = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@'\"]*:)([^@\s/'\"]+)(@)")
_AUTH_HEADER = re.compile(r"(?i)(\b(?:proxy-)?authorization\s*[:=]\s*[\"']?(?:(?:basic|bearer|negotiate|digest|token|"
                          r"sharedkey|aws4-hmac-sha256)\s+)?)([^\s\"',;]+)")
_BEARER = re.compile(r"(?i)(\bbearer\s+)([A-Za-z0-9\-._~+/]{8,}=*)")
# a key at the start of a line: `key = v`, `key: v`, `<ws>key v`, `export KEY=v`, `- key: v`,
# `'key' => v`; its value runs to the end of the line unless it is quoted
_LINE_KEY = re.compile(
    r"^(?P<lead>\s*(?:[#;]\s*)?(?:export\s+|-\s+)?)(?P<q>[\"']?)(?P<key>--?[A-Za-z][\w.\-]*|[A-Za-z_][\w.\-]*)(?P=q)"
    r"(?P<sep>\s*=>\s*|\s*[:=]\s*|\s+)(?P<val>\S.*?)\s*$")
_BLOCK_SCALAR = re.compile(r"^[|>][+\-]?[1-9]?[+\-]?\s*(?:#.*)?$")
# Kubernetes `env:` items: `- name: DB_PASSWORD` then `value: …` (YAML or pretty JSON), or both
# on one line (`{"name":"DB_PASSWORD","value":"…"}`)
_ENV_NAME = re.compile(r"^(?P<lead>\s*(?:-\s+)?)(?P<q>[\"']?)name(?P=q)\s*:\s*(?P<nq>[\"']?)(?P<name>[^\"'\s,]+)(?P=nq)\s*,?\s*$")
_ENV_VALUE = re.compile(r"^(?P<lead>\s*)(?P<q>[\"']?)value(?P=q)\s*:\s*(?=\S)")
_ENV_PAIR = re.compile(r"(?P<q>\\{0,3}[\"']?)name(?P=q)\s*[:=]\s*(?P<nq>\\{0,3}[\"']?)(?P<name>[\w.\-]+)(?P=nq)\s*,\s*"
                       r"(?P<q2>\\{0,3}[\"']?)value(?P=q2)\s*[:=]\s*(?=\S)")
# a guest's notes: `#` lines of a PVE guest config, and its `description:`
_GUEST_CONF = re.compile(r"/(?:qemu-server|lxc|openvz)/[^/]+\.conf$")
_TASK_LOG = re.compile(r"/var/log/pve/tasks/")
# a quick look before the per-line work (in lower case; `in` tests are far cheaper than a
# case-blind regex): a line with none of these holds no secret the per-line rules can find
_HINTS = (*NAME_HINTS, *COMMAND_HINTS, "://", "bearer", "environment")


@dataclass(slots=True)
class Redacted:
    data: bytes
    count: int


class _Pending:
    """Multi-line state: a YAML block scalar under a secret key, or a secret-named env item
    whose `value:` is still to come."""

    __slots__ = ("block", "env_col", "env_left")

    def __init__(self) -> None:
        self.block: int | None = None  # indent of the key that opened `key: |`
        self.env_col: int | None = None  # column of `name:` whose `value:` is masked
        self.env_left = 0


class Redactor:
    """Masks secrets in text. One instance (one random key) per collection."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else os.urandom(32)

    def mask(self, value: str) -> str:
        digest = hmac.new(self._key, value.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()
        return f"<redacted:{digest[:8]}>"

    # -- public ----------------------------------------------------------------------------
    def redact_bytes(self, data: bytes, *, path: str = "") -> Redacted:
        if not data:
            return Redacted(data, 0)
        text = data.decode("utf-8", "surrogateescape")
        out, n = self.redact_text(text, path=path)
        return Redacted(out.encode("utf-8", "surrogateescape"), n)

    def redact_text(self, text: str, *, path: str = "") -> tuple[str, int]:
        """`text` with secrets masked, and how many values were masked."""
        if _is_passwords_file(path):
            return self._passwords_yaml(text)
        guest = bool(_GUEST_CONF.search(path))
        extra = ("description",) if guest or _TASK_LOG.search(path) else ()
        count = 0
        out: list[str] = []
        in_pem: str | None = None  # the PEM label being skipped
        pem_body: list[str] = []
        state = _Pending()
        for line in text.split("\n"):
            if in_pem is not None:
                m = _PEM_END.search(line)
                if m:
                    indent = line[: len(line) - len(line.lstrip())]
                    out.append(indent + self.mask("\n".join(pem_body)))
                    out.append(line)
                    in_pem = None
                    pem_body = []
                else:
                    pem_body.append(line.strip())
                continue
            begin = _PEM_BEGIN.search(line)
            if begin and not _PEM_END.search(line, begin.end()):
                head = line[: begin.end()]
                rest = line[begin.end():]
                if rest.strip():  # a one-line key with escaped newlines, cut off by the line end
                    out.append(head + self.mask(rest))
                    count += 1
                    continue
                out.append(line)
                in_pem = begin.group(1)
                count += 1
                continue
            held = self._pending(line, state)
            if held is not None:
                out.append(held)
                count += 1
                continue
            if guest and line.startswith("#") and line[1:].strip():
                out.append("#" + self.mask(line[1:]))  # the guest's notes, not evidence
                count += 1
                continue
            line, k = self._line(line, state, extra)
            count += k
            out.append(line)
        if in_pem is not None:  # truncated in the middle of a key: the body never leaves
            out.append(self.mask("\n".join(pem_body)))
        return "\n".join(out), count

    # -- state across lines ------------------------------------------------------------------
    def _pending(self, line: str, state: _Pending) -> str | None:
        """The masked line if a block scalar or an env item's value holds it, else None."""
        indent = len(line) - len(line.lstrip())
        if state.block is not None:
            if not line.strip():
                return None
            if indent > state.block:
                return line[:indent] + self.mask(line.strip())
            state.block = None
        if state.env_col is not None:
            m = _ENV_VALUE.match(line)
            if m and len(m.group("lead")) == state.env_col:
                state.env_col = None
                s, e, _ = value_span(line, m.end(), to_eol=True)
                return line[:s] + self.mask(line[s:e]) + line[e:] if e > s else None
            state.env_left -= 1
            if state.env_left <= 0 or (line.strip() and indent < state.env_col - 2):
                state.env_col = None
        return None

    # -- per line ------------------------------------------------------------------------
    def _line(self, line: str, state: _Pending, extra: tuple[str, ...]) -> tuple[str, int]:
        count = 0
        if "PRIVATE KEY" in line:
            line, k = _PEM_INLINE.subn(lambda m: m.group(1) + self.mask(m.group(3)) + m.group(4), line)
            count += k
        m = _SHADOW.match(line)
        if m and m.group(2) not in ("*", "!", "!!", "x"):
            return f"{m.group(1)}:{self.mask(m.group(2))}:{m.group(3)}", count + 1
        low = line.lower()
        if "name" in low:  # an env item: a secret-looking name masks the `value:` to come
            env = _ENV_NAME.match(line)
            if env:
                state.env_col = len(env.group("lead")) if secret_name(env.group("name")) else None
                state.env_left = 6
        if not any(h in low for h in _HINTS) and not any(h in low for h in extra):
            return line, count
        if "://" in line:
            line, k = _URL_PASS.subn(lambda m: m.group(1) + self.mask(m.group(2)) + m.group(3)
                                     if not plain(m.group(2)) else m.group(0), line)
            count += k
        if "authorization" in low:
            line, k = self._sub_count(_AUTH_HEADER, line, lambda m: m.group(1) + self.mask(m.group(2)))
            count += k
        if "bearer" in low:
            line, k = self._sub_count(_BEARER, line, lambda m: m.group(1) + self.mask(m.group(2)))
            count += k
        spans = command_values(line, line.lower())
        if spans:
            line, count = mask_spans(line, spans, self.mask), count + len(spans)

        def named(key: str) -> bool:
            return secret_name(key) or (bool(extra) and key.lstrip("-").lower() in extra)

        def secret(key: str, value: str) -> bool:
            return (key.lstrip("-").lower() in extra and bool(value.strip())) or is_secret(key, value)

        start = 0
        lm = _LINE_KEY.match(line)
        if lm and not lm.group("key").startswith("-"):
            key, val = lm.group("key"), lm.group("val")
            if key.lower().startswith("lxc.environment") and "=" in val:
                # `lxc.environment: NAME=VALUE`: the container's environment, masked whatever NAME
                s = lm.start("val") + val.index("=") + 1
                if line[s:].strip():
                    return line[:s] + self.mask(line[s:].rstrip()) + line[len(line.rstrip()):], count + 1
            elif secret_name(key) and _BLOCK_SCALAR.match(val) and lm.group("sep").strip():
                state.block = len(lm.group("lead"))  # the key's column: deeper lines are its value
                return line, count
            elif lm.group("sep").strip() or lm.group("lead"):
                # whitespace-separated `key value` only when indented (PVE section config,
                # ifupdown stanzas), never for a line of prose
                s, e, end = value_span(line, lm.start("val"), to_eol=True)
                if e > s and named(key) and secret(key, line[s:e]):
                    masked = self.mask(line[s:e])
                    line, count = line[:s] + masked + line[e:], count + 1
                    start = s + len(masked)  # what follows a quoted value may hold more keys
        spans = keyed_values(line, secret, named, start, (*NAME_HINTS, *extra))
        if "value" in low and "name" in low:
            spans += self._env_pairs(line)
        if spans:
            line, count = mask_spans(line, spans, self.mask), count + len({s for s, _ in spans})
        return line, count

    @staticmethod
    def _env_pairs(line: str) -> list[tuple[int, int]]:
        spans = []
        for m in _ENV_PAIR.finditer(line):
            if secret_name(m.group("name")):
                s, e, _ = value_span(line, m.end())
                if e > s:
                    spans.append((s, e))
        return spans

    @staticmethod
    def _sub_count(rx: re.Pattern[str], line: str, repl, check=None) -> tuple[str, int]:  # type: ignore[no-untyped-def]
        count = 0

        def wrapped(m: re.Match[str]) -> str:
            nonlocal count
            if check is not None and not check(m):
                return m.group(0)
            count += 1
            return repl(m)

        return rx.sub(wrapped, line), count

    def _mask_value(self, value: str) -> str:
        v = value
        for q in ('"', "'"):
            if len(v) >= 2 and v.startswith(q) and v.endswith(q):
                return q + self.mask(v[1:-1]) + q
        return self.mask(v)

    def _passwords_yaml(self, text: str) -> tuple[str, int]:
        """Kolla passwords.yml: every value is a secret, whatever its key; keys stay."""
        out: list[str] = []
        count = 0
        block: int | None = None  # indent of the key that opened a block scalar (`key: |`)
        for line in text.split("\n"):
            indent = len(line) - len(line.lstrip())
            if block is not None:
                if not line.strip():
                    out.append(line)
                    continue
                if indent > block:
                    out.append(line[:indent] + self.mask(line.strip()))
                    count += 1
                    continue
                block = None
            if not line.strip() or line.lstrip().startswith("#") or line.strip() in ("---", "..."):
                out.append(line)
                continue
            m = _YAML_KEY.match(line)
            if not m:  # a list item or a continuation: not a key, so all of it is value
                out.append(line[:indent] + self.mask(line.strip()))
                count += 1
                continue
            val = m.group("val")
            if val in ("|", ">", "|-", ">-", "|+", ">+"):
                block = indent
                out.append(line)
                continue
            if val == "" or MASKED.match(val.strip("\"'")) or val.lower() in ("null", "~", "{}", "[]"):
                out.append(line)
                continue
            out.append(line[: m.start("val")] + self._mask_value(val))
            count += 1
        return "\n".join(out), count


def _is_passwords_file(path: str) -> bool:
    base = path.rsplit("/", 1)[-1].lower()
    return base in ("passwords.yml", "passwords.yaml")


_YAML_KEY = re.compile(r"^(?P<lead>\s*(?:-\s+)?)(?P<key>[^\s#:][^:#]*?)\s*:(?P<sp>\s*)(?P<val>.*?)\s*$")
