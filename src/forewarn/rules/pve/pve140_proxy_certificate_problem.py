"""PVE140 proxy-certificate-problem: web proxy certificates expired, expiring or different across
nodes; PBS storages pinned to a fingerprint the PBS no longer serves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from forewarn.facts.context import Context, Fact
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable
from forewarn.facts.cluster import owner_node
from forewarn.facts.storage import storage_cfg
from forewarn.parse.pve.certificate import PBS_CERT, PROXY_CERT, Certificate, Certificates
from forewarn.parse.pve.section_config import STORAGE_CFG

WARN_DAYS = 30

FIX = (
    step("pvenode cert info"),
    note("Renew the certificate and deploy the same one to every node: `pvenode cert set "
         "<fullchain.pem> <key.pem> --force --restart` on each node (or `pvenode acme cert renew` "
         "for ACME), or copy it to /etc/pve/nodes/<node>/pveproxy-ssl.pem and .key as seed 002's "
         "cron job does, then reload the proxy."),
    step("systemctl reload pveproxy"),
)
PBS_FIX = (
    step("pvesm set {storage} --fingerprint {fingerprint}", on=None),
    note("Seed 002's script writes `pvesm set ... --finerprint` (a typo): pvesm rejects that option, "
         "so the stored fingerprint was never updated. Use `--fingerprint`."),
    step("pvesm status --storage {storage}"),
)
PBS_RENEW_FIX = (
    step("proxmox-backup-manager cert info", on="{node}"),
    note("Renew the PBS certificate (seed 002 copies the PVE certificate to "
         "/etc/proxmox-backup/proxy.pem and reloads proxmox-backup-proxy), then update the "
         "fingerprint of every PBS storage on the PVE side."),
    step("systemctl reload proxmox-backup-proxy", on="{node}"),
)


def _node_certs(ctx: Context) -> dict[str, tuple[Fact[Certificates], Certificate]]:
    """Per owner node, the certificate pveproxy serves (pveproxy-ssl.pem, else pve-ssl.pem) and its leaf."""
    out: dict[str, tuple[Fact[Certificates], Certificate]] = {}
    for f in ctx.facts(PROXY_CERT):
        leaf = f.value.leaf
        if leaf is None:
            continue
        node = owner_node(f)
        cur = out.get(node)
        if cur is None or (_is_custom(f) and not _is_custom(cur[0])):
            out[node] = (f, leaf)
    return out


def _leaves(ctx: Context) -> dict[str, tuple[Fact[Certificates], Certificate]]:
    """Per node, the PBS proxy certificate and its leaf."""
    out: dict[str, tuple[Fact[Certificates], Certificate]] = {}
    for f in ctx.facts(PBS_CERT):
        leaf = f.value.leaf
        if leaf is not None:
            out[f.node] = (f, leaf)
    return out


def _is_custom(f: Fact[Certificates]) -> bool:
    return "pveproxy-ssl" in (f.record.source or f.artifact)


@rule(code="PVE140", reads=(STORAGE_CFG,), inputs=(PROXY_CERT, PBS_CERT), fix=FIX)
def proxy_certificate_problem(ctx: Context) -> Iterator[Hit]:
    now = ctx.now
    certs = _node_certs(ctx)
    for node, (f, c) in sorted(certs.items()):
        left = c.not_after - now
        if left <= timedelta(0) or left <= timedelta(days=WARN_DAYS):
            expired = left <= timedelta(0)
            when = (f"expired {-left.days} day(s) ago" if expired else f"expires in {left.days} day(s)")
            yield Hit(f"{node}: web proxy certificate ({f.artifact.rsplit('/', 1)[-1]}, {c.subject}) "
                      f"{when}, on {c.not_after:%Y-%m-%d %H:%M} UTC",
                      nodes=node, evidence=[f.ref([c.line])], params={"node": node},
                      severity=Severity.HIGH if expired else Severity.MEDIUM, when=When.NOW,
                      details={"not_after": c.not_after.isoformat(), "fingerprint": c.fingerprint_sha256})
    custom = {n: fc for n, fc in certs.items() if _is_custom(fc[0])}
    fps = {n: c.fingerprint_sha256 for n, (_, c) in custom.items()}
    if len(set(fps.values())) > 1:
        listing = "; ".join(f"{n}: {fp[:23]}…" for n, fp in sorted(fps.items()))
        yield Hit(f"custom web proxy certificates differ between nodes ({listing}); seed 002 deploys one "
                  "certificate to all nodes, so a node left out of the deployment shows up here",
                  nodes=sorted(custom), evidence=[f.ref([c.line]) for _, (f, c) in sorted(custom.items())],
                  severity=Severity.INFO, when=When.NOW, details={"fingerprints": fps})

    pbs_certs = _leaves(ctx)
    for node, (f, c) in sorted(pbs_certs.items()):
        left = c.not_after - now
        if left <= timedelta(days=WARN_DAYS):
            expired = left <= timedelta(0)
            yield Hit(f"{node}: PBS proxy certificate ({c.subject}) "
                      + (f"expired {-left.days} day(s) ago" if expired else f"expires in {left.days} day(s)")
                      + f", on {c.not_after:%Y-%m-%d} UTC", nodes=node, evidence=[f.ref([c.line])],
                      params={"node": node}, fix=list(PBS_RENEW_FIX),
                      severity=Severity.HIGH if expired else Severity.MEDIUM, when=When.NOW)
    cfg_f, cfg = storage_cfg(ctx)
    pbs_storages = [s for s in cfg.sections if s.type == "pbs"] if cfg else []
    if cfg_f is None or not pbs_storages or not pbs_certs:
        if not certs and not pbs_certs:
            raise NotApplicable("no certificate in the evidence")
        return
    for s in pbs_storages:
        fp = (s.get("fingerprint") or "").upper()
        if not fp:
            continue  # a CA-signed PBS certificate needs no pinned fingerprint
        server = (s.get("server") or "").lower()
        matches = [n for n in pbs_certs if server and (server == n.lower() or server.startswith(n.lower() + "."))]
        candidates = matches or (list(pbs_certs) if len(pbs_certs) == 1 else [])
        if not candidates:
            continue
        pf, leaf = pbs_certs[candidates[0]]
        actual = leaf.fingerprint_sha256
        if fp == actual.upper():
            continue
        yield Hit(f"pbs storage '{s.id}' (server {s.get('server')}, datastore {s.get('datastore')}) pins "
                  f"fingerprint {fp[:23]}…, but the PBS on {candidates[0]} serves {actual[:23]}…: backups "
                  "to it fail certificate validation",
                  nodes=candidates[0], evidence=[cfg_f.ref([s.line, s.prop_lines.get("fingerprint", 0)]),
                                                 pf.ref([leaf.line])],
                  params={"storage": s.id, "fingerprint": actual, "node": candidates[0]},
                  fix=list(PBS_FIX), severity=Severity.HIGH, when=When.NOW,
                  details={"storage": s.id, "configured": fp, "served": actual})
