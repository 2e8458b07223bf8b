"""Proxmox firewall files: `/etc/pve/nodes/<node>/host.fw` (and the same format of cluster.fw).

    [OPTIONS]
    enable: 0

    [RULES]
    IN SSH(ACCEPT) -i vmbr0

Sections are `[OPTIONS]`, `[RULES]`, `[ALIASES]`, `[IPSET name]`, `[group name]`; options are
`key: value`. In host.fw `enable` defaults to 1 (the host firewall follows the cluster's switch);
a missing file or a missing `enable` is therefore not "disabled".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_SECTION = lazy_compile(r"^\[(?P<name>[A-Za-z]+)(?:\s+(?P<arg>[^\]]*))?\]\s*$")
_OPTION = lazy_compile(r"^(?P<key>[a-z][\w\-]*)\s*:\s*(?P<value>.*?)\s*$")


@dataclass(slots=True)
class FirewallFile:
    options: dict[str, str]
    option_lines: dict[str, int]
    sections: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # "RULES" -> lines

    @property
    def enable(self) -> bool | None:
        """True/False when `enable:` is set, None when the file does not say."""
        v = self.options.get("enable")
        if v is None:
            return None
        return v.strip().lower() not in ("0", "no", "false", "off")

    @property
    def rules(self) -> list[tuple[int, str]]:
        return self.sections.get("RULES", [])


HOST_FW = Key("pve.host_fw", FirewallFile)


@parser("pve.host_fw")
def parse_host_fw(text: str) -> Parsed[FirewallFile]:
    """Parse a host.fw file.

    >>> r = parse_host_fw("[OPTIONS]\\nenable: 0\\n\\n[RULES]\\nIN SSH(ACCEPT)\\n")
    >>> (r.value.enable, r.value.option_lines, r.value.rules)
    (False, {'enable': 2}, [(5, 'IN SSH(ACCEPT)')])
    """
    options: dict[str, str] = {}
    lines: dict[str, int] = {}
    sections: dict[str, list[tuple[int, str]]] = {}
    problems: list[ParseProblem] = []
    section: str | None = None
    seen_any = False
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _SECTION.match(line)
        if m:
            section = m.group("name").upper() if m.group("name").upper() in (
                "OPTIONS", "RULES", "ALIASES", "IPSET", "GROUP") else m.group("name")
            if m.group("arg"):
                section = f"{section} {m.group('arg').strip()}"
            sections.setdefault(section, [])
            seen_any = True
            continue
        if section is None:
            problems.append(ParseProblem("line before any [SECTION]", no, raw))
            continue
        if section == "OPTIONS":
            om = _OPTION.match(line)
            if om:
                options[om.group("key")] = om.group("value")
                lines[om.group("key")] = no
            else:
                problems.append(ParseProblem("not a `key: value` option", no, raw))
            continue
        sections[section].append((no, line))
    if not seen_any:
        problems.insert(0, ParseProblem("no [OPTIONS] or other firewall section found"))
        return Parsed(FirewallFile({}, {}) if not text.strip() else None, problems)
    return Parsed(FirewallFile(options, lines, sections), problems)
