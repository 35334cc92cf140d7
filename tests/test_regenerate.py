"""Long runs lose nothing: the regenerate plan, the journal, and real runs of
``benchmark.py regenerate``, ``pages.py regenerate`` and ``notebooks.py run`` killed mid-way by
SIGINT (to the process group, as Ctrl-C), SIGTERM and SIGKILL, then resumed.

A stopped run must leave the previous results file as it was, stop within 2 s of SIGINT or
SIGTERM with no child process left, and ``--resume`` must re-measure only the points its journal
lacks: the reused records come back byte for byte, not measured again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from perfguide import pages, results
from perfguide.bench import Timing
from perfguide.bench.plan import KINDS, build_matrix
from perfguide.errors import UsageError
from perfguide.journal import Journal, journal_path

REPO = Path(__file__).resolve().parents[1]
STOP_WITHIN_S = 2.0
SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}


# --------------------------------------------------------------------------------------------
# The plan


def plan(quick: bool, kinds=KINDS, models=("mobilenet", "yolov5n"), auto_point=True,
         llms=("tiny-qwen2",)) -> list:
    skipped: list[str] = []
    points = build_matrix(list(models), ["CPU"], quick=quick, timing=Timing(1.0, 2, 5),
                          auto_point=auto_point, kinds=set(kinds), skipped=skipped,
                          llms=list(llms))  # fmt: skip
    return points


def test_the_quick_plan_is_a_small_subset_of_the_full_plan() -> None:
    quick, full = plan(quick=True), plan(quick=False)
    quick_labels, full_labels = [p.label for p in quick], [p.label for p in full]
    assert len(set(quick_labels)) == len(quick_labels) and len(set(full_labels)) == len(full_labels)
    assert len(quick) < len(full)
    assert sum(p.cost_s for p in quick) < sum(p.cost_s for p in full)
    from perfguide.bench import llama_cpp_version

    # The llama.cpp comparison is planned where its optional package is installed.
    planned = set(KINDS) - (set() if llama_cpp_version() else {"llama-cpp"})
    for points in (quick, full):
        assert {p.kind for p in points} == planned, "every kind of point is planned"
        assert "mobilenet AUTO offline ctput" in [p.label for p in points]
    # Only the full plan sweeps streams and hints.
    assert not [x for x in quick_labels if "streams=" in x or "no-hint" in x]
    assert [x for x in full_labels if "streams=" in x] and [x for x in full_labels if "no-hint" in x]


def test_the_plan_follows_the_device_and_the_kinds_asked_for() -> None:
    from perfguide.bench import supported_precisions

    points = plan(quick=True, kinds=("single-stream",), models=("mobilenet",), auto_point=False)
    assert {p.kind for p in points} == {"single-stream"}
    planned = {label.rsplit(" ", 1)[1] for label in (p.label for p in points)}
    assert planned == set(supported_precisions("CPU")), "one point per precision the CPU lists"


def test_dry_run_lists_the_points_and_writes_nothing(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "scripts/benchmark.py", "regenerate", "--quick", "--dry-run",
                           "--results-dir", str(tmp_path), "--models", "mobilenet"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    expected = [p.label for p in plan(quick=True, models=("mobilenet",), llms=())]
    assert [line.split(" s  ", 1)[1] for line in lines[:-1]] == expected
    assert lines[-1].startswith(f"{len(expected)} points, about ") and "would write" in lines[-1]
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------
# The journal


def test_a_journal_keeps_finished_points_and_cuts_a_torn_line(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    first = Journal(target, {"settings": {"seconds": 1}})
    assert first.start(resume=False) == {}
    first.add("a", {"x": 1})
    first.add("b", {"x": 2})
    first.close()
    with open(journal_path(target), "a") as f:  # a run killed while writing its third point
        f.write('{"point": "c", "val')
    again = Journal(target, {"settings": {"seconds": 1}})
    assert again.start(resume=True) == {"a": {"x": 1}, "b": {"x": 2}}
    again.add("c", {"x": 3})
    again.close()
    reread = Journal(target, {"settings": {"seconds": 1}}).read()
    assert reread == {"a": {"x": 1}, "b": {"x": 2}, "c": {"x": 3}}


def test_a_journal_of_other_settings_is_refused_with_the_reason(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    j = Journal(target, {"settings": {"seconds": 1.0, "repeats": 3}, "code": "abc"})
    j.start(resume=False)
    j.add("a", 1)
    j.close()
    with pytest.raises(UsageError, match=r"settings\.seconds \(1\.0 in the journal, 3\.0 now\)"):
        Journal(target, {"settings": {"seconds": 3.0, "repeats": 3}, "code": "abc"}).start(resume=True)
    with pytest.raises(UsageError, match=r"code \(\"abc\" in the journal, \"new\" now\)"):
        Journal(target, {"settings": {"seconds": 1.0, "repeats": 3}, "code": "new"}).start(resume=True)
    with pytest.raises(UsageError, match="pass --resume"):  # a new run never overwrites it
        Journal(target, {"settings": {"seconds": 1.0, "repeats": 3}, "code": "abc"}).start(resume=False)
    with pytest.raises(UsageError, match="nothing to resume"):
        Journal(tmp_path / "other.json", {}).start(resume=True)


def test_a_journal_with_nothing_finished_is_not_left_behind(tmp_path: Path) -> None:
    j = Journal(tmp_path / "m.json", {})
    j.start(resume=False)
    assert journal_path(tmp_path / "m.json").exists()
    j.close()
    assert not journal_path(tmp_path / "m.json").exists()


# --------------------------------------------------------------------------------------------
# Real runs, killed and resumed


def point_lines(journal: Path) -> list[dict]:
    """The finished points of a journal (its complete lines after the header)."""
    if not journal.exists():
        return []
    text = journal.read_text()
    return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines()[1:]]


def run_and_stop(cmd: list[str], journal: Path, sig: signal.Signals, *, points: int = 1,
                 wait_s: float = 240) -> tuple[subprocess.Popen, float, set[int], str]:  # fmt: skip
    """Start ``cmd`` in its own session, wait until its journal holds ``points`` finished
    points, send ``sig`` (SIGINT to the whole process group, as a terminal's Ctrl-C does);
    return (the process, seconds it took to exit, the pids of its descendants then, stderr)."""
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + wait_s
    while len(point_lines(journal)) < points:
        assert proc.poll() is None, f"the run ended before it was stopped: {proc.communicate()}"
        assert time.monotonic() < deadline, "the run did not finish a point in time"
        time.sleep(0.1)
    time.sleep(0.5)  # the next point is in flight: a child process is measuring
    children = {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
    sent = time.monotonic()
    if sig == signal.SIGINT:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc, time.monotonic() - sent, children, err


def assert_no_child_left(children: set[int], within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while True:
        alive = [pid for pid in children if psutil.pid_exists(pid)
                 and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]  # fmt: skip
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not alive, f"child processes left running: {alive}"


def assert_stopped_cleanly(proc, took: float, children: set[int], err: str, sig) -> None:
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        assert_no_child_left(children)  # they die with their parent (PR_SET_PDEATHSIG)
        return
    assert proc.returncode == 128 + sig, err
    assert took < STOP_WITHIN_S, f"took {took:.1f} s to stop after {sig.name}"
    assert children, "a point was in flight: a child process was measuring"
    assert_no_child_left(children, within_s=0.5)
    assert "--resume" in err and "Traceback" not in err, err


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SIGNALS))
def test_benchmark_regenerate_stopped_and_resumed(name: str, tmp_path: Path) -> None:
    sig = SIGNALS[name]
    from perfguide.environment import describe_machine

    mid = f"stop-{name.lower()}"
    target = results.results_path(mid, quick=True, directory=tmp_path)
    journal = journal_path(target)
    # The file a previous run wrote: it stays exactly as it was until the new run completes.
    previous = results.new_document(describe_machine(mid), quick=True, generated_by="a previous run")
    results.save_atomic(previous, target)
    before = target.read_bytes()
    cmd = [sys.executable, "scripts/benchmark.py", "regenerate", "--quick", "--models", "mobilenet",
           "--only", "single-stream", "offline", "--seconds", "0.2", "--repeats", "1",
           "--results-dir", str(tmp_path), "--machine-id", mid]  # fmt: skip
    proc, took, children, err = run_and_stop(cmd, journal, sig)
    assert_stopped_cleanly(proc, took, children, err, sig)
    assert target.read_bytes() == before, "the previous results file changed"
    kept = point_lines(journal)
    assert kept, "the finished points were lost"
    kept_records = {r["id"]: r for line in kept for r in line["value"]["records"]}

    done = subprocess.run(cmd + ["--resume"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    total = len(plan(quick=True, kinds=("single-stream", "offline"), models=("mobilenet",)))
    assert f"reused {len(kept)} of {total} points" in done.stderr, done.stderr
    doc = results.load(target)
    by_id = {r["id"]: r for r in doc["records"]}
    for rid, record in kept_records.items():
        assert by_id[rid] == record, f"{rid} was measured again"
    assert len(doc["records"]) > len(kept_records), "the missing points were measured"
    assert not journal.exists(), "the journal outlived the run it belonged to"


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SIGNALS))
def test_pages_regenerate_stopped_and_resumed(name: str, tmp_path: Path) -> None:
    sig = SIGNALS[name]
    mid = f"stop-{name.lower()}"
    target = pages.pages_dir(tmp_path) / f"{mid}.json"
    journal = journal_path(target)
    chosen = ["guide/introduction", "guide/tensors", "guide/legacy"]
    cmd = [sys.executable, "scripts/pages.py", "regenerate", *chosen, "--results-dir", str(tmp_path),
           "--machine-id", mid]  # fmt: skip
    proc, took, children, err = run_and_stop(cmd, journal, sig)
    if sig != signal.SIGKILL:  # the pages run in-process: nothing to find in flight but the page
        assert proc.returncode == 128 + sig, err
        assert took < STOP_WITHIN_S, f"took {took:.1f} s to stop after {sig.name}"
        assert "--resume" in err and "Traceback" not in err, err
    assert_no_child_left(children)
    assert not target.exists(), "an interrupted run wrote the results file"
    kept = {line["point"]: line["value"] for line in point_lines(journal)}
    assert kept
    done = subprocess.run(cmd + ["--resume"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"({len(kept)} page(s) reused from the journal)" in done.stdout, done.stdout
    doc = pages.load(target)
    assert sorted(doc["pages"]) == sorted(chosen)
    for page, entry in kept.items():
        assert doc["pages"][page]["date"] == entry["date"], f"{page} was run again"
    assert not journal.exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SIGNALS))
def test_notebooks_run_stopped_and_resumed(name: str, tmp_path: Path) -> None:
    sig = SIGNALS[name]
    journal = journal_path(tmp_path / ".notebooks-run")
    cmd = [sys.executable, "scripts/notebooks.py", "run", "--frames", "8", "--out", str(tmp_path)]
    proc, took, children, err = run_and_stop(cmd, journal, sig)
    assert_stopped_cleanly(proc, took, children, err, sig)  # the second notebook's kernel included
    (first,) = [Path(line["point"]).name for line in point_lines(journal)]
    written = {p.name: p.read_bytes() for p in tmp_path.glob("*.ipynb")}
    assert list(written) == [first], "only the finished notebook is written"
    done = subprocess.run(cmd + ["--resume"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"{first}: done before the stop, kept" in done.stderr
    assert (tmp_path / first).read_bytes() == written[first], "the finished notebook was run again"
    assert len(list(tmp_path.glob("*.ipynb"))) == 2 and not journal.exists()
