"""Ansible inventories as targets: `forewarn scan -i hosts.ini [--limit PATTERN]`.

Where Ansible is installed, `ansible-inventory -i INVENTORY --list` is asked (a subprocess with a
timeout: dynamic inventories, plugins, group_vars and vaults work as they do for Ansible, and
forewarn never imports Ansible, which is GPL). Otherwise the static INI and YAML formats are read
here (collect/inventory_files.py). Either way the result is the same model, `--limit` is applied
to it (the pattern subset in docs/collection.md), and each host becomes a target named after its
inventory name: `ansible_host` (else the name), `ansible_port`, `ansible_user`.

An inventory is input, not trusted: every address, user and port goes through the same check as a
target typed on the command line (collect/targets.py). A host whose value is refused is never
contacted; it becomes a source that fails at `open`, so the refusal is an FW908 finding naming
the host and the value, and the other hosts are scanned.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forewarn.collect.inventory_files import (Group, InventoryError, Tree, check_cycles, is_v6, looks_yaml, read_ini,
                                              read_vars_dirs, read_yaml)
from forewarn.collect.sources.refused import RefusedSource, shown
from forewarn.collect.targets import BadTarget, Target, check_host

__all__ = ["Inventory", "InventoryError", "InventoryHost", "refused_host", "load", "select", "hosts_of"]

ANSIBLE_TIMEOUT = 60.0
MAX_BYTES = 16 << 20  # a static inventory file larger than this is not one
# Ansible's connection variables and their older spellings, the first set one wins
HOST_KEYS = ("ansible_host", "ansible_ssh_host")
PORT_KEYS = ("ansible_port", "ansible_ssh_port")
USER_KEYS = ("ansible_user", "ansible_ssh_user")
_SUBSCRIPT = re.compile(r".+\[(?:-?[0-9]+|[0-9]*\s*:\s*[0-9]*)\]")
_GLOB = re.compile(r"[*?\[]")


@dataclass(slots=True)
class Inventory:
    path: str
    reader: str  # "ansible-inventory", "INI" or "YAML"
    groups: dict[str, Group]
    hostvars: dict[str, dict[str, Any]]  # merged, per host
    hosts: list[str]  # in the order the inventory gives them

    def members(self, group: str) -> list[str]:
        """Every host of `group` and of its children, in inventory order."""
        if group == "all":
            return list(self.hosts)
        seen: set[str] = set()
        stack = [group]
        found: set[str] = set()
        while stack:
            name = stack.pop()
            if name in seen or name not in self.groups:
                continue
            seen.add(name)
            found.update(self.groups[name].hosts)
            stack.extend(self.groups[name].children)
        return [h for h in self.hosts if h in found]


# -- reading ---------------------------------------------------------------------------------
def load(path: str | Path, *, ansible: str | None | bool = None, timeout: float = ANSIBLE_TIMEOUT) -> Inventory:
    """Read an inventory. `ansible`: the ansible-inventory program to ask (None: the one on PATH,
    if any; False: never ask, read the file here). Raises InventoryError (one line)."""
    where = str(path)
    p = Path(path)
    if not p.exists():
        raise InventoryError(f"{where}: no such file or directory")
    if not p.is_dir() and not p.is_file():  # a FIFO or a device would hang or never end
        raise InventoryError(f"{where}: not a regular file or a directory")
    exe = shutil.which("ansible-inventory") if ansible is None else (ansible or None)
    if exe:
        return from_ansible_json(_ask_ansible(str(exe), where, timeout), where)
    if p.is_dir():
        raise InventoryError(f"{where}: an inventory directory needs Ansible: install it (ansible-inventory), "
                             "or give one INI or YAML file")
    try:
        with open(p, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"{where}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    if len(raw) > MAX_BYTES:
        raise InventoryError(f"{where}: larger than {MAX_BYTES >> 20} MiB: not an inventory file")
    if os.access(p, os.X_OK) and text.startswith("#!"):
        raise InventoryError(f"{where}: an inventory script needs Ansible: install it (ansible-inventory)")
    if p.suffix == ".toml":
        raise InventoryError(f"{where}: a TOML inventory needs Ansible: install it (ansible-inventory)")
    as_yaml = p.suffix in (".yml", ".yaml", ".json") or (p.suffix != ".ini" and looks_yaml(text))
    return from_text(text, where, as_yaml=as_yaml, base=p.resolve().parent)


def from_text(text: str, where: str, *, as_yaml: bool, base: Path | None = None) -> Inventory:
    """A static INI or YAML inventory; `base`: the directory whose group_vars/ and host_vars/ apply."""
    tree = read_yaml(text, where) if as_yaml else read_ini(text, where)
    if base is not None:
        read_vars_dirs(tree, base)
    check_cycles(tree, where)
    return _flatten(tree, where, "YAML" if as_yaml else "INI")


def _ask_ansible(exe: str, where: str, timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="forewarn-ansible-") as tmp:
        env = {**os.environ, "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True", "ANSIBLE_NOCOLOR": "1",
               "ANSIBLE_LOCAL_TEMP": tmp, "ANSIBLE_RETRY_FILES_ENABLED": "False", "PYTHONWARNINGS": "ignore"}
        try:
            # its own session: a dynamic inventory's children are stopped with it
            proc = subprocess.Popen([exe, "-i", where, "--list"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=env, start_new_session=True)
        except OSError as exc:
            raise InventoryError(f"{where}: cannot run {exe}: {exc.strerror or exc}") from None
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise InventoryError(f"{where}: ansible-inventory gave no answer within {timeout:g} s "
                                 "(a dynamic inventory that hangs?)") from None
    if proc.returncode != 0:
        raise InventoryError(f"{where}: ansible-inventory failed: {_ansible_reason(err)}")
    try:
        data = json.loads(out.decode("utf-8", "replace"))
    except ValueError:
        raise InventoryError(f"{where}: ansible-inventory --list did not print JSON") from None
    if not isinstance(data, dict):
        raise InventoryError(f"{where}: ansible-inventory --list printed no inventory")
    return data


def _ansible_reason(stderr: bytes) -> str:
    """The one line of Ansible's error output that says what is wrong."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        if "caused by" in line and i + 1 < len(lines):
            return lines[i + 1][:300]
    for prefix in ("[WARNING]: Failed to parse", "[ERROR]:", "ERROR!"):
        hits = [ln for ln in lines if ln.startswith(prefix)]
        if hits:
            return hits[0][:300]
    return lines[-1][:300] if lines else "no reason given"


