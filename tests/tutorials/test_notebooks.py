"""The tutorial notebooks: the stored outputs are complete and consistent, and the notebooks still run.

The site shows the outputs stored in docs/tutorials/*.ipynb (``scripts/notebooks.py run`` writes
them). These tests check that those outputs come from a complete, error-free run with a chart and
the machine named, that each printed comparison agrees with the figures printed above it, and
execute both notebooks with a few frames into a temporary folder, never touching the stored ones.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from conftest import DOCS, REPO, run_script

TUTORIALS = DOCS / "tutorials"
NAMES = ("throughput-tricks", "latency-tricks")
TEST_FRAMES = 16


def _load_script():
    spec = importlib.util.spec_from_file_location("notebooks_script", REPO / "scripts" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NOTEBOOKS = _load_script()


def stdout_lines(nb) -> list[str]:
    """Every line the notebook's code cells printed, in order."""
    return [line for cell in nb.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if output.get("output_type") == "stream"
            for line in output.get("text", "").splitlines()]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# Reading the printed figures and comparisons back

FPS = re.compile(r"^(?P<step>.+): (?P<frames>\d+) frames in [\d.]+ s -> (?P<value>[\d.]+) frames/s\b")
MEDIAN = re.compile(
    r"^(?P<step>.+): median (?P<value>[\d.]+) ms, 90th percentile [\d.]+ ms \((?P<frames>\d+) frames\b"
)
FIRST = re.compile(r"^time to first result, (?P<step>.+): (?P<value>[\d.]+) ms$")
VERSUS = re.compile(
    r"^(?P<a>.+) vs (?P<b>.+): (?:(?P<ratio>[\d.]+)x (?P<word>faster|slower|lower|higher)\b.*"
    r"|no clear difference.*\((?P<even>[\d.]+)x\))$"
)
FIRST_STEPS = {"cold compile": "cold (empty cache)", "cached compile": "cached"}
TORCH_THREADS = re.compile(r"^torch \S+, threads: (?P<threads>\d+)$")
TORCH_SAME = "PyTorch gives the same results as ONNX Runtime: True"
TORCH_SKIPPED = "**PyTorch baseline skipped:** `torch` cannot be imported here"
HAS_TORCH = importlib.util.find_spec("torch") is not None
NOISE_LINE = re.compile(r"^step 2 and its repeat differed by (?P<control>[\d.]+)%: "
                        r"changes under (?P<noise>[\d.]+)% are called noise$")
CONTROL = "OpenVINO, again (control)"


def markdown_outputs(nb) -> str:
    """The Markdown the notebook's code cells displayed (a skipped step's note, for one)."""
    return "".join(output.get("data", {}).get("text/markdown", "") for cell in nb.cells
                   if cell.cell_type == "code" for output in cell.get("outputs", []))


def pytorch_problems(lines: list[str]) -> list[str]:
    """What is missing from a run's PyTorch baseline: its threads, its check, its figure, its comparison."""
    problems = []
    if not any(map(TORCH_THREADS.match, lines)):
        problems.append("PyTorch's thread count was not printed")
    if not any(line.startswith(TORCH_SAME) for line in lines):
        problems.append("PyTorch's results were not shown to match ONNX Runtime's")
    if "PyTorch" not in figures(lines)[0]:
        problems.append("no PyTorch figure was printed")
    if not any((m := VERSUS.match(line)) and (m["a"], m["b"]) == ("OpenVINO", "PyTorch") for line in lines):
        problems.append("no 'OpenVINO vs PyTorch' comparison was printed")
    return problems


def figures(lines: list[str]) -> tuple[dict[str, float], bool]:
    """Step -> printed figure, and whether higher is better (frames/s) or lower (ms)."""
    fps = {m["step"]: float(m["value"]) for m in map(FPS.match, lines) if m}
    if fps:
        return fps, True
    values = {m["step"]: float(m["value"]) for m in map(MEDIAN.match, lines) if m}
    firsts = {m["step"]: float(m["value"]) for m in map(FIRST.match, lines) if m}
    values.update({name: firsts[key] for name, key in FIRST_STEPS.items() if key in firsts})
    return values, False


