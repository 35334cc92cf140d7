"""Page results: what each page's snippet module observed and printed on a measured machine.

``python scripts/pages.py regenerate`` runs every snippet module's ``main`` and stores, per page,
the values it returned and the text it printed in ``results/pages/<machine-id>.json``. Pages show
that output and quote those values through data blocks (see :mod:`perfguide.blocks`), so the
prose of a page never carries a number typed by hand.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
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


def source_sha256(page: str) -> str:
    """The hash of a page's snippet module as bytes, stored with its results as a record."""
    return hashlib.sha256((SNIPPETS / f"{page}.py").read_bytes()).hexdigest()


def code_digest(source: str) -> str:
    """The hash of what a module's code does: its syntax tree, written out again without
    comments, layout or docstrings. Rewrapping a line or a comment leaves it unchanged; any
    change to what runs changes it."""
    import ast

    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.unparse(tree).encode()).hexdigest()


def code_sha256(page: str) -> str:
    """The code hash of a page's snippet module as it is now (see :func:`code_digest`)."""
    return code_digest((SNIPPETS / f"{page}.py").read_text(encoding="utf-8"))


def is_fresh(page: str, entry: dict) -> bool:
    """Whether a stored page result came from the snippet module's code as it is now, so that a
    page never shows the output of code that has since changed."""
    try:
        return entry.get("code_sha256") == code_sha256(page)
    except OSError:  # the page has no snippet module any more
        return False


def source_at(commit: str | None, page: str) -> str | None:
    """``snippets/<page>.py`` as it was at ``commit`` (None if git or the commit is not here)."""
    import subprocess

    if not commit:
        return None
    try:
        done = subprocess.run(["git", "-C", str(REPO_ROOT), "show", f"{commit}:snippets/{page}.py"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def migrate(doc: dict, source_at=source_at) -> tuple[int, int]:
    """Give each page result that lacks one its code hash, taken from the very source it was
    measured with: the snippet at the file's recorded commit, or as it is now, whichever has
    the byte hash the result stored. Figures are not touched. Returns (proved, unproved); an
    unproved result keeps no code hash and so shows as stale."""
    proved = unproved = 0
    for page, entry in doc["pages"].items():
        if entry.get("code_sha256"):
            continue
        candidates = [source_at(doc["machine"].get("git_commit"), page)]
        if (SNIPPETS / f"{page}.py").is_file():
            candidates.append((SNIPPETS / f"{page}.py").read_text(encoding="utf-8"))
        for source in filter(None, candidates):
            if hashlib.sha256(source.encode()).hexdigest() == entry.get("source_sha256"):
                entry["code_sha256"] = code_digest(source)
                proved += 1
                break
        else:
            unproved += 1
    return proved, unproved


def applicable_cases(module: ModuleType) -> list:
    """The device cases a snippet module declares it applies to (``DEVICES``; all when absent),
    each with the reason it cannot run here, if it cannot."""
    from perfguide.devices import VIRTUAL, device_cases, family

    families = getattr(module, "DEVICES", None)
    cases = device_cases()
    if families is None:
        return cases
    unknown = set(families) - {family(c.name) for c in cases} - set(VIRTUAL)
    if unknown:
        raise ValueError(f"{module.__file__}: unknown device families in DEVICES: {unknown}")
    return [c for c in cases if family(c.name) in families]


def default_device(page: str) -> tuple[str | None, str | None]:
    """The device a page's results are taken on when none is named: (device, None), or
    (None, why not) when none of the devices the page is written for is here."""
    cases = applicable_cases(load_snippet(page))
    runnable = [c.name for c in cases if not c.missing]
    if runnable:
        return runnable[0], None
    return None, "; ".join(c.missing for c in cases if c.missing) or "no device"


def run_page(page: str, device: str, model: str | None = None) -> dict:
    """Run a page's ``main`` on ``device``: {"observed": what it returned, "output": what it printed}."""
    from perfguide.zoo import resolve_model

    module = load_snippet(page)
    sha, code = source_sha256(page), code_sha256(page)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        observed = module.main(device=device, model=str(resolve_model(model or module.MODEL)))
    # Round-trip through JSON so what is stored is exactly what a reader of the file gets.
    observed = json.loads(json.dumps(observed, default=str))
    from perfguide.environment import describe_machine

    return {"device": device, "model": model or module.MODEL, "observed": observed,
            "output": printed.getvalue(), "date": describe_machine()["date"], "source_sha256": sha,
            "code_sha256": code}


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


def is_this_machine(machine: dict) -> bool:
    """Whether a results file's machine is the one running this: the same CPU model, core count
    and instruction sets, whatever id it was given (two CPUs sold under one name, e.g. two AMD
    EPYC generations, share a default id but not their instruction sets)."""
    from perfguide.environment import cores, cpu_model, isa_flags

    return (machine.get("cpu_model") == cpu_model() and machine.get("cores_logical") == cores()[1]
            and list(machine.get("isa") or []) == isa_flags())


def stale_entries(here_only: bool = False) -> list[tuple[str, str, str]]:
    """(machine id, page, why) for each stored page result that did not come from the snippet
    module as it is now, or whose page no longer has a snippet module — of this machine's file
    only with ``here_only`` (another machine's stale result is shown marked, not an error)."""
    current = set(snippet_pages())
    stale = []
    for doc in load_all():
        if here_only and not is_this_machine(doc["machine"]):
            continue
        for page, entry in doc["pages"].items():
            if page not in current:
                stale.append((doc["machine"]["id"], page, "no snippet module by that name now"))
            elif not is_fresh(page, entry):
                stale.append((doc["machine"]["id"], page, "stored output came from another version of "
                              f"snippets/{page}.py"))
    return stale
