"""A local HTTPS server that answers as pveproxy does, replaying recorded API answers.

It listens on 127.0.0.1 with a self-signed certificate made for the test (the `cryptography`
package), checks the `Authorization: PVEAPIToken=...` header of every request, and logs what it
was asked so a test can prove that nothing (no token) reached it when TLS was refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

EVIDENCE = Path(__file__).parent / "evidence" / "pve-api"


def make_cert(where: Path, name: str = "pve") -> tuple[Path, Path, str]:
    """(cert.pem, key.pem, SHA-256 fingerprint AB:CD:...) of a new self-signed certificate for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = where / f"{name}.pem", where / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return cert_path, key_path, ":".join(digest[i:i + 2] for i in range(0, 64, 2))


def recorded(name: str) -> Any:
    return json.loads((EVIDENCE / name).read_text())


class Replay:
    """`routes`: API path (no /api2/json prefix, no query) -> (status, body) or "hang"."""

    def __init__(self, tmp: Path, routes: dict[str, Any], token: str) -> None:
        self.cert, key, self.fingerprint = make_cert(tmp)
        self.routes = routes
        self.expected = f"PVEAPIToken={token}"
        self.asked: list[str] = []
        self.auth_seen: list[str] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = urlsplit(self.path).path.removeprefix("/api2/json")
                replay.asked.append(path)
                replay.auth_seen.append(self.headers.get("Authorization", ""))
                if self.headers.get("Authorization") != replay.expected:
                    return self._send(401, None, "invalid token value!")
                route = replay.routes.get(path)
                if route == "hang":
                    time.sleep(6)
                    return self._send(200, [])
                if route is None:
                    return self._send(501, None, f"Method 'GET {path}' not implemented")
                status, body = route
                self._send(status, body.get("data") if isinstance(body, dict) and "data" in body else body)

            def _send(self, status: int, data: Any, reason: str | None = None) -> None:
                raw = json.dumps({"data": data}).encode()
                self.send_response(status, reason)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                try:
                    self.wfile.write(raw)
                except OSError:
                    pass

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, key)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Replay":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
