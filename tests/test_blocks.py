"""The blocks package: its registry, per-machine regions, conditional prose, and every guard —
each shown to fail, on a committed machine (a build error) and on a reader's (a visible note)."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import pytest

from perfguide import blocks, pages
from perfguide.blocks import RenderError, data, expand

PAGE = "guide/async"


def machine_info(mid: str, isa: list[str]) -> dict:
    return {"id": mid, "cpu_model": "Test CPU", "cores_logical": 2, "isa": isa, "openvino": "2026.4.1",
            "python": "3.11", "date": "2026-12-01T00:00:00+00:00", "git_commit": "abcdef1234567890"}


def page_doc(mid: str, isa: list[str], observed: dict, stale: bool = False) -> dict:
    sha = "0" * 64 if stale else pages.code_sha256(PAGE)
    precision = {"device": "CPU", "model": "m", "output": "", "code_sha256": pages.code_sha256(
        "guide/precision"), "observed": {"capabilities": ["FP32", "BF16"],
                                         "runs_in": {"f16": "bf16 (1 layers)", "bf16": "bf16 (1 layers)"}}}
    return {"schema_version": 1, "machine": machine_info(mid, isa),
            "pages": {PAGE: {"device": "CPU", "model": "mobilenet", "observed": observed, "output": "printed",
                             "date": "2026-11-30T00:00:00+00:00", "code_sha256": sha},
                      "guide/precision": precision}}


@pytest.fixture
def machines():
    """Two machines: 'fast' (committed) where async pays, 'slow' whose role each test sets."""
    def make(slow_committed: bool = False, slow_stale: bool = False) -> data.Build:
        loops = {"sync_fps": 100.0, "control_fps": 95.0, "frames": 24}
        fast = page_doc("fast", ["avx512f", "avx512_bf16"], {**loops, "async_fps": 150.0, "queue_fps": 150.0})
        slow = page_doc("slow", ["avx512f", "amx_bf16"], {**loops, "async_fps": 90.0, "queue_fps": 90.0},
                        slow_stale)
        build = data.Build(pages=[(data.Machine(fast["machine"], True, "results/pages/fast.json"), fast),
                                  (data.Machine(slow["machine"], slow_committed, "results/pages/slow.json"),
                                   slow)],
                           benchmarks=[])
        data.reset(build)
        return build

    yield make
    data.reset()


def render(text: str) -> str:
    return expand.render(text, "guide/test.md")


REGION = "{{ machines guide/async }}\nRan {{ value guide/async async_fps 0 }}.%s\n{{ end-machines }}\n"


def test_registry_lists_every_block_without_importing_it_and_each_exists() -> None:
    tree = ast.parse(Path(blocks.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not any(name.startswith("guide_") or name == "benchmarks" for name in imported)
    for block in blocks.REGISTRY.values():
        assert callable(block.function()), block
        assert block.kind in {"table", "inline", "guard"}
    with pytest.raises(RenderError, match="unknown data block"):
        render("{{ no-such-block }}\n")


def test_a_region_renders_one_linked_tab_per_machine(machines) -> None:
    machines()
    out = render(REGION % "")
    assert out.count('"fast (no AMX, no f16)"') == 1 and out.count('"slow (AMX, no f16)"') == 1
    assert out.startswith('===! "fast') and "Ran 150." in out and "Ran 90." in out


def test_a_figure_outside_a_region_fails_the_build(machines) -> None:
    machines()
    with pytest.raises(RenderError, match="inside a"):
        render("Ran {{ value guide/async async_fps }}.\n")


def test_a_claim_that_fails_on_a_committed_machine_fails_the_build(machines) -> None:
    machines(slow_committed=True)
    with pytest.raises(RenderError, match=r"on slow \(committed.*async_fps > sync_fps does not hold \(90 vs"):
        render(REGION % "{{ claim guide/async async_fps > sync_fps }}")


def test_a_claim_that_fails_on_a_readers_machine_is_a_visible_note(machines) -> None:
    build = machines()
    out = render(REGION % "{{ claim guide/async async_fps > sync_fps }}")
    assert out.count('class="guard-note"') == 1
    assert "Not so on slow: async_fps &gt; sync_fps does not hold (90 vs 100)" in out
    assert [(n.machine, n.page) for n in build.notes] == [("slow", "guide/test.md")]


@pytest.mark.parametrize(("guard", "reason"), [
    ("{{ has amx }}", "no 'amx'"),  # fast has no AMX
    ("{{ lacks bf16 }}", "it has 'bf16'"),
    ("{{ same-runs-in f16 f32 }}", "different precisions"),
])
def test_feature_and_precision_guards_can_fail(machines, guard: str, reason: str) -> None:
    machines(slow_committed=True)
    with pytest.raises(RenderError, match=reason):
        render(REGION % guard)


def test_if_chooses_the_prose_by_each_machines_data(machines) -> None:
    machines(slow_committed=True)
    text = ("{{ machines guide/async }}\n{{ if guide/async async_fps > sync_fps }}\nOverlap paid.\n"
            "{{ else }}\nNo gain{{ if has amx }} (AMX){{ end-if }}.\n{{ end-if }}\n{{ end-machines }}\n")
    out = render(text)
    fast, slow = out.split('=== "slow')
    assert "Overlap paid." in fast and "No gain" not in fast
    assert "No gain (AMX)." in slow and "Overlap paid." not in slow
    with pytest.raises(RenderError, match="without"):
        render("{{ machines guide/async }}\n{{ if has amx }}x\n{{ end-machines }}\n")


def test_a_stale_result_is_shown_marked_and_feeds_no_guard(machines) -> None:
    machines(slow_committed=True, slow_stale=True)
    out = render(REGION % "{{ claim guide/async async_fps > sync_fps }}")  # would fail on slow
    slow = out.split('=== "slow')[1]
    assert "older version of the code" in slow and "<code>abcdef1</code>" in slow
    assert "2026-11-30" in slow
    assert "Ran 90." in slow and "guard-note" not in slow
    table = render("{{ async-loops }}\n")
    assert table.count("older version") == 1


def test_a_value_an_older_snippet_did_not_measure_shows_as_not_measured(machines) -> None:
    """A stale result lacks what the page quotes since: a dash in its tab, and the prose it would
    choose is not chosen; a fresh result lacking it still fails the build."""
    machines(slow_committed=True, slow_stale=True)
    text = ("{{ machines guide/async }}\nNew {{ value guide/async new_key 0 }}."
            "{{ if claim guide/async new_key > sync_fps }} Faster.{{ end-if }}\n{{ end-machines }}\n")
    with pytest.raises(RenderError, match="fast have no value 'new_key'"):
        render(text)
    data.build().pages[0][1]["pages"][PAGE]["observed"]["new_key"] = 200.0
    data.reset(data.build())
    out = render(text)
    fast, slow = out.split('=== "slow')
    assert "New 200." in fast and "Faster." in fast
    assert "New <abbr" in slow and "not measured" in slow and "Faster." not in slow


@pytest.mark.parametrize("page", pages.snippet_pages())
def test_every_page_opens_with_the_note_of_where_its_code_ran(page: str) -> None:
    """One note, from the snippet module's own DEVICES and MODEL, instead of a paragraph per page."""
    module = pages.load_snippet(page)
    note = blocks.get("run-it-yourself").function()(page)
    assert f"`snippets/{page}.py`" in note and f"--model {module.MODEL}" in note
    doc = (Path(__file__).resolve().parents[1] / "docs" / f"{page}.md").read_text()
    if page not in ("guide/gpu", "guide/legacy"):  # their openings say more: what was not run
        assert f"{{{{ run-it-yourself {page} }}}}" in doc
    assert "Every example on this page is cut from" not in doc


