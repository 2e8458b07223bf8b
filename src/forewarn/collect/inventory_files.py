"""Ansible's static inventory formats, read without Ansible: INI and YAML (docs/collection.md).

Used when `ansible-inventory` is not installed. The rules are Ansible's own, as its documentation
and the `ini` and `yaml` inventory plugins define them:

- INI: lines before the first section are hosts of `ungrouped`; `[group]` lists hosts, one a line,
  each `NAME[:PORT] key=value ...` (split like a shell line; `#` starts a comment; values are
  Python literals when they parse as one, else strings); `[group:vars]` has one `key=value` a
  line; `[group:children]` one group name a line; a line starting with `#` or `;` is a comment.
  A child group or a `:vars` section for a group that is never declared is an error, as is a
  cycle of children.
- YAML: top-level keys are groups (usually `all`), each a mapping with `hosts` (host pattern →
  its variables), `vars` and `children` (group name → the same structure again).
- Host patterns in both: `pve[1:3]`, `www[01:50:2].example.com`, `db-[a:f]` ranges, and a
  `:PORT` suffix (`badwolf.example.com:5309`, `[2001:db8::1]:2222`).
- `group_vars/` and `host_vars/` beside the inventory file: `NAME`, `NAME.yml`, `NAME.yaml`,
  `NAME.json`, or a directory `NAME/` of such files.

Variables are merged as Ansible merges them: `all`, then groups by depth (a child over its
parent), groups of one depth by `ansible_group_priority` then name, the host's own last.
Everything else (plugins, scripts, vaulted files, Jinja2 templates) needs Ansible itself.
"""

from __future__ import annotations

import ast
import ipaddress
import re
import shlex
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_HOSTS = 100_000  # a range such as `n[0:99999999]`, or a YAML alias bomb, stops here
MAX_DEPTH = 64  # groups nested deeper than any real inventory
_SECTION = re.compile(r"\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?")
_GROUP_LINE = re.compile(r"([^:\]\s]+)\s*(?:#.*)?")
_HOST_PORT = re.compile(r"((?:[^:\[\]]|\[[^\]]*\])+)(?::([0-9]+))?")
_RANGE = re.compile(r"\[([0-9]+|[a-zA-Z]):([0-9]+|[a-zA-Z])(?::([0-9]+))?\]")
_VARS_NAMES = ("", ".yml", ".yaml", ".json")


