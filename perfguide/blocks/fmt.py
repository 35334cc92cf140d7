"""How blocks write Markdown: tables, numbers, per-machine content tabs, headings, notes.

Every string that comes from a results file goes through :func:`text` (or :func:`code`) before
it reaches a page, so a results file cannot inject markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

from perfguide.blocks import data

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#!])")


def text(value: object) -> str:
    """A string from a results file as literal Markdown text (HTML escaped, markup neutral)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(" ".join(str(value).split()), quote=False))


def title(value: object) -> str:
    """A string from a results file inside a quoted title (a tab's label, an admonition's)."""
    return text(value).replace('"', "&quot;")


def code(value: object) -> str:
    """A string from a results file as inline code."""
    return f"<code>{text(value)}</code>"  # Markdown still runs inside inline HTML: escape it


def literal(value: object) -> str:
    """A string from a results file inside generated code (a fenced block or a Python string):
    one line, no backtick or quote that could end the fence or the string."""
    return " ".join(str(value).split()).replace("`", "'").replace('"', "'").replace("\\", "/")


def num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def table(header: list[str], rows: Iterable[list[object]]) -> str:
    """A Markdown table. Cells are Markdown already (escape data with :func:`text` first)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def indent(markdown: str, prefix: str = "    ") -> str:
    return "".join(prefix + line if line.strip() else line for line in markdown.splitlines(keepends=True))


def tabs(parts: list[tuple[data.Machine, str]]) -> str:
    """One linked content tab per machine (the label is the same on every page)."""
    out = []
    for i, (machine, body) in enumerate(parts):
        opener = "===!" if i == 0 else "==="  # "!": a new tab set, never merged with the one before
        out.append(f'{opener} "{title(machine.label)}"\n\n{indent(body.rstrip())}\n')
    return "\n".join(out) + "\n"


def per_machine(items: Iterable[tuple[data.Machine, object]], render: Callable[..., str]) -> str:
    """``render(item)`` for each machine: as tabs outside a region, alone inside one."""
    parts = [(machine, render(item)) for machine, item in items]
    if data.current() is not None:
        return "\n".join(body for _, body in parts)
    return tabs(parts)


def not_measured() -> str:
    """In place of a figure that an older version of the page's code did not measure."""
    return '<abbr title="not measured by the older version of the code these figures came from">–</abbr>'


def stale_marker(entry: data.Entry) -> str:
    """The warning above a page result from an older version of its snippet's code."""
    info = entry.machine.info
    commit = code(str(info.get("git_commit") or "unknown commit")[:7])
    date = text(str(entry.data.get("date") or info.get("date") or "an unknown date")[:10])
    return (f'!!! warning "Measured with an older version of the code"\n'
            f"    These figures of **{text(entry.machine.id)}** came from `snippets/{entry.page}.py` "
            f"as it was at commit {commit}, on {date}. They are shown as measured but no longer "
            f"check the prose; `python scripts/pages.py regenerate {entry.page}` on that machine "
            f"refreshes them.\n")


def page_tabs(page: str, render: Callable[[data.Entry], str]) -> str:
    """A page-result block: one tab per machine (with the stale marker where it applies)."""
    def body(entry: data.Entry) -> str:
        marker = stale_marker(entry) + "\n" if entry.stale and data.current() is None else ""
        return marker + render(entry)

    return per_machine(((e.machine, e) for e in data.entries(page)), body)


def heading(entry: data.Entry, extra: str = "") -> str:
    """The line above a page-result table: which machine, device and model it was measured on."""
    m = entry.machine.info
    return (f"*On **{text(m.get('id'))}** ({text(m.get('cpu_model'))}, {text(m.get('cores_logical'))} "
            f"cores), device {code(entry.data.get('device'))}, model {code(entry.data.get('model'))}"
            f"{extra}:*\n\n")


def machine_stamp(machine: data.Machine, doc: dict) -> str:
    m = doc["machine"]
    quick = " — **quick run**, fewer and shorter measurements" if doc.get("quick") else ""
    return (f"*Measured on **{text(m['id'])}**: {text(m['cpu_model'])}, {m['cores_logical']} logical "
            f"cores, OpenVINO {text(m['openvino'].split('-')[0])}, Python {text(m['python'])}, "
            f"{text(m['date'][:10])}{quick}.*")


def note(machine: data.Machine, message: str) -> str:
    """A guard that failed: a build error for a committed machine (unless auditing), else a
    visible note, kept in the build's notes so the regenerate commands can print it."""
    from perfguide.blocks import RenderError

    build = data.build()
    if machine.committed and build.strict:
        raise RenderError(f"on {machine.id} (committed: {machine.path}): {message}")
    build.notes.append(data.Note(machine.id, build.page, message))
    return (f' <mark class="guard-note" title="a sentence here does not hold on this machine">'
            f"⚠ Not so on {html.escape(machine.id)}: {html.escape(message)}</mark> ")
