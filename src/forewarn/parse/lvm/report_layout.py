"""How LVM prints a report: the text table's columns found by their headers, the JSON report's
rows with their line numbers, and the messages LVM prints beside either (parse/lvm/report.py
turns the rows into volumes)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from forewarn.model.problems import ParseProblem
from forewarn.parse._text import lazy_compile

# text-table header -> report field ("Attr" depends on the report: lv_attr, vg_attr, pv_attr)
HEADERS = {
    "LV": "lv_name", "VG": "vg_name", "PV": "pv_name", "LSize": "lv_size", "Pool": "pool_lv",
    "Origin": "origin", "Data%": "data_percent", "Meta%": "metadata_percent", "Move": "move_pv",
    "Log": "mirror_log", "Cpy%Sync": "copy_percent", "Convert": "convert_lv", "Active": "lv_active",
    "LV Tags": "lv_tags", "VG Tags": "vg_tags", "PV Tags": "pv_tags", "LV UUID": "lv_uuid",
    "VG UUID": "vg_uuid", "PV UUID": "pv_uuid", "#PV": "pv_count", "#LV": "lv_count",
    "#SN": "snap_count", "VSize": "vg_size", "VFree": "vg_free", "Fmt": "pv_fmt", "PSize": "pv_size",
    "PFree": "pv_free", "DevSize": "dev_size", "Shared": "vg_shared", "Path": "lv_path",
    "DMPath": "lv_dm_path", "Devices": "devices", "Maj": "lv_kernel_major", "Min": "lv_kernel_minor",
    "KMaj": "lv_kernel_major", "KMin": "lv_kernel_minor", "Attr": "{kind}_attr",
}
_SECOND_WORD = ("Tags", "UUID")  # "LV Tags", "VG UUID": two-word headers
_KEY_HEADER = {"lv": "LV", "vg": "VG", "pv": "PV"}

_NO_MEDIUM = lazy_compile(r"(?:(?P<dev>/dev/\S+?): open failed: No medium found"
                          r"|open (?P<dev2>/dev/\S+) failed: no medium found)", re.I)
_DEVICE = lazy_compile(r"(/dev/\S+?)(?::|\s|$)")
_MESSAGE_WORDS = lazy_compile(
    r"\b(not found|Cannot|Couldn't|[Ff]ailed|leaked on|successfully|now active|Ignoring|Skipping|"
    r"Reading|Found duplicate|No volume groups|No medium|in use|[Ii]nvalid)\b")

@dataclass(frozen=True, slots=True)
class LvmMessage:
    """A line LVM printed besides the report (a warning or an error), as written."""

    text: str
    line: int
    kind: str  # "no_medium" | "warning" | "error" | "info"
    device: str | None = None


def classify_message(text: str) -> tuple[str, str | None]:
    """(kind, device) of a line LVM printed besides its report."""
    m = _NO_MEDIUM.search(text)
    if m:
        return "no_medium", m.group("dev") or m.group("dev2")
    d = _DEVICE.search(text)
    dev = d.group(1) if d else None
    s = text.strip()
    if s.upper().startswith("WARNING"):
        return "warning", dev
    if re.search(r"not found|Cannot |Couldn't|[Ff]ailed|[Ee]rror|[Ii]nvalid|in use", s):
        return "error", dev
    return "info", dev


def _is_message(text: str) -> bool:
    s = text.strip()
    if _NO_MEDIUM.search(s) or s.upper().startswith(("WARNING", "ERROR")):
        return True
    first = s.split(None, 1)[0] if s else ""
    return (first.endswith(":") and len(s) > len(first)) or bool(_MESSAGE_WORDS.search(s))


def _header_columns(line: str, kind: str) -> list[tuple[int, int, str]] | None:
    """Columns (start, end, field) if `line` is the report's header, else None."""
    toks = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", line)]
    merged: list[tuple[int, int, str]] = []
    for s, e, t in toks:
        if merged and t in _SECOND_WORD and s == merged[-1][1] + 1:
            ps, _, pt = merged[-1]
            merged[-1] = (ps, e, f"{pt} {t}")
        else:
            merged.append((s, e, t))
    if len(merged) < 2 or _KEY_HEADER[kind] not in (t for _, _, t in merged):
        return None
    known = sum(1 for _, _, t in merged if t in HEADERS)
    if known * 2 < len(merged) + 1 or merged[0][2] not in HEADERS:
        return None
    # unknown header words are kept as they are (lower-cased): only known names are templates
    cols = [(s, e, HEADERS[t].format(kind=kind) if t in HEADERS else t.lower()) for s, e, t in merged]
    # `-o+lv_size,data_percent` repeats default columns: the repeat is named `<field>#2`, so the
    # row still lines up and the first column keeps its name
    seen: dict[str, int] = {}
    out = []
    for s, e, name in cols:
        seen[name] = seen.get(name, 0) + 1
        out.append((s, e, name if seen[name] == 1 else f"{name}#{seen[name]}"))
    return out


