"""Notes for the person running a measurement: on stderr, never mixed into JSON on stdout."""

from __future__ import annotations

import sys


def log(message: str) -> None:
    """Print ``message`` on stderr, above a progress bar if one is showing."""
    try:
        from tqdm import tqdm

        tqdm.write(message, file=sys.stderr)
    except Exception:  # noqa: BLE001 - tqdm missing or closed: plain print
        print(message, file=sys.stderr)
