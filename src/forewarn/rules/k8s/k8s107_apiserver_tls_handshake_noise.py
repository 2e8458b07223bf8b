"""K8S107 apiserver-tls-handshake-noise: known-harmless apiserver TLS handshake lines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule

FIX = (
    note("Nothing to fix: these lines are health checks (kubelet or a load balancer's TCP probe) that "
         "close the connection before the TLS handshake. To confirm, run `nc -vz <apiserver> <port>` and "
         "watch one more such line appear."),
)


@rule(code="K8S107", platform="k8s", inputs=logs.LOG_SPECS, fix=FIX, when=When.PAST)
def apiserver_tls_handshake_noise(ctx: Context) -> Iterator[Hit]:
    evs = [e for e in logs.events(ctx, None, ("apiserver_tls_handshake_error",))
           if "connection reset by peer" in e.attrs.get("err", "")]
    for node, group in logs.group_by_node(evs).items():
        clients = Counter(e.attrs.get("client", "?").rsplit(":", 1)[0] for e in group)
        top = ", ".join(f"{c} ({n})" for c, n in clients.most_common(3))
        yield Hit(
            f"{node}: {len(group)} known-harmless apiserver line(s) ignored: `TLS handshake error ... "
            f"connection reset by peer` from health checks (clients: {top}; first at {logs.time_label(group[0])})",
            nodes=node, evidence=logs.refs(group, limit=3),
            details={"ignored_lines": len(group), "clients": dict(clients), "known_noise": True},
        )
