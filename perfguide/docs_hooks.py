"""MkDocs hook: fill data blocks in pages from the project's single sources of truth.

A page asks for generated content with a line of its own::

    {{ zoo-table }}

Each block name maps to a renderer in :mod:`perfguide.render`. An unknown name fails the build,
so a typo never ships as literal braces.
"""

from __future__ import annotations

import re

from mkdocs.exceptions import PluginError

from perfguide import render

BLOCK = re.compile(r"^\{\{\s*(?P<name>[a-z][\w-]*)(?P<args>(?:\s+[^\s}]+)*)\s*\}\}[ \t]*$", re.M)


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

    return BLOCK.sub(fill, markdown)
