"""Results files: one JSON document per machine, validated against results_schema.json.

A results file is ``results/<machine-id>.json`` (a full run) or ``results/<machine-id>.quick.json``
(a ``--quick`` run, which never replaces a full one). It holds the machine and versions, the
records of every measured point (keyed by a stable ``id``) and the practical peak.

Every write is atomic: a temporary file in the same folder, fsync, then ``os.replace``; a crash
or Ctrl-C before the rename leaves the previous file exactly as it was.

A results file is untrusted input (a reader may contribute one), and :func:`load` reads it as
such: a file over :data:`SIZE_LIMIT` is refused before it is read; NaN, Infinity, a number too
large for a double and a key given twice are refused while parsing; then the schema (no field it
does not list, every string and array bounded, ids and names by pattern), the rules a schema
cannot say, no absolute local path in any string (:mod:`perfguide.paths`), and a file name that
is its machine's id. Every refusal is one line: ``<file>: invalid results file: at <field>:
<reason>``. The helpers here serve the page results files too (:mod:`perfguide.pages`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any, TextIO

from perfguide import REPO_ROOT
from perfguide.errors import UsageError

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("results_schema.json")
QUICK_SUFFIX = ".quick.json"
KIND = "results file"
# The largest results file read: the committed ones are under 200 KiB (a full matrix of one CPU).
SIZE_LIMIT = 8 * 1024 * 1024


def results_dir() -> Path:
    """The repository's ``results/`` folder (where the docs read their numbers from)."""
    return REPO_ROOT / "results"


def results_path(machine_id: str, quick: bool = False, directory: str | os.PathLike | None = None) -> Path:
    """``<dir>/<machine-id>.json``, or ``<machine-id>.quick.json`` for a quick run."""
    base = Path(directory) if directory is not None else results_dir()
    return base / f"{machine_id}{QUICK_SUFFIX if quick else '.json'}"


@cache
def _schema(name: str) -> dict:
    return json.loads(Path(__file__).with_name(name).read_text(encoding="utf-8"))


def schema() -> dict:
    """The benchmark results schema (its ``$defs`` are shared with ``pages_schema.json``)."""
    return _schema(SCHEMA_PATH.name)


@cache
def validator(name: str = SCHEMA_PATH.name, definition: str | None = None):
    """A checked validator for a schema file beside this module (``results_schema.json``,
    ``pages_schema.json``), or for one of its ``$defs``; a ``$ref`` to
    ``results_schema.json#/$defs/...`` resolves to this package's copy, never the network."""
    import jsonschema
    from referencing import Registry, Resource

    root = _schema(name)
    cls = jsonschema.validators.validator_for(root)
    cls.check_schema(root)
    resources = [(s["$id"], Resource.from_contents(s)) for s in (schema(), root)]
    registry = Registry().with_resources(resources)
    target = root if definition is None else {"$ref": f"{root['$id']}#/$defs/{definition}"}
    return cls(target, registry=registry, format_checker=cls.FORMAT_CHECKER)


def _where(error) -> str:
    return field_path(error.absolute_path)


def field_path(parts: Iterable) -> str:
    """``records[3].latency_ms``: where in a document, for a message ("(top level)" for none)."""
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
    return path.lstrip(".") or "(top level)"


def invalid(path: str | os.PathLike, where: str, reason: str, kind: str = KIND) -> UsageError:
    """The one-line refusal of a results file: ``<file>: invalid <kind>: at <where>: <reason>``."""
    return UsageError(f"{path}: invalid {kind}: at {where}: {_short(reason)}")


def _reason(error) -> tuple[str, str]:
    """(where, why) of a schema error; an unknown field is named as the field itself."""
    where = _where(error)
    if error.validator == "additionalProperties" and error.validator_value is False:
        listed = error.schema.get("properties", {})
        extra = sorted(str(k) for k in error.instance if k not in listed)
        if extra:
            inner = f"{where}.{extra[0]}" if where != "(top level)" else extra[0]
            more = f" (and {len(extra) - 1} more)" if extra[1:] else ""
            return inner, f"unknown field {extra[0]!r}{more}"
    shown = repr(error.instance)
    if len(shown) > 60 and error.message.startswith(shown):  # say why, not the whole value
        value = error.instance
        clipped = f"{value[:40]!r}... ({len(value)} characters)" if isinstance(value, str) \
            else shown[:40] + "..."
        return where, clipped + error.message[len(shown):]
    return where, error.message


def check_schema(doc: Any, path: str | os.PathLike, *, name: str = SCHEMA_PATH.name,
                 definition: str | None = None, kind: str = KIND) -> None:
    """Raise :func:`invalid` with the most relevant schema error of ``doc``, if it has any."""
    import jsonschema

    errors = sorted(validator(name, definition).iter_errors(doc),
                    key=lambda e: (len(list(e.absolute_path)), list(map(str, e.path))))
    if errors:
        where, why = _reason(jsonschema.exceptions.best_match(errors))
        raise invalid(path, where, why, kind)