def test_fenced_blocks_stay_literal(machines) -> None:
    machines()
    text = "```text\n{{ value guide/async async_fps }}\n{{ machines guide/async }}\n```\n"
    assert render(text) == text


def test_audit_lists_the_guards_a_machine_fails(machines, monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    build = machines(slow_committed=True)
    monkeypatch.setattr(data, "load", lambda: copy.deepcopy(build))
    (tmp_path / "docs" / "guide").mkdir(parents=True)
    (tmp_path / "docs" / "guide" / "x.md").write_text(REGION % "{{ claim guide/async async_fps > sync_fps }}")
    import perfguide.results

    monkeypatch.setattr(perfguide.results, "REPO_ROOT", tmp_path)
    notes = expand.audit("slow")
    assert [(n.page, n.text) for n in notes] == [
        ("guide/x.md", "async_fps > sync_fps does not hold (90 vs 100)")]
    assert expand.audit("fast") == []


def test_strings_from_a_results_file_are_escaped() -> None:
    from perfguide.blocks import fmt

    assert "<img" not in fmt.text('Evil <img src=x onerror="alert(1)">')
    assert fmt.text("a*b_c`d") == "a\\*b\\_c\\`d"
    assert "<script" not in fmt.code("<script>")


def test_committed_means_tracked_by_git_and_unchanged() -> None:
    import subprocess

    from perfguide.results import REPO_ROOT

    tracked = REPO_ROOT / "results" / "amd-epyc-2c-linux.json"
    probe = REPO_ROOT / "results" / "zz-untracked-probe.json"
    probe.write_text("{}")
    try:
        found = data.git_committed([tracked, probe])
    finally:
        probe.unlink()
    if found is None:
        pytest.skip("not a git checkout: every results file counts as committed")
    assert probe not in found  # it exists, but git does not track it: a reader's file
    unchanged = subprocess.run(["git", "-C", str(REPO_ROOT), "diff", "--quiet", "HEAD", "--", str(tracked)])
    assert (tracked in found) == (unchanged.returncode == 0)
