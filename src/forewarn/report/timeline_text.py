"""`forewarn timeline` in the terminal and as Markdown: a post-mortem, episodes first.

Each episode: its span and title, the story in one paragraph, who was without quorum and for
how long, then each node's events in that episode, compact (the lines of one second on one
line, repeats counted). Then the nodes' states, fences and near misses, clocks.
"""

from __future__ import annotations

import textwrap

from rich.console import Console
from rich.text import Text

from forewarn.facts.timeline import (
    Timeline,
)
from forewarn.report.timeline_story import story
from forewarn.report.timeline_parts import (
    episode_blocks,
    header_lines,
    multi_day,
    span,
    states_lines,
    tail_lines,
)


def render_timeline_text(tl: Timeline, console: Console, *, source: str = "", verbose: bool = False) -> None:
    """Lines are wrapped here, and printed one block at a time (rich wraps nothing: soft_wrap)."""
    c = console
    width = max(60, min(c.width or 100, 140))
    days = multi_day(tl)
    block: list[Text] = []

    def out(text: str | Text = "", style: str = "") -> None:
        block.append(text if isinstance(text, Text) else Text(text, style=style))

    def flush() -> None:
        if block:
            c.print(Text("\n").join(block), soft_wrap=True, crop=False)
            block.clear()

    for text, style in header_lines(tl, source):
        for ln in textwrap.wrap(text, width) or [""]:
            out(ln, style)
    if not tl.events:
        out("no cluster events in the logs given (corosync, pmxcfs, HA, watchdog, boots, NFS, OOM ...)")
        flush()
        return
    for ep in tl.episodes:
        out()
        head = Text()
        head.append(f"Episode {ep.id}", style="bold")
        head.append(f"  {span(ep, days)}  ")
        head.append(ep.title, style="bold red" if ep.kind in ("split", "cut-off", "fence", "crash") else "bold")
        out(head)
        for ln in textwrap.wrap(story(tl, ep), width - 2, initial_indent="  ", subsequent_indent="  "):
            out(ln)
        facts, nodes = episode_blocks(tl, ep, verbose, days)
        for f in facts:
            for ln in textwrap.wrap(f, width - 2, initial_indent="  ", subsequent_indent="    "):
                out(ln, "bold" if "FENCED" in f else "")
        wname = max((len(n) for n, _ in nodes), default=4)
        for node, rows in nodes:
            first = True
            for tm, txt, style in rows:
                lead = f"  {node if first else '':<{wname}}  {tm:>8}  "
                body = textwrap.wrap(txt, max(30, width - len(lead))) or [""]
                line = Text(lead, style="dim")
                line.append(body[0], style=style)
                out(line)
                for more in body[1:]:
                    out(" " * len(lead) + more, style)
                first = False
        flush()
    out()
    out("Node states", "bold")
    for ln in states_lines(tl, days):
        for w in textwrap.wrap(ln, width - 2, initial_indent="  ", subsequent_indent="    "):
            out(w)
    tail = tail_lines(tl, days)
    if tail:
        out()
        for text, style in tail:
            for w in textwrap.wrap(text, width):
                out(w, style)
    flush()


def render_timeline_markdown(tl: Timeline, *, source: str = "", verbose: bool = False) -> str:
    days = multi_day(tl)
    out: list[str] = []
    head = header_lines(tl, source)
    out.append(f"# {head[0][0]}")
    out.append("")
    out.extend(f"{text}  " for text, _ in head[1:])
    if not tl.events:
        out.append("")
        out.append("No cluster events in the logs given.")
        return "\n".join(out) + "\n"
    for ep in tl.episodes:
        out.append("")
        out.append(f"## Episode {ep.id} — {span(ep, days)}: {ep.title}")
        out.append("")
        out.append(story(tl, ep))
        facts, nodes = episode_blocks(tl, ep, verbose, days)
        if facts:
            out.append("")
            out.extend(f"- {f}" for f in facts)
        out.append("")
        out.append("| node | time | what |")
        out.append("|---|---|---|")
        for node, rows in nodes:
            for i, (tm, txt, style) in enumerate(rows):
                cell = txt.replace("|", "\\|")
                if "red" in style:
                    cell = f"**{cell}**"
                out.append(f"| {node if i == 0 else ''} | {tm} | {cell} |")
    out.append("")
    out.append("## Node states")
    out.append("")
    out.extend(f"- {ln}" for ln in states_lines(tl, days))
    tail = tail_lines(tl, days)
    if tail:
        out.append("")
        out.extend(f"- {text}" for text, _ in tail)
    return "\n".join(out) + "\n"
