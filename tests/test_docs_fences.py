"""Every code fence on every page is a tested snippet section, or says why it is not code to run.

The convention: a fence in an executable language (python, cpp, ...) may contain only
``--8<-- "<section>/<page>.py:<name>"`` (or ``.cpp``) include lines, and every Python tab has a
C++ tab beside it showing the twin section of ``<page>.cpp`` — except a section about Python
alone, whose start marker says ``python-only: <why>``. Shell commands and console output use
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
MARKER = re.compile(r"(?:#|//)\s*-{2}8<-{2}\s*\[(?P<kind>start|end):(?P<name>[\w.-]+)\](?P<post>.*)$",
                    re.MULTILINE)
PYTHON_ONLY = re.compile(r"^\s*python-only:\s*\S")
TAB = re.compile(r'^(?P<indent>\s*)===(?P<mark>[!+]?)\s+"(?P<title>[^"]+)"')


def snippet_files() -> list[Path]:
    """Every snippet module and every C++ twin, relative to snippets/."""
    return sorted([*snippet_modules(), *(p.relative_to(SNIPPETS) for p in SNIPPETS.glob("*/*.cpp"))])


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
    """Section names cut in a snippet module (or C++ twin), checking that each start has its end."""
    text = (SNIPPETS / relative).read_text(encoding="utf-8")
    starts = [m["name"] for m in MARKER.finditer(text) if m["kind"] == "start"]
    ends = [m["name"] for m in MARKER.finditer(text) if m["kind"] == "end"]
    assert sorted(starts) == sorted(ends), f"snippets/{relative}: unbalanced section markers"
    assert len(starts) == len(set(starts)), f"snippets/{relative}: a section name is repeated"
    return starts


def python_only(relative: Path) -> set[str]:
    """The sections of a snippet module marked ``python-only: <why>`` on their start line."""
    text = (SNIPPETS / relative).read_text(encoding="utf-8")
    return {m["name"] for m in MARKER.finditer(text) if m["kind"] == "start" and PYTHON_ONLY.match(m["post"])}


def tab_groups(page: Path) -> list[list[tuple[str, int, list[tuple[str, str]]]]]:
    """The content-tab groups of a page: each a list of (title, line number, includes)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    tabs = []  # (indent, title, line number, includes, line after the body, starts a new group)
    for i, line in enumerate(lines):
        m = TAB.match(line)
        if not m:
            continue
        indent, j, found = len(m["indent"]), i + 1, []
        while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent):
            inc = INCLUDE.match(lines[j])
            if inc:
                found.append((inc["path"], inc["section"] or ""))
            j += 1
        tabs.append((indent, m["title"], i + 1, found, j, m["mark"] == "!"))
    groups: list[list] = []
    for k, (indent, title, lineno, found, _after, new_group) in enumerate(tabs):
        previous = tabs[k - 1] if k else None
        if previous and previous[0] == indent and previous[4] == lineno - 1 and not new_group:
            groups[-1].append((title, lineno, found))
        else:
            groups.append([(title, lineno, found)])
    return groups


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
    known = {(str(rel), name) for rel in snippet_files() for name in sections(rel)}
    missing = {f"{path}:{sec} (from {', '.join(where)})"
               for (path, sec), where in includes().items() if (path, sec) not in known}
    assert not missing, "includes of unknown snippet sections:\n" + "\n".join(sorted(missing))


@pytest.mark.parametrize("relative", snippet_files(), ids=str)
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
    for relative in snippet_files():
        depth = 0
        for lineno, line in enumerate((SNIPPETS / relative).read_text().splitlines(), 1):
            marker = MARKER.search(line)
            if marker:
                depth += 1 if marker["kind"] == "start" else -1
            elif depth and len(line) > SHOWN_COLUMNS:
                long.append(f"snippets/{relative}:{lineno}: {len(line)} columns")
    assert not long, "\n".join(long)


@pytest.mark.parametrize("relative", snippet_modules(), ids=lambda p: str(p.with_suffix("")))
def test_every_snippet_module_has_a_cpp_twin_with_its_sections(relative: Path) -> None:
    """snippets/<page>.cpp cuts every section of <page>.py but the Python-only ones, and no other."""
    twin = relative.with_suffix(".cpp")
    assert (SNIPPETS / twin).is_file(), f"snippets/{relative} has no C++ twin snippets/{twin}"
    want = set(sections(relative)) - python_only(relative)
    have = set(sections(twin))
    assert have == want, (f"snippets/{twin}: missing sections {sorted(want - have)}, "
                          f"sections the Python module lacks {sorted(have - want)}")


@pytest.mark.parametrize("page", sorted((DOCS / "guide").glob("*.md")), ids=lambda p: p.stem)
def test_every_python_tab_has_its_cpp_tab(page: Path) -> None:
    """Each tab group that shows a Python section shows its C++ twin in the next tab, titled
    "C++" (linked tabs: a reader who picks C++ once sees C++ everywhere)."""
    problems = []
    for group in tab_groups(page):
        titles = [title for title, _, _ in group]
        for (title, lineno, found), following in zip(group, [*group[1:], None], strict=True):
            for path, section in found:
                if not path.endswith(".py"):
                    continue
                if section in python_only(Path(path)):
                    continue
                twin = (str(Path(path).with_suffix(".cpp")), section)
                paired = following is not None and following[0] == "C++" and twin in following[2]
                if title != "Python" or not paired:
                    problems.append(f"{page.name}:{lineno}: tabs {titles} show {path}:{section} "
                                    f"without a following \"C++\" tab showing {twin[0]}:{section}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_code_tabs_after_a_machines_region_start_their_own_group(page: Path) -> None:
    """A machines region renders as tabs too: code tabs right after it would join its group
    (and hide behind the machines' labels) unless they open with ``===!``."""
    lines = page.read_text(encoding="utf-8").splitlines()
    problems = []
    for i, line in enumerate(lines):
        m = TAB.match(line)
        if not m or m["mark"] == "!" or m["indent"]:
            continue
        before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        if before == "{{ end-machines }}":
            problems.append(f"{page.name}:{i + 1}: write ===! \"{m['title']}\" after {{{{ end-machines }}}}")
    assert not problems, "\n".join(problems)


def test_the_tab_checker_can_fail(tmp_path: Path) -> None:
    """A Python tab with no C++ tab beside it is seen as a group of one."""
    page = tmp_path / "p.md"
    page.write_text('=== "Python"\n\n    ```python\n    --8<-- "guide/introduction.py:latency"\n'
                    '    ```\n\ntext\n\n=== "C++"\n\n    ```cpp\n'
                    '    --8<-- "guide/introduction.cpp:latency"\n    ```\n', encoding="utf-8")
    groups = tab_groups(page)
    assert [[title for title, _, _ in g] for g in groups] == [["Python"], ["C++"]]
    page.write_text('=== "Python"\n\n    ```python\n    --8<-- "guide/introduction.py:latency"\n'
                    '    ```\n\n=== "C++"\n\n    ```cpp\n'
                    '    --8<-- "guide/introduction.cpp:latency"\n    ```\n', encoding="utf-8")
    (group,) = tab_groups(page)
    assert [title for title, _, _ in group] == ["Python", "C++"]
    assert group[1][2] == [("guide/introduction.cpp", "latency")]
