"""`corosync-qdevice-tool -sv`: the QDevice client's own view (also printed by `crm corosync
status qdevice`).

    Qdevice information
    -------------------
    Model:			Net
    Node ID:		1
    ...
    Qdevice-net information
    ----------------------
    QNetd host:		10.77.0.250:5403
    State:			Connected

`State` is the net client's connection to QNetd (`Connected` when healthy; `Connect failed`,
`Waiting for initial connect`, ... otherwise); `Poll timer running` says whether it casts its vote.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_KV = lazy_compile(r"^(?P<key>[A-Za-z][A-Za-z -]*?):\s*(?P<value>.*?)\s*$")


@dataclass(slots=True)
class QdeviceStatus:
    fields: dict[str, str] = field(default_factory=dict)  # "State" -> "Connected", first occurrence
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def state(self) -> str | None:
        return self.fields.get("State")

    @property
    def qnetd_host(self) -> str | None:
        return self.fields.get("QNetd host")

    @property
    def connected(self) -> bool | None:
        return None if self.state is None else self.state == "Connected"


QDEVICE_STATUS = Key("pve.qdevice_status", QdeviceStatus)


@parser("pve.qdevice_status")
def parse_qdevice_status(text: str) -> Parsed[QdeviceStatus]:
    """Parse `corosync-qdevice-tool -s[v]`.

    >>> r = parse_qdevice_status("Qdevice information\\n-------------------\\nModel:\\t\\t\\tNet\\n"
    ...                          "Qdevice-net information\\n----------------------\\nState:\\t\\t\\tConnected\\n")
    >>> r.value.state, r.value.connected, r.problems
    ('Connected', True, [])
    """
    out = QdeviceStatus()
    seen_header = False
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line in ("Qdevice information", "Qdevice-net information"):
            seen_header = True
            continue
        m = _KV.match(line)
        if m and m.group("key") not in out.fields:
            out.fields[m.group("key")] = m.group("value")
            out.lines[m.group("key")] = no
    if not seen_header:
        return Parsed(None, [ParseProblem("no `Qdevice information` block: not corosync-qdevice-tool output")])
    return Parsed(out, [])
