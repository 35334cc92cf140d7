"""One kind of error for bad input, and one way to report it from a command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


class UsageError(Exception):
    """Bad input from the user: reported as one line on stderr with exit code 2."""


EXIT_USAGE = 2


def run_cli(main: Callable[[list[str] | None], int | None], argv: list[str] | None = None) -> int:
    """Run a command-line ``main``; turn a UsageError into one clear line and exit code 2."""
    try:
        return int(main(argv) or 0)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (perfguide.interrupt): 128 + signal
        print(f"interrupted ({exc})" if str(exc) else "interrupted", file=sys.stderr)
        return getattr(exc, "exit_code", 130)
    except BrokenPipeError:  # output piped into a reader that stopped early (e.g. `| head`)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line on stderr and exit code 2 (via run_cli), for every
    command line of the project; subcommands get the same (``add_subparsers`` passes it on)."""

    def error(self, message: str):  # noqa: D401 - argparse's signature
        raise UsageError(f"{self.prog}: {message}")

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("parser_class", Parser)
        return super().add_subparsers(**kwargs)
