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

from perfguide import REPO_ROOT, results
from perfguide.errors import UsageError

SNIPPETS = REPO_ROOT / "snippets"
SCHEMA_VERSION = 1


def pages_dir(results_dir: str | Path | None = None) -> Path:
    """Where page results files live: ``<results>/pages`` (default: the repository's)."""
    return Path(results_dir or results.results_dir()) / "pages"


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
    from perfguide.snippet import resolve_argument

    module = load_snippet(page)
    sha, code = source_sha256(page), code_sha256(page)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        observed = module.main(device=device, model=resolve_argument(
            model or module.MODEL, getattr(module, "MODEL_KIND", "model")))
    # Round-trip through JSON so what is stored is exactly what a reader of the file gets.
    observed = json.loads(json.dumps(observed, default=str))
    from perfguide.environment import describe_machine

    return {"device": device, "model": model or module.MODEL, "observed": observed,
            "output": printed.getvalue(), "date": describe_machine()["date"], "source_sha256": sha,
            "code_sha256": code}


def new_document(machine: dict) -> dict:
    return {"schema_version": SCHEMA_VERSION, "machine": machine, "pages": {}}


KIND = "page results file"
SCHEMA_NAME = "pages_schema.json"
# The largest page results file read: the committed ones are under 50 KiB (every page, one CPU).
SIZE_LIMIT = 4 * 1024 * 1024
OBSERVED_DEPTH = 10  # how deeply a snippet's returned value may nest (the committed ones: 6)
OBSERVED_STRING = 4096  # the longest string (or key) in it (the committed ones: under 100)


def _observed_problem(value: object, where: tuple, depth: int = 0) -> tuple[tuple, str] | None:
    """(where, why) of the first thing in an observed value beyond the bounds, or None."""
    if isinstance(value, str) and len(value) > OBSERVED_STRING:
        return where, f"a string of {len(value)} characters, over {OBSERVED_STRING}"
    if isinstance(value, dict | list):
        if depth >= OBSERVED_DEPTH:
            return where, f"nested deeper than {OBSERVED_DEPTH} levels"
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, inner in items:
            if isinstance(key, str) and len(key) > OBSERVED_STRING:
                return where, f"a key of {len(key)} characters, over {OBSERVED_STRING}"
            found = _observed_problem(inner, (*where, key), depth + 1)
            if found:
                return found
    return None


def validate(doc: object, path: Path | str = "<page results>") -> dict:
    """Check ``doc`` against pages_schema.json (its machine block is the benchmark files'), the
    bounds of each ``observed`` value, and that no string holds an absolute local path; return
    it. A bad file is a one-line UsageError naming it, where in it, and why."""
    results.check_schema(doc, path, name=SCHEMA_NAME, kind=KIND)
    for page, entry in doc["pages"].items():
        found = _observed_problem(entry["observed"], ("pages", page, "observed"))
        if found:
            raise results.invalid(path, results.field_path(found[0]), found[1], KIND)
    results.check_portable(doc, path, KIND)
    return doc


def check_name(doc: dict, path: Path | str) -> None:
    """Refuse a page results file not named ``<machine id>.json``."""
    name, want = Path(path).name, f"{doc['machine']['id']}.json"
    if name != want:
        raise results.invalid(path, "machine.id", f"the page results of machine {doc['machine']['id']!r} "
                              f"are named {want}, not {name}", KIND)


def load(path: Path | str, *, check_file_name: bool = True) -> dict:
    """Read and validate one page results file (see :func:`perfguide.results.read_json`)."""
    doc = validate(results.read_json(path, kind=KIND, limit=SIZE_LIMIT), path)
    if check_file_name:
        check_name(doc, path)
    return doc


def check_each(paths) -> results.Checked:
    """(path, document or None, refusal or None) of each page results file: validated, no two
    of one machine in a folder, each named by its machine id (see :func:`results.check_set`)."""
    return results.check_set(paths, load, lambda d: d["machine"]["id"],
                             lambda d: f"the page results of machine {d['machine']['id']!r}",
                             check_name, KIND)


def load_each(paths) -> list[tuple[Path, dict]]:
    """(path, document) of each page results file, or the first refusal raised."""
    return results.loaded_or_raise(check_each(paths))


def files_in(directory: Path | str | None = None) -> list[Path]:
    """The page results files of a folder (default results/pages/; a lock file is none)."""
    base = Path(directory) if directory is not None else pages_dir()
    return sorted(base.glob("*.json")) if base.is_dir() else []


def load_all(directory: Path | str | None = None) -> list[dict]:
    return [doc for _, doc in load_each(files_in(directory))]


def save(doc: dict, path: Path) -> Path:
    """Validate ``doc`` (its file name included) and write it to ``path`` atomically."""
    validate(doc, path)
    check_name(doc, path)
    return results.write_atomic(json.dumps(doc, indent=1, allow_nan=False) + "\n", path)


def store(path: Path, machine: dict, entries: dict[str, dict]) -> Path:
    """Put pages' entries into the machine's file: read, update, replace atomically, under a
    lock so that two runs at once (two pages regenerated in parallel) lose nothing. No local
    path of this machine goes into the file (see perfguide.paths)."""
    from perfguide.paths import portable_doc

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        doc = load(path) if path.exists() else new_document(machine)
        doc["machine"] = machine
        doc["pages"].update(entries)
        return save(portable_doc(doc), path)


def is_this_machine(machine: dict) -> bool:
    """Whether a results file's machine is the one running this: the same CPU model, core count
    and instruction sets, whatever id it was given (two CPUs sold under one name, e.g. two AMD
    EPYC generations, share a default id but not their instruction sets)."""
    from perfguide.environment import cpu_facts

    facts = cpu_facts()
    return {key: machine.get(key) for key in facts} == facts


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
