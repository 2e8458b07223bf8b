"""Ansible inventories as targets (collect/inventory.py): real inventories read by forewarn's
static reader and by the real `ansible-inventory`, `--limit` patterns, and hostile values.

The fixtures are verbatim inventories from Ansible's documentation and plugins and from Proxmox
projects (tests/evidence/inventory/SOURCE.md).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from forewarn.collect.inventory import Inventory, InventoryError, host_target, hosts_of, load, select

ROOT = Path(__file__).resolve().parents[1]
EVIDENCE = ROOT / "tests/evidence/inventory"
ANSIBLE = shutil.which("ansible-inventory", path=str(Path(sys.executable).parent)) or shutil.which("ansible-inventory")
FIXTURES = sorted(p for p in EVIDENCE.rglob("*")
                  if p.is_file() and p.name != "SOURCE.md" and "group_vars" not in p.parts)
needs_ansible = pytest.mark.skipif(ANSIBLE is None, reason="ansible-core (the test extra) is not installed")

HOSTILE = "127.0.0.1:22 -oProxyCommand=touch$IFS/tmp/x"


def _static(path: Path | str) -> Inventory:
    return load(path, ansible=False)


def _view(inv: Inventory) -> tuple[dict[str, Any], dict[str, list[str]]]:
    members = {g: sorted(inv.members(g)) for g in inv.groups}
    return inv.hostvars, {g: m for g, m in members.items() if m}


# -- each key and shape, on the real files -----------------------------------------------------
def test_groups_and_ungrouped_of_the_docs_basic_inventory() -> None:
    for name in ("docs-basic.ini", "docs-basic.yml"):
        inv = _static(EVIDENCE / name)
        assert inv.hosts == ["mail.example.com", "foo.example.com", "bar.example.com", "one.example.com",
                             "two.example.com", "three.example.com"], name
        assert inv.members("ungrouped") == ["mail.example.com"]
        assert inv.members("dbservers") == ["one.example.com", "two.example.com", "three.example.com"]
        assert inv.reader == ("INI" if name.endswith(".ini") else "YAML")


def test_children_make_their_hosts_members_of_the_parent() -> None:
    inv = _static(EVIDENCE / "docs-what-where-when.yml")
    assert inv.members("prod") == ["foo.example.com", "one.example.com", "two.example.com"]
    assert inv.members("test") == ["bar.example.com", "three.example.com"]


def test_ansible_host_and_ansible_port_of_an_alias() -> None:
    inv = _static(EVIDENCE / "docs-alias.ini")
    (host,) = hosts_of(inv, inv.hosts)
    assert host.name == "jumper" and host.target is not None
    assert (host.target.host, host.target.port, host.target.user) == ("192.0.2.50", 5555, None)


def test_ansible_port_and_ansible_user() -> None:
    inv = _static(EVIDENCE / "docs-behavioral.ini")
    some = host_target(inv, "some_host")
    assert str(some.target) == "manager@some_host:2222"
    assert str(host_target(inv, "aws_host").target) == "aws_host"
    conn = _static(EVIDENCE / "docs-connection.ini")
    assert [str(h.target) for h in hosts_of(conn, conn.hosts)] == [
        "localhost", "myuser@other1.example.com", "myotheruser@other2.example.com"]


def test_the_older_ansible_ssh_user_from_all_vars() -> None:
    """lae/ansible-role-proxmox's test inventory: no suffix, `[all:vars] ansible_ssh_user=root`."""
    inv = _static(EVIDENCE / "lae-proxmox/inventory")
    assert inv.reader == "INI"
    assert [str(h.target) for h in hosts_of(inv, inv.hosts)] == [
        "root@test01.lxc", "root@test02.lxc", "root@test03.lxc"]


def test_a_port_after_the_host_name() -> None:
    inv = _static(EVIDENCE / "docs-host-port.ini")
    assert str(host_target(inv, "badwolf.example.com").target) == "badwolf.example.com:5309"