def reading_problems(lines: list[str]) -> list[str]:
    """Comparisons printed by the reading cell that disagree with the figures printed above them."""
    values, higher_is_better = figures(lines)
    problems, compared, helped = [], 0, set()
    noise_lines = [m for m in map(NOISE_LINE.match, lines) if m]
    if len(noise_lines) != 1 or CONTROL not in values or "OpenVINO" not in values:
        return problems + ["no control measurement and noise threshold were printed"]
    noise = float(noise_lines[0]["noise"]) / 100
    control = abs(values[CONTROL] / values["OpenVINO"] - 1)
    if abs(control - float(noise_lines[0]["control"]) / 100) > 0.01 or abs(noise - max(0.05, control)) > 0.01:
        problems.append(f"{noise_lines[0].string!r}: the printed figures give a {control:.1%} difference")
    for line in lines:
        m = VERSUS.match(line)
        if not m:
            continue
        compared += 1
        a, b = m["a"], m["b"]
        if a not in values or b not in values:
            problems.append(f"{line!r}: no printed figure for {a!r} or {b!r}")
            continue
        gain = values[a] / values[b] if higher_is_better else values[b] / values[a]
        if m["even"] is not None:
            printed = float(m["even"])
            if abs(gain - 1) > noise + 0.01:
                problems.append(f"{line!r}: a {abs(gain - 1):.1%} change is above the {noise:.1%} noise")
        else:
            if abs(gain - 1) < noise - 0.01:
                problems.append(f"{line!r}: a {abs(gain - 1):.1%} change is within the {noise:.1%} noise")
            better = m["word"] in {"faster", "lower"}
            printed = float(m["ratio"]) if better else 1 / float(m["ratio"])
            if better:
                helped.add(a)
            if better != (gain > 1):
                problems.append(f"{line!r}: the figures say {a} was {'better' if gain > 1 else 'worse'}")
        # Printed figures are rounded (0.01 frames/s, 0.1 ms, 1 ms): allow a few percent.
        if abs(gain - printed) > 0.03 * max(gain, printed):
            problems.append(f"{line!r}: the printed figures give {gain:.3f}x")
    if not compared:
        problems.append("no comparison was printed")
    start = lines.index("helped here:") if "helped here:" in lines else None
    if start is None:
        problems.append("no 'helped here:' list was printed")
    else:
        listed = []
        for line in lines[start + 1:]:
            if not line.startswith("  - "):
                break
            listed.append(line[4:])
        if set(listed) - {"nothing"} != helped:
            problems.append(f"'helped here' lists {listed}, the comparisons say {sorted(helped)}")
    return problems


# --------------------------------------------------------------------------------------------
# The stored notebooks


@pytest.mark.parametrize("name", NAMES)
def test_stored_notebook_has_a_complete_run(name: str) -> None:
    nb = nbformat.read(TUTORIALS / f"{name}.ipynb", as_version=4)
    assert NOTEBOOKS.problems(nb, name) == []


@pytest.mark.parametrize("name", NAMES)
def test_stored_reading_agrees_with_stored_figures(name: str) -> None:
    assert reading_problems(stdout_lines(nbformat.read(TUTORIALS / f"{name}.ipynb", as_version=4))) == []


@pytest.mark.parametrize("name", NAMES)
def test_stored_outputs_are_from_a_full_run(name: str) -> None:
    """Not a few-frame test run stored by mistake: every step processed the default frame count."""
    lines = stdout_lines(nbformat.read(TUTORIALS / f"{name}.ipynb", as_version=4))
    counts = {int(m["frames"]) for m in map(lambda s: FPS.match(s) or MEDIAN.match(s), lines) if m}
    assert counts, "no per-step figures were printed"
    assert min(counts) >= NOTEBOOKS.DEFAULT_FRAMES, f"steps ran {sorted(counts)} frames"
    assert len(counts) == 1, f"steps ran different frame counts: {sorted(counts)}"


@pytest.mark.parametrize("name", NAMES)
def test_stored_notebook_has_the_pytorch_baseline(name: str) -> None:
    """The stored run had PyTorch: the same network, its threads printed, checked, measured, compared."""
    nb = nbformat.read(TUTORIALS / f"{name}.ipynb", as_version=4)
    assert TORCH_SKIPPED not in markdown_outputs(nb)
    assert pytorch_problems(stdout_lines(nb)) == []


