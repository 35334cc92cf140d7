"""Every command line of the project: bad usage is one line on stderr and exit code 2 (one
shared parser, perfguide.errors.Parser), and no script edits ``sys.path`` (the package is
installed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.name for p in (REPO / "scripts").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("args", [("no-such-command",), (), ("--no-such-option",)], ids=" ".join)
def test_bad_usage_is_one_line_and_exit_2(script: str, args: tuple[str, ...]) -> None:
    done = subprocess.run([sys.executable, f"scripts/{script}", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr


@pytest.mark.parametrize("script", SCRIPTS)
def test_no_script_edits_sys_path(script: str) -> None:
    assert "sys.path" not in (REPO / "scripts" / script).read_text()
