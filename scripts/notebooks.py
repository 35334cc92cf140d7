#!/usr/bin/env python3
"""Re-execute the tutorial notebooks and store their outputs in place, or check stored outputs.

The site shows each notebook's stored outputs (mkdocs-jupyter runs with ``execute: false``), so
they come from one real run: ``run`` executes every cell top to bottom in a fresh ``python3``
kernel (this venv's) and writes the notebook back only if every cell succeeded; the file is
replaced atomically, so a failed run leaves the stored notebook as it was.

Examples:
  python scripts/notebooks.py run                       # both tutorials, in place
  python scripts/notebooks.py run --frames 200 latency-tricks
  python scripts/notebooks.py run --frames 16 --out /tmp/nb   # executed copies, stored ones untouched
  python scripts/notebooks.py run --resume              # continue a stopped run
  python scripts/notebooks.py check                     # stored outputs complete and error-free?
  python scripts/notebooks.py list
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import time
from pathlib import Path

from perfguide import REPO_ROOT
from perfguide.errors import Parser, UsageError, run_cli
from perfguide.results import write_atomic

TUTORIALS = REPO_ROOT / "docs" / "tutorials"
FRAMES_ENV = "PERFGUIDE_NB_FRAMES"  # read by each notebook's first code cell
DEFAULT_FRAMES = 200  # both notebooks together: a few minutes on a 2-core machine
FRAMES_MULTIPLE = 4  # the throughput notebook groups frames 4 at a time
KERNEL = "python3"
MAX_PNG_BYTES = 100_000
MACHINE_MARKERS = ("machine: ", "openvino ")  # what the first code cell prints


def notebook_names() -> list[str]:
    return sorted(p.stem for p in TUTORIALS.glob("*.ipynb"))


def resolve(names: list[str]) -> list[Path]:
    """Tutorial names (``latency-tricks``) or paths to ``.ipynb`` files; all tutorials when empty."""
    if not names:
        return [TUTORIALS / f"{n}.ipynb" for n in notebook_names()]
    paths = []
    for name in names:
        if name.endswith(".ipynb"):
            path = Path(name)
            if not path.is_file():
                raise UsageError(f"no notebook at {name}")
        elif name in notebook_names():
            path = TUTORIALS / f"{name}.ipynb"
        else:
            raise UsageError(f"unknown notebook {name!r}; tutorials: {', '.join(notebook_names())}")
        paths.append(path.resolve())
    return paths


def frame_count(text: str) -> int:
    try:
        frames = int(text)
    except ValueError:
        frames = 0
    if frames < FRAMES_MULTIPLE or frames % FRAMES_MULTIPLE:
        raise UsageError(f"--frames must be a positive multiple of {FRAMES_MULTIPLE}, not {text!r}")
    return frames


def execute(path: Path, frames: int, timeout: int):
    """The notebook at ``path`` executed top to bottom in a fresh kernel (raises on a failed cell)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    previous = os.environ.get(FRAMES_ENV)
    os.environ[FRAMES_ENV] = str(frames)  # the kernel inherits this process's environment
    try:
        NotebookClient(
            nb, kernel_name=KERNEL, timeout=timeout, allow_errors=False, record_timing=False,
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    finally:
        if previous is None:
            os.environ.pop(FRAMES_ENV, None)
        else:
            os.environ[FRAMES_ENV] = previous
    return nb


def _text(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return data.get("text/plain", "") + data.get("text/markdown", "")


def problems(nb, name: str = "notebook") -> list[str]:
    """What is wrong with a notebook's stored outputs (empty: a complete, clean, in-order run)."""
    found = []
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.get("execution_count") for c in cells]
    if counts != list(range(1, len(cells) + 1)):
        found.append(f"{name}: code cells were not all executed once, top to bottom "
                     f"(execution counts {counts})")
    images = 0
    for index, cell in enumerate(cells, 1):
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "error":
                found.append(f"{name}: code cell {index} stored an error: {output.get('ename')}")
            if kind == "stream" and output.get("name") == "stderr":
                found.append(f"{name}: code cell {index} wrote to stderr: {output.get('text', '')[:200]!r}")
            png = output.get("data", {}).get("image/png")
            if png:
                images += 1
                size = len(base64.b64decode(png))
                if size > MAX_PNG_BYTES:
                    found.append(f"{name}: code cell {index} has a {size}-byte PNG (limit {MAX_PNG_BYTES})")
    if not images:
        found.append(f"{name}: no chart (image/png output)")
    first = "".join(_text(o) for o in cells[0].get("outputs", [])) if cells else ""
    missing = [m for m in MACHINE_MARKERS if m not in first]
    if missing:
        found.append(f"{name}: the first code cell did not print the machine and versions ({missing})")
    if "{{" in nbformat_text(nb):
        found.append(f"{name}: contains '{{{{', which the site's data-block hook would try to fill")
    return found


def nbformat_text(nb) -> str:
    import nbformat

    return nbformat.writes(nb)


def main(argv: list[str] | None = None) -> int:
    parser = Parser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 2)[2],
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the tutorial notebooks")
    run = sub.add_parser("run", help="re-execute notebooks, store their outputs")
    run.add_argument("notebooks", nargs="*", help="tutorial names or .ipynb paths (default: all tutorials)")
    run.add_argument("--frames", type=frame_count, default=DEFAULT_FRAMES,
                     help=f"frames per step, a multiple of {FRAMES_MULTIPLE} (default: {DEFAULT_FRAMES})")
    run.add_argument("--out", type=Path, help="write executed copies to this folder instead of in place")
    run.add_argument("--timeout", type=int, default=600, help="seconds one cell may take (default: 600)")
    run.add_argument("--resume", action="store_true",
                     help="continue a stopped run (same notebooks, frames and --out): skip the finished ones")
    one = sub.add_parser("execute-one", help=argparse.SUPPRESS)  # the child of run (see execute_in_child)
    one.add_argument("notebook", type=Path)
    one.add_argument("target", type=Path)
    one.add_argument("--frames", type=frame_count, required=True)
    one.add_argument("--timeout", type=int, required=True)
    check = sub.add_parser("check", help="check stored outputs: every cell run, no errors, a chart")
    check.add_argument("notebooks", nargs="*", help="tutorial names or .ipynb paths (default: all tutorials)")
    args = parser.parse_args(argv)

    if args.command == "list":
        print("\n".join(notebook_names()))
        return 0
    if args.command == "execute-one":
        return execute_one(args.notebook, args.target, args.frames, args.timeout)
    paths = resolve(args.notebooks)
    if args.command == "check":
        import nbformat

        found = [p for path in paths for p in problems(nbformat.read(path, as_version=4), path.name)]
        print("\n".join(found) or f"ok: {', '.join(p.name for p in paths)}")
        return 1 if found else 0

    if args.timeout < 1:
        raise UsageError(f"--timeout must be at least 1 second, not {args.timeout}")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} is not a folder")
    return run_all(paths, args)


