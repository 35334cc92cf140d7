"""The machine and the software versions a results file was measured with.

``describe_machine()`` returns the ``machine`` block of a results file; ``machine_id()`` the
slug its file is named after (``amd-epyc-2c-linux``): CPU model, logical cores and OS, so that
two different machines never write the same file and the same machine always does.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
from functools import cache
from pathlib import Path

from perfguide import REPO_ROOT

# CPU flags worth recording: the ones that decide which kernels OpenVINO's CPU plugin can use.
ISA_FLAGS = (
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni",
    "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
    "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8", "amx_fp16", "neon", "asimd", "sve",
)  # fmt: skip


@cache
def _cpuinfo() -> dict:
    """What py-cpuinfo reads of this CPU (on Linux: /proc/cpuinfo); empty if it cannot."""
    try:
        import cpuinfo

        return cpuinfo.get_cpu_info()
    except Exception:  # noqa: BLE001 - an unknown platform: the fallbacks below
        return {}


@cache
def cpu_model() -> str:
    """The CPU's marketing name, e.g. 'AMD EPYC' or 'Intel(R) Xeon(R) Platinum 8480+'."""
    name = _cpuinfo().get("brand_raw") or platform.processor()
    if not name:
        try:
            import openvino as ov

            name = ov.Core().get_property("CPU", "FULL_DEVICE_NAME")
        except Exception:  # noqa: BLE001 - any failure leaves the generic name
            name = "unknown-cpu"
    return " ".join(str(name).split())


def isa_flags() -> list[str]:
    """The instruction-set extensions of ISA_FLAGS this CPU reports, in that order."""
    flags = set(_cpuinfo().get("flags") or [])
    return [f for f in ISA_FLAGS if f in flags]


def cpu_facts() -> dict:
    """What tells two CPUs apart: model name, logical cores, instruction sets."""
    return {"cpu_model": cpu_model(), "cores_logical": cores()[1], "isa": isa_flags()}


def cores() -> tuple[int, int]:
    """(physical, logical) core counts."""
    logical = os.cpu_count() or 1
    physical = logical
    try:
        import psutil

        physical = psutil.cpu_count(logical=False) or logical
        logical = psutil.cpu_count(logical=True) or logical
    except Exception:  # noqa: BLE001
        pass
    return physical, logical


def slug(text: str) -> str:
    """Lower-case words joined by '-', without trademark noise: 'Intel(R) Core(TM) i7' -> 'intel-core-i7'."""
    text = re.sub(r"\((r|tm|c)\)", " ", text, flags=re.I)
    text = re.sub(r"\b(cpu|processor|with|radeon graphics)\b", " ", text, flags=re.I)
    text = re.sub(r"@.*$", "", text)  # the nominal clock is not part of the model
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"


def machine_id() -> str:
    """A stable file-name-safe id of this machine: ``<cpu-model>-<logical cores>c-<os>``."""
    _, logical = cores()
    return f"{slug(cpu_model())}-{logical}c-{slug(platform.system())}"


def git_commit(repo: Path = REPO_ROOT) -> str | None:
    """The checked-out commit of ``repo``, read from .git without running git (None if unknown)."""
    git = repo / ".git"
    try:
        if git.is_file():  # a worktree: "gitdir: <path>"
            git = (repo / git.read_text().split(":", 1)[1].strip()).resolve()
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head or None
        ref = head.split(":", 1)[1].strip()
        for base in (git, _common_dir(git)):
            loose = base / ref
            if loose.is_file():
                return loose.read_text().strip() or None
            packed = base / "packed-refs"
            if packed.is_file():
                for line in packed.read_text().splitlines():
                    if line.endswith(" " + ref):
                        return line.split()[0]
    except OSError:
        return None
    return None


def _common_dir(git: Path) -> Path:
    common = git / "commondir"
    if common.is_file():
        return (git / common.read_text().strip()).resolve()
    return git


def device_names() -> dict[str, str]:
    """Every real OpenVINO device here with its full name, e.g. {'CPU': 'AMD EPYC'}."""
    import openvino as ov

    from perfguide.devices import available_devices

    core = ov.Core()
    names = {}
    for device in available_devices():
        try:
            names[device] = str(core.get_property(device, "FULL_DEVICE_NAME"))
        except Exception:  # noqa: BLE001 - a device that cannot say its name is still there
            names[device] = device
    return names


def memory_gib() -> float:
    try:
        import psutil

        return round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:  # noqa: BLE001
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)


def describe_machine(machine_id_override: str | None = None) -> dict:
    """The ``machine`` block of a results file (see perfguide/results_schema.json)."""
    import numpy as np
    import openvino as ov

    physical, logical = cores()
    return {
        "id": machine_id_override or machine_id(),
        "cpu_model": cpu_model(),
        "cores_physical": physical,
        "cores_logical": logical,
        "isa": isa_flags(),
        "memory_gib": memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "openvino": ov.get_version(),
        "numpy": np.__version__,
        "git_commit": git_commit(),
        "devices": device_names(),
        "date": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
    }


def check_same_cpu(path: Path, recorded: dict) -> None:
    """Refuse to add this machine's results to a file that another CPU wrote (``recorded`` is
    that file's machine block): two CPUs sold under one name share a default id, and their
    figures must not be mixed under it. A UsageError that says to pick another id."""
    from perfguide.errors import UsageError

    theirs, ours = list(recorded.get("isa") or []), isa_flags()
    if theirs != ours:
        raise UsageError(f"{path} was measured on another CPU ({recorded.get('cpu_model')}: "
                         f"{', '.join(theirs) or 'no ISA recorded'}); this one has "
                         f"{', '.join(ours) or 'none of the recorded ISA flags'}: pass --machine-id NEW-NAME")
