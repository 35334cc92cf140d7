"""This process's resident memory: now, and its peak since a reset (Linux ``clear_refs``)."""

from __future__ import annotations

import sys


def _read_status_kib(field_name: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Reset this process's peak resident set (Linux ``clear_refs`` 5); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib() -> float:
    """Peak resident memory since the last reset_peak_rss() (else since the process started)."""
    hwm = _read_status_kib("VmHWM")
    if hwm is not None:
        return hwm / 1024.0
    import resource

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (2**20 if sys.platform == "darwin" else 1024.0)


def rss_mib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20
