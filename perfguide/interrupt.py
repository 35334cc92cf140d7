"""Stopping a long run cleanly: SIGINT (Ctrl-C) and SIGTERM become one exception in the main
thread, and on the way out every process this one started is killed, so that nothing measures
on after the run has stopped."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


class Interrupted(KeyboardInterrupt):
    """A run stopped by a signal; ``exit_code`` is the shell's 128 + the signal number."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


def kill_descendants(timeout: float = 1.0) -> None:
    """Kill every process this one started (children and theirs) and reap them."""
    import psutil

    try:
        procs = psutil.Process().children(recursive=True)
    except psutil.Error:
        return
    for proc in procs:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=timeout)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within this block SIGINT and SIGTERM raise :class:`Interrupted`. Whatever exception then
    leaves the block (a library may turn the first into its own, as asyncio turns it into a
    CancelledError) leaves it as that Interrupted, after this process's descendants are killed.
    The old handlers come back after."""
    received: list[int] = []

    def handler(signum, _frame):
        received.append(signum)
        raise Interrupted(signum)

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
        if received:  # the block caught what the signal raised (e.g. as a failed cell) and went on
            raise Interrupted(received[0])
    except BaseException as exc:
        if not received and not isinstance(exc, KeyboardInterrupt):
            raise
        kill_descendants()
        if isinstance(exc, Interrupted):
            raise
        raise Interrupted(received[0] if received else signal.SIGINT) from None
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)
