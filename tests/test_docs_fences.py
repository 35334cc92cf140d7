"""Every code fence on every page is a tested snippet section, or says why it is not code to run.

The convention: a fence in an executable language (python, cpp, ...) may contain only
``--8<-- "<section>/<page>.py:<name>"`` include lines. Shell commands and console output use
``console``/``bash``/``text``-style languages and are not executed. A fence without a language
fails, so nothing slips through untested by accident.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import DOCS, SNIPPETS, snippet_modules

EXECUTABLE = {"python", "py", "python3", "pycon", "cpp", "c++", "c", "cxx"}
NOT_EXECUTED = {"console", "bash", "sh", "shell", "text", "txt", "json", "yaml", "toml", "ini",
                "csv", "mermaid", "output"}
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[^\s{`]*)")
INCLUDE = re.compile(r"""^\s*-{2}8<-{2}\s+["'](?P<path>[^"':]+)(?::(?P<section>[\w.-]+))?["']\s*$""")
MARKER = re.compile(r"#\s*-{2}8<-{2}\s*\[(?P<kind>start|end):(?P<name>[\w.-]+)\]")


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def fences(page: Path):
    """Yield (line number, language, body lines) for each fenced block of a Markdown page."""
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        opener, lang, start = m["fence"], m["lang"].lower(), i
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(opener):
            body.append(lines[i])
            i += 1
        yield start + 1, lang, body
        i += 1


def includes() -> dict[tuple[str, str], list[str]]:
    """Every (snippet file, section) a page includes, with where it is included from."""
    found: dict[tuple[str, str], list[str]] = {}
    for page in pages():
        for lineno, _lang, body in fences(page):
            for line in body:
                m = INCLUDE.match(line)
                if m:
                    where = f"{page.relative_to(DOCS)}:{lineno}"
                    found.setdefault((m["path"], m["section"] or ""), []).append(where)
    return found


def sections(relative: Path) -> list[str]:
    """Section names cut in a snippet module, checking that each start has its end."""
    text = (SNIPPETS / relative).read_text(encoding="utf-8")
    starts = [m["name"] for m in MARKER.finditer(text) if m["kind"] == "start"]
    ends = [m["name"] for m in MARKER.finditer(text) if m["kind"] == "end"]
    assert sorted(starts) == sorted(ends), f"snippets/{relative}: unbalanced section markers"
    assert len(starts) == len(set(starts)), f"snippets/{relative}: a section name is repeated"
    return starts


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_every_fence_is_a_snippet_include_or_not_executable(page: Path) -> None:
    problems = []
    for lineno, lang, body in fences(page):
        where = f"{page.relative_to(DOCS)}:{lineno}"
        if not lang:
            problems.append(f"{where}: a fence needs a language (console/text for non-code)")
        elif lang in EXECUTABLE:
            code = [line for line in body if line.strip()]
            if not code or not all(INCLUDE.match(line) for line in code):
                problems.append(f"{where}: a {lang} fence must only include snippet sections")
            for line in code:
                m = INCLUDE.match(line)
                if m and not m["section"]:
                    problems.append(f"{where}: include a named section, not a whole file")
        elif lang not in NOT_EXECUTED:
            problems.append(f"{where}: unknown fence language {lang!r}")
    assert not problems, "\n".join(problems)


def test_every_include_names_an_existing_section() -> None:
    known = {(str(rel), name) for rel in snippet_modules() for name in sections(rel)}
    missing = {f"{path}:{sec} (from {', '.join(where)})"
               for (path, sec), where in includes().items() if (path, sec) not in known}
    assert not missing, "includes of unknown snippet sections:\n" + "\n".join(sorted(missing))


@pytest.mark.parametrize("relative", snippet_modules(), ids=lambda p: str(p.with_suffix("")))
def test_every_snippet_section_is_shown_on_a_page(relative: Path) -> None:
    shown = {sec for (path, sec) in includes() if path == str(relative)}
    unused = [name for name in sections(relative) if name not in shown]
    assert not unused, f"snippets/{relative}: sections no page includes: {unused}"


def test_the_fence_parser_sees_tabs_and_rejects_inline_code(tmp_path: Path) -> None:
    """The checker itself must be able to fail: a hand-written python fence is caught."""
    page = tmp_path / "p.md"
    page.write_text('=== "Python"\n\n    ```python\n    print(1)\n    ```\n', encoding="utf-8")
    ((lineno, lang, body),) = list(fences(page))
    assert lang == "python" and not INCLUDE.match(body[0])
    assert INCLUDE.match('    --8<-- "guide/introduction.py:latency"')


SHOWN_COLUMNS = 88


def test_shown_code_fits_88_columns() -> None:
    """Every line of a snippet section a page shows fits 88 columns, so that no code block
    scrolls sideways on a laptop's screen (the browser test checks the page at 1400 px)."""
    long = []
    for relative in snippet_modules():
        depth = 0
        for lineno, line in enumerate((SNIPPETS / relative).read_text().splitlines(), 1):
            marker = MARKER.search(line)
            if marker:
                depth += 1 if marker["kind"] == "start" else -1
            elif depth and len(line) > SHOWN_COLUMNS:
                long.append(f"snippets/{relative}:{lineno}: {len(line)} columns")
    assert not long, "\n".join(long)
