"""Unwrap the shapes operators paste around a message, so a known error line is known anywhere.

Two steps. `outer(line)` takes off what wraps a whole line: the box terraform and OpenTofu draw
around a diagnostic (`│ Error: …`), a Markdown quote (`> `), NUL runs a crash left behind,
a docker json-file line (`{"log": "…"}`) and the leading white space of a `systemctl status`
excerpt. The header (time, host, program: headers.py) comes off next. `pieces(msg)` then
turns a message into the texts the signatures are matched against:

- JSON text (an ansible result after `=> `, a JSON log line, a `"msg": "…"` line of
  `ansible -v` output) gives its message-like string values, unescaped;
- kubectl's Events table rows give their Message column;
- a Python traceback's frames are skipped (its last line carries the error);
- text escaped once more (`\\"`, a literal `\\n`) is unescaped and split at the line breaks it
  held; an oslo `TRACE module` prefix is dropped.

Every piece keeps the line number of the line it came from.
"""

from __future__ import annotations

import json
import re

_BOX = re.compile(r"^[\s│╷╵|]*[│╷╵]\s?")  # terraform/OpenTofu diagnostics box
_QUOTE = re.compile(r"^(?:>\s?)+")
_NULS = re.compile("\x00+")
_MESSAGE_KEYS = ("msg", "message", "MESSAGE", "log", "stderr", "stdout", "error", "err", "reason",
                 "status", "module_stdout", "module_stderr", "exception", "detail", "cause")
_KEY_LINE = re.compile(r'^\s*"(?P<key>' + "|".join(_MESSAGE_KEYS) + r')"\s*:\s*"(?P<val>.*)"\s*,?\s*$')
_ARROW_JSON = re.compile(r"=>\s*(?=\{)")
# kubectl describe … Events:  Type  Reason  Age  From  Message
_EVENT_ROW = re.compile(r"^\s*(?:Normal|Warning)\s+\w+\s+\S+(?: \(x\d+ over \S+\))?\s+(?P<src>\S+(?:, \S+)?)\s+(?P<msg>\S.*)$")
# oslo.log (OpenStack): `<pid> LEVEL module [request] message`, and its TRACE continuation lines
_TRACE = re.compile(r"^(?:\d+ )?(?:TRACE|DEBUG|INFO|WARNING|ERROR|CRITICAL|AUDIT) [\w.-]+ (?:\[[^\]]*\] )?")
_PRINTK = re.compile(r"^\[\s*\d+\.\d+\]\s+")  # the kernel's own time stamp inside a syslog message
_FRAME = re.compile(r'^\s*(?:File "[^"]*", line \d+|Traceback \(most recent call last\))')
_ESCAPES = re.compile(r'\\(\\|"|n|t|r|/)')


def outer(line: str) -> tuple[str, int]:
    """A line without NUL runs, box, quote and docker json-file wrapper; with the number of NUL
    runs it held.

    >>> outer("│ Error: failed to read file from \\"local:snippets/cloud-config.yaml\\"")
    ('Error: failed to read file from "local:snippets/cloud-config.yaml"', 0)
    >>> outer("\\x00\\x00\\x00Mar 21 09:12:44 pve5 kernel: Linux version 6.1")
    ('Mar 21 09:12:44 pve5 kernel: Linux version 6.1', 1)
    """
    nuls = 0
    if "\x00" in line:
        line, nuls = _NULS.subn("", line)
    s = line.strip()
    if s[:1] in ("│", "╷", "╵"):
        s = _BOX.sub("", s, count=1).strip()
    elif s.startswith(">"):
        s = _QUOTE.sub("", s, count=1).strip()
    if s.startswith('{"log":'):
        try:
            obj = json.loads(s)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("log"), str):
            s = obj["log"].strip()
    return s, nuls


def _strings(obj: object, out: list[str], depth: int = 0) -> None:
    """Message-like string values of decoded JSON (keys named like a message, and lists of them)."""
    if depth > 4:
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, str) and (k in _MESSAGE_KEYS or k.endswith(("_lines", "msg"))):
                out.append(v)
            elif isinstance(v, (dict, list)):
                _strings(v, out, depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            if isinstance(v, str):
                out.append(v)
            else:
                _strings(v, out, depth + 1)


def _json_texts(text: str) -> list[str] | None:
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    out: list[str] = []
    _strings(obj, out)
    return out


def _unescape(text: str) -> str:
    return _ESCAPES.sub(lambda m: {"n": "\n", "t": "\t", "r": "\n"}.get(m.group(1), m.group(1)), text)


def pieces(msg: str) -> list[str]:
    """The texts the signatures are matched against (usually just the message).

    >>> pieces('fatal: [pve1]: FAILED! => {"changed": false, "msg": "E: Sub-process returned an error code (1)\\\\nE: Failure running script"}')
    ['fatal: [pve1]: FAILED!', 'E: Sub-process returned an error code (1)', 'E: Failure running script']
    >>> pieces('  Warning  Failed  16s (x2 over 90s)  kubelet  Error: ErrImagePull')
    ['Error: ErrImagePull']
    >>> pieces('caused \\\\"process_linux.go:319: getting the final child\\'s pid from pipe caused \\\\\\\\\\\\"EOF\\\\\\\\\\\\"\\\\"')
    ['caused "process_linux.go:319: getting the final child\\'s pid from pipe caused "EOF""']
    """
    s = msg.strip()
    t = _TRACE.match(s) or _PRINTK.match(s)
    if t:
        s = s[t.end():]
    if not s or _FRAME.match(s):
        return []
    out: list[str] = []
    m = _ARROW_JSON.search(s)
    if s.startswith(("{", "[")) and s.endswith(("}", "]")):
        texts = _json_texts(s)
        if texts is not None:
            return [p for t in texts for p in _lines(t)]
    elif m:
        texts = _json_texts(s[m.end():])
        if texts is not None:
            head = s[:m.start()].strip()
            return ([head] if head else []) + [p for t in texts for p in _lines(t)]
    k = _KEY_LINE.match(s)
    if k:
        try:
            val = json.loads('"' + k.group("val") + '"')
        except ValueError:
            val = k.group("val")
        return _lines(val)
    e = _EVENT_ROW.match(msg)
    if e:
        s = e.group("msg").strip()
    out.extend(_lines(s))
    return out


def _lines(text: str, depth: int = 0) -> list[str]:
    """`text` split at its line breaks, each part unescaped once more while it holds escapes."""
    out: list[str] = []
    for part in text.split("\n"):
        part = part.strip()
        if not part or _FRAME.match(part):
            continue
        if depth < 2 and _ESCAPES.search(part):
            out.extend(_lines(_unescape(part), depth + 1))
        else:
            out.append(part)
    return out


def event_source(msg: str) -> str | None:
    """The `From` column of a kubectl Events row (`kubelet`, `default-scheduler`), if it is one."""
    e = _EVENT_ROW.match(msg)
    return e.group("src").split(",")[0] if e else None