def test_check_command_accepts_the_stored_notebooks() -> None:
    done = run_script("scripts/notebooks.py", "check")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_checks_can_fail() -> None:
    """A notebook whose outputs were cleared, or whose reading was edited, is caught."""
    nb = nbformat.read(TUTORIALS / "throughput-tricks.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    found = NOTEBOOKS.problems(nb, "cleared")
    assert any("not all executed" in p for p in found)
    assert any("no chart" in p for p in found)
    assert any("machine" in p for p in found)
    lines = ["OpenVINO: 100 frames in 10.00 s -> 10.00 frames/s",
             "THROUGHPUT hint: 100 frames in 5.00 s -> 20.00 frames/s",
             f"{CONTROL}: 100 frames in 9.00 s -> 11.11 frames/s",
             "step 2 and its repeat differed by 11.1%: changes under 11.1% are called noise", "",
             "THROUGHPUT hint vs OpenVINO: 1.40x faster", "", "helped here:", "  - THROUGHPUT hint"]
    assert reading_problems(lines)  # 20 / 10 is 2.00x, not 1.40x
    lines[5] = "THROUGHPUT hint vs OpenVINO: 2.00x slower"
    assert reading_problems(lines)  # the wrong way round
    lines[5] = "THROUGHPUT hint vs OpenVINO: 2.00x faster"
    assert reading_problems(lines) == []
    lines[3] = "step 2 and its repeat differed by 11.1%: changes under 5.0% are called noise"
    assert reading_problems(lines)  # the threshold ignores the control
    lines[3] = "step 2 and its repeat differed by 11.1%: changes under 150.0% are called noise"
    assert reading_problems(lines)  # a 2x change called an effect although within that noise


# --------------------------------------------------------------------------------------------
# Executing the notebooks


def test_notebooks_execute_into_a_temporary_folder(tmp_path: Path) -> None:
    before = {name: digest(TUTORIALS / f"{name}.ipynb") for name in NAMES}
    done = run_script("scripts/notebooks.py", "run", "--frames", str(TEST_FRAMES), "--out", str(tmp_path),
                      timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in NAMES:
        assert digest(TUTORIALS / f"{name}.ipynb") == before[name], f"the stored {name} was rewritten"
        nb = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
        assert NOTEBOOKS.problems(nb, name) == []
        lines = stdout_lines(nb)
        assert any(re.fullmatch(rf"run on \S+, {TEST_FRAMES} frames per step", line) for line in lines)
        assert reading_problems(lines) == []
        values, _ = figures(lines)
        assert {"ONNX Runtime", "OpenVINO"} <= set(values), sorted(values)
        if HAS_TORCH:  # the test extra installs it
            assert pytorch_problems(lines) == []


def test_the_pytorch_step_is_skipped_without_torch(tmp_path: Path) -> None:
    """A reader without torch: the step says it was skipped, and the rest runs and reads as before."""
    nb = nbformat.read(TUTORIALS / "latency-tricks.ipynb", as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell('import sys\n\nsys.modules["torch"] = None  # no torch'))
    target = tmp_path / "no-torch.ipynb"
    nbformat.write(nb, target)
    done = run_script("scripts/notebooks.py", "run", "--frames", "8", str(target), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    nb = nbformat.read(target, as_version=4)
    assert TORCH_SKIPPED in markdown_outputs(nb)
    lines = stdout_lines(nb)
    assert "PyTorch" not in figures(lines)[0]
    assert not any("PyTorch" in line for line in lines if VERSUS.match(line))
    assert reading_problems(lines) == []


def test_a_failed_run_leaves_the_notebook_as_it_was(tmp_path: Path) -> None:
    nb = nbformat.read(TUTORIALS / "latency-tricks.ipynb", as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell('raise RuntimeError("this cell fails on purpose")'))
    target = tmp_path / "broken.ipynb"
    nbformat.write(nb, target)
    before = digest(target)
    done = run_script("scripts/notebooks.py", "run", "--frames", "8", str(target), timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "this cell fails on purpose" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: broken.ipynb failed")
    assert digest(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.ipynb"], "a temporary file was left"


@pytest.mark.parametrize("args", [
    ("run", "--frames", "0"),
    ("run", "--frames", "6"),
    ("run", "--frames", "many"),
    ("run", "no-such-tutorial"),
    ("run", "--timeout", "0"),
    ("check", "missing.ipynb"),
    ("launch",),
], ids=lambda a: " ".join(a))
def test_bad_input_is_one_line_and_exit_code_2(args: tuple[str, ...]) -> None:
    done = run_script("scripts/notebooks.py", *args)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr


def test_out_must_be_a_folder(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    done = run_script("scripts/notebooks.py", "run", "--out", str(not_a_folder))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr


# --------------------------------------------------------------------------------------------
# How the site renders them


def test_site_renders_stored_outputs_offline_and_lists_the_tutorials() -> None:
    config = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=yaml.Loader)
    plugin = next(p["mkdocs-jupyter"] for p in config["plugins"]
                  if isinstance(p, dict) and "mkdocs-jupyter" in p)
    assert plugin["execute"] is False, "outputs come from the stored run, not from the build"
    assert plugin["include_source"] is True, "the notebooks are downloadable"
    assert plugin["include_requirejs"] is False, "require.js would come from a CDN"
    assert plugin["custom_mathjax_url"] == "", "MathJax would come from a CDN"
    tutorials = next(section["Tutorials"] for section in config["nav"]
                     if isinstance(section, dict) and "Tutorials" in section)
    assert tutorials == ["tutorials/index.md", *(f"tutorials/{n}.ipynb" for n in NAMES)]
    assert sorted(p.stem for p in TUTORIALS.glob("*.ipynb")) == sorted(NAMES)
