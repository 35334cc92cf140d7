"""MkDocs hook: fill data blocks in pages from the project's single sources of truth.

A page asks for generated content with a block, on a line of its own or inline, and puts prose
that quotes one machine's figures in a per-machine region::

    {{ zoo-table }}
    {{ machines guide/introduction }}
    It ran {{ value guide/introduction throughput_fps }} frames per second.
    {{ end-machines }}

The blocks are listed in :data:`perfguide.blocks.REGISTRY`; the syntax is
:mod:`perfguide.blocks.expand`. An unknown name fails the build, so a typo never ships as
literal braces; so does a guard that a committed machine's data contradicts.
"""

from __future__ import annotations

import logging

from mkdocs.exceptions import PluginError

from perfguide.blocks import RenderError, data, expand

log = logging.getLogger("mkdocs.hooks.perfguide")


def on_pre_build(config) -> None:
    data.reset()  # results files are read once per build (and again on each rebuild of `serve`)
    try:
        data.build()  # a results file that is refused fails the build with its one-line reason
    except RenderError as exc:
        raise PluginError(str(exc)) from exc


def on_page_markdown(markdown: str, page, config, files) -> str:
    try:
        return expand.render(markdown, page.file.src_path)
    except RenderError as exc:
        raise PluginError(f"{page.file.src_path}: {exc}") from exc


def on_post_build(config) -> None:
    notes = data.build().notes
    for note in notes:  # info, not warning: a reader's machine never breaks the strict build
        log.info(f"note for {note.machine} on {note.page}: {note.text}")
