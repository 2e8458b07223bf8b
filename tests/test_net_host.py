"""NET101-NET106 end to end: `forewarn explain` on real host files of a node that is not (or not
shown to be) Proxmox VE, and the interfaces parser against Debian's ifupdown2 (`ifquery`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from forewarn.cli.main import cli
from forewarn.parse.host.interfaces import parse_interfaces
from forewarn.rules import RULES

EV = Path(__file__).parent / "evidence"
NET = EV / "net"
SEED000 = EV / "seeds" / "000_ddaad953b0664170.txt"


def _explain(*args: str) -> dict:
    res = CliRunner().invoke(cli, ["explain", *args, "--format", "json", "--show-passed"])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.output)


def _status(report: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in report["findings"]:
        out.setdefault(f["code"], set()).add("fail")
    for c in report["checks"]:
        out.setdefault(c["code"], set()).add(c["status"])
    return out


def test_explain_linux_node_gives_net_findings_and_pve_not_applicable() -> None:
    files = [NET / "interfaces" / "ustc-pv2-ifupdown.interfaces", NET / "lab" / "vx1500-ip-j-d-link.json",
             NET / "lab" / "arp-ip-j-addr.json", NET / "lab" / "arp-default-sysctl-a.txt"]
    args = [str(f) for f in files] + [a for f in files for a in ("--node", f"pv2={f}")]
    report = _explain(*args)
    inputs = "\n".join(report["inputs"])
    for spec in ("host.interfaces", "host.ip_link", "host.ip_addr", "host.sysctl"):
        assert f"[{spec}]" in inputs, inputs
    st = _status(report)
    # the live vxlan at 1450 beside a 1500 veth; ARP flux on the two 10.0.0.0/24 NICs
    assert st["NET105"] == {"fail"} and st["NET104"] == {"fail"}
    msgs = {f["code"]: f["message"] for f in report["findings"]}
    assert "pv2: vxlan0 (vxlan id 10) has MTU 1450" in msgs["NET105"]
    assert "ens1f0 and ens1f1 both in 10.0.0.0/24" in msgs["NET104"]
    # bond-master lines, but nothing says which ifupdown runs there
    assert st["NET101"] == {"could-not-check"} and st["NET102"] == {"could-not-check"}
    assert st["NET103"] == {"not-applicable"}
    assert st["NET106"] == {"pass"}
    # rules for Proxmox VE itself (a few PVE-numbered rules are marked for any Linux host: skipped here)
    pve = {code: s for code, s in st.items() if code in RULES and RULES[code].platform == "pve"}
    assert len(pve) > 10 and all(s == {"not-applicable"} for s in pve.values()), pve


def test_explain_with_pveversion_turns_bond_master_into_a_finding(tmp_path: Path) -> None:
    iface = NET / "interfaces" / "ustc-pv2-ifupdown.interfaces"
    pvev = EV / "public-pastes" / "pveversion-v-pve83-issue28.txt"
    report = _explain(str(iface), str(pvev), "--node", f"pv2={iface}", "--node", f"pv2={pvev}",
                      "--as", f"pve.pveversion={pvev}")
    st = _status(report)
    assert st["NET101"] == {"fail"} and st["NET102"] == {"fail"} and st["NET103"] == {"pass"}
    net101 = next(f for f in report["findings"] if f["code"] == "NET101")
    assert "bond-slaves eno1 eno2 eno3 eno4" in json.dumps(net101["fix"])
    assert net101["severity"] == "critical"


# -- the parser against ifupdown2's own reading ------------------------------------------------------

def _files() -> list[tuple[str, str]]:
    out = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted((NET / "interfaces").glob("*.interfaces"))]
    seed = SEED000.read_text(encoding="utf-8").splitlines()
    out.append(("seed000-ifupdown", "\n".join(seed[125:139]) + "\n"))
    out.append(("seed000-ifupdown2", "\n".join(seed[144:157]) + "\n"))
    return out


def _as_ifquery(text: str) -> list[dict]:
    """Our parse in the shape of `ifquery -a -o json`: auto stanzas, keys with dashes, `$IFACE` filled in."""
    v = parse_interfaces(text).value
    out = []
    for s in v.stanzas:
        if s.name not in v.auto:
            continue
        d: dict = {"name": s.name}
        if s.method:
            d["addr_method"] = s.method
        if s.family:
            d["addr_family"] = s.family
        d["auto"] = True
        config: dict = {}
        items = [(o.line, o.key, o.value) for o in s.options] + [(c.line, c.phase, c.text) for c in s.commands]
        for _, key, value in sorted(items):
            value = re.sub(r"\$\{?IFACE\}?", s.name, value)
            if key in config:
                config[key] = (config[key] if isinstance(config[key], list) else [config[key]]) + [value]
            else:
                config[key] = value
        d["config"] = config
        out.append(d)
    return out


@pytest.mark.parametrize("name,text", _files(), ids=[n for n, _ in _files()])
def test_interfaces_parser_matches_stored_ifquery(name: str, text: str) -> None:
    stored = json.loads((NET / "ifquery" / f"{name}.json").read_text(encoding="utf-8"))
    assert _as_ifquery(text) == stored


def _ifquery() -> str | None:
    return os.environ.get("FOREWARN_IFQUERY") or shutil.which("ifquery")


@pytest.mark.skipif(_ifquery() is None, reason="ifupdown2's ifquery is not installed here (set FOREWARN_IFQUERY "
                                                "to an unpacked ifupdown2, see tests/evidence/net/ifquery/run-ifupdown2.sh)")
@pytest.mark.parametrize("name,text", _files(), ids=[n for n, _ in _files()])
def test_interfaces_parser_matches_live_ifquery(name: str, text: str, tmp_path: Path) -> None:
    f = tmp_path / "interfaces"
    f.write_text(text, encoding="utf-8")
    cmd = [_ifquery(), "-i", str(f), "-a", "-o", "json"]
    if cmd[0].endswith(".py") or not os.access(cmd[0], os.X_OK):
        cmd.insert(0, "/usr/bin/python3")
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert _as_ifquery(text) == json.loads(res.stdout)
