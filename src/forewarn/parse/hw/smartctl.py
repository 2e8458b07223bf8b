"""smartctl's view of each disk: `smartctl -a`/`-x` text and `smartctl -j` JSON.

    === START OF READ SMART DATA SECTION ===
    SMART overall-health self-assessment test result: FAILED!
    ID# ATTRIBUTE_NAME          FLAG     VALUE WORST THRESH TYPE      UPDATED  WHEN_FAILED RAW_VALUE
      5 Reallocated_Sector_Ct   0x0033   100   100   010    Pre-fail  Always       -       0
    197 Current_Pending_Sector  -O--C-   100   100   000    -    8

The overall health is the drive's own verdict (ATA: SMART RETURN STATUS; NVMe: the critical
warning byte; SCSI: `SMART Health Status: OK`). Attribute raw values are vendor encoded: for some
attributes (Seagate's 1 Raw_Read_Error_Rate and 7 Seek_Error_Rate) a huge raw value is a packed
operation count, not an error count, so `raw` is only a number to compare for the counting
attributes (5, 187, 196-198). NVMe drives have no attribute table: their health log gives
critical warning bits, spare, wear and media errors. Several reports may follow each other (one
per disk, text or JSON documents one after another), as the collection loop writes them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import int_value, lazy_compile


@dataclass(frozen=True, slots=True)
class SmartAttribute:
    id: int
    name: str
    value: int | None  # normalised value (higher is better)
    worst: int | None
    thresh: int | None
    when_failed: str  # "" | "FAILING_NOW" | "In_the_past"
    raw: int | None  # the first number of the raw field
    raw_text: str
    line: int


@dataclass(slots=True)
class SmartDevice:
    device: str = ""  # "/dev/sda" when the report says
    model: str = ""
    serial: str = ""
    protocol: str = ""  # "ATA" | "NVMe" | "SCSI" | ""
    passed: bool | None = None  # the overall health verdict; None when not shown
    health_line: int = 0
    attributes: dict[int, SmartAttribute] = field(default_factory=dict)
    nvme: dict[str, int] = field(default_factory=dict)  # critical_warning, available_spare, ... (see NVME_KEYS)
    nvme_lines: dict[str, int] = field(default_factory=dict)
    error: str = ""  # smartctl read nothing usable ("Unable to detect device type")
    error_line: int = 0
    first_line: int = 0

    @property
    def name(self) -> str:
        return self.device or self.serial or self.model or "a disk"


@dataclass(slots=True)
class SmartReport:
    devices: list[SmartDevice] = field(default_factory=list)


SMARTCTL = Key("hw.smartctl", SmartReport)
NVME_SMART_LOG = Key("hw.nvme_smart_log", SmartReport)

# NVMe health log fields: smartctl's text label, nvme-cli's label, and the JSON key
NVME_KEYS = {
    "critical warning": "critical_warning", "available spare": "available_spare",
    "available spare threshold": "available_spare_threshold", "percentage used": "percentage_used",
    "media and data integrity errors": "media_errors", "temperature": "temperature",
    "error information log entries": "num_err_log_entries",
}
# nvme-cli's `nvme smart-log` labels (text) and keys (JSON, `-o json`) for the same fields
_NVME_CLI = {"critical_warning": "critical_warning", "available_spare": "available_spare",
             "available_spare_threshold": "available_spare_threshold", "percentage_used": "percentage_used",
             "media_errors": "media_errors", "temperature": "temperature", "num_err_log_entries": "num_err_log_entries"}
_NVME_CLI_JSON = {"critical_warning": "critical_warning", "avail_spare": "available_spare",
                  "spare_thresh": "available_spare_threshold", "percent_used": "percentage_used",
                  "media_errors": "media_errors", "num_err_log_entries": "num_err_log_entries"}
_FIRST_INT = lazy_compile(r"\d+")
_BANNER = lazy_compile(r"^smartctl \d+\.\d+ ")
_HEALTH = lazy_compile(r"^SMART overall-health self-assessment test result:\s*(?P<v>\S+)")
_SCSI_HEALTH = lazy_compile(r"^SMART Health Status:\s*(?P<v>.+?)\s*$")
# -a: ID NAME FLAG VALUE WORST THRESH TYPE UPDATED WHEN_FAILED RAW; -x (brief): ID NAME FLAGS VALUE WORST THRESH FAIL RAW
_ATTR_LONG = lazy_compile(r"^\s*(?P<id>\d{1,3})\s+(?P<name>\S+)\s+0x[0-9a-fA-F]{4}\s+(?P<v>\d+)\s+(?P<w>\d+)\s+(?P<t>\d+)\s+"
                          r"\S+\s+\S+\s+(?P<f>\S+)\s+(?P<raw>.*?)\s*$")
_ATTR_BRIEF = lazy_compile(r"^\s*(?P<id>\d{1,3})\s+(?P<name>\S+)\s+[-POSRCK]{6}\s+(?P<v>\d+)\s+(?P<w>\d+)\s+(?P<t>\d+)\s+"
                           r"(?P<f>\S+)\s+(?P<raw>.*?)\s*$")
_KV = lazy_compile(r"^(?P<k>[A-Za-z][A-Za-z0-9 ./_-]*?)\s*:\s*(?P<v>.*?)\s*$")
_ERRORS = lazy_compile(r"(Unable to detect device type|No such device|Permission denied|Operation not permitted|"
                       r"Smartctl open device: .* failed|Device is in (?:STANDBY|SLEEP|IDLE)\S* mode|"
                       r"SMART support is:\s+Unavailable|Read Device Identity failed)", re.I)


def _first_int(text: str) -> int | None:
    t = text.replace(",", "").replace(".", "") if re.match(r"^[\d,.]+\s*%?$", text.strip()) else text
    m = _FIRST_INT.search(t)
    if not m:
        return None
    return int(m.group(0), 16) if t.strip().lower().startswith("0x") else int(m.group(0))


def _hex_or_int(text: str) -> int | None:
    s = text.strip()
    try:
        return int(s.split()[0], 16) if s.lower().startswith("0x") else _first_int(s)
    except (ValueError, IndexError):
        return None


@parser("hw.smartctl", "hw.nvme_smart_log")
def parse_smartctl(text: str) -> Parsed[SmartReport]:
    """Parse `smartctl -a`/`-x`/`-A`/`-H` text, or `smartctl -j` JSON (one or more reports); also
    nvme-cli's `nvme smart-log` (text, or `-o json`), which gives the same NVMe health fields.

    >>> r = parse_smartctl("SMART overall-health self-assessment test result: FAILED!\\n"
    ...     "197 Current_Pending_Sector  -O--C-   100   100   000    -    8\\n")
    >>> d = r.value.devices[0]
    >>> (d.passed, d.attributes[197].raw, r.problems)
    (False, 8, [])
    >>> parse_smartctl('{"device": {"name": "/dev/sdc", "protocol": "ATA"}, "smart_status": {"passed": true}}').value.devices[0].passed
    True
    """
    if text.lstrip().startswith("{"):
        return _parse_json(text)
    return _parse_text(text)


def _parse_text(text: str) -> Parsed[SmartReport]:
    out = SmartReport()
    problems: list[ParseProblem] = []
    cur: SmartDevice | None = None
    seen = False

    def device(no: int) -> SmartDevice:
        nonlocal cur
        if cur is None:
            cur = SmartDevice(first_line=no)
            out.devices.append(cur)
        return cur

    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        s = line.strip()
        if not s:
            continue
        if _BANNER.match(s):
            cur = None  # a new report: the next device
            device(no)
            seen = True
            continue
        m = _HEALTH.match(s)
        if m:
            d = device(no)
            d.passed, d.health_line = m.group("v").upper().startswith("PASSED"), no
            seen = True
            continue
        m = _SCSI_HEALTH.match(s)
        if m:
            d = device(no)
            d.passed, d.health_line, d.protocol = m.group("v").upper() == "OK", no, d.protocol or "SCSI"
            seen = True
            continue
        m = _ATTR_LONG.match(line) or _ATTR_BRIEF.match(line)
        if m:
            d = device(no)
            d.protocol = d.protocol or "ATA"
            aid = int(m.group("id"))
            f = m.group("f")
            d.attributes[aid] = SmartAttribute(aid, m.group("name"), int(m.group("v")), int(m.group("w")),
                                               int(m.group("t")), "" if f == "-" else f,
                                               _first_int(m.group("raw")), m.group("raw"), no)
            seen = True
            continue
        e = _ERRORS.search(s)
        if e and not s.startswith("SMART support is:      Available"):
            d = device(no)
            if not d.error:
                d.error, d.error_line = s, no
            seen = True
            continue
        m = _KV.match(s)
        if m:
            k, v = m.group("k").strip().lower(), m.group("v")
            nk = NVME_KEYS.get(k) or _NVME_CLI.get(k)
            if nk:
                d = device(no)
                n = _hex_or_int(v)
                if n is not None:
                    d.nvme[nk] = n
                    d.nvme_lines[nk] = no
                    d.protocol = d.protocol or "NVMe"
                    seen = True
                continue
            d = device(no)
            if k in ("device model", "model number", "product"):
                d.model = v
            elif k == "serial number":
                d.serial = v
            elif k == "smart log for nvme device":  # nvme-cli: `...device:nvme0 namespace-id:ffffffff`
                d.device, d.protocol = (v.split() or [""])[0], "NVMe"
            if k in ("model number",):
                d.protocol = "NVMe"
            continue
    if not seen:
        if not text.strip():  # the loop found no disk (a VM, a container): nothing to read, nothing wrong
            return Parsed(None, [])
        return Parsed(None, [ParseProblem("no SMART health line, attribute or NVMe health field: not smartctl output")])
    return Parsed(out, problems)


def _json_docs(text: str) -> tuple[list[Any], list[ParseProblem]]:
    docs: list[Any] = []
    dec = json.JSONDecoder()
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        try:
            doc, end = dec.raw_decode(text, i)
        except ValueError as e:
            return docs, [ParseProblem(f"not JSON from here on: {e}", text.count("\n", 0, i) + 1)]
        docs.append(doc)
        i = end
    return docs, []


def _parse_json(text: str) -> Parsed[SmartReport]:
    docs, problems = _json_docs(text)
    out = SmartReport()
    for doc in docs:
        if not isinstance(doc, dict):
            problems.append(ParseProblem("a JSON document that is not an object"))
            continue
        d = SmartDevice(first_line=1)
        if "critical_warning" in doc and "smartctl" not in doc:  # nvme-cli's smart-log JSON
            d.protocol = "NVMe"
            for k, mine in _NVME_CLI_JSON.items():
                v = int_value(doc.get(k))
                if v is not None:
                    d.nvme[mine] = v
            if d.nvme:
                out.devices.append(d)
            continue
        dev = doc.get("device") if isinstance(doc.get("device"), dict) else {}
        d.device = str(dev.get("name") or "")
        d.protocol = str(dev.get("protocol") or "")
        d.model = str(doc.get("model_name") or doc.get("scsi_model_name") or "")
        d.serial = str(doc.get("serial_number") or "")
        st = doc.get("smart_status")
        if isinstance(st, dict) and isinstance(st.get("passed"), bool):
            d.passed = st["passed"]
        ata = doc.get("ata_smart_attributes")
        table = ata.get("table") if isinstance(ata, dict) else None
        for a in table if isinstance(table, list) else []:
            if not isinstance(a, dict) or int_value(a.get("id")) is None:
                continue
            raw = a.get("raw") if isinstance(a.get("raw"), dict) else {}
            raw_text = str(raw.get("string") or raw.get("value") or "")
            aid = a["id"]
            d.attributes[aid] = SmartAttribute(aid, str(a.get("name") or ""), int_value(a.get("value")), int_value(a.get("worst")),
                                               int_value(a.get("thresh")), str(a.get("when_failed") or ""),
                                               _first_int(raw_text) if raw_text else int_value(raw.get("value")), raw_text, 0)
        log = doc.get("nvme_smart_health_information_log")
        if isinstance(log, dict):
            for k in NVME_KEYS.values():
                v = int_value(log.get(k))
                if v is not None:
                    d.nvme[k] = v
        smartctl = doc.get("smartctl") if isinstance(doc.get("smartctl"), dict) else {}
        msgs = smartctl.get("messages") if isinstance(smartctl.get("messages"), list) else []
        errs = [str(m.get("string")) for m in msgs if isinstance(m, dict) and m.get("severity") == "error"]
        if errs and d.passed is None and not d.attributes and not d.nvme:
            d.error = errs[0]
        if d.device or d.passed is not None or d.attributes or d.nvme or d.error:
            out.devices.append(d)
    if not out.devices:
        return Parsed(None, problems or [ParseProblem("JSON without a smartctl device report")])
    return Parsed(out, problems)
