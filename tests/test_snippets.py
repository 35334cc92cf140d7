"""Every snippet module runs on every device it applies to, in-process and as a script."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_script, run_snippet, snippet_modules

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
    done = run_script(f"snippets/{relative}", "--device", "CPU")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "a snippet run as a script should print what it measured"


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


def test_this_machines_page_results_come_from_todays_snippets() -> None:
    """A page shows what its snippet printed: on the machine that measured it, that output must
    come from the code as it is now (another machine's older result is shown marked instead).

    After editing snippets/<page>.py, rerun ``python scripts/pages.py regenerate <page>``."""
    from perfguide import pages

    assert pages.stale_entries(here_only=True) == []


def test_stale_page_results_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from perfguide import pages

    page = "guide/introduction"
    entry = {"device": "CPU", "model": "m", "observed": {}, "output": "", "code_sha256": "0" * 64}
    doc = {"schema_version": pages.SCHEMA_VERSION, "machine": {"id": "m1"},
           "pages": {page: entry, "guide/gone": {**entry, "code_sha256": pages.code_sha256(page)}}}
    (tmp_path / "m1.json").write_text(json.dumps(doc))
    monkeypatch.setattr(pages, "pages_dir", lambda: tmp_path)
    assert [(m, p) for m, p, _ in pages.stale_entries()] == [("m1", page), ("m1", "guide/gone")]
    assert pages.stale_entries(here_only=True) == []  # m1 is not this machine
    from perfguide.environment import cores, cpu_model, isa_flags

    doc["machine"] = {"id": "any-name", "cpu_model": cpu_model(), "cores_logical": cores()[1],
                      "isa": isa_flags()}
    (tmp_path / "m1.json").write_text(json.dumps(doc))
    assert len(pages.stale_entries(here_only=True)) == 2
    entry["code_sha256"] = pages.code_sha256(page)
    del doc["pages"]["guide/gone"]
    doc["machine"] = {"id": "m1"}
    (tmp_path / "m1.json").write_text(json.dumps(doc))
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
