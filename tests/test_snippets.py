"""Every snippet module runs on every device it applies to, in-process and as a script."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_script, run_snippet, snippet_modules
from perfguide import cpp
from perfguide.pages import applicable_cases as pages_cases

CASES = [
    pytest.param(relative, device.values[0], id=f"{relative.with_suffix('')}-{device.id}",
                 marks=device.marks)
    for relative in snippet_modules()
    for device in device_params(load_snippet(relative))
]


@pytest.mark.parametrize(("relative", "device"), CASES)
def test_snippet_runs_on_device(relative: Path, device: str) -> None:
    result = run_snippet(relative, device)
    assert isinstance(result, dict) and result, f"{relative}: main() must return what it observed"


@pytest.mark.parametrize("relative", snippet_modules(), ids=lambda p: str(p.with_suffix("")))
def test_snippet_runs_as_a_script(relative: Path) -> None:
    """``python snippets/<section>/<page>.py --device CPU`` works for a reader, with its output."""
    model = getattr(load_snippet(relative), "TEST_MODEL", None)
    done = run_script(f"snippets/{relative}", "--device", "CPU", *(["--model", model] if model else []))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "a snippet run as a script should print what it measured"


CPP_CASES = [
    pytest.param(Path(f"{page}.py"), device.values[0], id=f"{page}-{device.id}", marks=device.marks)
    for page in cpp.cpp_pages()
    for device in device_params(load_snippet(Path(f"{page}.py")))
]


@pytest.mark.parametrize(("relative", "device"), CPP_CASES)
def test_cpp_twin_runs_on_device(relative: Path, device: str) -> None:
    """The C++ twin runs on every device its Python module applies to, and prints what it saw."""
    result = run_snippet(relative, device, "cpp")
    assert isinstance(result, dict) and result.get("device") == device


@pytest.mark.parametrize("page", cpp.cpp_pages())
def test_cpp_twin_runs_as_a_reader_runs_it(page: str) -> None:
    """``python scripts/cpp.py run <page> --device CPU`` builds what changed and runs it."""
    model = getattr(load_snippet(Path(f"{page}.py")), "TEST_MODEL", None)
    done = run_script("scripts/cpp.py", "run", page, "--device", "CPU",
                      *(["--model", model] if model else []))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip(), "a C++ twin should print what it measured"


def test_cpp_programs_refuse_bad_input_in_one_line(tmp_path: Path) -> None:
    """An absent device, a missing model file or an unknown flag: one line and exit code 2,
    from the program itself and from scripts/cpp.py."""
    import subprocess

    import openvino as ov
    import openvino.opset15 as ops

    from conftest import built_programs

    built_programs()
    page = cpp.cpp_pages()[0]
    real = tmp_path / "model.xml"
    x = ops.parameter([1, 3, 8, 8], ov.Type.f32)
    ov.save_model(ov.Model([ops.relu(x)], [x]), str(real))
    binary = str(cpp.program(page))
    for argv in ([binary, "--model", str(tmp_path / "absent.xml")],
                 [binary, "--model", str(cpp.source(page))],
                 [binary, "--model", str(real), "--device", "NOSUCHDEVICE"],
                 [binary, "--frobnicate"]):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1, (argv, done.stderr)
        assert lines[0].startswith("error: "), (argv, done.stderr)
    done = run_script("scripts/cpp.py", "run", page, "--device", "NOSUCHDEVICE")
    assert done.returncode == 2 and "available here: CPU" in done.stderr and "Traceback" not in done.stderr
    done = run_script("scripts/cpp.py", "run", "guide/nosuchpage")
    assert done.returncode == 2 and "no C++ twin" in done.stderr


def test_snippet_script_rejects_an_unknown_device() -> None:
    relative = snippet_modules()[0]
    done = run_script(f"snippets/{relative}", "--device", "NOSUCHDEVICE")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "available here: CPU" in done.stderr


def test_every_module_has_a_page_and_a_test() -> None:
    """docs/<section>/<page>.md <-> snippets/<section>/<page>.py <-> tests/<section>/test_<page>.py"""
    root = Path(__file__).resolve().parents[1]
    for relative in snippet_modules():
        page = root / "docs" / relative.with_suffix(".md")
        test = root / "tests" / relative.parent / f"test_{relative.stem}.py"
        assert page.is_file(), f"snippets/{relative} has no page {page.relative_to(root)}"
        assert test.is_file(), f"snippets/{relative} has no test {test.relative_to(root)}"


def test_this_machines_new_page_results_come_from_todays_snippets() -> None:
    """A page shows what its snippet printed. Results this machine has just written (not yet
    committed) must come from the code as it is now: regenerating after an edit of
    snippets/<page>.py must not leave that page behind. A committed file may hold results of an
    older snippet (CI runs on several kinds of machine, and each kind's file is regenerated where
    that kind is at hand): the site shows those marked as measured earlier.

    After editing snippets/<page>.py, rerun ``python scripts/pages.py regenerate <page>``."""
    from perfguide import pages
    from perfguide.blocks.data import git_committed

    committed = git_committed(pages.files_in())
    if committed is None:  # not a git checkout (an unpacked archive): every file is committed
        committed = set(pages.files_in())
    fresh_needed = [(machine, page, why) for machine, page, why in pages.stale_entries(here_only=True)
                    if pages.pages_dir() / f"{machine}.json" not in committed]
    assert fresh_needed == []


def test_stale_page_results_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import copy
    import json

    from perfguide import pages
    from perfguide.environment import cpu_facts

    committed = json.loads((pages.pages_dir() / "amd-epyc-2c-linux.json").read_text())
    page = "guide/introduction"
    entry = {**committed["pages"][page], "code_sha256": "0" * 64}
    machine = {**committed["machine"], "id": "m1", "isa": ["sse4_2"]}  # not this machine
    doc = {"schema_version": pages.SCHEMA_VERSION, "machine": machine,
           "pages": {page: entry, "guide/gone": {**entry, "code_sha256": pages.code_sha256(page)}}}

    def write(doc: dict) -> None:
        for old in tmp_path.glob("*.json"):
            old.unlink()
        (tmp_path / f"{doc['machine']['id']}.json").write_text(json.dumps(doc))

    write(doc)
    monkeypatch.setattr(pages, "pages_dir", lambda *_: tmp_path)
    assert [(m, p) for m, p, _ in pages.stale_entries()] == [("m1", page), ("m1", "guide/gone")]
    assert pages.stale_entries(here_only=True) == []  # m1 is not this machine
    here = copy.deepcopy(doc)
    here["machine"].update(id="any-name", **cpu_facts())  # this machine, under any name
    write(here)
    assert len(pages.stale_entries(here_only=True)) == 2
    doc["pages"][page]["code_sha256"] = pages.code_sha256(page)
    del doc["pages"]["guide/gone"]
    write(doc)
    assert pages.stale_entries() == []


def test_the_code_hash_ignores_layout_comments_and_docstrings_but_not_code() -> None:
    from perfguide.pages import code_digest

    base = code_digest('def f(x):\n    """Doc."""\n    return x + 1  # add one\n')
    assert base == code_digest("def f(x):\n    # a comment\n    return (\n        x + 1\n    )\n")
    assert base == code_digest('def f(x):\n    """Another doc."""\n    return x + 1\n')
    assert base != code_digest("def f(x):\n    return x + 2\n")
    assert code_digest('print("ab" "c")') == code_digest('print("abc")')


def test_migrate_adds_the_code_hash_of_the_source_a_result_came_from() -> None:
    import hashlib

    from perfguide import pages

    page = "guide/introduction"
    old = "def main(device, model):\n    return {'a': 1}\n"
    sha = lambda text: hashlib.sha256(text.encode()).hexdigest()  # noqa: E731
    doc = {"machine": {"id": "m", "git_commit": "c0ffee"}, "pages": {
        page: {"source_sha256": sha(old), "observed": {"a": 1}},
        "guide/latency": {"source_sha256": "f" * 64, "observed": {"b": 2}}}}
    proved, unproved = pages.migrate(doc, source_at=lambda commit, p: old if commit == "c0ffee" else None)
    assert (proved, unproved) == (1, 1)
    assert doc["pages"][page]["code_sha256"] == pages.code_digest(old)
    assert "code_sha256" not in doc["pages"]["guide/latency"]  # not proved: shown as stale
    assert doc["pages"][page]["observed"] == {"a": 1}  # figures untouched


@pytest.fixture(scope="module")
def dynamic_batch_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reader's image model whose batch dimension is dynamic: [?, 3, 64, 64] -> [?, 10]."""
    import numpy as np
    import openvino as ov
    import openvino.opset15 as ops

    rng = np.random.default_rng(0)
    x = ops.parameter(ov.PartialShape([-1, 3, 64, 64]), ov.Type.f32, name="images")
    w = ops.constant(rng.standard_normal((10, 3, 3, 3), dtype=np.float32) * np.float32(0.1))
    y = ops.relu(ops.convolution(x, w, [1, 1], [1, 1], [1, 1], [1, 1]))
    y = ops.reduce_mean(y, ops.constant(np.array([2, 3], np.int64)), keep_dims=False)
    path = tmp_path_factory.mktemp("dynamic") / "dynamic_batch.xml"
    ov.save_model(ov.Model([y], [x], "dynamic_batch"), str(path))
    return path


