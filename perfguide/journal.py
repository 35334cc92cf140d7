"""A journal: what a long run has finished so far, kept beside the file it will write.

Each finished point is appended as one JSON line and flushed to disk (fsync) before the next
begins, so that a run stopped by any signal, SIGKILL or a crash included, loses at most the point
in flight. The journal's first line describes the run (its settings, the code and machine that
measure); ``--resume`` continues only a run described the same way, and the journal is removed
once the final file has been written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from perfguide.errors import UsageError

VERSION = 1


def journal_path(target: Path) -> Path:
    """Where the journal of a run writing ``target`` lives: beside it, ``<name>.journal``."""
    return target.with_name(f"{target.name}.journal")


def _differences(theirs: dict, ours: dict) -> list[str]:
    found = []
    for key in sorted(set(theirs) | set(ours)):
        a, b = theirs.get(key), ours.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            found += [f"{key}.{d}" for d in _differences(a, b)]
        else:
            found.append(f"{key} ({json.dumps(a)} in the journal, {json.dumps(b)} now)")
    return found


class Journal:
    """The journal of one run writing ``target``, described by ``header`` (plain JSON values)."""

    def __init__(self, target: Path, header: dict):
        self.path = journal_path(target)
        self.header = {"journal": VERSION, **header}
        self._file = None
        self.points = 0  # finished points it holds

    def read(self) -> dict[str, Any]:
        """The finished points of the journal here, by id, after checking it describes this
        run (a UsageError with the reason if not). A torn last line, from a run killed while
        writing it, is cut off: that point was in flight."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raise UsageError(f"nothing to resume: no journal {self.path}") from None
        end = raw.rfind(b"\n") + 1
        if end < len(raw):
            with open(self.path, "r+b") as f:
                f.truncate(end)
        lines = raw[:end].decode("utf-8", "replace").splitlines()
        try:
            header = json.loads(lines[0]) if lines else None
        except json.JSONDecodeError:
            header = None
        if not isinstance(header, dict) or header.get("journal") != VERSION:
            raise UsageError(f"{self.path} is not a journal of this version: delete it to start over")
        differ = _differences(header, self.header)
        if differ:
            raise UsageError(f"{self.path} is from another run, so it cannot be resumed: "
                             f"{'; '.join(differ)[:400]}; rerun it with those settings, or delete the "
                             "journal to start over")
        done: dict[str, Any] = {}
        for number, line in enumerate(lines[1:], 2):
            try:
                entry = json.loads(line)
                done[entry["point"]] = entry["value"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise UsageError(f"{self.path}: line {number} is not a journal entry") from None
        return done

    def start(self, resume: bool) -> dict[str, Any]:
        """Open the journal for appending; the finished points to reuse (none for a new run).
        A new run refuses to overwrite the journal of an interrupted one."""
        done: dict[str, Any] = {}
        if resume:
            done = self.read()
        elif self.path.exists():
            raise UsageError(f"{self.path} holds the points an interrupted run measured: pass --resume "
                             "to continue it, or delete the journal to start over")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")
        if not resume:
            self._write(self.header)
        self.points = len(done)
        return done

    def _write(self, obj: dict) -> None:
        self._file.write(json.dumps(obj, allow_nan=False, separators=(",", ":")) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def add(self, point: str, value: Any) -> None:
        """Record that ``point`` finished with ``value`` (durably, before returning)."""
        self._write({"point": point, "value": value})
        self.points += 1

    def close(self) -> None:
        """Stop writing; a journal that holds no finished point is removed (nothing to resume)."""
        if self._file is not None:
            self._file.close()
            self._file = None
            if not self.points:
                self.path.unlink(missing_ok=True)

    def stop(self, exc: BaseException) -> None:
        """The run is ending early (stopped by a signal, or failed): close the journal and,
        when it holds finished points, say how to continue."""
        import sys

        self.close()
        if self.points:
            how = f"stopped ({exc})" if isinstance(exc, KeyboardInterrupt) else "failed"
            print(f"{how}: {self.points} finished point(s) are kept in {self.path}; continue with the "
                  "same command and --resume", file=sys.stderr)

    def remove(self) -> None:
        """The run is complete and its file written: the journal is no longer needed."""
        self.close()
        self.path.unlink(missing_ok=True)
