"""`--api`: the Proxmox VE API as a source, replayed through a local HTTPS server (tests/api_replay.py).

Real recorded answers (tests/evidence/pve-api/SOURCE.md) go through proxmoxer, TLS, the bundle
and the JSON parsers into the same typed facts the command parsers give, and the same rules run
on them. TLS is verified by default; a pinned fingerprint or a CA file admits a self-signed
certificate and a wrong fingerprint is refused before anything is sent. The token never appears
in any output, bundle or error. A node that is offline, silent or refuses is FW908 and the run
goes on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from api_replay import Replay, recorded

SECRET = f"CANARY{uuid.uuid4().hex}"
TOKEN = f"forewarn@pve!audit={SECRET}"
ROUTES: dict[str, Any] = {
    "/cluster/status": (200, recorded("cluster-status-standalone.json")),
    "/cluster/resources": (200, recorded("cluster-resources-storage.json")),
    "/cluster/ha/status/current": (200, recorded("ha-status-current.json")),
}


def run(*args: str, token: str | None = TOKEN, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOREWARN_")}
    if cwd is not None:
        env["XDG_CONFIG_HOME"] = str(cwd)  # no config file of the machine's
    if token is not None:
        env["FOREWARN_PVE_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "forewarn.cli.main", *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=cwd)


def scan_json(*args: str, **kw: Any) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    res = run("scan", *args, "--format", "json", **kw)
    assert res.stdout.strip(), res.stderr
    return json.loads(res.stdout), res


def by_code(report: dict[str, Any], code: str) -> list[dict[str, Any]]:
    """Findings and checks (passes, could-not-check) of one code."""
    return [f for f in report["findings"] + report["checks"] if f["code"] == code]


@pytest.fixture()
def pve(tmp_path: Path) -> Any:
    with Replay(tmp_path, dict(ROUTES), TOKEN) as server:
        yield server


def test_pinned_scan_reads_the_api_into_the_same_facts_and_rules(pve: Replay, tmp_path: Path) -> None:
    report, res = scan_json("--api", pve.url, "--fingerprint", pve.fingerprint, cwd=tmp_path)
    assert "/cluster/status" in pve.asked and "/nodes/pve/status" in pve.asked
    # PVE110 reads pve.ha_manager_status; here its API form fed it: checked, not "could not check"
    pve110 = by_code(report, "PVE110")
    assert pve110 and all(f["status"] == "pass" for f in pve110), pve110
    # PVE130 reads pve.pvesm_status: the three storages are available, so it passes
    pve130 = by_code(report, "PVE130")
    assert pve130 and all(f["status"] == "pass" for f in pve130), pve130
    assert not by_code(report, "FW908") and not by_code(report, "FW901")
    assert "Warning" not in res.stderr, res.stderr  # a pinned connection is a verified one


def test_a_could_not_check_names_the_api_form(pve: Replay, tmp_path: Path) -> None:
    pve.routes.pop("/cluster/ha/status/current")
    pve.routes.pop("/cluster/resources")
    report, _ = scan_json("--api", pve.url, "--fingerprint", pve.fingerprint, cwd=tmp_path)
    msgs = " ".join(f["message"] for f in by_code(report, "PVE130"))
    assert "pve.pvesm_status (or its API form pve.api_storage_status)" in msgs, msgs


def test_tls_is_verified_by_default_and_nothing_is_sent(pve: Replay, tmp_path: Path) -> None:
    report, res = scan_json("--api", pve.url, cwd=tmp_path)
    fw908 = by_code(report, "FW908")
    assert fw908 and "certificate" in fw908[0]["message"], report["findings"][:3]
    assert pve.asked == [], "a request went out over an unverified connection"


def test_a_wrong_fingerprint_is_refused_before_the_token_is_sent(pve: Replay, tmp_path: Path) -> None:
    wrong = ":".join(["AB"] * 32)
    report, res = scan_json("--api", pve.url, "--fingerprint", wrong, cwd=tmp_path)
    fw908 = by_code(report, "FW908")
    assert fw908 and "fingerprint is not the one given" in fw908[0]["message"], fw908
    assert pve.auth_seen == []
    res = run("collect", "--api", pve.url, "--fingerprint", wrong, "-o", str(tmp_path / "b"), cwd=tmp_path)
    assert res.returncode == 2 and "FW908" in res.stderr, res.stdout + res.stderr  # nothing collected
    assert pve.auth_seen == []


def test_a_ca_file_admits_the_cluster_certificate(pve: Replay, tmp_path: Path) -> None:
    report, _ = scan_json("--api", pve.url, "--ca-file", str(pve.cert), cwd=tmp_path)
    assert not by_code(report, "FW908")
    assert [f["status"] for f in by_code(report, "PVE130")] == ["pass"]


def test_a_refused_token_is_fw908_with_its_reason(pve: Replay, tmp_path: Path) -> None:
    report, res = scan_json("--api", pve.url, "--fingerprint", pve.fingerprint,
                            token=f"forewarn@pve!audit=WRONG{SECRET}", cwd=tmp_path)
    fw908 = by_code(report, "FW908")
    assert fw908 and "authentication refused" in fw908[0]["message"]
    assert SECRET not in res.stdout + res.stderr


def test_an_offline_and_a_silent_node_are_fw908_and_the_rest_is_read(tmp_path: Path) -> None:
    # a three-node cluster/status built for this test (it tests the transport, not a parser)
    status = [{"type": "cluster", "name": "c", "quorate": 1, "nodes": 3, "version": 3},
              {"type": "node", "name": "pve", "local": 1, "online": 1, "nodeid": 1},
              {"type": "node", "name": "pve2", "online": 0, "nodeid": 2},
              {"type": "node", "name": "pve3", "online": 1, "nodeid": 3}]
    routes = {**ROUTES, "/cluster/status": (200, status), "/nodes/pve3/status": "hang"}
    with Replay(tmp_path, routes, TOKEN) as server:
        report, res = scan_json("--api", server.url, "--fingerprint", server.fingerprint,
                                "--command-timeout", "2", cwd=tmp_path)
    fw908 = {f["nodes"][0]: f["message"] for f in by_code(report, "FW908")}
    assert set(fw908) == {"pve2", "pve3"}, fw908
    assert "offline" in fw908["pve2"] and "no answer" in fw908["pve3"]
    assert [f["status"] for f in by_code(report, "PVE130") if "pve" in f["nodes"] or not f["nodes"]]


def test_the_token_never_reaches_output_bundle_or_error(pve: Replay, tmp_path: Path) -> None:
    out = tmp_path / "b.tar.gz"
    res = run("collect", "--api", pve.url, "--fingerprint", pve.fingerprint, "-o", str(out), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    blobs = [res.stdout, res.stderr]
    import tarfile

    with tarfile.open(out) as tar:
        names = tar.getnames()
        for m in tar.getmembers():
            if m.isfile():
                blobs.append(tar.extractfile(m).read().decode("utf-8", "replace"))  # type: ignore[union-attr]
    assert any(n.endswith("api/ha_status.json") for n in names), names
    for fmt in ("text", "json", "markdown", "html", "sarif"):
        r = run("scan", str(out), "--format", fmt, cwd=tmp_path)
        blobs += [r.stdout, r.stderr]
    # every failure path: refused TLS, wrong token, a token file, a bad token
    blobs += [run("scan", "--api", pve.url, cwd=tmp_path).stderr]
    tf = tmp_path / "token"
    tf.write_text(f"forewarn@pve!audit=X{SECRET}\n")
    r = run("scan", "--api", pve.url, "--fingerprint", pve.fingerprint, "--token-file", str(tf), token=None,
            cwd=tmp_path)
    blobs += [r.stdout, r.stderr]
    r = run("scan", "--api", pve.url, token=f"not a token {SECRET}", cwd=tmp_path)
    assert r.returncode == 2 and "not an API token" in r.stderr
    blobs += [r.stdout, r.stderr]
    assert all(SECRET not in b for b in blobs)
    assert any(a.endswith(SECRET) for a in pve.auth_seen)  # the canary was really in use


@pytest.mark.parametrize("args,needle", [
    (("--api", "http://127.0.0.1:8006"), "only https://"),
    (("--api", "https://pve1 -oProxyCommand=x"), "--api"),
    (("--api", "https://u:p@pve1:8006"), "no credentials in the URL"),
    (("--fingerprint", "AB:CD"), "only go with --api"),
    (("--api", "https://pve1", "--fingerprint", "AB:CD"), "not a SHA-256 fingerprint"),
    (("--api", "https://pve1", "root@pve2"), "not both"),
])
def test_bad_api_input_is_one_line(args: tuple[str, ...], needle: str, tmp_path: Path) -> None:
    res = run("scan", *args, cwd=tmp_path)
    assert res.returncode == 2, res.stdout + res.stderr
    assert needle in res.stderr and "Traceback" not in res.stderr


def test_no_token_says_where_to_put_it(tmp_path: Path) -> None:
    res = run("scan", "--api", "https://127.0.0.1:1", token=None, cwd=tmp_path)
    assert res.returncode == 2 and "FOREWARN_PVE_TOKEN" in res.stderr and "never on the command line" in res.stderr


def test_the_readme_api_example_is_real_output(pve: Replay, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from test_readme import readme_block, shown_in_order

    shown = readme_block("forewarn scan --api https://pve1:8006")
    monkeypatch.setenv("COLUMNS", "100")  # the README's width
    monkeypatch.setenv("NO_COLOR", "1")
    res = run("scan", "--api", pve.url, "--fingerprint", pve.fingerprint, "--only", "PVE110", "--only", "PVE130",
              "--show-passed", cwd=tmp_path)
    real = res.stdout.replace(pve.url, "https://pve1:8006")
    missing = shown_in_order(shown, real)
    assert not missing, "README lines not in the real output:\n" + "\n".join(missing) + "\n---\n" + real


def test_api_fingerprint_and_token_file_from_forewarn_toml(pve: Replay, tmp_path: Path) -> None:
    (tmp_path / "pve-token").write_text(TOKEN + "\n")
    (tmp_path / "forewarn.toml").write_text(f'api = "{pve.url}"\nfingerprint = "{pve.fingerprint}"\n'
                                            'token-file = "pve-token"\n')
    report, res = scan_json(token=None, cwd=tmp_path)
    assert "/cluster/status" in pve.asked and not by_code(report, "FW908"), res.stderr
    # a target on the command line wins over the config's api
    bundle = Path(__file__).resolve().parents[1] / "examples" / "seed001-quorum-flap"
    asked = len(pve.asked)
    report, res = scan_json(str(bundle), token=None, cwd=tmp_path)
    assert len(pve.asked) == asked and by_code(report, "PVE101"), res.stderr
