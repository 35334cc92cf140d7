"""Expand a page's Markdown: fill its data blocks, render per-machine regions as linked tabs.

Syntax (blocks inside fenced code stay literal, so a page can show it)::

    {{ zoo-table }}                         a table block on a line of its own

    {{ machines guide/async }}              one linked content tab per machine with results
    The queue ran {{ value guide/async queue_fps }} frames/s.{{ claim guide/async queue_fps > sync_fps }}
    {{ if guide/async async_fps > sync_fps }}Overlap paid.{{ else }}It did not pay here.{{ end-if }}
    {{ end-machines }}

Inside a region every block renders for the tab's machine. ``{{ if GUARD ARGS }}`` takes any
guard of :mod:`perfguide.blocks.guards` (``claim`` is written without its name: ``{{ if PAGE a
> b }}``) and may nest; an ``if``, ``else`` or ``end-if`` alone on a line takes its line with it.
"""

from __future__ import annotations

import re

from perfguide import blocks
from perfguide.blocks import NotMeasured, RenderError, data, fmt, guards

FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})")
BLOCK = re.compile(r"\{\{\s*(?P<name>[a-z][\w-]*)(?P<args>(?:\s+[^\s}]+)*)\s*\}\}")
REGION, END_REGION = "machines", "end-machines"
IF, ELSE, END_IF = "if", "else", "end-if"


def render(markdown: str, src: str) -> str:
    """The page's Markdown with every block filled (RenderError names what failed)."""
    data.build().page = src
    return "".join(_lines(markdown.splitlines(keepends=True), in_region=False))


def _fill(match: re.Match) -> str:
    name, args = match["name"], match["args"].split()
    if name in (IF, ELSE, END_IF):
        raise RenderError(f"{{{{ {name} }}}} outside a {{{{ {REGION} PAGE }}}} region")
    block = blocks.get(name)
    if data.build().audit and block.kind == "table":
        return ""  # an audit checks the prose; it draws no chart
    try:
        return block.function()(*args)
    except NotMeasured:  # a stale result from before the page quoted this value
        return fmt.not_measured()
    except TypeError as exc:
        raise RenderError(f"{{{{ {name} {' '.join(args)} }}}}: wrong arguments ({exc})") from None


def _lines(lines: list[str], in_region: bool) -> list[str]:
    out: list[str] = []
    fence: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        opener = FENCE.match(line)
        if opener and (fence is None or opener["fence"].startswith(fence)):
            fence = opener["fence"] if fence is None else None
            out.append(line)
        elif fence:
            out.append(line)
        elif (whole := BLOCK.fullmatch(line.strip())) and whole["name"] in (REGION, END_REGION):
            if whole["name"] == END_REGION or in_region:
                raise RenderError(f"{{{{ {whole['name']} }}}} where no region " +
                                  ("may start" if in_region else "is open"))
            end = _region_end(lines, i)
            indent = line[: len(line) - len(line.lstrip())]
            out.append(_region(whole["args"].split(), lines[i + 1:end], indent))
            i = end
        elif whole := BLOCK.fullmatch(line.strip()):  # keep the indentation (e.g. inside a tab)
            indent = line[: len(line) - len(line.lstrip())]
            filled = _fill(whole).rstrip("\n").splitlines() or [""]
            out.append("".join(f"{indent}{text}\n" if text.strip() else "\n" for text in filled))
        else:
            out.append(_inline(line))
        i += 1
    return out


CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")


def _inline(line: str) -> str:
    """Fill the blocks of a line of prose, leaving inline code spans (`{{ … }}`) literal."""
    out, pos = [], 0
    for span in CODE_SPAN.finditer(line):
        out.append(BLOCK.sub(_fill, line[pos:span.start()]) + span.group(0))
        pos = span.end()
    return "".join(out) + BLOCK.sub(_fill, line[pos:])