def from_ansible_json(data: dict[str, Any], where: str) -> Inventory:
    """The model of `ansible-inventory --list`'s JSON (hostvars already merged by Ansible)."""
    meta = data.get("_meta")
    meta = meta if isinstance(meta, dict) else {}
    hostvars = meta.get("hostvars")
    hostvars = hostvars if isinstance(hostvars, dict) else {}
    groups: dict[str, Group] = {}
    order: list[str] = []
    listed: set[str] = set()
    for name, body in data.items():
        if name == "_meta" or not isinstance(body, dict):
            continue
        hosts = [str(h) for h in body.get("hosts") or [] if isinstance(h, (str, int))]
        children = [str(c) for c in body.get("children") or [] if isinstance(c, (str, int))]
        gvars = body.get("vars")
        groups[str(name)] = Group(str(name), hosts, children, dict(gvars) if isinstance(gvars, dict) else {})
        order += [h for h in dict.fromkeys(hosts) if h not in listed]
        listed.update(hosts)
    groups.setdefault("all", Group("all"))
    for name in sorted(set(hostvars) - listed):
        order.append(str(name))  # a host only `_meta` names (older inventory scripts)
    merged = {h: dict(hostvars[h]) if isinstance(hostvars.get(h), dict) else {} for h in order}
    return Inventory(where, "ansible-inventory", groups, merged, order)


