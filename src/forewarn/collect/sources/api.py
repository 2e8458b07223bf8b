"""The Proxmox VE API as a source: `forewarn scan --api https://pve1:8006` (and `collect --api`).

Read-only GETs through proxmoxer with an API token, never a password and never from the command
line: `FOREWARN_PVE_TOKEN='user@realm!tokenid=SECRET'` or `--token-file`. Each answer is stored
as the JSON the API gave (a list one element per line, so a report can point at one element),
under its own spec (`pve.api_*`, specs/pve.py); JSON parsers turn them into the same typed facts
as the commands' output, so the same rules run without root SSH.

TLS is verified by default against the system's CAs; `--ca-file` names the CA of a cluster's
self-signed certificates, `--fingerprint` pins the certificate itself (SHA-256, as the GUI and
`pvenode cert info` show it): any other certificate is refused before the token is sent.

What is read: from the node answering (cluster-wide): cluster status and resources, HA status,
storage config, corosync's nodelist and totem when the token may read them; from each node the
cluster reports online: its storage rows, status, version and package versions, replication
jobs, recent failed tasks and their logs, and its guests' configs. A node the cluster reports offline, or that stops
answering, is recorded as not collected (FW908) and the rest goes on; a request refused (403,
a path older releases lack) is that artifact's error, which the report shows as "could not check".
The token's secret never reaches a file, a message or an error: every text that leaves this
module is scrubbed of it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from forewarn.collect.targets import check_host

TOKEN_ENV = "FOREWARN_PVE_TOKEN"
DEFAULT_PORT = 8006
TIMEOUT = 15.0
MAX_FAILED_TASKS = 20  # recent failed tasks listed per node
MAX_TASK_LOGS = 10  # of which this many logs are read
MAX_GUESTS = 500  # guest configs read per node
_TOKEN = re.compile(r"^(?P<user>[^\s!@]+@[^\s!@]+)!(?P<name>[A-Za-z][A-Za-z0-9._-]*)=(?P<secret>\S+)$")
_FINGERPRINT = re.compile(r"^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$")


class ApiError(ValueError):
    """Bad `--api` input (URL, token, fingerprint): a one-line message, never holding the secret."""


@dataclass(frozen=True)
class ApiToken:
    """`user@realm!tokenid=SECRET`; repr and str never show the secret."""

    user: str
    name: str
    secret: str = field(repr=False)

    @classmethod
    def parse(cls, text: str, where: str) -> "ApiToken":
        m = _TOKEN.match(text.strip())
        if not m:
            # the text itself is never echoed: it is, or holds, the secret
            raise ApiError(f"{where}: not an API token of the form user@realm!tokenid=SECRET")
        return cls(m.group("user"), m.group("name"), m.group("secret"))

    def __str__(self) -> str:
        return f"{self.user}!{self.name}"


def token_from(env: Mapping[str, str], token_file: str | None) -> ApiToken:
    """The token from `--token-file` (first non-empty line) or the environment."""
    if token_file:
        try:
            text = Path(token_file).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ApiError(f"--token-file {token_file}: {exc.strerror or exc}") from None
        line = next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
        return ApiToken.parse(line, f"--token-file {token_file}")
    value = env.get(TOKEN_ENV, "")
    if not value.strip():
        raise ApiError(f"--api needs an API token: set {TOKEN_ENV}='user@realm!tokenid=SECRET' "
                       "or give --token-file FILE (never on the command line)")
    return ApiToken.parse(value, TOKEN_ENV)


@dataclass(frozen=True)
class ApiTarget:
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> "ApiTarget":
        text = url if "://" in url else f"https://{url}"
        try:
            parts = urlsplit(text)
            port = parts.port or DEFAULT_PORT
        except ValueError as exc:
            raise ApiError(f"--api {url!r}: {exc}") from None
        if parts.scheme != "https":
            raise ApiError(f"--api {url!r}: only https:// is spoken (the token must not cross in clear)")
        if parts.username or parts.password:
            raise ApiError(f"--api {url!r}: no credentials in the URL; the token comes from {TOKEN_ENV} or --token-file")
        host = parts.hostname or ""
        why = check_host(host) if host else "no host name"
        if why:
            raise ApiError(f"--api {url!r}: the host is {why}")
        if parts.path not in ("", "/", "/api2/json", "/api2/json/"):
            raise ApiError(f"--api {url!r}: give the address only (https://HOST[:PORT])")
        return cls(host, port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"


def normalise_fingerprint(text: str) -> str:
    """`AB:CD:...` (32 pairs) or 64 hex digits -> 64 lower-case hex digits."""
    t = text.strip()
    if t.lower().startswith("sha256"):
        t = t.split(None, 1)[-1] if " " in t else t[6:].lstrip(":= ")
    if not _FINGERPRINT.match(t):
        raise ApiError(f"--fingerprint {text!r}: not a SHA-256 fingerprint (32 hex pairs, AB:CD:...)")
    return t.replace(":", "").lower()


@dataclass
class Answer:
    """One GET: its JSON, or why there is none."""

    path: str
    data: Any = None
    error: str | None = None
    status: int | None = None
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    ended: datetime | None = None

    @property
    def unreachable(self) -> bool:
        """No HTTP answer at all (or the proxy's 595: it could not reach that node)."""
        return self.error is not None and self.status in (None, 595)


class ApiClient:
    """proxmoxer's client with forewarn's TLS policy, and answers instead of exceptions."""

    def __init__(self, target: ApiTarget, token: ApiToken, *, fingerprint: str | None = None,
                 ca_file: str | None = None, timeout: float = TIMEOUT) -> None:
        from proxmoxer import ProxmoxAPI  # type: ignore[import-untyped]

        self._secret = token.secret
        verify: bool | str = ca_file if ca_file else True
        if fingerprint:
            verify = False  # the pin replaces the CA check; it is checked on every connection
        self.api = ProxmoxAPI(target.host, port=target.port, user=token.user, token_name=token.name,
                              token_value=token.secret, verify_ssl=verify, timeout=timeout)
        if fingerprint:
            _pin(self.api, fingerprint)

    def scrub(self, text: str) -> str:
        return text.replace(self._secret, "<token>") if self._secret else text

    def get(self, path: str, **params: Any) -> Answer:
        from proxmoxer.core import AuthenticationError, ResourceException  # type: ignore[import-untyped]
        from requests import exceptions as rex

        ans = Answer(path)
        try:
            ans.data = self.api(path.lstrip("/")).get(**params)
            ans.status = 200
        except ResourceException as exc:
            ans.status = exc.status_code
            why = {401: "authentication refused (check the token and that it is not expired)",
                   403: "permission denied for this token (it needs the Sys.Audit, VM.Audit and "
                        "Datastore.Audit privileges)"}.get(exc.status_code, "")
            detail = str(exc.content or "").strip() or str(exc.status_message or "")
            ans.error = f"HTTP {exc.status_code}: {why or detail}"[:300]
        except AuthenticationError as exc:
            ans.status, ans.error = 401, f"authentication refused ({exc})"
        except rex.SSLError as exc:
            ans.error = f"TLS: the certificate was refused ({_tls_reason(exc)})"
        except rex.Timeout:
            ans.error = "no answer within the timeout"
        except rex.ConnectionError as exc:
            ans.error = f"could not connect ({_root_reason(exc)})"
        except (rex.RequestException, ValueError) as exc:
            ans.error = f"request failed ({type(exc).__name__})"
        ans.ended = datetime.now(timezone.utc)
        if ans.error:
            ans.error = self.scrub(ans.error)
        return ans


def _pin(api: Any, fingerprint: str) -> None:
    """Mount an adapter that checks the server certificate's SHA-256 on every connection
    (urllib3's assert_fingerprint) on proxmoxer's session; a mismatch fails the handshake. urllib3
    counts a pinned connection as verified, so no InsecureRequestWarning is due."""
    from requests.adapters import HTTPAdapter

    class Pinned(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["assert_fingerprint"] = fingerprint
            kwargs["assert_hostname"] = False  # the pin names the certificate; the name may not match
            super().init_poolmanager(*args, **kwargs)

    session = api._store["session"]  # proxmoxer's requests.Session (no public accessor)
    session.mount("https://", Pinned())


def _root_reason(exc: BaseException) -> str:
    """The innermost reason of a connection error, without the URL's query or a pool's repr."""
    seen = exc
    while seen.__cause__ is not None or (seen.__context__ is not None and not seen.__suppress_context__):
        seen = seen.__cause__ or seen.__context__  # type: ignore[assignment]
    text = str(seen) or type(seen).__name__
    m = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    return (m.group(1) if m else text.split(": ", 1)[-1])[:160]


def _tls_reason(exc: BaseException) -> str:
    text = str(exc)
    if "Fingerprints did not match" in text or "fingerprint" in text.lower():
        return "its SHA-256 fingerprint is not the one given with --fingerprint"
    m = re.search(r"certificate verify failed: ([^(')\"]+)", text)
    if m:
        return f"certificate verify failed: {m.group(1).strip()}; pin it with --fingerprint or give its CA with --ca-file"
    return _root_reason(exc)


def dump_rows(data: Any) -> bytes:
    """A list one element per line (the parsers point at an element by its line)."""
    if isinstance(data, list):
        body = ",\n".join(json.dumps(x, ensure_ascii=False, sort_keys=True) for x in data)
        return f"[\n{body}\n]\n".encode() if data else b"[]\n"
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


Echo = Callable[[str], None]


def nodes_of(status: Iterable[Any]) -> tuple[str | None, list[tuple[str, bool]]]:
    """(the answering node, [(node, online)]) from GET /cluster/status."""
    local = None
    nodes: list[tuple[str, bool]] = []
    for row in status:
        if isinstance(row, dict) and row.get("type") == "node" and row.get("name"):
            nodes.append((str(row["name"]), bool(row.get("online"))))
            if row.get("local"):
                local = str(row["name"])
    return local, nodes