def check_portable(doc: Any, path: str | os.PathLike, kind: str = KIND) -> None:
    """Refuse an absolute local path in any string of ``doc`` (see :mod:`perfguide.paths`)."""
    from perfguide.paths import first_absolute_path

    found = first_absolute_path(doc)
    if found:
        where, local = found
        raise invalid(path, where, f"absolute local path {local!r}: a results file is shared; write it "
                      "relative (perfguide.paths.portable does)", kind)


def validate(doc: Any, path: str | os.PathLike = "<results>") -> dict:
    """Check ``doc`` against the schema and the rules a schema cannot say; return it.

    Raises UsageError naming ``path`` and the first reason (with where in the document).
    """
    check_schema(doc, path)
    seen: set[str] = set()
    for i, record in enumerate(doc["records"]):
        rid = record["id"]
        if rid in seen:
            raise invalid(path, f"records[{i}].id", f"duplicate id {rid!r}")
        seen.add(rid)
        lat = record.get("latency_ms")
        if lat:
            order = [lat["min"], lat["p50"], lat["p90"], lat["p99"], lat["max"]]
            if any(a > b * (1 + 1e-9) + 1e-9 for a, b in zip(order, order[1:], strict=False)):
                raise invalid(path, f"records[{i}].latency_ms", "not ordered min <= p50 <= p90 <= p99 <= max")
    check_portable(doc, path)
    return doc


def _short(message: str, limit: int = 200) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 3] + "..."


MAX_DEPTH = 32  # how deeply any results document may nest (the schemas need 8 at most)


class _BadNumber:
    """What the parser puts where a number cannot stand (NaN, Infinity, 1e999, a 40-digit
    integer): found and named with its field path once the document is parsed."""

    def __init__(self, text: str, why: str = "is not a finite number") -> None:
        self.text, self.why = text, why


class _DuplicateKey(ValueError):
    pass


def _float(text: str) -> float | _BadNumber:
    value = float(text)
    return value if math.isfinite(value) else _BadNumber(text)


def _int(text: str) -> int | _BadNumber:
    return int(text) if len(text) <= 32 else _BadNumber(text[:20] + "...", "is too large")


