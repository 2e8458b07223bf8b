"""K8S107 apiserver-tls-handshake-noise: known-harmless apiserver TLS handshake lines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule
from forewarn.rules.k8s._common import LOG_INPUTS, by_node, events

FIX = (
    note("Nothing to fix: these lines are health checks (kubelet or a load balancer's TCP probe) that "
         "close the connection before the TLS handshake. To confirm, run `nc -vz <apiserver> <port>` and "
         "watch one more such line appear."),
)


@rule(
    code="K8S107", platform="k8s", name="apiserver-tls-handshake-noise",
    title="apiserver \"TLS handshake error ... connection reset by peer\" from health checks is harmless",
    severity="info", inputs=LOG_INPUTS, seed="seeds/004_3ae197d3b21d8357.txt:76", fix=FIX,
    when=When.PAST,
)
def apiserver_tls_handshake_noise(ctx: Context) -> Iterator[Hit]:
    """What it does: recognises kube-apiserver's `http: TLS handshake error from <addr>: ...
    connection reset by peer` lines in its logs and marks them as known noise: the rule only ever
    reports, at severity info, how many such lines were ignored and from which clients, so that no
    other reading of the log raises an alarm for them. Without such lines it passes.

    Why it matters: these lines look like a TLS or certificate failure, but they come from health
    checks that open the apiserver's TLS port and close it without a handshake (seed 004: kubelet's
    health checks). Chasing them wastes time; they need no action.

    How to fix: nothing; to convince yourself, open a bare TCP connection with `nc` to the
    apiserver's port and watch one more such line appear.
    """
    evs = [e for e in events(ctx, ("apiserver_tls_handshake_error",))
           if "connection reset by peer" in e.attrs.get("err", "")]
    for node, group in by_node(evs).items():
        clients = Counter(e.attrs.get("client", "?").rsplit(":", 1)[0] for e in group)
        top = ", ".join(f"{c} ({n})" for c, n in clients.most_common(3))
        yield Hit(
            f"{node}: {len(group)} known-harmless apiserver line(s) ignored: `TLS handshake error ... "
            f"connection reset by peer` from health checks (clients: {top}; first at {logs.when(group[0])})",
            nodes=node, evidence=logs.refs(group, limit=3),
            details={"ignored_lines": len(group), "clients": dict(clients), "known_noise": True},
        )
