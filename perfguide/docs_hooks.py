"""MkDocs hook: fill data blocks in pages from the project's single sources of truth.

A page asks for generated content with a block, on a line of its own or inline::

    {{ zoo-table }}
    It ran {{ value guide/introduction throughput_fps }} frames per second.

Each block name maps to a renderer in :mod:`perfguide.render`. An unknown name fails the build,
so a typo never ships as literal braces.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from mkdocs.exceptions import PluginError

import perfguide
from perfguide import render

# Page-specific renderers live in perfguide/render_<page>.py and register themselves on import.
for _module in pkgutil.iter_modules(perfguide.__path__):
    if _module.name.startswith("render_"):
        importlib.import_module(f"perfguide.{_module.name}")

FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})")
BLOCK = re.compile(r"\{\{\s*(?P<name>[a-z][\w-]*)(?P<args>(?:\s+[^\s}]+)*)\s*\}\}")


def on_page_markdown(markdown: str, page, config, files) -> str:
    def fill(match: re.Match) -> str:
        name, args = match["name"], match["args"].split()
        try:
            block = render.BLOCKS[name]
        except KeyError:
            known = ", ".join(sorted(render.BLOCKS))
            raise PluginError(
                f"{page.file.src_path}: unknown data block {name!r}; known: {known}"
            ) from None
        try:
            return block(*args)
        except render.RenderError as exc:
            raise PluginError(f"{page.file.src_path}: {{{{ {name} }}}}: {exc}") from exc

    # Blocks inside fenced code stay literal, so a page can show the syntax itself.
    out, fence = [], None
    for line in markdown.splitlines(keepends=True):
        opener = FENCE.match(line)
        if opener and (fence is None or opener["fence"].startswith(fence)):
            fence = opener["fence"] if fence is None else None
        whole = BLOCK.fullmatch(line.strip())
        if fence or opener:
            out.append(line)
        elif whole:  # a block on its own line: keep its indentation (e.g. inside a content tab)
            indent = line[: len(line) - len(line.lstrip())]
            filled = fill(whole).rstrip("\n").splitlines() or [""]
            out.append("".join(f"{indent}{text}\n" if text.strip() else "\n" for text in filled))
        else:
            out.append(BLOCK.sub(fill, line))
    return "".join(out)