def _flatten(tree: Tree, where: str, reader: str) -> Inventory:
    """Hosts with their merged variables, and `ungrouped` as Ansible has it."""
    groups = tree.groups
    parents: dict[str, set[str]] = {g: set() for g in groups}
    for group in groups.values():
        for c in group.children:
            parents[c].add(group.name)
    depth: dict[str, int] = {"all": 0}

    def depth_of(name: str) -> int:
        if name not in depth:
            ups = [p for p in parents[name] if p != "all"]
            depth[name] = 1 + max((depth_of(p) for p in ups), default=0)
        return depth[name]

    in_groups: dict[str, set[str]] = {h: set() for h in tree.hostvars}
    order = list(tree.hostvars)  # as the file first names them
    for group in groups.values():
        for h in group.hosts:
            in_groups[h].add(group.name)
    ancestry: dict[str, set[str]] = {}
    for host, direct in in_groups.items():
        seen: set[str] = set()
        stack = list(direct)
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.add(name)
                stack.extend(parents[name])
        ancestry[host] = seen
    ungrouped = groups["ungrouped"] = groups.get("ungrouped") or Group("ungrouped")
    ungrouped.hosts = [h for h in order if not (ancestry[h] - {"all", "ungrouped"})]
    merged: dict[str, dict[str, Any]] = {}
    for host in order:
        chain = sorted(ancestry[host] - {"all"}, key=lambda g: (depth_of(g), _priority(groups[g]), g))
        out: dict[str, Any] = dict(groups["all"].vars)
        for name in chain:
            out.update(groups[name].vars)
        out.update(tree.hostvars[host])
        merged[host] = out
    return Inventory(where, reader, groups, merged, order)


def _priority(group: Group) -> int:
    try:
        return int(group.vars.get("ansible_group_priority", 1))
    except (TypeError, ValueError):
        return 1


# -- --limit ---------------------------------------------------------------------------------
def split_pattern(limit: str) -> list[str]:
    """`a:b,c` → terms, as Ansible splits them: on commas when there are any, else on colons
    outside `[...]` (a lone IPv6 address stays whole).

    >>> split_pattern("webservers:dbservers:&staging:!phoenix")
    ['webservers', 'dbservers', '&staging', '!phoenix']
    >>> split_pattern("pve*, !pve3"), split_pattern("2001:db8::1")
    (['pve*', '!pve3'], ['2001:db8::1'])
    """
    text = limit.strip()
    if "," in text:
        terms = text.split(",")
    elif is_v6(text):
        terms = [text]
    else:
        terms, depth, cur = [], 0, ""
        for ch in text:
            depth += (ch == "[") - (ch == "]")
            if ch == ":" and depth <= 0:
                terms.append(cur)
                cur = ""
            else:
                cur += ch
        terms.append(cur)
    return [t.strip() for t in terms if t.strip()]


def _match(inv: Inventory, term: str) -> list[str]:
    if term in ("all", "*"):
        return list(inv.hosts)
    if term.startswith("~"):
        raise InventoryError(f"--limit: {term!r}: regular expressions (~) are not supported; use a glob (*, ?)")
    if term.startswith("@"):
        raise InventoryError(f"--limit: {term!r}: host list files (@FILE) are not supported")
    if _SUBSCRIPT.fullmatch(term):  # Ansible's `group[0]`: never read as a glob, which would select other hosts
        raise InventoryError(f"--limit: {term!r}: group subscripts (group[0], group[1:3]) are not supported")
    if _GLOB.search(term):
        hosts: set[str] = set()
        for g in inv.groups:
            if fnmatch.fnmatchcase(g, term):
                hosts.update(inv.members(g))
        hosts.update(h for h in inv.hosts if fnmatch.fnmatchcase(h, term))
        return [h for h in inv.hosts if h in hosts]
    if term in inv.groups:
        return inv.members(term)
    return [term] if term in inv.hostvars else []


