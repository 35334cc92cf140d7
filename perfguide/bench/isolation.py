"""Measurements in fresh processes, and child processes that never outlive their parent.

A process that has already compiled and run other models measures the next one slower: on the
2-core machine, mobilenet's single-stream median came out 25% above a fresh process's, pair by
pair, after a dozen other measurements (the runtime's idle threads from earlier models stay
behind). benchmark_app always starts fresh, so ``regenerate`` runs every point this way.

Every child (a measurement, a first-inference run, benchmark_app) is started by :func:`spawn`: in
its own process group, and on Linux set to be killed when its parent dies, so that Ctrl-C,
SIGTERM or even SIGKILL of the parent leaves no process measuring on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict
from typing import Any

from perfguide import REPO_ROOT
from perfguide.bench.log import log
from perfguide.errors import UsageError

# What ``python -m perfguide.bench call`` may run: name -> module:function of this package.
ISOLATED = {
    "measure": "scenarios:measure",
    "compare_benchmark_app": "bapp:compare_benchmark_app",
    "compare_cpp": "cpp_peer:compare_cpp",
    "peak_matmul": "probes:peak_matmul",
    "steadiness": "probes:steadiness",
    "bandwidth": "probes:bandwidth",
    "measure_llm": "llm:measure_llm",
    "llm_load": "llm:load_child",
    "llm_run": "llm:run_child",
    "llama_cpp_run": "llamacpp:run_child",
    "compare_llama_cpp": "llamacpp:compare_llama_cpp",
}


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux: the parent's cleanup still kills the child
        pass


def _kill(proc: subprocess.Popen) -> None:
    """Kill ``proc``, everything it started, and its process group; reap it."""
    try:
        import psutil

        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
    except Exception:  # noqa: BLE001 - gone already, or no psutil: the group kill below remains
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    proc.wait()


def spawn(cmd: list[str], *, timeout: float | None = None,
          python: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` to completion, capturing its text output, as ``subprocess.run`` would; but if
    this process is interrupted (Ctrl-C, SIGTERM turned into an exception) or the timeout passes,
    the child and all it started are killed before the exception goes on. ``python``: the child
    runs this package, so it gets the package on its path."""
    env = None
    if python:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                                 else "")  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True, preexec_fn=_die_with_parent)  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        _kill(proc)
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def run_child(cmd: list[str], what: str, timeout: float | None = None) -> tuple[Any, list[str]]:
    """Run a ``python -m perfguide.bench`` child; (the JSON it printed last, its stderr lines).
    Its exit code 2 (bad input) is a UsageError with its message, any other failure a
    RuntimeError naming ``what``."""
    done = spawn(cmd, timeout=timeout, python=True)
    lines = done.stderr.strip().splitlines()
    if done.returncode != 0:
        last = (lines or ["(no output)"])[-1]
        if done.returncode == 2:
            raise UsageError(last.removeprefix("error: "))
        raise RuntimeError(f"{what} failed ({done.returncode}): {last}")
    return json.loads(done.stdout.strip().splitlines()[-1]), lines


def child_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "perfguide.bench", *args]


def in_fresh_process(func: str, *args: Any, config=None, **kwargs: Any) -> Any:
    """``<func>(*args, config=config, **kwargs)`` (one of :data:`ISOLATED`) run in a new Python
    process; its result. The child's warnings are shown where the parent shows its own."""
    if func not in ISOLATED:
        raise ValueError(f"{func!r} is not one of {sorted(ISOLATED)}")
    payload = {"func": func, "args": list(args), "kwargs": kwargs,
               "config": asdict(config) if config is not None else None}  # fmt: skip
    result, lines = run_child(child_command("call", json.dumps(payload, default=str)),
                              f"{func} in a fresh process")  # fmt: skip
    for line in lines:
        if line.strip():
            log(line)
    return result
