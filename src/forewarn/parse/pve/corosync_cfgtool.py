"""`corosync-cfgtool -s` (and `-n`): the state of each corosync (knet) link to each peer.

corosync 3.1, `-s` (one block per link; `localhost` is this node):

    Local node ID 3, transport knet
    LINK ID 0 udp
    	addr	= 10.77.0.13
    	status:
    		nodeid:          1:	disconnected
    		nodeid:          3:	localhost

corosync 3.0 printed `Printing link status.`, `Local node ID 1` and, per peer,
`node 0:	link enabled:1	link connected:1` (the knet host index, not the node id).
corosync 2 printed `RING ID 0` blocks with `id = <addr>` and `status = ring 0 active with no
faults`. `-n` lists reachable peers with each link as `LINK: 0 udp (a->b) enabled connected
mtu: 1397`; a link that is down lacks the word `connected`, a peer that is unreachable is not
listed. When corosync is not running cfgtool prints
`Could not initialize corosync configuration API error 2`: a state, not junk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile


@dataclass(frozen=True, slots=True)
class PeerLink:
    """One peer as one link sees it."""

    nodeid: int  # as printed (corosync 3.0's `node N` is a knet host index: see Link.peer_key)
    status: str  # the words as printed: "connected", "disconnected", "localhost", "enabled connected"
    connected: bool | None  # None for this node itself (localhost)
    enabled: bool | None = None  # None when the output does not say
    addr: str | None = None  # the peer's address on this link (`-n` only)
    mtu: int | None = None
    line: int = 0

    @property
    def localhost(self) -> bool:
        return self.connected is None


@dataclass(frozen=True, slots=True)
class Link:
    link_id: int
    transport: str | None  # "udp", "sctp"; None when not printed
    local_addr: str | None
    peers: tuple[PeerLink, ...]
    line: int
    peer_key: str = "nodeid"  # "nodeid", or "node" (corosync 3.0: knet host index)
    ring_status: str | None = None  # corosync 2: "ring 0 active with no faults"

    def peer(self, nodeid: int) -> PeerLink | None:
        return next((p for p in self.peers if p.nodeid == nodeid), None)

    @property
    def down_peers(self) -> tuple[PeerLink, ...]:
        return tuple(p for p in self.peers if p.connected is False)


@dataclass(frozen=True, slots=True)
class CfgtoolStatus:
    node_id: int | None
    transport: str | None  # "knet"
    links: tuple[Link, ...]
    format: str  # "status" (-s), "nodes" (-n), "error" (corosync not answering)
    reachable: dict[int, bool] = field(default_factory=dict)  # `-n`: nodeid -> reachable
    service_error: str | None = None
    line_of_error: int | None = None

    def link(self, link_id: int) -> Link | None:
        return next((lk for lk in self.links if lk.link_id == link_id), None)


_LOCAL = lazy_compile(r"^Local node ID (?P<id>\d+)(?:, transport (?P<transport>\S+))?$")
_LINK = lazy_compile(r"^(?P<kind>LINK|RING) ID (?P<id>\d+)(?:\s+(?P<transport>\S+))?$")
_ADDR = lazy_compile(r"^(?:addr|id)\s*=\s*(?P<addr>\S+)$")
_RING_STATUS = lazy_compile(r"^status\s*=\s*(?P<status>.+)$")
_PEER_31 = lazy_compile(r"^nodeid:\s*(?P<id>\d+):\s*(?P<status>.*?)$")
_PEER_30 = lazy_compile(r"^node\s+(?P<id>\d+):\s*(?P<status>.*?)$")
_N_NODE = lazy_compile(r"^nodeid:?\s+(?P<id>\d+)\s+(?P<state>reachable|unreachable)\b.*$")
_N_LINK = lazy_compile(r"^LINK:\s*(?P<id>\d+)\s+(?P<transport>\S+)\s+\((?P<local>[^)]*?)->(?P<peer>[^)]*?)\)\s*"
                     r"(?P<words>.*?)(?:\s*mtu:\s*(?P<mtu>\d+))?$")
_ERROR = lazy_compile(r"^(Could not initialize corosync configuration API.*|Cannot initialize CFG service.*|"
                      r"Could not get the local node id.*)$")
_BANNER = ("Printing link status.", "Printing ring status.", "status:")


def _peer(nodeid: int, status: str, no: int, addr: str | None = None, mtu: int | None = None) -> PeerLink:
    words = status.lower()
    if words == "localhost":
        return PeerLink(nodeid, status, None, None, addr, mtu, no)
    m_en = re.search(r"link enabled:(\d)", words)
    m_co = re.search(r"link connected:(\d)", words)
    if m_en or m_co:  # corosync 3.0
        return PeerLink(nodeid, status, (m_co.group(1) == "1") if m_co else None,
                        (m_en.group(1) == "1") if m_en else None, addr, mtu, no)
    tokens = words.split()
    connected = "connected" in tokens and "disconnected" not in tokens
    enabled = True if "enabled" in tokens else (False if "disabled" in tokens else None)
    return PeerLink(nodeid, status, connected, enabled, addr, mtu, no)


COROSYNC_CFGTOOL = Key("pve.corosync_cfgtool", CfgtoolStatus)


@parser("pve.corosync_cfgtool")
def parse_corosync_cfgtool(text: str) -> Parsed[CfgtoolStatus]:
    """Parse `corosync-cfgtool -s` or `corosync-cfgtool -n`.

    >>> r = parse_corosync_cfgtool("Local node ID 3, transport knet\\nLINK ID 0 udp\\n\\taddr\\t= 10.0.0.3\\n"
    ...     "\\tstatus:\\n\\t\\tnodeid:          1:\\tdisconnected\\n\\t\\tnodeid:          3:\\tlocalhost\\n")
    >>> lk = r.value.links[0]
    >>> (r.value.node_id, lk.link_id, lk.local_addr, [(p.nodeid, p.connected) for p in lk.peers])
    (3, 0, '10.0.0.3', [(1, False), (3, None)])
    """
    problems: list[ParseProblem] = []
    node_id: int | None = None
    transport: str | None = None
    service_error: str | None = None
    error_line: int | None = None
    fmt = "status"
    reachable: dict[int, bool] = {}
    # link id -> [transport, local addr, peers, line, peer_key, ring status]
    links: dict[int, list] = {}  # type: ignore[type-arg]
    cur: int | None = None  # current link (-s)
    cur_peer: int | None = None  # current peer (-n)
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line in _BANNER:
            continue
        m = _ERROR.match(line)
        if m:
            service_error = service_error or m.group(1)
            error_line = error_line or no
            continue
        m = _LOCAL.match(line)
        if m:
            node_id = int(m.group("id"))
            transport = m.group("transport") or transport
            continue
        m = _LINK.match(line)
        if m:
            cur = int(m.group("id"))
            links.setdefault(cur, [m.group("transport"), None, [], no, "nodeid", None])
            continue
        m = _N_NODE.match(line)
        if m:
            fmt = "nodes"
            cur_peer = int(m.group("id"))
            reachable[cur_peer] = m.group("state") == "reachable"
            continue
        m = _N_LINK.match(line)
        if m and cur_peer is not None:
            lid = int(m.group("id"))
            entry = links.setdefault(lid, [m.group("transport"), m.group("local") or None, [], no, "nodeid", None])
            entry[1] = entry[1] or m.group("local") or None
            peer = _peer(cur_peer, m.group("words").strip(), no, m.group("peer") or None,
                         int(m.group("mtu")) if m.group("mtu") else None)
            # `-s` and `-n` pasted together: the `-n` line says more about the same peer
            entry[2][:] = [p for p in entry[2] if p.nodeid != cur_peer] + [peer]
            continue
        if cur is not None:
            m = _ADDR.match(line)
            if m:
                links[cur][1] = m.group("addr")
                continue
            m = _RING_STATUS.match(line)
            if m:
                links[cur][5] = m.group("status")
                continue
            m = _PEER_31.match(line)
            if m:
                links[cur][2].append(_peer(int(m.group("id")), m.group("status").strip(), no))
                continue
            m = _PEER_30.match(line)
            if m:
                links[cur][4] = "node"
                links[cur][2].append(_peer(int(m.group("id")), m.group("status").strip(), no))
                continue
        problems.append(ParseProblem("unrecognised line", no, raw))

    if node_id is None and not links and service_error is None:
        problems.insert(0, ParseProblem("no corosync-cfgtool output found"))
        return Parsed(None, problems)
    if service_error is not None and not links:
        fmt = "error"
    elif not links:
        fmt = "nodes"  # `-s` always lists this node's own links; a bare header is `-n` with no peer
    out = tuple(Link(lid, e[0], e[1], tuple(e[2]), e[3], e[4], e[5]) for lid, e in sorted(links.items()))
    return Parsed(CfgtoolStatus(node_id, transport, out, fmt, reachable, service_error, error_line), problems)