def select(inv: Inventory, limit: str | None) -> tuple[list[str], list[str]]:
    """The hosts `limit` selects, in inventory order, and the terms that matched nothing (Ansible
    warns about those and goes on). Raises InventoryError when nothing at all is selected."""
    if not limit or not limit.strip():
        chosen = list(inv.hosts)
        unmatched: list[str] = []
    else:
        terms = split_pattern(limit)
        plain = [t for t in terms if t[0] not in "&!"] or ["all"]
        both = [t[1:] for t in terms if t[0] == "&"]
        never = [t[1:] for t in terms if t[0] == "!"]
        unmatched = []
        picked: set[str] = set()
        for t in plain:
            got = _match(inv, t)
            unmatched += [] if got else [t]
            picked.update(got)
        for t in both:
            got = _match(inv, t)
            unmatched += [] if got else ["&" + t]
            picked &= set(got)
        for t in never:
            got = _match(inv, t)
            unmatched += [] if got else ["!" + t]
            picked -= set(got)
        chosen = [h for h in inv.hosts if h in picked]
    if not chosen:
        what = f"--limit {limit!r} selects" if limit else "lists"
        raise InventoryError(f"{inv.path}: {what} no host")
    return chosen, unmatched


def hosts_of(inv: Inventory, names: list[str]) -> list["InventoryHost"]:
    return [host_target(inv, n) for n in names]


# -- targets -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class InventoryHost:
    name: str  # the inventory's name for the host: the node's name until the node says its own
    target: Target | None  # None: refused, never contacted
    refused: str = ""  # what the inventory gives that was refused, and why


def _first(variables: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, Any]:
    for k in keys:
        if variables.get(k) not in (None, ""):
            return k, variables[k]
    return keys[0], None


def host_target(inv: Inventory, name: str) -> InventoryHost:
    """The SSH target of one inventory host, or why it is refused.

    >>> inv = Inventory("hosts.ini", "INI", {}, {"pve1": {"ansible_host": "10.0.0.1", "ansible_port": 2222}}, ["pve1"])
    >>> str(host_target(inv, "pve1").target)
    '10.0.0.1:2222'
    >>> inv.hostvars["pve1"]["ansible_user"] = "root -oProxyCommand=x"
    >>> host_target(inv, "pve1").refused
    "ansible_user 'root -oProxyCommand=x', which is not a user name"
    """
    variables = inv.hostvars.get(name) or {}
    hkey, host = _first(variables, HOST_KEYS)
    pkey, port = _first(variables, PORT_KEYS)
    ukey, user = _first(variables, USER_KEYS)
    if host is None:
        hkey, host = "the host name", name
    if not isinstance(host, str):
        return InventoryHost(name, None, f"{hkey} {shown(host)}, which is not a host name or address")
    why = check_host(host)
    if why:
        return InventoryHost(name, None, f"{hkey} {shown(host)}, which is {why}")
    if isinstance(port, str) and port.isascii() and port.isdigit():
        port = int(port)
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536):
        return InventoryHost(name, None, f"{pkey} {shown(port)}, which is not a port (1-65535)")
    if isinstance(user, int) and not isinstance(user, bool):
        user = str(user)
    if user is not None and not isinstance(user, str):
        return InventoryHost(name, None, f"{ukey} {shown(user)}, which is not a user name")
    try:
        return InventoryHost(name, Target(host=host, user=user, port=port))
    except BadTarget:
        return InventoryHost(name, None, f"{ukey} {shown(user)}, which is not a user name")



def refused_host(host: InventoryHost, inventory: str) -> RefusedSource:
    """An inventory host whose address, port or user was refused (collect/sources/refused.py)."""
    return RefusedSource(host.name, f"refused: {inventory} gives {host.refused}; it was not contacted")
