"""What to measure and how: the settings of one measurement, validated once, and what they mean
to OpenVINO (compile properties).

Every setting is a field of :class:`BenchConfig`; its roles (part of a record's ``config`` and
id, or of how the model is compiled) are declared on the field, and the lists the rest of the
package needs are derived from them (:data:`RECORD_FIELDS`, :data:`COMPILE_FIELDS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from perfguide.errors import UsageError

SCENARIOS = ("single-stream", "offline", "server", "first-inference", "llm")
HINTS = ("latency", "throughput", "cumulative_throughput", "none")
PRECISIONS = ("f32", "bf16", "f16")
# The hint a scenario gets when none is asked for: the one each scenario is about.
DEFAULT_HINT = {
    "single-stream": "latency",
    "offline": "throughput",
    "server": "throughput",
    "first-inference": "latency",
    "llm": "latency",
}
DEFAULT_SECONDS = 10.0
DEFAULT_REPEATS = 3
DEFAULT_MIN_COUNT = 10
_PERF_MODE = {
    "latency": "LATENCY",
    "throughput": "THROUGHPUT",
    "cumulative_throughput": "CUMULATIVE_THROUGHPUT",
}


def _setting(default: Any = None, *, record: bool = True, compile: bool = False) -> Any:
    """A BenchConfig field: ``record`` if it is part of a record's config (and id), ``compile``
    if it shapes the compiled model (and so travels to a first-inference child process)."""
    return field(default=default, metadata={"record": record, "compile": compile})


@dataclass(frozen=True)
class BenchConfig:
    """What to compile and how to drive it. ``None`` leaves a setting to the device / hint."""

    hint: str | None = _setting(compile=True)  # None: the scenario's own (DEFAULT_HINT)
    streams: int | None = _setting(compile=True)
    requests: int | None = _setting(compile=True)
    batch: int = _setting(1, compile=True)
    precision: str | None = _setting(compile=True)  # None: the device's default precision
    threads: int | None = _setting(compile=True)
    full: bool = _setting(False)  # copy a fresh input before every start
    rate: float | None = _setting()  # server: queries per second
    p99_bound_ms: float | None = _setting()  # server --max-rate: the p99 to stay under
    seq_len: int | None = _setting(compile=True)  # dynamic non-batch dims (128 when None)
    max_rate: bool = _setting(False, record=False)  # server: search the highest rate
    cache_dir: str | None = _setting(record=False)

    def resolved(self, scenario: str) -> BenchConfig:
        """A copy with the scenario's default hint filled in, checked for ``scenario``."""
        config = replace(self, hint=self.hint or DEFAULT_HINT.get(scenario))
        check_config(scenario, config)
        return config

    def record_config(self) -> dict:
        """The ``config`` block of a record (the settings that change what is measured)."""
        return {name: getattr(self, name) for name in RECORD_FIELDS}

    def compile_config(self) -> dict:
        """The settings that shape the compiled model, as plain values."""
        return {name: getattr(self, name) for name in COMPILE_FIELDS}


RECORD_FIELDS = tuple(f.name for f in fields(BenchConfig) if f.metadata["record"])
COMPILE_FIELDS = tuple(f.name for f in fields(BenchConfig) if f.metadata["compile"])


@dataclass(frozen=True)
class Timing:
    """How long each timed repeat lasts and how often it is repeated; checked when made."""

    seconds: float = DEFAULT_SECONDS
    repeats: int = DEFAULT_REPEATS
    min_count: int = DEFAULT_MIN_COUNT

    def __post_init__(self) -> None:
        if not (isinstance(self.seconds, int | float) and math.isfinite(self.seconds) and self.seconds > 0):
            raise UsageError(f"--seconds must be a positive number, not {self.seconds:g}")
        if self.repeats < 1:
            raise UsageError(f"--repeats must be at least 1, not {self.repeats}")
        if self.min_count < 1:
            raise UsageError(f"--min-count must be at least 1, not {self.min_count}")


def check_config(scenario: str, config: BenchConfig) -> None:
    """Raise UsageError for anything out of range or inconsistent, before any work is done."""
    if scenario not in SCENARIOS:
        raise UsageError(f"unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIOS)}")
    if config.hint is not None and config.hint not in HINTS:
        raise UsageError(f"unknown hint {config.hint!r}; choose one of: {', '.join(HINTS)}")
    if config.precision is not None and config.precision not in PRECISIONS:
        raise UsageError(f"unknown precision {config.precision!r}; choose one of: {', '.join(PRECISIONS)}")
    for name in ("streams", "requests", "batch", "threads", "seq_len"):
        value = getattr(config, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1, not {value}")
    if config.rate is not None and not (math.isfinite(config.rate) and config.rate > 0):
        raise UsageError(f"--rate must be a positive number of queries per second, not {config.rate}")
    bound = config.p99_bound_ms
    if bound is not None and not (math.isfinite(bound) and bound > 0):
        raise UsageError(f"--p99-ms must be a positive number of milliseconds, not {config.p99_bound_ms}")
    if scenario == "server":
        if config.rate is None and not config.max_rate:
            raise UsageError("the server scenario needs --rate QPS or --max-rate --p99-ms BOUND")
        if config.rate is not None and config.max_rate:
            raise UsageError("give either --rate or --max-rate, not both")
        if config.max_rate and config.p99_bound_ms is None:
            raise UsageError("--max-rate needs --p99-ms BOUND (the p99 latency to stay under)")
    else:
        if config.rate is not None or config.max_rate or config.p99_bound_ms is not None:
            raise UsageError(f"--rate, --max-rate and --p99-ms apply to --scenario server, not {scenario}")
    if scenario == "first-inference" and config.full:
        raise UsageError("--full applies to single-stream, offline and server, not first-inference")


def compile_properties(config: BenchConfig) -> dict[str, Any]:
    """OpenVINO properties for ``config`` (hint already resolved)."""
    import openvino as ov

    props: dict[str, Any] = {}
    if config.hint and config.hint != "none":
        props["PERFORMANCE_HINT"] = _PERF_MODE[config.hint]
        if config.requests is not None:  # as benchmark_app -nireq does: size the hint for them
            props["PERFORMANCE_HINT_NUM_REQUESTS"] = config.requests
    if config.streams is not None:
        props["NUM_STREAMS"] = config.streams
    if config.threads is not None:
        props["INFERENCE_NUM_THREADS"] = config.threads
    if config.precision is not None:
        props["INFERENCE_PRECISION_HINT"] = getattr(ov.Type, config.precision)
    if config.cache_dir is not None:
        props["CACHE_DIR"] = str(config.cache_dir)
    return props
