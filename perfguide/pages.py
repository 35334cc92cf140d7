"""Page results: what each page's snippet module observed and printed on a measured machine.

``python scripts/pages.py regenerate`` runs every snippet module's ``main`` and stores, per page,
the values it returned and the text it printed in ``results/pages/<machine-id>.json``. Pages show
that output and quote those values through data blocks (see :mod:`perfguide.render`), so the
prose of a page never carries a number typed by hand.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import io
import json
from functools import cache
from pathlib import Path
from types import ModuleType

from perfguide import results
from perfguide.errors import UsageError

REPO_ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = REPO_ROOT / "snippets"
SCHEMA_VERSION = 1


def pages_dir() -> Path:
    return results.results_dir() / "pages"


def snippet_pages() -> list[str]:
    """Every page that has a snippet module, as ``section/page`` (e.g. ``guide/introduction``)."""
    return sorted(str(p.relative_to(SNIPPETS).with_suffix(""))
                  for p in SNIPPETS.rglob("*.py") if p.name != "__init__.py")


@cache
def load_snippet(page: str) -> ModuleType:
    """Import ``snippets/<page>.py`` (snippets/ is a folder of programs, not a package)."""
    path = SNIPPETS / f"{page}.py"
    if not path.is_file():
        raise UsageError(f"no snippet module for page {page!r}; pages: {', '.join(snippet_pages())}")
    spec = importlib.util.spec_from_file_location("snippet_" + page.replace("/", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_page(page: str, device: str, model: str | None = None) -> dict:
    """Run a page's ``main`` on ``device``: {"observed": what it returned, "output": what it printed}."""
    from perfguide.zoo import resolve_model

    module = load_snippet(page)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        observed = module.main(device=device, model=str(resolve_model(model or module.MODEL)))
    # Round-trip through JSON so what is stored is exactly what a reader of the file gets.
    observed = json.loads(json.dumps(observed, default=str))
    from perfguide.environment import describe_machine

    return {"device": device, "model": model or module.MODEL, "observed": observed,
            "output": printed.getvalue(), "date": describe_machine()["date"]}


def new_document(machine: dict) -> dict:
    return {"schema_version": SCHEMA_VERSION, "machine": machine, "pages": {}}


def validate(doc: object, path: Path) -> dict:
    """A light structural check; a bad file is named with the reason."""
    problem = None
    if not isinstance(doc, dict) or doc.get("schema_version") != SCHEMA_VERSION:
        problem = f"schema_version must be {SCHEMA_VERSION}"
    elif not isinstance(doc.get("machine"), dict) or "id" not in doc["machine"]:
        problem = "missing machine block"
    elif not isinstance(doc.get("pages"), dict):
        problem = "missing pages"
    else:
        for page, entry in doc["pages"].items():
            if not {"device", "model", "observed", "output"} <= set(entry):
                problem = f"page {page!r} lacks device/model/observed/output"
    if problem:
        raise UsageError(f"{path}: invalid page results file: {problem}")
    return doc


def load(path: Path) -> dict:
    try:
        return validate(json.loads(path.read_text(encoding="utf-8")), path)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}") from None


def load_all() -> list[dict]:
    base = pages_dir()
    return [load(p) for p in sorted(base.glob("*.json"))] if base.is_dir() else []


def save(doc: dict, path: Path) -> Path:
    validate(doc, path)
    return results.write_atomic(json.dumps(doc, indent=1, allow_nan=False) + "\n", path)


def store(path: Path, machine: dict, page: str, entry: dict) -> Path:
    """Put one page's entry into the machine's file: read, update, replace atomically, under a
    lock so that two runs at once (two pages regenerated in parallel) lose nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        doc = load(path) if path.exists() else new_document(machine)
        doc["machine"] = machine
        doc["pages"][page] = entry
        return save(doc, path)
