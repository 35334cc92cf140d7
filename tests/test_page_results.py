"""Page results files (results/pages/<machine-id>.json) are untrusted input, like benchmark results
files: pages_schema.json (sharing the machine block of results_schema.json), bounded ``observed``
values, no absolute local path, a name that is the machine id, one file per machine; every refusal
is one line naming the file and the field, from ``scripts/pages.py validate`` and from the build."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from test_results import REFUSAL, SCRIPT, Hostile, _check_refusal, _pad, _set, refused_by_validate

from perfguide import pages, paths, results
from perfguide.errors import UsageError


def committed_pages() -> dict:
    return json.loads((results.REPO_ROOT / "results" / "pages" / "amd-epyc-2c-linux.json").read_text())


def _nest(depth: int):
    value: object = 1
    for _ in range(depth):
        value = {"x": value}
    return value


GOOD = "hostile-good.json"
PAGE_HOSTILE = [
    Hostile("hostile-html-id.json", _set(SCRIPT, "machine", "id"), "machine.id", "does not match"),
    Hostile("hostile-html-model.json",
            _set('<img src=x onerror="alert(1)">', "pages", "guide/hints", "model"),
            "pages.guide/hints.model", "does not match"),
    Hostile("hostile-html-page.json", lambda d: d["pages"].update({SCRIPT: d["pages"]["guide/hints"]}),
            "pages", "does not match"),
    Hostile("hostile-html-device.json", _set(SCRIPT, "pages", "guide/hints", "device"),
            "pages.guide/hints.device", "does not match"),
    Hostile("hostile-nan.json", _set(float("nan"), "pages", "guide/tensors", "observed", "tensor_copy_us"),
            "pages.guide/tensors.observed.tensor_copy_us", "NaN is not a finite number"),
    Hostile("hostile-infinity.json", _set(float("-inf"), "machine", "memory_gib"), "machine.memory_gib",
            "-Infinity is not a finite number"),
    Hostile("hostile-huge.json", _set(10**9, "machine", "cores_physical"), "machine.cores_physical",
            "greater than the maximum"),
    Hostile("hostile-type.json", _set(42, "pages", "guide/hints", "output"), "pages.guide/hints.output",
            "is not of type 'string'"),
    Hostile("hostile-unknown.json", _set("x", "pages", "guide/hints", "note"), "pages.guide/hints.note",
            "unknown field 'note'"),
    Hostile("hostile-unknown-machine.json", _set("x", "machine", "owner"), "machine.owner",
            "unknown field 'owner'"),
    Hostile("hostile-long-output.json", _set("x" * (64 * 1024 + 1), "pages", "guide/hints", "output"),
            "pages.guide/hints.output", "(65537 characters) is too long"),
    Hostile("hostile-deep.json", _set(_nest(pages.OBSERVED_DEPTH + 1), "pages", "guide/hints", "observed"),
            "pages.guide/hints.observed" + ".x" * pages.OBSERVED_DEPTH, "nested deeper than 10 levels"),
    Hostile("hostile-long-string.json", _set("y" * 5000, "pages", "guide/hints", "observed", "s"),
            "pages.guide/hints.observed.s", "a string of 5000 characters, over 4096"),
    Hostile("hostile-oversized.json", _pad(pages.SIZE_LIMIT), "(file)", "over the limit of 4 MiB"),
    Hostile("hostile-name.json", _set("someone-else-2c-linux", "machine", "id"), "machine.id",
            "are named someone-else-2c-linux.json, not hostile-name.json"),
    Hostile("zz-duplicate.json", _set(GOOD.removesuffix(".json"), "machine", "id"), "machine.id",
            "the page results of machine 'hostile-good' is also in "),
    Hostile("hostile-path.json",
            _set("saved to /tmp/perfguide-x/model.blob\n", "pages", "guide/hints", "output"),
            "pages.guide/hints.output", "absolute local path '/tmp/perfguide-x/model.blob'"),
    Hostile("hostile-path-observed.json",
            _set(["C:\\Users\\alice\\m.xml"], "pages", "guide/hints", "observed", "files"),
            "pages.guide/hints.observed.files[0]", "absolute local path 'C:\\\\Users\\\\alice\\\\m.xml'"),
]


def test_pages_schema_shares_the_machine_block_and_is_valid() -> None:
    import jsonschema

    schema = json.loads(Path(pages.__file__).with_name(pages.SCHEMA_NAME).read_text())
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert schema["properties"]["machine"] == {"$ref": "results_schema.json#/$defs/machine"}
    assert "machine" in results.schema()["$defs"]
    # One machine block: a rule of the benchmark files' machine holds for page results files too.
    doc = committed_pages()
    doc["machine"]["cores_logical"] = 0
    with pytest.raises(UsageError, match="at machine.cores_logical: 0 is less than the minimum of 1"):
        pages.validate(doc, "x.json")


@pytest.mark.parametrize("case", PAGE_HOSTILE, ids=lambda c: c.file)
def test_a_hostile_page_results_file_is_refused_naming_file_and_field(tmp_path: Path, case: Hostile) -> None:
    good = Hostile(GOOD, lambda d: None, "", "").write(tmp_path, committed_pages())
    path = case.write(tmp_path, committed_pages())
    checked = {p: err for p, _, err in pages.check_each(pages.files_in(tmp_path))}
    assert checked[good] is None
    message = str(checked[path])
    m = REFUSAL.match("error: " + message)
    assert m and "\n" not in message, message
    _check_refusal(m, case, tmp_path, "page results file")
    if case.file == "zz-duplicate.json":  # both files named
        assert str(good) in message
    with pytest.raises(UsageError) as err:
        pages.load_all(tmp_path)
    assert str(err.value) == message


def test_validate_refuses_every_hostile_page_results_file_with_exit_2(tmp_path: Path) -> None:
    files = [Hostile(GOOD, lambda d: None, "", "").write(tmp_path, committed_pages())]
    files += [case.write(tmp_path, committed_pages()) for case in PAGE_HOSTILE]
    found = refused_by_validate("scripts/pages.py", files)
    assert GOOD not in found
    for case in PAGE_HOSTILE:
        _check_refusal(found[case.file], case, tmp_path, "page results file")


def test_validate_passes_the_committed_page_results_files() -> None:
    from conftest import run_script

    done = run_script("scripts/pages.py", "validate")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("ok: ") == len(pages.files_in()) >= 2
    for doc in pages.load_all():
        assert paths.first_absolute_path(doc) is None
    shared = Path("/work/shared/contributed-results/pages")
    if shared.is_dir():
        pages.load_each(pages.files_in(shared))


def test_free_text_may_hold_markup_and_observed_is_any_bounded_json(tmp_path: Path) -> None:
    """The schema bounds free text; it does not forbid markup there (rendering escapes it)."""
    doc = committed_pages()
    entry = doc["pages"]["guide/hints"]
    entry["output"] += SCRIPT + "\n"
    entry["observed"] = {"table": [[1, 2.5, None, True, SCRIPT]], "deep": _nest(pages.OBSERVED_DEPTH - 1)}
    doc["machine"]["cpu_model"] += SCRIPT
    path = tmp_path / "amd-epyc-2c-linux.json"
    path.write_text(json.dumps(doc))
    assert pages.load(path) == doc


def test_the_site_build_refuses_a_hostile_page_results_file_with_the_same_line(tmp_path: Path) -> None:
    from conftest import REPO, build_site

    doc = committed_pages()
    doc["machine"]["id"] = "zz-hostile-pages"
    doc["pages"]["guide/hints"]["observed"] = {"when": float("nan")}
    target = REPO / "results" / "pages" / "zz-hostile-pages.json"
    expected = (f"{target}: invalid page results file: at pages.guide/hints.observed.when: NaN is not a "
                "finite number")
    done = build_site(tmp_path / "site", {target: doc})
    assert done.returncode != 0
    log = done.stdout + done.stderr
    assert expected in log, log[-2000:]
    assert not target.exists()
    line = next(line for line in log.splitlines() if expected in line)
    assert line.endswith("(numbers must be finite doubles)")  # the whole message, on one line


def test_observed_bounds_count_from_the_observed_value() -> None:
    doc = copy.deepcopy(committed_pages())
    doc["pages"]["guide/hints"]["observed"] = _nest(pages.OBSERVED_DEPTH)  # exactly at the bound
    pages.validate(doc, "x.json")
    doc["pages"]["guide/hints"]["observed"] = {"k" * 5000: 1}
    with pytest.raises(UsageError, match="a key of 5000 characters"):
        pages.validate(doc, "x.json")