FAILED = "failed: "  # the last line a failed child prints, before the reason


def execute_in_child(path: Path, target: Path, frames: int, timeout: int) -> str | None:
    """Execute ``path`` into ``target`` in a child process; None, or why it failed. (nbclient
    replaces this process's SIGINT and SIGTERM handling while it runs: in a child it cannot, and
    the child, its kernel with it, is killed when this process is stopped.)"""
    from perfguide.bench.isolation import spawn

    done = spawn([sys.executable, __file__, "execute-one", str(path), str(target), "--frames", str(frames),
                  "--timeout", str(timeout)], python=True)  # fmt: skip
    lines = done.stderr.rstrip("\n").splitlines()
    reason = lines.pop()[len(FAILED):] if lines and lines[-1].startswith(FAILED) else None
    if lines:
        print("\n".join(lines), file=sys.stderr)
    if done.returncode == 0:
        return None
    return reason or f"exit code {done.returncode}"


def execute_one(path: Path, target: Path, frames: int, timeout: int) -> int:
    """In the child: execute one notebook and write it to ``target`` atomically; 1 on failure."""
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    failed = None
    try:
        nb = execute(path, frames, timeout)
    except CellExecutionError as exc:
        print(exc, file=sys.stderr)
        failed = f"{exc.ename}: {exc.evalue}".splitlines()[0]
    except (CellTimeoutError, DeadKernelError) as exc:
        failed = str(exc).splitlines()[0]
    except NoSuchKernel:
        failed = f"no {KERNEL!r} Jupyter kernel; install ipykernel in this environment"
    if failed:
        print(FAILED + failed, file=sys.stderr)
        return 1
    text = nbformat_text(nb)
    write_atomic(text if text.endswith("\n") else text + "\n", target)
    return 0


def run_all(paths: list[Path], args) -> int:
    """Execute each notebook and write it back as soon as it succeeds; a journal beside them says
    which are done, so that ``--resume`` after a stop (any signal) runs only the rest."""
    from perfguide.interrupt import stop_on_signals
    from perfguide.journal import Journal

    folder = args.out if args.out is not None else paths[0].parent
    journal = Journal(folder / ".notebooks-run", {"notebooks": [str(p) for p in paths], "frames": args.frames,
                                                  "out": str(args.out) if args.out else None})  # fmt: skip
    done = journal.start(args.resume)
    try:
        with stop_on_signals():
            for path in paths:
                target = (args.out / path.name) if args.out is not None else path
                if str(path) in done:
                    print(f"{path.name}: done before the stop, kept", file=sys.stderr)
                    continue
                print(f"running {path.name} with {args.frames} frames per step ...", file=sys.stderr)
                start = time.perf_counter()
                failed = execute_in_child(path, target, args.frames, args.timeout)
                if failed:
                    journal.stop(RuntimeError(failed))
                    print(f"error: {path.name} failed ({failed}); {target} left as it was", file=sys.stderr)
                    return 1
                journal.add(str(path), {"seconds": round(time.perf_counter() - start, 1)})
                print(f"wrote {target} ({time.perf_counter() - start:.0f} s)")
    except BaseException as exc:
        journal.stop(exc)
        raise
    journal.remove()
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