def test_ranges_numeric_with_stride_and_alphabetic() -> None:
    assert len(_static(EVIDENCE / "docs-range.ini").hosts) == 50
    stride = _static(EVIDENCE / "docs-range-stride.ini").hosts
    assert stride[:3] == ["www01.example.com", "www03.example.com", "www05.example.com"]
    assert stride[-1] == "www49.example.com" and len(stride) == 25
    assert _static(EVIDENCE / "docs-range-alpha.ini").hosts == [f"db-{c}.example.com" for c in "abcdef"]


def test_two_hosts_on_one_address_with_their_own_ports() -> None:
    inv = _static(EVIDENCE / "ini-plugin-example2.ini")
    assert [str(h.target) for h in hosts_of(inv, ["host2", "host3"])] == ["127.0.0.1:44", "127.0.0.1:45"]
    assert inv.members("ungrouped") == ["host1", "host2", "host3"]
    assert inv.members("g1") == inv.members("g2") == ["host4"]


def test_variable_precedence_of_the_ini_plugin_example() -> None:
    """Host over child group over parent over all. Values are Python literals where they parse as
    one, in `:vars` too, where a trailing `# comment` is then Python's own comment."""
    inv = _static(EVIDENCE / "ini-plugin-example1.ini")
    assert inv.hostvars["tomcat2"]["myvar"] == 34
    assert inv.hostvars["tomcat1"]["myvar"] == 23
    assert inv.hostvars["jenkins1"]["has_java"] is True  # nginx's vars over all's
    assert inv.hostvars["host1"]["has_java"] is False
    assert inv.hostvars["tomcat3"]["mysecret"] == "03#pa33w0rd"
    assert inv.hostvars["host2"]["ansible_port"] == 222
    assert inv.members("web") == ["host1", "host2", "tomcat1", "tomcat2", "tomcat3", "jenkins1"]


def test_yaml_plugin_example_host_without_a_colon_and_group_vars() -> None:
    inv = _static(EVIDENCE / "yaml-plugin-example.yml")
    assert inv.members("group_x") == ["test5"]
    assert inv.members("last_group") == ["test1"]
    assert inv.hostvars["test4"]["g2_var2"] == "value3" and inv.hostvars["test1"]["group_last_var"] == "value"
    assert str(host_target(inv, "test4").target) == "127.0.0.1"


def test_group_vars_beside_the_inventory() -> None:
    inv = _static(EVIDENCE / "vars-dirs/hosts.yml")
    assert inv.hostvars["host3"]["ntp_server"] == "acme.example.org"
    assert "ntp_server" not in inv.hostvars["host1"]
    assert inv.hostvars["host1"]["some_server"] == "foo.southeast.example.com"


def test_a_children_section_naming_an_undeclared_group_is_refused_like_ansible_does() -> None:
    with pytest.raises(InventoryError, match=r"docs-subgroups.ini:21: .*usa:children.* undefined group 'northeast'"):
        _static(EVIDENCE / "docs-subgroups.ini")


@needs_ansible
@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(EVIDENCE)))
def test_static_reader_agrees_with_ansible_inventory(path: Path) -> None:
    """The real `ansible-inventory --list` and forewarn's reader give the same hosts, groups and
    variables for every fixture, or both refuse it for the same reason."""
    try:
        ours: Any = _view(_static(path))
    except InventoryError as exc:
        ours = ("refused", str(exc).split(": ", 1)[1])
    try:
        theirs: Any = _view(load(path, ansible=ANSIBLE))
    except InventoryError as exc:
        theirs = ("refused", str(exc))
    if ours[0] == "refused":
        assert theirs[0] == "refused" and ours[1].lower() in theirs[1].lower(), (ours, theirs)
    else:
        assert ours == theirs


