"""Kolla-Ansible `/etc/kolla/globals.yml`.

The shipped file is almost all comments (`#kolla_internal_vip_address: "10.10.10.254"` shows a
default); an operator uncomments a handful of keys. The file is read with PyYAML's safe loader and
each top-level key keeps the line it is on, so findings can cite it. Values stay as YAML gave them;
`flag()` turns Kolla's yes/no strings into booleans, and a Jinja expression (`"{{ ... }}"`) is
reported as not decidable rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser

# Kolla-Ansible defaults (ansible/group_vars/all.yml) for the keys the OSK rules read.
DEFAULTS: dict[str, Any] = {
    "enable_haproxy": "yes",
    "enable_keepalived": "{{ enable_haproxy | bool }}",
    "network_interface": "eth0",
}

_TRUE = {"yes", "true", "on", "1", "y"}
_FALSE = {"no", "false", "off", "0", "n"}


@dataclass(frozen=True, slots=True)
class GlobalsKey:
    key: str
    value: Any
    line: int


@dataclass(slots=True)
class KollaGlobals:
    keys: dict[str, GlobalsKey] = field(default_factory=dict)  # uncommented top-level keys

    def get(self, key: str, default: Any = None) -> Any:
        k = self.keys.get(key)
        return k.value if k is not None else default

    def line(self, key: str) -> int | None:
        k = self.keys.get(key)
        return k.line if k is not None else None

    def is_set(self, key: str) -> bool:
        return key in self.keys

    def flag(self, key: str) -> bool | None:
        """yes/no of a Kolla switch, the Kolla default when unset; None when it is a template.

        `enable_keepalived` defaults to `enable_haproxy`.
        """
        if key in self.keys:
            value = self.keys[key].value
        elif key == "enable_keepalived":
            return self.flag("enable_haproxy")
        else:
            value = DEFAULTS.get(key)
        if isinstance(value, bool):
            return value
        if value is None:
            return None
        s = str(value).strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        return None

    def literal(self, key: str) -> str | None:
        """A string value that is not a Jinja template (`{{ ... }}`), else None."""
        value = self.get(key, DEFAULTS.get(key))
        if value is None or isinstance(value, (dict, list)):
            return None
        s = str(value).strip()
        if not s or "{{" in s or "{%" in s:
            return None
        return s


def _top_level_lines(node: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for k, _v in node.value:
            if isinstance(k, yaml.ScalarNode):
                out.setdefault(str(k.value), k.start_mark.line + 1)
    return out


KOLLA_GLOBALS = Key("osk.kolla_globals", KollaGlobals)


@parser("osk.kolla_globals")
def parse_kolla_globals(text: str) -> Parsed[KollaGlobals]:
    """`/etc/kolla/globals.yml`.

    >>> r = parse_kolla_globals('---\\n# comment\\n#enable_haproxy: "yes"\\nkolla_internal_vip_address: "192.168.56.110"\\n'
    ...                         'network_interface: "eth1"\\nenable_haproxy: "no"\\n')
    >>> g = r.value
    >>> (g.get("kolla_internal_vip_address"), g.line("network_interface"), g.flag("enable_haproxy"), g.flag("enable_keepalived"))
    ('192.168.56.110', 5, False, False)
    """
    problems: list[ParseProblem] = []
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return Parsed(None, [ParseProblem(f"not YAML: {getattr(exc, 'problem', None) or exc}",
                                          (mark.line + 1) if mark is not None else None)])
    except (ValueError, RecursionError) as exc:  # odd scalars, absurd nesting
        return Parsed(None, [ParseProblem(f"not YAML: {exc}")])
    if data is None:
        # only comments: Kolla's shipped file before anyone edits it - every key at its default
        if text.strip() and all(ln.strip().startswith("#") or ln.strip() in ("", "---")
                                for ln in text.splitlines()):
            return Parsed(KollaGlobals(), [])
        return Parsed(None, [ParseProblem("empty: no YAML document")])
    if not isinstance(data, dict):
        return Parsed(None, [ParseProblem("not a YAML mapping of Kolla variables")])
    lines = _top_level_lines(node)
    out = KollaGlobals()
    for key, value in data.items():
        k = str(key)
        out.keys[k] = GlobalsKey(k, value, lines.get(k, 0))
    return Parsed(out, problems)
