"""The timed loops: one request at a time, every request in flight, Poisson arrivals.

Every loop runs for at least ``seconds`` AND ``min_count`` inferences, after a warm-up, with
``time.perf_counter`` and the garbage collector paused (:func:`_timed`); inputs are written into
each request's tensors once, and ``full`` refills them with a fresh input before every start
(:func:`_refill`, which is then part of what is timed).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import openvino as ov

from perfguide.bench.stats import Run


def _fill(request, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Copy ``arrays`` into the request's input tensors; return views of those tensors."""
    views = []
    for index, array in enumerate(arrays):
        view = request.get_input_tensor(index).data
        np.copyto(view, array, casting="unsafe")
        views.append(view)
    return views


def _refill(views: list[np.ndarray], arrays: list[np.ndarray]) -> None:
    """Write a fresh input into a request's tensors (``full``: part of what is timed)."""
    for view, array in zip(views, arrays, strict=True):
        np.copyto(view, array, casting="unsafe")


def warm_seconds(seconds: float) -> float:
    """How long the warm-up before a timed loop of ``seconds`` lasts."""
    return min(1.0, 0.1 * seconds)


@contextmanager
def _timed() -> Iterator[None]:
    """The garbage collector paused for a timed loop: a collection would be timed as inference."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def run_single_stream(
    compiled: ov.CompiledModel, inputs: list[list[np.ndarray]], seconds: float, min_count: int,
    batch: int, full: bool = False, request=None,
) -> Run:  # fmt: skip
    """One request, synchronous, one inference at a time (inputs written once unless full)."""
    request = request or compiled.create_infer_request()
    views = _fill(request, inputs[0])
    perf = time.perf_counter
    # The pybind method itself: no per-call input dispatch, outputs shared (not copied).
    base_infer = super(ov.InferRequest, request).infer

    def infer() -> None:
        base_infer({}, True, False)

    warm_until = perf() + warm_seconds(seconds)
    infer()
    while perf() < warm_until:
        infer()
    latencies, runtime = [], []
    append, append_runtime = latencies.append, runtime.append
    n_inputs = len(inputs)
    with _timed():
        start = perf()
        deadline = start + seconds
        count = 0
        while True:
            t0 = perf()
            if full:
                _refill(views, inputs[count % n_inputs])
            base_infer({}, True, False)
            t1 = perf()
            append(t1 - t0)
            append_runtime(request.latency)  # ms, read after t1: not part of what is timed
            count += 1
            if t1 >= deadline and count >= min_count:
                break
        duration = perf() - start
    return Run(np.asarray(latencies), count, duration, count * batch, np.asarray(runtime) / 1000.0)


class Queue:
    """An AsyncInferQueue with no Python callback, as benchmark_app runs it.

    A Python callback would have to take the GIL on every completion before the request is free
    again, which costs measurable throughput on a small model. Each request's latency is read
    instead from the runtime's own request timer (``InferRequest.latency``) when the request
    comes back idle, and for the ones still in flight at the end.
    """

    def __init__(self, compiled: ov.CompiledModel, requests: int | None, inputs: list[list[np.ndarray]]):
        self.queue = ov.AsyncInferQueue(compiled, requests or 0)
        self.size = len(self.queue)
        self.requests = [self.queue[i] for i in range(self.size)]
        self.views = [_fill(self.requests[i], inputs[i % len(inputs)]) for i in range(self.size)]
        # The base class's start_async skips the wrapper's per-call input dispatch.
        self.start = super(ov.AsyncInferQueue, self.queue).start_async
        self.get_idle = self.queue.get_idle_request_id

    def warm(self, seconds: float) -> None:
        """Run every request at least once, then keep all busy for ``seconds``."""
        for slot in range(self.size):
            self.get_idle()
            self.start({}, slot)
        self.queue.wait_all()
        perf = time.perf_counter
        until = perf() + warm_seconds(seconds)
        get_idle, start = self.get_idle, self.start
        while perf() < until:
            start({}, get_idle())
        self.queue.wait_all()


def run_offline(
    q: Queue, inputs: list[list[np.ndarray]], seconds: float, min_count: int, batch: int, full: bool = False
) -> Run:
    """Keep every request of the queue busy for ``seconds``; throughput = frames / wall time."""
    q.warm(seconds)
    perf = time.perf_counter
    get_idle, start, requests, views, size = q.get_idle, q.start, q.requests, q.views, q.size
    latencies_ms: list[float] = []
    append = latencies_ms.append
    started = [False] * size
    n_inputs = len(inputs)
    with _timed():
        t_start = perf()
        deadline = t_start + seconds
        count = 0
        while True:
            slot = get_idle()
            if started[slot]:  # back from its last inference: its timer holds that latency
                append(requests[slot].latency)
            started[slot] = True
            if full:
                _refill(views[slot], inputs[count % n_inputs])
            start({}, slot)
            count += 1
            if count >= min_count and count % size == 0 and perf() >= deadline:
                break
        q.queue.wait_all()
        duration = perf() - t_start
    latencies_ms += [requests[slot].latency for slot in range(size) if started[slot]]
    return Run(np.asarray(latencies_ms) / 1000.0, count, duration, count * batch)


def run_server(
    q: Queue, inputs: list[list[np.ndarray]], seconds: float, min_count: int, batch: int, rate: float,
    seed: int = 0, full: bool = False,
) -> Run:  # fmt: skip
    """Poisson arrivals at ``rate``/s; latency counted from each query's scheduled arrival:
    the wait for a free request, plus the inference by the runtime's request timer."""
    q.warm(seconds)
    rng = np.random.default_rng(seed)
    perf, sleep = time.perf_counter, time.sleep
    get_idle, start, requests, views = q.get_idle, q.start, q.requests, q.views
    queued_s = [None] * q.size  # per request: how long its current query waited to start
    latencies_s: list[float] = []
    append = latencies_s.append
    n_inputs = len(inputs)
    chunk = min(100_000, max(64, int(rate * seconds * 1.5) + 16))
    t_start = perf()
    deadline = t_start + seconds
    arrivals = t_start + np.cumsum(rng.exponential(1.0 / rate, chunk))
    count = 0
    with _timed():
        while True:
            if count == len(arrivals):
                more = arrivals[-1] + np.cumsum(rng.exponential(1.0 / rate, chunk))
                arrivals = np.concatenate([arrivals, more])
            scheduled = float(arrivals[count])
            if scheduled >= deadline and count >= min_count:
                break
            wait = scheduled - perf()
            if wait > 0:
                sleep(wait)
            slot = get_idle()  # blocks while every request is busy: that is the queueing
            if queued_s[slot] is not None:
                append(queued_s[slot] + requests[slot].latency / 1000.0)
            if full:
                _refill(views[slot], inputs[count % n_inputs])
            now = perf()
            queued_s[slot] = now - scheduled
            start({}, slot)
            count += 1
            if now >= deadline and count >= min_count:  # far over capacity: stop on time
                break
        q.queue.wait_all()
        # The arrivals cover [t_start, deadline]: an idle end of the window is part of it.
        duration = max(perf() - t_start, seconds)
    latencies_s += [waited + requests[slot].latency / 1000.0
                    for slot, waited in enumerate(queued_s) if waited is not None]  # fmt: skip
    return Run(np.asarray(latencies_s), count, duration, count * batch)