@needs_ansible
def test_ansible_inventory_is_asked_when_it_is_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A script inventory only Ansible can run: found on PATH, asked, its answer used."""
    script = tmp_path / "dynamic.sh"
    script.write_text('#!/bin/sh\necho \'{"pve": {"hosts": ["pve1"]}, "_meta": {"hostvars": '
                      '{"pve1": {"ansible_host": "10.0.0.1", "ansible_user": "root"}}}}\'\n')
    script.chmod(0o755)
    with pytest.raises(InventoryError, match="needs Ansible"):
        load(script, ansible=False)
    monkeypatch.setenv("PATH", f"{Path(ANSIBLE).parent}:/usr/bin:/bin")  # type: ignore[arg-type]
    inv = load(script)
    assert inv.reader == "ansible-inventory"
    assert [str(h.target) for h in hosts_of(inv, inv.hosts)] == ["root@10.0.0.1"]


def test_a_hung_ansible_inventory_is_a_one_line_error_and_is_stopped(tmp_path: Path) -> None:
    """A dynamic inventory that hangs (here a stand-in whose child sleeps): an error after the
    timeout, and nothing it started is left running."""
    import time

    pidfile = tmp_path / "child.pid"
    fake = tmp_path / "ansible-inventory"
    fake.write_text(f"#!/bin/sh\nsleep 30 &\necho $! > {pidfile}\nwait\n")
    fake.chmod(0o755)
    started = time.monotonic()
    with pytest.raises(InventoryError, match=r"no answer within 1 s"):
        load(EVIDENCE / "docs-basic.ini", ansible=str(fake), timeout=1)
    assert time.monotonic() - started < 10
    time.sleep(0.2)
    stat = Path(f"/proc/{int(pidfile.read_text())}/stat")
    # gone, or dead and waiting to be reaped by whoever adopted it (a container's init may not)
    assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")


def test_a_range_product_too_large_is_refused_before_it_is_built(tmp_path: Path) -> None:
    path = tmp_path / "hosts.ini"
    path.write_text("[pve]\nn[0:9999]-[0:9999]\n")
    with pytest.raises(InventoryError, match="more than"):
        _static(path)


# -- --limit -------------------------------------------------------------------------------------
PVE = EVIDENCE / "t3knoid-pve.ini"


@pytest.mark.parametrize("limit, hosts", [
    (None, ["pve-0", "pve-1", "pve-2", "rproxy-0", "rproxy-1", "rproxy-2"]),
    ("all", ["pve-0", "pve-1", "pve-2", "rproxy-0", "rproxy-1", "rproxy-2"]),
    ("*", ["pve-0", "pve-1", "pve-2", "rproxy-0", "rproxy-1", "rproxy-2"]),
    ("pve-1", ["pve-1"]),
    ("pvenodes", ["pve-0", "pve-1", "pve-2"]),
    ("linux", ["pve-0", "pve-1", "pve-2"]),  # a parent through :children
    ("pve*", ["pve-0", "pve-1", "pve-2"]),  # the group pvenodes and the hosts pve-N
    ("rproxy_*", ["rproxy-0", "rproxy-1", "rproxy-2"]),
    ("pve-?", ["pve-0", "pve-1", "pve-2"]),
    ("pve-0:rproxy-1", ["pve-0", "rproxy-1"]),
    ("pve-0,rproxy-1", ["pve-0", "rproxy-1"]),
    ("pvenodes:!template", ["pve-0", "pve-1"]),
    ("pvenodes:&cname", ["pve-0", "pve-2"]),
    ("ceph_nodes:&cname:!template", ["pve-0"]),
    ("!template:&pvenodes", ["pve-0", "pve-1"]),  # no plain term: `all`, then & and !
    ("all:!rproxy", ["pve-0", "pve-1", "pve-2"]),
    ("pbs", ["pve-0", "pve-1", "pve-2"]),  # pbsnodes is empty, pvenodes is its sibling child
    ("certs, cname", ["pve-0", "pve-2", "rproxy-0"]),
])
def test_limit_patterns(limit: str | None, hosts: list[str]) -> None:
    assert select(_static(PVE), limit)[0] == hosts


def test_a_limit_term_that_matches_nothing_is_reported_and_ignored() -> None:
    chosen, unmatched = select(_static(PVE), "pve-0:nosuchhost:!nosuchgroup")
    assert chosen == ["pve-0"] and unmatched == ["nosuchhost", "!nosuchgroup"]


@pytest.mark.parametrize("limit, why", [
    ("nosuchhost", "selects no host"),
    ("pvenodes:&rproxy", "selects no host"),
    ("~pve-[01]", "regular expressions"),
    ("@retry_hosts.txt", "host list files"),
    ("pvenodes[0]", "subscripts"),
    ("pvenodes[0:1]", "subscripts"),
])
def test_limit_errors(limit: str, why: str) -> None:
    with pytest.raises(InventoryError, match=why):
        select(_static(PVE), limit)


@needs_ansible
@pytest.mark.parametrize("limit", ["pve*", "pvenodes:!template", "ceph_nodes:&cname:!template", "all:!rproxy",
                                   "rproxy_*,pve-1", "!template:&pvenodes"])
def test_limit_selects_what_ansible_selects(limit: str) -> None:
    import json
    import subprocess

    ansible = str(Path(ANSIBLE).with_name("ansible"))  # type: ignore[arg-type]
    res = subprocess.run([ansible, "-i", str(PVE), limit, "--list-hosts"], capture_output=True, text=True,
                         timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONWARNINGS": "ignore"})
    assert res.returncode == 0, res.stderr
    theirs = sorted(line.strip() for line in res.stdout.splitlines()[1:] if line.strip())
    assert sorted(select(_static(PVE), limit)[0]) == theirs, json.dumps(res.stdout)


# -- hostile and bad values ------------------------------------------------------------------------
def _with(tmp_path: Path, source: str, old: str, new: str, name: str | None = None) -> Path:
    text = (EVIDENCE / source).read_text()
    assert old in text
    out = tmp_path / (name or Path(source).name)
    out.write_text(text.replace(old, new))
    return out


@pytest.mark.parametrize("old, new, key", [
    ("ansible_host=192.0.2.50", f"ansible_host='{HOSTILE}'", "ansible_host"),
    ("ansible_host=192.0.2.50", "ansible_host='pve1;id'", "ansible_host"),
    ("ansible_host=192.0.2.50", "ansible_host='-oProxyCommand=x'", "ansible_host"),
    ("ansible_port=5555", "ansible_port='22 -oProxyCommand=x'", "ansible_port"),
    ("ansible_port=5555", "ansible_port=70000", "ansible_port"),
    ("ansible_port=5555", "ansible_port=True", "ansible_port"),
    ("ansible_port=5555", "ansible_user='root -oProxyCommand=x'", "ansible_user"),
    ("ansible_port=5555", "ansible_user='$(id)'", "ansible_user"),
    ("ansible_port=5555", "ansible_user=['root']", "ansible_user"),
])
def test_a_hostile_value_refuses_that_host_only(tmp_path: Path, old: str, new: str, key: str) -> None:
    bad = _with(tmp_path, "docs-alias.ini", old, new)
    bad.write_text(bad.read_text() + (EVIDENCE / "docs-behavioral.ini").read_text())
    inv = _static(bad)
    hosts = {h.name: h for h in hosts_of(inv, inv.hosts)}
    assert hosts["jumper"].target is None
    assert hosts["jumper"].refused.startswith(key + " ") and "\n" not in hosts["jumper"].refused
    assert str(hosts["some_host"].target) == "manager@some_host:2222"


def test_a_hostile_inventory_host_name_without_ansible_host_is_refused(tmp_path: Path) -> None:
    bad = _with(tmp_path, "t3knoid-pve.ini", "\npve-1 ", "\n'pve-1;touch${IFS}x' ")
    inv = _static(bad)
    hosts = {h.name: h for h in hosts_of(inv, inv.hosts)}
    assert hosts["pve-1;touch${IFS}x"].target is None
    assert "the host name 'pve-1;touch${IFS}x', which is not a host name" in hosts["pve-1;touch${IFS}x"].refused
    assert str(hosts["pve-0"].target) == "pve-0"


def test_a_yaml_hostile_value_and_a_null_ansible_host(tmp_path: Path) -> None:
    bad = _with(tmp_path, "yaml-plugin-example.yml", "ansible_host: 127.0.0.1", f"ansible_host: '{HOSTILE}'")
    inv = _static(bad)
    assert host_target(inv, "test4").target is None and repr(HOSTILE) in host_target(inv, "test4").refused
    null = _with(tmp_path, "yaml-plugin-example.yml", "ansible_host: 127.0.0.1", "ansible_host:", "null.yml")
    assert str(host_target(_static(null), "test4").target) == "test4"  # unset: the inventory name


@pytest.mark.parametrize("text, why", [
    ("[web\nhost1\n", "not a host pattern"),
    ("[web ]\nhost1\n", "not a section header"),
    ("[web:hosts2]\nhost1\n", "unknown type"),
    ("[web:vars]\nx=1\n", "undefined group 'web'"),
    ("[web]\nhost1 novalue\n", "expected key=value"),
    ("[web]\nhost1 a='unterminated\n", "cannot split"),
    ("[web]\npve[3:1]\n", "ends before it starts"),
    ("[web]\nn[0:99999999]\n", "more than"),
    ("[a:children]\nb\n[b:children]\na\n", "children of each other"),
    ("---\nall:\n", "YAML"),
])
def test_broken_ini_is_a_one_line_error(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "hosts.ini"
    path.write_text(text)
    with pytest.raises(InventoryError, match=why) as exc:
        _static(path)
    assert "\n" not in str(exc.value) and str(path) in str(exc.value)


@pytest.mark.parametrize("text, why", [
    ("plugin: community.general.proxmox\nurl: https://pve1:8006\n", "plugin's configuration"),
    ("- a\n- b\n", "mapping of groups"),
    ("all: {hosts: [a, b]}\n", "not a mapping"),
    ("all:\n  hosts:\n    pve1: [1]\n", "not a mapping"),
    ("all: [unclosed\n", "not valid YAML"),
    ("a: &a {children: {b: *a}}\n", "children of each other|nested deeper"),
])
def test_broken_yaml_is_a_one_line_error(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text(text)
    with pytest.raises(InventoryError, match=why) as exc:
        _static(path)
    assert "\n" not in str(exc.value)


def test_yaml_keys_other_than_hosts_vars_children_are_skipped_as_ansible_does(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text("all:\n  host:\n    pve1:\n  comment: a typo above\n  hosts:\n    pve2:\n")
    assert _static(path).hosts == ["pve2"]
    if ANSIBLE:
        assert load(path, ansible=ANSIBLE).hosts == ["pve2"]


def test_a_yaml_child_that_is_no_mapping_is_skipped_not_a_traceback(tmp_path: Path) -> None:
    """The docs' YAML example with one character typed before a `hosts:` key (what the fuzz test
    found): `0    hosts: test5` is then a child group whose body is a string, which Ansible skips
    with a warning; it was listed as a child anyway and the cycle check raised KeyError."""
    text = (EVIDENCE / "yaml-plugin-example.yml").read_text()
    at = text.index("                    hosts:\n                        test5")
    path = tmp_path / "hosts.yml"
    path.write_text(text[:at] + "                0" + text[at + 16:])
    inv = _static(path)
    assert "0    hosts" not in inv.groups and inv.members("group_x") == []


def test_a_yaml_alias_bomb_stops(tmp_path: Path) -> None:
    """Nine levels of ten aliases would be 10^9 host entries to walk: stopped at the cap."""
    lines = ["a0: &a0 {hosts: {pve1: null}}"]
    lines += [f"a{i}: &a{i} {{children: {{{', '.join(f'g{i}_{j}: *a{i - 1}' for j in range(10))}}}}}"
              for i in range(1, 10)]
    path = tmp_path / "bomb.yml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InventoryError, match="more than"):
        _static(path)


def test_a_vaulted_group_vars_file_needs_ansible(tmp_path: Path) -> None:
    shutil.copytree(EVIDENCE / "vars-dirs", tmp_path / "inv")
    (tmp_path / "inv/group_vars/raleigh").write_text("$ANSIBLE_VAULT;1.1;AES256\n6162\n")
    with pytest.raises(InventoryError, match="Ansible Vault"):
        _static(tmp_path / "inv/hosts.yml")


def test_a_directory_or_a_missing_file_without_ansible(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="needs Ansible"):
        _static(EVIDENCE / "vars-dirs")
    with pytest.raises(InventoryError, match="no such file"):
        _static(tmp_path / "nope.ini")
    with pytest.raises(InventoryError, match="not a regular file"):
        _static("/dev/zero")
    big = tmp_path / "big.ini"
    big.write_bytes(b"# " + b"x" * (16 << 20) + b"\n")
    with pytest.raises(InventoryError, match="not an inventory file"):
        _static(big)
