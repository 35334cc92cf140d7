"""Shared fixtures: the repository's layout, the device matrix, and snippet runs (memoized)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

from perfguide import cpp, pages

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
SNIPPETS = REPO / "snippets"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def snippet_modules() -> list[Path]:
    """Every snippet module, as a path relative to snippets/ (e.g. guide/introduction.py)."""
    return sorted(p.relative_to(SNIPPETS) for p in SNIPPETS.rglob("*.py") if p.name != "__init__.py")


def load_snippet(relative: Path) -> ModuleType:
    """Import a snippet module by its path relative to snippets/ (one loader: perfguide.pages)."""
    return pages.load_snippet(str(relative.with_suffix("")))


def device_params(module: ModuleType) -> list:
    """pytest params for a module's devices; an absent device is skipped with the reason."""
    return [
        pytest.param(c.name, id=c.name, marks=pytest.mark.skip(reason=c.missing) if c.missing else ())
        for c in pages.applicable_cases(module)
    ]


LANGUAGES = ("python", "cpp")


def snippet_cases(relative: Path) -> list:
    """pytest params (device, language) for a page: each device its module applies to, in
    Python and in C++ (its twin snippets/<page>.cpp), an absent device skipped with the reason."""
    return [
        pytest.param(device.values[0], language, id=f"{device.id}-{language}", marks=device.marks)
        for device in device_params(load_snippet(relative)) for language in LANGUAGES
    ]


@cache
def built_programs() -> None:
    """Build every C++ twin once per session (CMake rebuilds only what changed)."""
    cpp.build()


@cache
def run_snippet(relative: Path, device: str, language: str = "python") -> dict:
    """Run a snippet module's ``main`` (or, for "cpp", its C++ twin's program) once per
    (module, device, language) in this session, on the module's TEST_MODEL where it has one (a
    small stand-in for a model too slow for CI); both languages get the same model file."""
    module = load_snippet(relative)
    model = getattr(module, "TEST_MODEL", None)
    page = str(relative.with_suffix(""))
    if language == "python":
        return pages.run_page(page, device, model)["observed"]
    assert language == "cpp", language
    built_programs()
    return cpp.run_page(page, device, model)["observed"]


def run_script(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a Python script of this repository the way a reader would, capturing its output."""
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


def build_site(site: Path, extra: dict[Path, dict] | None = None) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` into ``site``, with ``extra`` results files (path -> document)
    written into the repository for the build only (never committed: a reader's files)."""
    extra = extra or {}
    for path, doc in extra.items():
        path.write_text(json.dumps(doc))
    try:
        return subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
            cwd=REPO, capture_output=True, text=True, timeout=600,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # Material's banner, not a build warning
        )
    finally:
        for path in extra:
            path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``mkdocs build --strict`` into a temporary folder: (site folder, build log)."""
    site = tmp_path_factory.mktemp("site")
    done = build_site(site)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return site, done.stdout + done.stderr
