"""Redaction: secrets are masked in memory, before anything reaches disk or the screen.

Two layers:

1. **Never collected.** Paths that hold nothing but secrets are never read, whatever a spec's
   glob expands to: corosync's `authkey`, `/etc/pve/priv/` (storage passwords, tokens, the
   cluster's private keys), `*.key`, SSH host and user private keys, `/etc/shadow` and
   `/etc/gshadow`, Ceph keyrings. The plan refuses them and the manifest lists them as skipped.
2. **Masked in text.** Every artifact (files, command output, logs, error text) goes through
   `Redactor.redact`, which keeps the structure so parsers still work: a key stays, its value
   becomes `<redacted:1a2b3c4d>`:

   - PEM private key blocks (`-----BEGIN ... PRIVATE KEY-----` ... `-----END ...`): the BEGIN
     and END lines stay, the body becomes one masked line (certificates are kept);
   - password hashes in shadow-style lines (`user:$6$...:19000:0:99999:7:::`);
   - values of secret-looking keys in every common syntax: `key = value` (ini, oslo, sysctl,
     env), `key: value` (YAML, PVE guest configs), `<tab>key value` (PVE section configs such as
     storage.cfg, ifupdown's `wpa-psk`), `"key": "value"` (JSON), `--key=value` / `--key value`
     (command lines): names containing password, passwd, passphrase, secret, token, credential,
     psk, or ending in `key` (`encryption-key`, `secret_key`, not `sshkeys` or `public_key`),
     plus `auth`, `client-key-data` (kubeconfig);
   - passwords in URLs (`rabbit://openstack:PASSWORD@host`, `mysql+pymysql://nova:PASSWORD@db`);
   - `Authorization:` headers and `Bearer` tokens;
   - Kolla `passwords.yml`: every value, whatever its key.

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
_SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "token", "credential", "psk",
                 "apikey", "api_key", "api-key", "privatekey", "private_key", "private-key")
_EXACT = {"auth", "client-key-data", "pass", "pwd", "pw", "authkey", "community", "psk",
          "identitytoken", "registrytoken", "bindpw", "rootpw"}
_PUBLIC_PARTS = {"public", "pub", "ssh", "host"}
_NOT_SECRET_VALUES = {"", "yes", "no", "true", "false", "on", "off", "none", "null", "~", "0", "1",
                      '""', "''", "******", "********", "xxxxx", "<hidden>", "|", ">", "{}", "[]",
                      "required", "optional", "disabled", "enabled"}
_PATH = re.compile(r"^/(?:[\w.@+\-]+/)+[\w.@+\-]*$")
_MASKED = re.compile(r"^<redacted:[0-9a-f]+>$|^\*+$")


def secret_name(name: str) -> bool:
    """Does a key of this name hold a secret? (`password`, `encryption-key`; not `sshkeys`)."""
    n = name.strip().strip("\"'").lstrip("-").lower()
    if not n:
        return False
    if n in _EXACT:
        return True
    if any(w in n for w in _SECRET_WORDS):
        return not n.endswith(("_file", "-file", "file", "_path", "-path", "_uuid_file"))
    parts = [p for p in re.split(r"[_\-.]", n) if p]
    if parts and parts[-1] in ("key", "pass", "pwd", "pw", "authkey"):
        return not any(p in _PUBLIC_PARTS for p in parts[:-1])
    return False


_STRONG = ("password", "passwd", "passphrase", "secret", "psk", "credential", "pass", "pwd")


def _is_secret(key: str, value: str) -> bool:
    """Mask `value` of `key`? Numbers under a `token` name are timeouts (corosync's
    `token: 3000`, `token_retransmits_before_loss_const`), not secrets; a numeric *password* is."""
    if not secret_name(key) or _plain(value):
        return False
    v = value.strip().strip("\"'")
    if v.isdigit() and len(v) <= 10 and not any(w in key.lower() for w in _STRONG):
        return False
    return True


def _plain(value: str) -> bool:
    """A value that is obviously not a secret (and is left as is)."""
    v = value.strip().strip(",;").strip()
    q = v.strip("\"'")
    return v.lower() in _NOT_SECRET_VALUES or q.lower() in _NOT_SECRET_VALUES or bool(
        _PATH.match(q)) or bool(_MASKED.match(q)) or q.startswith("<redacted:")


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
# `--key=v` / `--key v` (flags on their own line, e.g. a static pod manifest)
_LINE_KEY = re.compile(
    r"^(?P<lead>\s*(?:[#;]\s*)?(?:export\s+|-\s+)?)(?P<q>[\"']?)(?P<key>--?[A-Za-z][\w.\-]*|[A-Za-z_][\w.\-]*)(?P=q)"
    r"(?P<sep>\s*[:=]\s*|\s+)(?P<val>\S.*?)\s*$")
# a key anywhere in a line with `=` or `: ` (log lines, JSON, URLs' query strings, flags)
_MID_KEY = re.compile(
    r"(?P<pre>(?<![\w.\-])(?P<q>[\"']?)(?P<key>--?[A-Za-z][\w.\-]*|[A-Za-z_][\w.\-]*)(?P=q)"
    r"(?P<sep>\s*=\s*|:\s+|\s*:\s*(?=[\"']))(?P<vq>[\"']?))(?P<val>[^\s\"',;&}\]]+)")
_FLAG_SPACE = re.compile(r"(?P<pre>(?<![\w\-])(?P<key>--[A-Za-z][\w\-]*)\s+)(?P<val>[^\s\-][^\s\"',;]*)")


@dataclass(slots=True)
class Redacted:
    data: bytes
    count: int


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
        count = 0
        lines = text.split("\n")
        out: list[str] = []
        in_pem: str | None = None  # the PEM label being skipped
        pem_body: list[str] = []
        for line in lines:
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
            line, k = self._line(line)
            count += k
            out.append(line)
        if in_pem is not None:  # truncated in the middle of a key: the body never leaves
            out.append(self.mask("\n".join(pem_body)))
        return "\n".join(out), count

    # -- per line ------------------------------------------------------------------------
    def _line(self, line: str) -> tuple[str, int]:
        count = 0
        if "PRIVATE KEY" in line:
            line, k = _PEM_INLINE.subn(lambda m: m.group(1) + self.mask(m.group(3)) + m.group(4), line)
            count += k
        m = _SHADOW.match(line)
        if m and m.group(2) not in ("*", "!", "!!", "x"):
            return f"{m.group(1)}:{self.mask(m.group(2))}:{m.group(3)}", count + 1
        line, k = _URL_PASS.subn(lambda m: m.group(1) + self.mask(m.group(2)) + m.group(3)
                                 if not _plain(m.group(2)) else m.group(0), line)
        count += k
        line, k = self._sub_count(_AUTH_HEADER, line, lambda m: m.group(1) + self.mask(m.group(2)))
        count += k
        line, k = self._sub_count(_BEARER, line, lambda m: m.group(1) + self.mask(m.group(2)))
        count += k
        lm = _LINE_KEY.match(line)
        if lm and not lm.group("key").startswith("-") and _is_secret(lm.group("key"), lm.group("val")):
            # the rest of the line is the value; whitespace-separated `key value` only when
            # indented (PVE section config, ifupdown stanzas), never for a line of prose
            if lm.group("sep").strip() or lm.group("lead"):
                return line[: lm.start("val")] + self._mask_value(lm.group("val")) + line[lm.end("val"):], count + 1
        secret = lambda m: _is_secret(m.group("key"), m.group("val"))  # noqa: E731
        line, k = self._sub_count(_MID_KEY, line, lambda m: m.group("pre") + self.mask(m.group("val")),
                                  check=secret)
        count += k
        line, k = self._sub_count(_FLAG_SPACE, line, lambda m: m.group("pre") + self.mask(m.group("val")),
                                  check=secret)
        count += k
        return line, count

    def _mask_value(self, value: str) -> str:
        v = value
        for q in ('"', "'"):
            if len(v) >= 2 and v.startswith(q) and v.endswith(q):
                return q + self.mask(v[1:-1]) + q
        return self.mask(v)

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
            if val == "" or _MASKED.match(val.strip("\"'")) or val.lower() in ("null", "~", "{}", "[]"):
                out.append(line)
                continue
            out.append(line[: m.start("val")] + self._mask_value(val))
            count += 1
        return "\n".join(out), count


def _is_passwords_file(path: str) -> bool:
    base = path.rsplit("/", 1)[-1].lower()
    return base in ("passwords.yml", "passwords.yaml")


_YAML_KEY = re.compile(r"^(?P<lead>\s*(?:-\s+)?)(?P<key>[^\s#:][^:#]*?)\s*:(?P<sp>\s*)(?P<val>.*?)\s*$")