def _object(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _scan(doc: Any) -> tuple[tuple, str] | None:
    """(where, why) of the first number that cannot stand or the first value nested deeper
    than MAX_DEPTH, or None. Iterative: a hostile nesting cannot exhaust the stack."""
    stack: list[tuple[tuple, Any]] = [((), doc)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, _BadNumber):
            return where, f"{value.text} {value.why} (numbers must be finite doubles)"
        if isinstance(value, dict | list):
            if len(where) >= MAX_DEPTH:
                return where, f"nested deeper than {MAX_DEPTH} levels"
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend(reversed([((*where, k), v) for k, v in items]))
    return None


def read_json(path: str | os.PathLike, *, kind: str = KIND, limit: int = SIZE_LIMIT) -> Any:
    """Parse one untrusted JSON file: a missing file, a folder, a file over ``limit`` bytes
    (refused before it is read), text that is not UTF-8 JSON, NaN/Infinity/an overflowing
    number, a key given twice and a nesting deeper than MAX_DEPTH are each a one-line
    UsageError naming the file (and where in it, when that is known)."""
    p = Path(path)
    try:
        info = p.stat()
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{p}: is a directory, not a {kind}")
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{p}: not a regular file, not a {kind}")
        if info.st_size > limit:
            raise invalid(p, "(file)", f"{info.st_size} bytes, over the limit of {_size(limit)}", kind)
        with open(p, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise UsageError(f"{p}: no such {kind}") from None
    except OSError as exc:
        raise UsageError(f"{p}: cannot read {kind} ({exc.__class__.__name__}: {exc})") from None
    if len(data) > limit:  # it grew after the stat, or its size is not what stat says
        raise invalid(p, "(file)", f"over the limit of {_size(limit)}", kind)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise invalid(p, f"byte {exc.start}", "not UTF-8 text", kind) from None
    try:
        doc = json.loads(text, parse_constant=_BadNumber, parse_float=_float, parse_int=_int,
                         object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise invalid(p, where, f"not valid JSON: {exc.msg}", kind) from None
    except _DuplicateKey as exc:
        raise invalid(p, "(file)", f"key {exc.args[0]!r} given twice in one object", kind) from None
    except RecursionError:
        raise invalid(p, "(file)", "nested too deeply", kind) from None
    problem = _scan(doc)
    if problem:
        raise invalid(p, field_path(problem[0]), problem[1], kind)
    return doc


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n % (1024 * 1024) == 0 else f"{n} bytes"


def expected_name(doc: dict) -> str:
    """The file name of a (valid) results document: ``<id>.json``, ``<id>.quick.json``."""
    return results_path(doc["machine"]["id"], quick=doc["quick"], directory=".").name


def check_name(doc: dict, path: str | os.PathLike) -> None:
    """Refuse a results file whose name is not its machine id (``<id>.json``, or
    ``<id>.quick.json`` for a quick run)."""
    name, want = Path(path).name, expected_name(doc)
    if name != want:
        other_kind = results_path(doc["machine"]["id"], quick=not doc["quick"], directory=".").name
        where = "quick" if name == other_kind else "machine.id"
        raise invalid(path, where, f"the file of machine {doc['machine']['id']!r}"
                      f"{' (a quick run)' if doc['quick'] else ''} is named {want}, not {name}")


Checked = list[tuple[Path, dict | None, UsageError | None]]


def check_set(paths: Iterable[str | os.PathLike], load_one: Callable[..., dict], key: Callable[[dict], Any],
              describe: Callable[[dict], str], name_check: Callable[[dict, Path], None],
              kind: str = KIND) -> Checked:
    """(path, document or None, refusal or None) of each file: each read with ``load_one``, no
    two in one folder of the same machine (``key`` of the documents; the second is refused,
    naming the first), each named by its machine id (``name_check``)."""
    checked: list[list] = []
    for p in map(Path, paths):
        try:
            checked.append([p, load_one(p, check_file_name=False), None])
        except UsageError as exc:
            checked.append([p, None, exc])
    seen: dict[Any, Path] = {}
    for row in checked:
        p, doc, _ = row
        if doc is None:
            continue
        k = (p.resolve().parent, key(doc))
        try:
            if k in seen:
                raise invalid(p, "machine.id", f"{describe(doc)} is also in {seen[k]}: one file per machine",
                              kind)
            seen[k] = p
            name_check(doc, p)
        except UsageError as exc:
            row[1:] = [None, exc]
    return [(p, doc, err) for p, doc, err in checked]


def loaded_or_raise(checked: Checked) -> list[tuple[Path, dict]]:
    """The documents of :func:`check_set`, or its first refusal raised."""
    for _, _, err in checked:
        if err is not None:
            raise err
    return [(p, doc) for p, doc, _ in checked]


def check_each(paths: Iterable[str | os.PathLike]) -> Checked:
    """:func:`check_set` for benchmark results files: a machine may have one full and one quick
    file in a folder, not two of either."""
    def describe(doc: dict) -> str:
        return f"the {'quick' if doc['quick'] else 'full'} run of machine {doc['machine']['id']!r}"

    return check_set(paths, load, lambda d: (d["machine"]["id"], d["quick"]), describe, check_name)


def report_checked(checked: Checked, summary: Callable[[dict], str]) -> int:
    """What ``validate`` prints: ``ok: <file> (<summary>)`` on stdout for each good file, one
    ``error:`` line on stderr for each bad one, the last raised as a UsageError (exit 2)."""
    import sys

    failed = []
    for path, doc, error in checked:
        if error is not None:
            failed.append(str(error))
        else:
            print(f"ok: {path} ({summary(doc)})")
    for message in failed[:-1]:
        print(f"error: {message}", file=sys.stderr)
    if failed:
        raise UsageError(failed[-1])
    return 0


def load(path: str | os.PathLike, *, check_file_name: bool = True) -> dict:
    """Read and validate one results file; any problem is a UsageError naming the file."""
    doc = validate(read_json(path), path)
    if check_file_name:
        check_name(doc, path)
    return doc


def load_each(paths: Iterable[str | os.PathLike]) -> list[tuple[Path, dict]]:
    """(path, document) of each results file, validated, with no two of one machine and kind
    (two full runs, or two quick runs) in a folder, each named by its machine id."""
    return loaded_or_raise(check_each(paths))


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
    """Validate ``doc`` and write it to ``path`` atomically; the old file survives any failure.

    What is written has every absolute local path made portable (:func:`perfguide.paths.portable_doc`):
    a command line or a note naming the model cache or a temporary folder never makes a long
    measurement unsavable. ``path`` must be the document's own name (:func:`expected_name`)."""
    from perfguide.paths import portable_doc

    doc = validate(portable_doc(doc), path)
    check_name(doc, path)

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
    return [doc for _, doc in load_each(files_in(base))]


def files_in(directory: str | os.PathLike) -> list[Path]:
    """The results files of a folder, full runs first (a lock or temporary file is none)."""
    return sorted(Path(directory).glob("*.json"), key=lambda p: (p.name.endswith(QUICK_SUFFIX), p.name))


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


def validate_record(record: Any, where: str = "<record>") -> dict:
    """Check one record against the schema's record definition; UsageError naming the reason."""
    check_schema(record, where, definition="record", kind="record")
    return record
