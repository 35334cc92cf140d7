"""Absolute local paths in results files: found (a results file must not carry one) and rewritten.

A results file is shared: committed, or contributed by a reader. A path such as
``/home/alice/openvino-perf-guide/.cache/zoo/resnet50-…/model.xml`` says nothing to anyone else
and tells the world a user name and a folder layout, so a results file holds none:
:func:`absolute_paths` finds them (the schema checks call it), and :func:`portable` /
:func:`portable_doc` rewrite them into forms that mean the same on every machine:

======================================  ===================================================
``<repo>/.cache/zoo/x/model.xml``       ``.cache/zoo/x/model.xml`` (the zoo cache, in the repo)
``$PERFGUIDE_CACHE/x/model.xml``        ``<zoo-cache>/x/model.xml`` (the zoo cache elsewhere)
``<venv>/bin/benchmark_app``            ``benchmark_app`` (a program of this Python's prefix)
``<repo>/results/x.json``               ``results/x.json`` (relative to the repository root)
``/tmp/perfguide-bapp-1234``            ``<tmp>/perfguide-bapp-1234`` (the temporary folder)
``/home/alice/models/m.xml``            ``~/models/m.xml`` (the home folder)
``/opt/models/m.xml``, ``C:\\m\\m.xml``  ``m.xml`` (anything else: its file name)
======================================  ===================================================

What counts as a path: a token that begins with ``/`` (at the start of the text or after a
space, a quote, ``=``, ``:``, ``(``, ``[``, ``{`` or ``,``) and has at least two components, e.g.
``/tmp/x``; or a Windows drive path (``C:\\…``, ``C:/…``) or UNC path (``\\\\host\\share``). A record
id (``mobilenet/CPU/offline/hint=throughput``), a shape (``f32[2,255,80,80]``), a version
(``releases/2026/4``), a unit (``frames/s``), a URL (``https://…``) and a closing HTML tag are
not paths.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_STOP = r"\s'\"`<>|:;,()\[\]{}"  # what ends a path token: white space, quotes, brackets, separators
_BEFORE = r"\s'\"`=:(\[{,<>"  # what may stand just before a path
_POSIX = re.compile(rf"(?:^|(?<=[{_BEFORE}])|(?<=file://))/(?!/)[^{_STOP}]+")
_DRIVE = re.compile(rf"(?<![A-Za-z0-9_.-])[A-Za-z]:[\\/][^{_STOP}\\/][^{_STOP}]*")
_UNC = re.compile(rf"(?:^|(?<=[{_BEFORE}]))\\\\[A-Za-z0-9._$-]+\\[^{_STOP}]+")
_TRAILING = ".!?"  # punctuation that ends a sentence, not a path


def _spans(text: str) -> list[tuple[int, int]]:
    """Where the absolute local paths in ``text`` are, in order."""
    spans = []
    for rx in (_POSIX, _DRIVE, _UNC):
        for m in rx.finditer(text):
            start, end = m.span()
            while end > start and text[end - 1] in _TRAILING:
                end -= 1
            parts = [c for c in re.split(r"[\\/]", text[start:end]) if c]
            if rx is not _POSIX or len(parts) >= 2:
                spans.append((start, end))
    kept: list[tuple[int, int]] = []
    for span in sorted(spans):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def find(text: str) -> list[str]:
    """The absolute local paths in one string (empty when it holds none)."""
    return [text[start:end] for start, end in _spans(text)]


def strings(doc: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(field path, string) for every string in a JSON-like document, dict keys included (a
    key's field path is that of its value). Field paths read ``machine.devices.CPU``,
    ``records[3].id``."""
    if isinstance(doc, str):
        yield where or "(top level)", doc
    elif isinstance(doc, dict):
        for key, value in doc.items():
            inner = f"{where}.{key}" if where else str(key)
            if isinstance(key, str):
                yield inner, key
            yield from strings(value, inner)
    elif isinstance(doc, list | tuple):
        for i, value in enumerate(doc):
            yield from strings(value, f"{where}[{i}]")


