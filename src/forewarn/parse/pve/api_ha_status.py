"""`GET /cluster/ha/status/current`: the HA stack's state, as the API gives it, parsed into the
same `HaManagerStatus` as `ha-manager status`.

    [{"id": "quorum", "type": "quorum", "node": "pve1", "quorate": 1, "status": "OK"},
     {"id": "master", "type": "master", "node": "pve1", "timestamp": 1789062521,
      "status": "pve1 (active, Thu Sep 10 19:48:41 2026)"},
     {"id": "lrm:pve2", "type": "lrm", "node": "pve2", "status": "pve2 (idle, watchdog standby, ...)"},
     {"id": "service:vm:100", "type": "service", "sid": "vm:100", "node": "pve2", "state": "started", ...}]

`ha-manager status` prints exactly these entries as `<type> <status>` (pve-ha-manager,
PVE/CLI/ha_manager.pm calls this API), so a master's or an LRM's `status` is read with the
command parser's own helper; a service's state is its `state` field (PVE 7+), else its `status`
text. Types the command parser does not know (`fencing`, PVE 9) are skipped, not problems.
"""

from __future__ import annotations

from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.pve._api_json import as_int, json_rows
from forewarn.parse.pve.ha_manager_status import HaDaemon, HaManagerStatus, HaService, _daemon, _service

_OTHER_TYPES = ("fencing",)


def _sid_parts(sid: str) -> tuple[str, int | None]:
    kind, _, name = sid.partition(":")
    return kind, (int(name) if name.isdigit() else None)


@parser("pve.api_ha_status")
def parse_api_ha_status(text: str) -> Parsed[HaManagerStatus]:
    """Parse the JSON of `GET /cluster/ha/status/current`.

    >>> r = parse_api_ha_status('[{"id": "quorum", "type": "quorum", "node": "a", "quorate": 1, "status": "OK"},\\n'
    ...     '{"id": "service:ct:101", "type": "service", "sid": "ct:101", "node": "a", "state": "error"}]')
    >>> r.value.quorate, [(s.sid, s.vmid, s.state, s.line) for s in r.value.services], r.problems
    (True, [('ct:101', 101, 'error', 2)], [])
    """
    rows, problems = json_rows(text)
    if rows is None:
        return Parsed(None, problems)
    st = HaManagerStatus(None, None, None, None)
    understood = 0
    for line, row in rows:
        kind = row.get("type")
        status = str(row.get("status") or "")
        if kind == "quorum":
            q = as_int(row.get("quorate"))
            st.quorate = bool(q) if q is not None else status == "OK"
            st.quorum_text, st.quorum_line = status or None, line
            understood += 1
        elif kind in ("master", "lrm"):
            node = str(row.get("node") or "")
            d = _daemon(kind, status, line) or HaDaemon(kind, node, status, (), None, line)
            if kind == "master":
                st.master = d
            else:
                st.lrms.append(d)
            understood += 1
        elif kind == "service":
            sid = str(row.get("sid") or "")
            state = row.get("state")
            if sid and isinstance(state, str):
                skind, vmid = _sid_parts(sid)
                st.services.append(HaService(sid, skind, vmid, row.get("node") or None, state, line))
                understood += 1
                continue
            s = _service(status, line)
            if s is None:
                problems.append(ParseProblem("service entry without sid and state", line, status))
                continue
            st.services.append(s)
            understood += 1
        elif kind not in _OTHER_TYPES:
            problems.append(ParseProblem(f"unknown HA status entry type {kind!r}", line))
    if not understood:
        problems.insert(0, ParseProblem("no quorum, master, lrm or service entry"))
        return Parsed(None, problems)
    return Parsed(st, problems)