def _row(line: str, cols: list[tuple[int, int, str]]) -> dict[str, str] | None:
    """The cells of a table row, or None if the line does not line up with the header."""
    cells: dict[str, str] = {}
    for m in re.finditer(r"\S+", line):
        s, e, tok = m.start(), m.end(), m.group()
        hit = [name for cs, ce, name in cols if s < ce and cs < e]
        if len(hit) == 1 and hit[0] not in cells:
            cells[hit[0]] = tok
        elif not hit and cells and s >= cols[-1][0]:
            last = cols[-1][2]  # a value with a space in the last column ("LV Tags", "Active")
            cells[last] = (cells.get(last, "") + " " + tok).strip()
        else:
            return None
    if cols[0][2] not in cells:
        return None
    return cells


def _json_rows(text: str, kind: str,
               problems: list[ParseProblem]) -> tuple[list[tuple[dict[str, str], int]], set[int]] | None:
    """Rows of a JSON report with their line numbers, and the line numbers the JSON occupies."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("{")), None)
    if start is None:
        return None
    body = "\n".join(lines[start:])
    lead = len(body) - len(body.lstrip())
    obj = None
    try:
        obj, end = json.JSONDecoder().raw_decode(body, lead)
        last = start + body[:end].count("\n")
    except ValueError:
        last = len(lines) - 1
    # LVM writes each row object on a line of its own: `{"lv_name":"root", "vg_name":"pve", ...},`
    row_lines = [i + 1 for i in range(start, last + 1) if lines[i].lstrip().startswith('{"')]
    rows: list[dict[str, object]] = []
    if isinstance(obj, dict) and isinstance(obj.get("report"), list):
        for rep in obj["report"]:
            if isinstance(rep, dict) and isinstance(rep.get(kind), list):
                rows.extend(r for r in rep[kind] if isinstance(r, dict))
    elif obj is None:
        problems.append(ParseProblem("JSON report cut short; its complete rows are kept", start + 1,
                                     lines[start][:200]))
        for no in row_lines:
            try:
                r = json.loads(lines[no - 1].strip().rstrip(","))
            except ValueError:
                continue
            if isinstance(r, dict) and any(str(k).startswith(kind + "_") for k in r):
                rows.append(r)
    else:
        return None
    out = []
    for i, r in enumerate(rows):
        no = row_lines[i] if i < len(row_lines) else start + 1
        out.append(({str(k): "" if v is None else str(v) for k, v in r.items()}, no))
    return out, set(range(start + 1, last + 2))


def parse_report(text: str, kind: str) -> tuple[str, list[tuple[dict[str, str], int]], list[LvmMessage], list[ParseProblem]] | None:
    problems: list[ParseProblem] = []
    messages: list[LvmMessage] = []
    lines = text.splitlines()
    js = _json_rows(text, kind, problems) if "{" in text else None
    rows: list[tuple[dict[str, str], int]] = []
    if js is not None:
        rows, used = js
        fmt = "json"
        for no, raw in enumerate(lines, 1):
            if no in used or not raw.strip():
                continue
            if _is_message(raw):
                k, dev = classify_message(raw)
                messages.append(LvmMessage(raw.strip(), no, k, dev))
            elif len(problems) < 20:
                problems.append(ParseProblem("not part of the JSON report", no, raw[:200]))
        return fmt, rows, messages, problems
    cols: list[tuple[int, int, str]] | None = None
    seen_header = False
    for no, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        hdr = _header_columns(raw, kind)
        if hdr is not None:
            cols, seen_header = hdr, True
            continue
        if _is_message(raw) or cols is None:
            if cols is None and not _is_message(raw):
                if len(problems) < 20:
                    problems.append(ParseProblem(f"not a line of `{kind}s` output", no, raw[:200]))
                continue
            k, dev = classify_message(raw)
            messages.append(LvmMessage(raw.strip(), no, k, dev))
            continue
        cells = _row(raw, cols)
        if cells is None:
            k, dev = classify_message(raw)
            messages.append(LvmMessage(raw.strip(), no, k, dev))
            if len(problems) < 20:
                problems.append(ParseProblem("line does not fit the report's columns; kept as a message", no, raw[:200]))
            continue
        rows.append((cells, no))
    if not seen_header and not messages:
        return None
    return ("text" if seen_header else "messages"), rows, messages, problems
