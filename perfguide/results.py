"""Results files: one JSON document per machine, validated against results_schema.json.

A results file is ``results/<machine-id>.json`` (a full run) or ``results/<machine-id>.quick.json``
(a ``--quick`` run, which never replaces a full one). It holds the machine and versions, the
records of every measured point (keyed by a stable ``id``) and the practical peak.

Every write is atomic: a temporary file in the same folder, fsync, then ``os.replace``; a crash
or Ctrl-C before the rename leaves the previous file exactly as it was.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any, TextIO

from perfguide.errors import UsageError

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("results_schema.json")
REPO_ROOT = Path(__file__).resolve().parents[1]
QUICK_SUFFIX = ".quick.json"


def results_dir() -> Path:
    """The repository's ``results/`` folder (where the docs read their numbers from)."""
    return REPO_ROOT / "results"


def results_path(machine_id: str, quick: bool = False, directory: str | os.PathLike | None = None) -> Path:
    """``<dir>/<machine-id>.json``, or ``<machine-id>.quick.json`` for a quick run."""
    base = Path(directory) if directory is not None else results_dir()
    return base / f"{machine_id}{QUICK_SUFFIX if quick else '.json'}"


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


@cache
def _validator():
    import jsonschema

    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    return cls(schema(), format_checker=cls.FORMAT_CHECKER)


def _where(error) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return path.lstrip(".") or "(top level)"


def validate(doc: Any, path: str | os.PathLike = "<results>") -> dict:
    """Check ``doc`` against the schema and the rules a schema cannot say; return it.

    Raises UsageError naming ``path`` and the first reason (with where in the document).
    """
    import jsonschema

    errors = sorted(_validator().iter_errors(doc), key=lambda e: (len(list(e.absolute_path)), e.path))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        raise UsageError(f"{path}: invalid results file: at {_where(best)}: {_short(best.message)}")
    seen: set[str] = set()
    for i, record in enumerate(doc["records"]):
        rid = record["id"]
        if rid in seen:
            raise UsageError(f"{path}: invalid results file: at records[{i}].id: duplicate id {rid!r}")
        seen.add(rid)
        lat = record.get("latency_ms")
        if lat:
            order = [lat["min"], lat["p50"], lat["p90"], lat["p99"], lat["max"]]
            if any(a > b * (1 + 1e-9) + 1e-9 for a, b in zip(order, order[1:], strict=False)):
                raise UsageError(
                    f"{path}: invalid results file: at records[{i}].latency_ms: "
                    "not ordered min <= p50 <= p90 <= p99 <= max"
                )
    return doc


def _short(message: str, limit: int = 200) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 3] + "..."


def load(path: str | os.PathLike) -> dict:
    """Read and validate one results file; any problem is a UsageError naming the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{p}: no such results file") from None
    except IsADirectoryError:
        raise UsageError(f"{p}: is a directory, not a results file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{p}: cannot read results file ({exc.__class__.__name__}: {exc})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{p}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    return validate(doc, p)


def check_writable(path: str | os.PathLike) -> Path:
    """Fail early (UsageError) if ``path`` could not be written: call before a long measurement.

    Creates and removes a probe file in the nearest existing folder, so that a read-only file
    system or a pseudo file system (/proc) is caught even when running as root.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        raise UsageError(f"cannot write {p}: it is a directory")
    probe = p.parent if str(p.parent) else Path(".")
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"cannot write {p}: {probe} is not a directory")
    if p.exists() and not os.access(p, os.W_OK):
        raise UsageError(f"cannot write {p}: permission denied")
    try:
        with tempfile.TemporaryFile(dir=probe, prefix=".perfguide-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write {p}: {exc.strerror or exc} in {probe}") from None
    return p


def _file_mode(path: Path) -> int:
    """The mode a file written here should have: the old file's, else 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _atomic(path: str | os.PathLike, write: Callable[[TextIO], None]) -> Path:
    """Create ``path`` by ``write(file)`` into a temp file beside it, fsync, os.replace."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        os.fchmod(fd, _file_mode(p))  # mkstemp's 0600 would make the results private
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:  # Ctrl-C included: never leave the temp file behind
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(p.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
    return p


def write_atomic(text: str, path: str | os.PathLike) -> Path:
    """Write ``text`` to ``path`` atomically."""
    return _atomic(path, lambda f: f.write(text))


def save_atomic(doc: dict, path: str | os.PathLike) -> Path:
    """Validate ``doc`` and write it to ``path`` atomically; the old file survives any failure."""
    validate(doc, path)

    def write(f: TextIO) -> None:
        json.dump(doc, f, indent=1, allow_nan=False)
        f.write("\n")

    return _atomic(path, write)


def new_document(machine: dict, *, quick: bool, generated_by: str) -> dict:
    """An empty results document for ``machine`` (from perfguide.environment.describe_machine)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "machine": machine,
        "quick": quick,
        "generated_by": generated_by,
        "records": [],
        "peak": {},
    }


def upsert(doc: dict, records: Iterable[dict]) -> dict:
    """Merge ``records`` into ``doc`` by id: replace in place, append the new ones. Returns doc."""
    index = {r["id"]: i for i, r in enumerate(doc["records"])}
    for record in records:
        if record["id"] in index:
            doc["records"][index[record["id"]]] = record
        else:
            index[record["id"]] = len(doc["records"])
            doc["records"].append(record)
    return doc


def load_all(directory: str | os.PathLike | None = None) -> list[dict]:
    """Every results file in ``directory`` (default results/), validated: full runs first."""
    base = Path(directory) if directory is not None else results_dir()
    if not base.is_dir():
        return []
    files = sorted(base.glob("*.json"), key=lambda p: (p.name.endswith(QUICK_SUFFIX), p.name))
    return [load(p) for p in files]


def flatten(record: dict, prefix: str = "") -> dict[str, Any]:
    """Nested dicts become dotted columns; lists of scalars are joined with ';', others are JSON."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                flat[name] = ";".join(str(v) for v in value)
            else:
                flat[name] = json.dumps(value, separators=(",", ":"))
        else:
            flat[name] = value
    return flat


def to_csv(doc: dict) -> str:
    """One row per record, flattened columns (machine id first), in a stable column order."""
    rows = [{"machine": doc["machine"]["id"], **flatten(r)} for r in doc["records"]]
    columns: list[str] = []
    for row in rows:
        columns.extend(c for c in row if c not in columns)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or ["machine"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


@cache
def _record_validator():
    import jsonschema

    record_schema = {"$ref": "#/$defs/record", "$defs": schema()["$defs"]}
    cls = jsonschema.validators.validator_for(schema())
    return cls(record_schema, format_checker=cls.FORMAT_CHECKER)


def validate_record(record: Any, where: str = "<record>") -> dict:
    """Check one record against the schema's record definition; UsageError naming the reason."""
    import jsonschema

    errors = list(_record_validator().iter_errors(record))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        raise UsageError(f"{where}: invalid record: at {_where(best)}: {_short(best.message)}")
    return record