class InventoryError(ValueError):
    """The inventory cannot be read: one line naming the file (and the line, where there is one)."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))  # YAML's and Ansible's own messages span lines


@dataclass(slots=True)
class Group:
    name: str
    hosts: list[str] = field(default_factory=list)  # its own, in order (not its children's)
    children: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Tree:
    """Groups and hosts as a file declares them, before the variables are merged."""

    groups: dict[str, Group] = field(default_factory=dict)
    hostvars: dict[str, dict[str, Any]] = field(default_factory=dict)  # the host's own
    _in: set[tuple[str, str]] = field(default_factory=set)  # (group, host) pairs already listed

    def group(self, name: str) -> Group:
        if name not in self.groups:
            self.groups[name] = Group(name)
        return self.groups[name]

    def add_host(self, group: str, name: str, port: int | None, variables: dict[str, Any]) -> None:
        if name not in self.hostvars and len(self.hostvars) >= MAX_HOSTS:
            raise InventoryError(f"more than {MAX_HOSTS} hosts")
        own = self.hostvars.setdefault(name, {})
        if port is not None:
            own["ansible_port"] = port
        own.update(variables)
        if (group, name) not in self._in:
            self._in.add((group, name))
            self.group(group).hosts.append(name)


def expand_pattern(pattern: str) -> tuple[list[str], int | None]:
    """A host pattern's names and its port.

    >>> expand_pattern("pve[1:3]")
    (['pve1', 'pve2', 'pve3'], None)
    >>> expand_pattern("www[01:05:2].example.com:2222")
    (['www01.example.com', 'www03.example.com', 'www05.example.com'], 2222)
    >>> expand_pattern("db-[a:c]"), expand_pattern("[2001:db8::7]:2222"), expand_pattern("2001:db8::7")
    ((['db-a', 'db-b', 'db-c'], None), (['2001:db8::7'], 2222), (['2001:db8::7'], None))
    """
    text = pattern.strip()
    if is_v6(text):
        return [text], None
    m = re.fullmatch(r"\[([^\]]+)\](?::([0-9]+))?", text)
    if m and is_v6(m.group(1)):
        return [m.group(1)], int(m.group(2)) if m.group(2) else None
    m = _HOST_PORT.fullmatch(text)
    if not m:
        raise InventoryError(f"{text!r} is not a host pattern (NAME, NAME:PORT, or a range such as pve[1:3])")
    if text.endswith(":") or m.group(1).endswith(":"):
        raise InventoryError(f"{text!r}: a host pattern ending in ':' gives no port")
    return _expand(m.group(1)), int(m.group(2)) if m.group(2) else None


def is_v6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text.partition("%")[0])
    except ValueError:
        return False
    return True


def looks_yaml(text: str) -> bool:
    """Ansible tries YAML before INI for a file without a known suffix: YAML when it is a mapping."""
    try:
        return isinstance(yaml.load(text, Loader=_LOADER), dict)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return False


def _expand(name: str) -> list[str]:
    m = _RANGE.search(name)
    if not m:
        if "[" in name or "]" in name:
            raise InventoryError(f"{name!r}: a range is [START:END] or [START:END:STEP]")
        return [name]
    start, end, step = m.group(1), m.group(2), int(m.group(3) or 1)
    if step < 1:
        raise InventoryError(f"{name!r}: a range's step must be 1 or more")
    if start.isdigit() != end.isdigit():
        raise InventoryError(f"{name!r}: a range is numbers or letters, not both")
    if start.isdigit():
        lo, hi = int(start), int(end)
        width = len(start) if start.startswith("0") and len(start) > 1 else 0
        if hi < lo:
            raise InventoryError(f"{name!r}: the range ends before it starts")
        if (hi - lo) // step + 1 > MAX_HOSTS:
            raise InventoryError(f"{name!r}: more than {MAX_HOSTS} hosts")
        items = [str(i).zfill(width) for i in range(lo, hi + 1, step)]
    else:
        letters = string.ascii_letters
        lo, hi = letters.index(start), letters.index(end)
        if hi < lo:
            raise InventoryError(f"{name!r}: the range ends before it starts")
        items = list(letters[lo:hi + 1:step])
    head, tail = name[:m.start()], name[m.end():]
    rests = _expand(tail)
    if len(items) * len(rests) > MAX_HOSTS:  # checked before the product is built
        raise InventoryError(f"{name!r}: more than {MAX_HOSTS} hosts")
    return [head + item + rest for item in items for rest in rests]


def _value(text: str) -> Any:
    """An INI value as Ansible takes it: a Python literal when it is one (`222`, `'x y'`), else the text."""
    if len(text) > 4096:
        return text
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    return value if isinstance(value, (str, int, float, bool, type(None), list, dict, tuple)) else text


def read_ini(text: str, where: str) -> Tree:
    tree = Tree()
    tree.group("all")
    group, kind = "ungrouped", "hosts"
    tree.group(group)
    declared = {"all", "ungrouped"}
    pending_vars: dict[str, int] = {}  # `[g:vars]` before (or without) `[g]`
    pending_children: dict[str, tuple[int, str]] = {}  # child → (line, its first parent)
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        at = f"{where}:{no}"
        m = _SECTION.fullmatch(line)
        if m:
            group, kind = m.group(1), m.group(2) or "hosts"
            if kind not in ("hosts", "children", "vars"):
                raise InventoryError(f"{at}: section [{group}:{kind}] has an unknown type (hosts, children, vars)")
            tree.group(group)
            if kind == "vars":
                if group not in declared and group not in pending_children:
                    pending_vars.setdefault(group, no)
            else:
                declared.add(group)
                pending_vars.pop(group, None)
                pending_children.pop(group, None)
            continue
        if line.startswith("[") and line.endswith("]"):
            raise InventoryError(f"{at}: {line[:80]!r} is not a section header (no spaces inside the brackets)")
        if kind == "hosts":
            _ini_host(tree, group, line, at)
        elif kind == "vars":
            key, eq, value = line.partition("=")
            if not eq:
                raise InventoryError(f"{at}: expected key=value in [{group}:vars], got {line[:80]!r}")
            tree.group(group).vars[key.strip()] = _value(value.strip())
        else:
            cm = _GROUP_LINE.fullmatch(line)
            if not cm:
                raise InventoryError(f"{at}: expected a group name in [{group}:children], got {line[:80]!r}")
            child = cm.group(1)
            if child not in declared:
                pending_children.setdefault(child, (no, group))
            tree.group(child)
            if child not in tree.group(group).children:
                tree.group(group).children.append(child)
    for child, (no, parent) in pending_children.items():
        raise InventoryError(f"{where}:{no}: section [{parent}:children] includes undefined group {child!r}")
    for name, no in pending_vars.items():
        raise InventoryError(f"{where}:{no}: section [{name}:vars] is for the undefined group {name!r}")
    return tree


def _ini_host(tree: Tree, group: str, line: str, at: str) -> None:
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError as exc:
        raise InventoryError(f"{at}: cannot split the host line ({exc})") from None
    if not tokens:
        return
    if tokens[0] == "---":
        raise InventoryError(f"{at}: '---' starts a YAML document: is this a YAML inventory without .yml?")
    try:
        names, port = expand_pattern(tokens[0])
    except InventoryError as exc:
        raise InventoryError(f"{at}: {exc}") from None
    variables: dict[str, Any] = {}
    for token in tokens[1:]:
        key, eq, value = token.partition("=")
        if not eq:
            raise InventoryError(f"{at}: expected key=value after the host, got {token[:80]!r}")
        variables[key] = _value(value)
    for name in names:
        tree.add_host(group, name, port, variables)


def read_yaml(text: str, where: str) -> Tree:
    try:
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise InventoryError(f"{where}{line}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise InventoryError(f"{where}: YAML value not understood ({exc})") from None
    if not isinstance(data, dict) or not data:
        raise InventoryError(f"{where}: a YAML inventory is a mapping of groups (all: hosts: ...)")
    if "plugin" in data:
        raise InventoryError(f"{where}: an inventory plugin's configuration ({data['plugin']!s:.60}): "
                             "install Ansible, whose ansible-inventory runs the plugin")
    tree = Tree()
    tree.group("all")
    steps = [0]
    for name, body in data.items():
        _yaml_group(tree, str(name), body, where, 0, steps)
    return tree


def _yaml_group(tree: Tree, name: str, body: Any, where: str, depth: int, steps: list[int]) -> None:
    steps[0] += 1
    if depth > MAX_DEPTH or steps[0] > MAX_HOSTS:
        raise InventoryError(f"{where}: groups nested deeper than {MAX_DEPTH}, or more than {MAX_HOSTS} entries")
    if body is not None and not isinstance(body, dict):
        return  # Ansible skips a group that is not a mapping (with a warning)
    group = tree.group(name)
    for key, value in (body or {}).items():
        if key not in ("hosts", "children", "vars") or value is None:
            continue  # Ansible skips other keys (with a warning)
        if isinstance(value, str):
            value = {value: None}  # `hosts: test5` (no colon) is one host
        if not isinstance(value, dict):
            raise InventoryError(f"{where}: group {name!r}: {key} is a {type(value).__name__}, not a mapping")
        if key == "vars":
            group.vars.update({str(k): v for k, v in value.items()})
        elif key == "children":
            for child, child_body in value.items():
                _yaml_group(tree, str(child), child_body, where, depth + 1, steps)
                # a child that is no mapping was skipped (as Ansible skips it): no group, no child
                if str(child) in tree.groups and str(child) not in group.children:
                    group.children.append(str(child))
        elif key == "hosts":
            for pattern, hvars in value.items():
                steps[0] += 1
                try:
                    names, port = expand_pattern(str(pattern))
                except InventoryError as exc:
                    raise InventoryError(f"{where}: group {name!r}: {exc}") from None
                if hvars is not None and not isinstance(hvars, dict):
                    raise InventoryError(f"{where}: host {str(pattern)!r}: its variables are not a mapping")
                for host in names:
                    tree.add_host(name, host, port, {str(k): v for k, v in (hvars or {}).items()})


def read_vars_dirs(tree: Tree, base: Path) -> None:
    """group_vars/ and host_vars/ beside the inventory file, as Ansible reads them."""
    for kind, names, target in (("group_vars", list(tree.groups), "group"), ("host_vars", list(tree.hostvars), "host")):
        root = base / kind
        if not root.is_dir():
            continue
        for name in names:
            for found in _vars_files(root, name):
                data = _vars_file(found)
                if target == "group":
                    tree.groups[name].vars.update(data)
                else:
                    tree.hostvars[name].update(data)


def _vars_files(root: Path, name: str) -> list[Path]:
    out = [root / (name + ext) for ext in _VARS_NAMES if (root / (name + ext)).is_file()]
    if (root / name).is_dir():
        out += sorted(p for p in (root / name).rglob("*") if p.is_file() and p.suffix in _VARS_NAMES)
    return out


def _vars_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    if text.startswith("$ANSIBLE_VAULT"):
        raise InventoryError(f"{path}: encrypted with Ansible Vault: install Ansible (ansible-inventory) to read it")
    try:
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise InventoryError(f"{path}: not valid YAML ({str(exc).splitlines()[0][:100]})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InventoryError(f"{path}: variables must be a mapping")
    return {str(k): v for k, v in data.items()}


def check_cycles(tree: Tree, where: str) -> None:
    """A group that is its own ancestor is an error (Ansible: "a recursive dependency loop")."""
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            raise InventoryError(f"{where}: groups are children of each other: {' → '.join(path + [name])}")
        if name in done:
            return
        if len(path) > MAX_DEPTH:
            raise InventoryError(f"{where}: groups nested deeper than {MAX_DEPTH}")
        for child in tree.groups[name].children:
            visit(child, path + [name])
        done.add(name)

    for name in list(tree.groups):
        visit(name, [])
