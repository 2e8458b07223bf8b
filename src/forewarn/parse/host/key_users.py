"""`/proc/key-users`: the kernel's key quota per user id.

    0:   336 335/335 238/1000000 4597/25000000
100000:  1198 1198/1198 1198/50000 19871/20000

The kernel prints `%5u: %5d %d/%d %d/%d %d/%d` (security/keys/proc.c): uid, usage, keys
owned / keys instantiated, keys counted against the quota / `maxkeys`, bytes counted / `maxbytes`.
uid 0 is limited by `kernel.keys.root_maxkeys` and `root_maxbytes`; every other uid by
`kernel.keys.maxkeys` (200) and `maxbytes` (20000). All unprivileged containers with the default
id map run as host uid 100000, so they share one quota.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_LINE = lazy_compile(r"^\s*(?P<uid>\d+):\s+(?P<usage>-?\d+)\s+(?P<nkeys>\d+)/(?P<ninst>\d+)\s+"
                     r"(?P<qkeys>\d+)/(?P<maxkeys>\d+)\s+(?P<qbytes>\d+)/(?P<maxbytes>\d+)\s*$")


@dataclass(frozen=True, slots=True)
class KeyUser:
    uid: int
    usage: int
    keys: int
    instantiated: int
    quota_keys: int
    max_keys: int
    quota_bytes: int
    max_bytes: int
    line: int

    @property
    def keys_ratio(self) -> float:
        return self.quota_keys / self.max_keys if self.max_keys else 0.0

    @property
    def bytes_ratio(self) -> float:
        return self.quota_bytes / self.max_bytes if self.max_bytes else 0.0


@dataclass(slots=True)
class KeyUsers:
    users: list[KeyUser] = field(default_factory=list)

    def get(self, uid: int) -> KeyUser | None:
        return next((u for u in self.users if u.uid == uid), None)


KEY_USERS = Key("host.key_users", KeyUsers)


@parser("host.key_users")
def parse_key_users(text: str) -> Parsed[KeyUsers]:
    """Parse `/proc/key-users`.

    >>> r = parse_key_users("    0:   336 335/335 238/1000000 4597/25000000\\n"
    ...                     "100000:  1198 1198/1198 1198/50000 19871/20000\\n")
    >>> u = r.value.get(100000)
    >>> (u.quota_keys, u.max_keys, u.quota_bytes, u.max_bytes, round(u.bytes_ratio, 3), r.problems)
    (1198, 50000, 19871, 20000, 0.994, [])
    """
    problems: list[ParseProblem] = []
    users: list[KeyUser] = []
    for no, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        m = _LINE.match(raw)
        if not m:
            problems.append(ParseProblem("not a `uid: usage n/n n/max n/max` line", no, raw))
            continue
        g = {k: int(v) for k, v in m.groupdict().items()}
        users.append(KeyUser(g["uid"], g["usage"], g["nkeys"], g["ninst"], g["qkeys"],
                             g["maxkeys"], g["qbytes"], g["maxbytes"], no))
    if not users:
        problems.insert(0, ParseProblem("no key-users line"))
        return Parsed(None, problems)
    return Parsed(KeyUsers(users), problems)