def _region_end(lines: list[str], start: int) -> int:
    fence = None
    for j in range(start + 1, len(lines)):
        opener = FENCE.match(lines[j])
        if opener and (fence is None or opener["fence"].startswith(fence)):
            fence = opener["fence"] if fence is None else None
        elif not fence and (m := BLOCK.fullmatch(lines[j].strip())) and m["name"] == END_REGION:
            return j
    raise RenderError(f"{{{{ {REGION} }}}} at line {start + 1} has no {{{{ {END_REGION} }}}}")


def _region(args: list[str], lines: list[str], indent: str) -> str:
    if len(args) != 1:
        raise RenderError(f"{{{{ {REGION} PAGE }}}} takes one page (e.g. guide/async) or "
                          f"'benchmarks', not {args}")
    page = args[0]
    machines = data.region_machines(page)
    if not machines:
        raise RenderError(f"no machine has results for {page!r}")
    text = "".join(line[len(indent):] if line.startswith(indent) else line for line in lines)
    parts = []
    for machine in machines:
        with data.selected(machine):
            body = "".join(_lines(conditionals(text).splitlines(keepends=True), in_region=True))
            if page != "benchmarks":
                entry = data.entries(page)[0]
                if entry.stale:
                    body = fmt.stale_marker(entry) + "\n" + body
        parts.append((machine, body))
    return fmt.indent(fmt.tabs(parts), indent)


def _condition(args: list[str]) -> bool:
    if not args:
        raise RenderError("{{ if }} needs a guard")
    if args[0] in guards.GUARDS:
        return guards.holds(*args)
    return guards.holds("claim", *args)


def _span(text: str, match: re.Match) -> tuple[int, int]:
    """The token's span, widened to its whole line when it stands alone on one."""
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    end = len(text) if end < 0 else end + 1
    if text[start:match.start()].strip() == "" and text[match.end():end].strip() == "":
        return start, end
    return match.start(), match.end()


def conditionals(text: str) -> str:
    """Keep the branches of ``{{ if }} … {{ else }} … {{ end-if }}`` whose guard holds."""
    out: list[str] = []
    stack: list[tuple[bool, bool, bool]] = []  # (enclosing active, condition, in else)
    active, pos = True, 0
    for match in BLOCK.finditer(text):
        name = match["name"]
        if name not in (IF, ELSE, END_IF):
            continue
        start, end = _span(text, match)
        if active:
            out.append(text[pos:start])
        pos = end
        if name == IF:
            value = _condition(match["args"].split()) if active else False
            stack.append((active, value, False))
            active = active and value
        elif not stack:
            raise RenderError(f"{{{{ {name} }}}} without {{{{ if }}}}")
        elif name == ELSE:
            outer, value, in_else = stack[-1]
            if in_else:
                raise RenderError("two {{ else }} for one {{ if }}")
            stack[-1] = (outer, value, True)
            active = outer and not value
        else:
            outer, _, _ = stack.pop()
            active = outer
    if stack:
        raise RenderError("{{ if }} without {{ end-if }}")
    if active:
        out.append(text[pos:])
    return "".join(out)


def audit(machine_id: str) -> list[data.Note]:
    """Every guard of every page that does not hold on ``machine_id``, committed or not: what
    the regenerate commands print at the end."""
    from perfguide.results import REPO_ROOT

    data.reset()
    build = data.build()
    build.strict, build.audit = False, True
    try:
        for path in sorted((REPO_ROOT / "docs").rglob("*.md")):
            render(path.read_text(encoding="utf-8"), path.relative_to(REPO_ROOT / "docs").as_posix())
        return [n for n in build.notes if n.machine == machine_id]
    finally:
        data.reset()


def report(machine_id: str) -> list[str]:
    """The lines the regenerate commands print at the end: each sentence of the guide that this
    machine's results do not bear out (the site shows it as a note; a committed machine's fails
    the build), or that every guarded sentence holds."""
    try:
        notes = audit(machine_id)
    except RenderError as exc:
        return [f"cannot check the guide's prose against {machine_id}'s results: {exc}"]
    lines = [f"note: docs/{n.page}: on {machine_id}, {n.text}" for n in notes]
    lines.append(f"{len(notes)} guarded sentence(s) of the guide do not hold on {machine_id}" if notes
                 else f"every guarded sentence of the guide holds on {machine_id}")
    return lines
