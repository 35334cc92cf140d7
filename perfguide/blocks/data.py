"""What a site build reads, loaded once per build, and which machine a block renders for.

Machines come from two kinds of results file (``results/<id>.json``, the benchmark matrix, and
``results/pages/<id>.json``, the page results). A file is **committed** when git tracks it and
it has no uncommitted change; every other file — a reader's own, just regenerated — is a
reader's. A guard that fails on a committed machine fails the build; on a reader's machine it
renders as a note where the sentence stands (see :mod:`perfguide.blocks.guards`). Outside a git
checkout (an unpacked archive) every file counts as committed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from perfguide.blocks import NotMeasured, RenderError

# Instruction sets that change what a CPU computes in, for a machine's short label.
_F16 = ("avx512_fp16", "amx_fp16")


@dataclass(frozen=True)
class Machine:
    """One results file's machine: its ``machine`` block and whether the file is committed."""

    info: dict
    committed: bool
    path: str  # relative to the repository root

    @property
    def id(self) -> str:
        return str(self.info.get("id", "?"))

    @property
    def isa(self) -> list[str]:
        return [str(f).lower() for f in self.info.get("isa") or []]

    @property
    def traits(self) -> str:
        """What decides the precision story: "AMX, f16", "no AMX, no f16", "AVX2 only"."""
        isa = self.isa
        if isa and "avx512f" not in isa and not any(f.startswith("amx") for f in isa):
            parts = ["AVX2 only" if "avx2" in isa else "no AVX2"]
        else:
            parts = ["AMX" if any(f.startswith("amx") for f in isa) else "no AMX",
                     "f16" if any(f in isa for f in _F16) else "no f16"]
        return ", ".join(parts)

    @property
    def label(self) -> str:
        """The content-tab label: the same on every page, so one choice follows the reader."""
        return f"{self.id} ({self.traits})"


@dataclass
class Note:
    """A guard that did not hold on a reader's machine, as shown on the page."""

    machine: str
    page: str  # the docs page (src path) where the sentence stands
    text: str


@dataclass
class Entry:
    """One machine's stored result of one page's snippet."""

    machine: Machine
    page: str
    data: dict
    stale: bool

    @property
    def observed(self) -> dict:
        return self.data.get("observed") or {}

    def value(self, key: str):
        try:
            return self.observed[key]
        except (KeyError, TypeError):
            error = NotMeasured if self.stale else RenderError
            raise error(f"{self.page}: the page results of {self.machine.id} have no value "
                        f"{key!r}: regenerate the page") from None

    def filled(self, key: str, kind: type = list):
        """An observed table or mapping that must not be empty (a build error names it)."""
        value = self.value(key)
        if not value or not isinstance(value, kind):
            raise RenderError(f"{self.page}: the page results of {self.machine.id} have no {key!r} "
                              f"(a non-empty {kind.__name__}): regenerate the page")
        return value

    def number(self, key: str) -> float:
        value = self.value(key)
        if not isinstance(value, int | float):  # a bool counts as 0 or 1
            raise RenderError(f"{self.page}: {key!r} of {self.machine.id} is not a number")
        return float(value)


@dataclass
class Build:
    pages: list[tuple[Machine, dict]]
    benchmarks: list[tuple[Machine, dict]]
    strict: bool = True  # False in an audit: a failed guard is a note even on a committed machine
    audit: bool = False  # an audit evaluates the prose only: table blocks render nothing
    notes: list[Note] = field(default_factory=list)
    page: str = ""  # the docs page being rendered
    entries: dict[str, list[Entry]] = field(default_factory=dict)  # page -> its results, made once


_build: Build | None = None
_current: ContextVar[Machine | None] = ContextVar("machine", default=None)


def git_committed(paths: list[Path]) -> set[Path] | None:
    """The paths git tracks with no uncommitted change; None outside a git checkout."""
    from perfguide.results import REPO_ROOT

    def git(*args: str) -> list[str] | None:
        try:
            done = subprocess.run(["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True,
                                  timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.split("\0") if done.returncode == 0 else None

    tracked = git("ls-files", "-z", "--", "results")
    changed = git("status", "--porcelain", "-z", "--untracked-files=all", "--", "results")
    if tracked is None or changed is None:
        return None
    clean = set(tracked) - {line[3:] for line in changed if len(line) > 3}
    return {p for p in paths if _rel(p) in clean}


def _rel(path: Path) -> str:
    from perfguide.results import REPO_ROOT

    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def load() -> Build:
    """Read every results file, validated as untrusted input: a bad one (or two files of one
    machine) fails the build with the loader's one-line message naming the file."""
    from perfguide import pages, results
    from perfguide.errors import UsageError

    bench_files = results.files_in(results.results_dir())
    page_files = pages.files_in()
    committed = git_committed([*bench_files, *page_files])
    try:
        def machines(loaded: list[tuple[Path, dict]]) -> list[tuple[Machine, dict]]:
            return [(Machine(doc["machine"], committed is None or path in committed, _rel(path)), doc)
                    for path, doc in loaded]

        return Build(pages=machines(pages.load_each(page_files)),
                     benchmarks=machines(results.load_each(bench_files)))
    except UsageError as exc:
        raise RenderError(str(exc)) from exc


def build() -> Build:
    """This build's results, read on first use (:func:`reset` starts a new build)."""
    global _build
    if _build is None:
        _build = load()
    return _build


def reset(new: Build | None = None) -> None:
    global _build
    _build = new


def current() -> Machine | None:
    """The machine of the per-machine region being rendered (None outside one)."""
    return _current.get()


@contextmanager
def selected(machine: Machine) -> Iterator[None]:
    token = _current.set(machine)
    try:
        yield
    finally:
        _current.reset(token)


def entries(page: str) -> list[Entry]:
    """Every machine's result of ``page`` — only the selected machine's inside a region."""
    from perfguide import pages

    chosen, this = current(), build()
    if page not in this.entries:  # once per build: freshness hashes the snippet's code
        this.entries[page] = [Entry(m, page, doc["pages"][page], not pages.is_fresh(page, doc["pages"][page]))
                              for m, doc in this.pages if page in doc["pages"]]
    found = this.entries[page]
    if chosen is not None:
        found = [e for e in found if e.machine.id == chosen.id]
    if not found and chosen is None:
        raise RenderError(f"no page results for {page!r}: run `python scripts/pages.py regenerate {page}`")
    return found


def entry(page: str, block: str) -> Entry | None:
    """The selected machine's result of ``page``, for a block that shows one machine's figure.
    None when that machine (a reader's) has no result for it; a committed one must have it."""
    machine = current()
    if machine is None:
        raise RenderError(f"{{{{ {block} }}}} shows one machine's figure: put it inside a "
                          f"{{{{ machines {page} }}}} … {{{{ end-machines }}}} region")
    found = entries(page)
    if not found:
        if machine.committed:
            raise RenderError(f"{machine.id} has no page results for {page!r}: run "
                              f"`python scripts/pages.py regenerate {page}` on it")
        return None
    return found[0]


def benchmark_docs() -> list[tuple[Machine, dict]]:
    """Every benchmark results file (the selected machine's only, inside a region)."""
    docs = build().benchmarks
    chosen = current()
    if chosen is not None:
        docs = [(m, d) for m, d in docs if m.id == chosen.id]
    return docs


def region_machines(page: str) -> list[Machine]:
    """The machines a ``{{ machines PAGE }}`` region renders a tab for: those with results for
    the page, or with a benchmark results file for ``benchmarks``."""
    if page == "benchmarks":
        return [m for m, _ in build().benchmarks]
    return [e.machine for e in entries(page)]
