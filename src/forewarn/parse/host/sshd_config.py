"""sshd's settings: `sshd -T` (the effective configuration) or an `sshd_config` file.

    permitrootlogin without-password
    passwordauthentication yes
    kbdinteractiveauthentication no
    permitemptypasswords no
    usepam yes

`sshd -T` prints every setting, lower-case, one `key value` per line, with defaults filled in
and `without-password` for `prohibit-password`. An sshd_config file (sshd_config(5)) has
case-insensitive keywords, `Keyword value` or `Keyword=value`; for most keywords the first value
obtained wins; lines after a `Match` apply only to matching connections. A setting the file does
not give takes OpenSSH's default (`DEFAULTS`); Debian's own sshd_config sets `UsePAM yes` and
`KbdInteractiveAuthentication no`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

# OpenSSH (servconf.c fill_default_server_options) defaults of the settings the rules read.
DEFAULTS = {
    "permitrootlogin": "prohibit-password",
    "passwordauthentication": "yes",
    "kbdinteractiveauthentication": "yes",
    "permitemptypasswords": "no",
    "pubkeyauthentication": "yes",
    "usepam": "no",
    "authenticationmethods": "any",
}
_ALIASES = {"challengeresponseauthentication": "kbdinteractiveauthentication"}
# Keywords of which at least one must appear, or the text is not sshd settings.
_COMMON = {"port", "listenaddress", "hostkey", "permitrootlogin", "passwordauthentication", "usepam",
           "pubkeyauthentication", "permitemptypasswords", "kbdinteractiveauthentication", "subsystem",
           "x11forwarding", "printmotd", "acceptenv", "authorizedkeysfile", "include", "match",
           "allowusers", "allowgroups", "denyusers", "maxauthtries", "logingracetime", "syslogfacility",
           "loglevel", "ciphers", "macs", "kexalgorithms", "usedns", "clientaliveinterval"}
_LINE = lazy_compile(r"^\s*(?P<key>[A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(?P<value>.*?)\s*$")
_ERROR = lazy_compile(r"^(sshd: .*|.*: (Permission denied|No such file or directory)|.*no hostkeys available.*|"
                      r"Bad configuration option: .*|.*: terminating, \d+ bad configuration options)$")


@dataclass(slots=True)
class SshdConfig:
    options: dict[str, str] = field(default_factory=dict)  # lower-case keyword -> value (first wins)
    lines: dict[str, int] = field(default_factory=dict)
    effective: bool = False  # True: `sshd -T` output (defaults filled in); False: a config file
    match_blocks: int = 0  # `Match` blocks seen (their settings are not global; not in `options`)
    match_line: int = 0
    includes: list[str] = field(default_factory=list)  # `Include` patterns of a config file
    error: str | None = None

    def get(self, key: str) -> str | None:
        """The setting as sshd uses it: the value given, else OpenSSH's default for a file."""
        key = _ALIASES.get(key.lower(), key.lower())
        if key in self.options:
            return self.options[key]
        return None if self.effective else DEFAULTS.get(key)

    def given(self, key: str) -> bool:
        return _ALIASES.get(key.lower(), key.lower()) in self.options

    def line(self, key: str) -> int:
        return self.lines.get(_ALIASES.get(key.lower(), key.lower()), 0)

    def yes(self, key: str) -> bool | None:
        v = self.get(key)
        return None if v is None else v.lower() == "yes"

    @property
    def root_password_login(self) -> bool | None:
        """Does PermitRootLogin let root log in with a password (`yes`)?"""
        v = self.get("permitrootlogin")
        return None if v is None else v.lower() == "yes"


SSHD_CONFIG = Key("host.sshd_config", SshdConfig)


@parser("host.sshd_config")
def parse_sshd_config(text: str) -> Parsed[SshdConfig]:
    """Parse `sshd -T` output or an sshd_config file.

    >>> r = parse_sshd_config("port 22\\npermitrootlogin yes\\npasswordauthentication yes\\n"
    ...                       "permitemptypasswords yes\\nusepam yes\\n")
    >>> v = r.value
    >>> (v.effective, v.yes("PermitEmptyPasswords"), v.root_password_login, v.line("permitemptypasswords"))
    (True, True, True, 4)
    >>> f = parse_sshd_config("# comment\\nPermitRootLogin yes\\nMatch User backup\\n  PasswordAuthentication no\\n").value
    >>> (f.effective, f.get("PasswordAuthentication"), f.given("passwordauthentication"), f.match_blocks)
    (False, 'yes', False, 1)
    """
    out = SshdConfig()
    problems: list[ParseProblem] = []
    comments = 0
    upper = 0
    in_match = False
    settings = 0
    common = 0
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            comments += 1
            continue
        if _ERROR.match(line):
            out.error = out.error or line
            continue
        m = _LINE.match(line)
        if not m:
            problems.append(ParseProblem("not a `keyword value` line", no, raw))
            continue
        raw_key, value = m.group("key"), m.group("value")
        if raw_key != raw_key.lower():
            upper += 1
        key = _ALIASES.get(raw_key.lower(), raw_key.lower())
        settings += 1
        common += key in _COMMON
        if key == "match":
            in_match = True
            out.match_blocks += 1
            out.match_line = out.match_line or no
            continue
        if key == "include":
            out.includes.extend(value.split())
            continue
        if in_match:
            continue
        if key not in out.options:
            out.options[key] = value
            out.lines[key] = no
    out.effective = settings > 0 and upper == 0 and comments == 0
    if not settings and out.error is None:
        return Parsed(None, [ParseProblem("no sshd setting found")] + problems[:5])
    if settings and (not common or len(problems) > settings):
        return Parsed(None, [ParseProblem("mostly not `keyword value` lines: not sshd settings")] + problems[:5])
    return Parsed(out, problems)