@pytest.mark.slow
@pytest.mark.parametrize("relative", snippet_modules(), ids=lambda p: str(p.with_suffix("")))
def test_a_model_with_a_dynamic_batch_runs_or_is_refused_in_one_line(relative: Path,
                                                                      dynamic_batch_model: Path) -> None:
    """A reader's own model with a dynamic dimension: the page's code runs it (saying what it
    fixed) or refuses it with one line and exit code 2 — never a traceback."""
    module = load_snippet(relative)
    runnable = [c.name for c in pages_cases(module) if not c.missing]
    if not runnable:
        pytest.skip(f"{relative}: none of its devices is here")
    done = run_script(f"snippets/{relative}", "--device", runnable[0], "--model", str(dynamic_batch_model))
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in cpp.cpp_pages() if p != "guide/llm"])
def test_a_cpp_twin_given_a_dynamic_batch_runs_or_refuses_in_one_line(page: str,
                                                                      dynamic_batch_model: Path) -> None:
    """The C++ twins treat a reader's dynamic model as the Python modules do: run it, or refuse
    it with one line and exit code 2 — never a crash."""
    module = load_snippet(Path(f"{page}.py"))
    runnable = [c.name for c in pages_cases(module) if not c.missing]
    if not runnable:
        pytest.skip(f"{page}: none of its devices is here")
    done = run_script("scripts/cpp.py", "run", page, "--device", runnable[0],
                      "--model", str(dynamic_batch_model))
    assert "Traceback" not in done.stderr and "terminate called" not in done.stderr, done.stderr[-2000:]
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), done.stderr
