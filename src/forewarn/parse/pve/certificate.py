"""PEM certificates: each node's web proxy certificate (`/etc/pve/nodes/<node>/pveproxy-ssl.pem`,
or `pve-ssl.pem` when no custom one is installed) and the PBS proxy certificate
(`/etc/proxmox-backup/proxy.pem`).

Only certificates are read. A private key found in the text is never parsed, stored or echoed:
the parser reports `private key present: ignored` (without the line's text) and goes on.
The SHA-256 fingerprint is written as Proxmox shows it and as `pvesm ... --fingerprint` expects it:
upper-case hex pairs joined by colons.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_BEGIN = lazy_compile(r"^-----BEGIN ([A-Z0-9 ]+)-----\s*$")
_END = lazy_compile(r"^-----END ([A-Z0-9 ]+)-----\s*$")


@dataclass(frozen=True, slots=True)
class Certificate:
    subject: str
    issuer: str
    not_before: datetime  # UTC
    not_after: datetime  # UTC
    fingerprint_sha256: str  # "AA:BB:..." (32 pairs)
    sans: tuple[str, ...]
    serial: str
    line: int  # line of its BEGIN CERTIFICATE

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer

    def days_left(self, now: datetime) -> float:
        return (self.not_after - now).total_seconds() / 86400


@dataclass(slots=True)
class Certificates:
    certificates: list[Certificate]
    private_key_present: bool = False

    @property
    def leaf(self) -> Certificate | None:
        """The first certificate: the server's own (a chain follows it)."""
        return self.certificates[0] if self.certificates else None


def fingerprint(der: bytes) -> str:
    """SHA-256 of the DER certificate, `AA:BB:...` as Proxmox prints it.

    >>> fingerprint(b"")[:11]
    'E3:B0:C4:42'
    """
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def _load(der: bytes, line: int) -> Certificate:
    from cryptography import x509  # imported here: only this parser needs it

    cert = x509.load_der_x509_certificate(der)
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        sans = tuple([f"DNS:{n}" for n in ext.value.get_values_for_type(x509.DNSName)]
                     + [f"IP:{ip}" for ip in ext.value.get_values_for_type(x509.IPAddress)])
    except x509.ExtensionNotFound:
        sans = ()
    nb = getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before.replace(tzinfo=timezone.utc)
    na = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(tzinfo=timezone.utc)
    return Certificate(cert.subject.rfc4514_string(), cert.issuer.rfc4514_string(), nb, na,
                       fingerprint(der), sans, format(cert.serial_number, "X"), line)


PROXY_CERT = Key("pve.proxy_cert", Certificates)
PBS_CERT = Key("pve.pbs_cert", Certificates)


@parser("pve.proxy_cert", "pve.pbs_cert")
def parse_certificates(text: str) -> Parsed[Certificates]:
    """Parse the certificates of a PEM file (private keys are skipped, never read).

    >>> r = parse_certificates("-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n")
    >>> (r.value.certificates, r.value.private_key_present, [p.reason for p in r.problems])
    ([], True, ['private key present: ignored', 'no certificate found'])
    """
    certs: list[Certificate] = []
    problems: list[ParseProblem] = []
    key_present = False
    block: str | None = None
    start = 0
    body: list[str] = []
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if block is None:
            m = _BEGIN.match(line)
            if m:
                block, start, body = m.group(1), no, []
                if "PRIVATE KEY" in block:
                    key_present = True
                    problems.append(ParseProblem("private key present: ignored", no))
            continue
        m = _END.match(line)
        if m:
            if block == "CERTIFICATE":
                try:
                    der = base64.b64decode("".join(body), validate=True)
                    certs.append(_load(der, start))
                except (binascii.Error, ValueError) as exc:
                    problems.append(ParseProblem(f"unreadable certificate ({type(exc).__name__})", start))
            block = None
            continue
        if block == "CERTIFICATE":
            body.append(line)
        # lines of any other block (keys above all) are dropped unread
    if block is not None:
        problems.append(ParseProblem(f"PEM block {('PRIVATE KEY' if 'PRIVATE KEY' in block else block)!r} "
                                     "not terminated", start))
    if not certs:
        problems.append(ParseProblem("no certificate found"))
        return Parsed(Certificates([], key_present) if key_present else None, problems)
    return Parsed(Certificates(certs, key_present), problems)
