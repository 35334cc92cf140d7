"""Which OpenVINO devices exist here, and which ones a snippet or benchmark can be run on.

Real devices come from ``ov.Core().available_devices``. Virtual devices (AUTO, HETERO, MULTI,
BATCH) are built on top of the real ones. GPU and NPU are always *considered*, so that a page
written for them is skipped with a reason on a machine that lacks them, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import openvino as ov

from perfguide.errors import UsageError

# Real device families the guide writes code for, whether or not this machine has them.
CONSIDERED_REAL = ("CPU", "GPU", "NPU")
VIRTUAL = ("AUTO", "HETERO", "MULTI", "BATCH")


@dataclass(frozen=True)
class DeviceCase:
    """A device string to run on, and why it cannot run here (None when it can)."""

    name: str
    missing: str | None = None


@cache
def available_devices() -> tuple[str, ...]:
    """Real devices OpenVINO sees on this machine, e.g. ('CPU',) or ('CPU', 'GPU.0', 'GPU.1')."""
    return tuple(ov.Core().available_devices)


def family(device: str) -> str:
    """The device family: "GPU" for "GPU.1", "HETERO" for "HETERO:GPU,CPU"."""
    return device.split(".")[0].split(":")[0]


def device_cases() -> list[DeviceCase]:
    """Every device a snippet may be run on, with a skip reason for the absent ones."""
    real = available_devices()
    present = {family(d) for d in real}
    cases = []
    for fam in CONSIDERED_REAL:
        if fam in present:
            cases.extend(DeviceCase(d) for d in real if family(d) == fam)
        else:
            cases.append(DeviceCase(fam, f"no {fam} on this machine (available: {', '.join(real)})"))
    for extra in sorted(present - set(CONSIDERED_REAL)):
        cases.extend(DeviceCase(d) for d in real if family(d) == extra)
    # Virtual devices over everything real: "HETERO:GPU,CPU" where a GPU exists, else "HETERO:CPU".
    priority = ",".join(sorted(real, key=lambda d: ("CPU" in d, d)))
    cases += [
        DeviceCase("AUTO"),
        DeviceCase(f"HETERO:{priority}"),
        DeviceCase(f"MULTI:{priority}"),
        DeviceCase(f"BATCH:{real[0] if real else 'CPU'}"),
    ]
    return cases


def check_device(device: str) -> str:
    """Return ``device`` if OpenVINO can use it here, else raise a UsageError that lists choices."""
    real = available_devices()
    fam = family(device)
    if fam in VIRTUAL:
        inner = device.split(":", 1)[1] if ":" in device else ""
        for part in filter(None, inner.split(",")):
            check_device(part.split("(")[0])
        return device
    if device in real or (fam in {family(d) for d in real} and device == fam):
        return device
    choices = ", ".join(list(real) + list(VIRTUAL))
    raise UsageError(f"unknown or absent device {device!r}; available here: {choices}")