def absolute_paths(doc: Any) -> Iterator[tuple[str, str]]:
    """(field path, absolute path) for each absolute local path in any string of ``doc``."""
    for where, text in strings(doc):
        for path in find(text):
            yield where, path


def first_absolute_path(doc: Any) -> tuple[str, str] | None:
    """The first (field path, absolute path) in ``doc``, or None when it holds none."""
    return next(absolute_paths(doc), None)


# --------------------------------------------------------------------------------------------
# Rewriting


def _roots() -> list[tuple[str, Callable[[str], str]]]:
    """(folder, how to write a path under it), the folders as absolute POSIX strings."""
    from perfguide import REPO_ROOT
    from perfguide.zoo import cache_dir

    repo = REPO_ROOT
    zoo = cache_dir()

    def under_repo(rest: str) -> str:
        return rest or "."

    def in_zoo(rest: str) -> str:
        try:
            return (zoo / rest).relative_to(repo).as_posix()  # the default cache: inside the repo
        except ValueError:
            return f"<zoo-cache>/{rest}" if rest else "<zoo-cache>"

    def program(rest: str) -> str:
        return rest.rsplit("/", 1)[-1] if rest else "bin"

    def in_tmp(rest: str) -> str:
        return f"<tmp>/{rest}" if rest else "<tmp>"

    def in_home(rest: str) -> str:
        return f"~/{rest}" if rest else "~"

    roots: list[tuple[Path, Callable[[str], str]]] = [(zoo, in_zoo), (repo, under_repo)]
    bins = {Path(sys.prefix) / "bin", Path(sys.prefix) / "Scripts", Path(sys.executable).parent}
    roots += [(b, program) for b in bins]
    roots += [(Path(t), in_tmp) for t in {tempfile.gettempdir(), "/tmp", "/var/tmp"}]
    roots.append((Path.home(), in_home))
    out: list[tuple[str, Callable[[str], str]]] = []
    for folder, how in roots:
        forms = {str(folder)}
        try:
            forms.add(str(folder.resolve()))
        except OSError:
            pass
        for form in forms:
            form = os.path.normpath(form)
            if form not in ("/", "") and not any(form == f for f, _ in out):
                out.append((form, how))
    return sorted(out, key=lambda r: len(r[0]), reverse=True)  # the most specific folder first


def _rewrite(path: str, roots: list[tuple[str, Callable[[str], str]]]) -> str:
    trailing = "/" if path.endswith(("/", "\\")) and len(path) > 1 else ""
    if path.startswith("/"):
        norm = os.path.normpath(path)
        for folder, how in roots:
            if norm == folder or norm.startswith(folder + "/"):
                rest = norm[len(folder) + 1:] if norm != folder else ""
                return how(rest) + (trailing if rest else "")
    name = [c for c in re.split(r"[\\/]", path) if c]
    return (name[-1] if name else path) + trailing


def portable(text: str) -> str:
    """``text`` with every absolute local path in it rewritten into a portable form (see the
    module's table); everything else is left exactly as it was."""
    spans = _spans(text)
    if not spans:
        return text
    roots = _roots()
    out, last = [], 0
    for start, end in spans:
        out += [text[last:start], _rewrite(text[start:end], roots)]
        last = end
    out.append(text[last:])
    return "".join(out)


def portable_doc(doc: Any) -> Any:
    """A copy of a JSON-like document with :func:`portable` applied to every string in it (dict
    keys included); numbers, booleans and the structure are untouched."""
    if isinstance(doc, str):
        return portable(doc)
    if isinstance(doc, dict):
        return {portable(k) if isinstance(k, str) else k: portable_doc(v) for k, v in doc.items()}
    if isinstance(doc, list | tuple):
        return [portable_doc(v) for v in doc]
    return doc
