"""Checks on the GPU checklist, in Python and in C++.

On a machine with a GPU the examples run in both languages and their relations are checked. On one
without (this project's own), every GPU case is skipped with the reason — so the tests below that
need no GPU make sure both are still right: the module imports, every property it names exists in
the installed openvino package with the value types it is given, and every property it sets on the
GPU is one the GPU plugin of OpenVINO 2026.4 lists as writable; the C++ twin compiles against the
wheel's headers (the build), and every property it sets or reads, resolved through those headers
to its string key, passes the same checks. A typo fails here, not on a GPU machine.
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import openvino as ov
import pytest

from conftest import SNIPPETS, device_params, load_snippet, run_snippet, snippet_cases

PAGE = Path("guide/gpu.py")
DEVICES = device_params(load_snippet(PAGE))
CASES = snippet_cases(PAGE)
SOURCE = (SNIPPETS / PAGE).read_text(encoding="utf-8")
CPP_SOURCE = (SNIPPETS / PAGE.with_suffix(".cpp")).read_text(encoding="utf-8")

# The GPU plugin's SUPPORTED_PROPERTIES (name: mutability) as OpenVINO 2026.4.1 reports them,
# read from the plugin itself (it loads without a GPU once libOpenCL.so.1 is installed):
#   core.get_property("GPU", "SUPPORTED_PROPERTIES")
GPU_PROPERTIES_2026_4 = {
    "SUPPORTED_PROPERTIES": "RO", "AVAILABLE_DEVICES": "RO", "RANGE_FOR_ASYNC_INFER_REQUESTS": "RO",
    "RANGE_FOR_STREAMS": "RO", "OPTIMAL_BATCH_SIZE": "RO", "MAX_BATCH_SIZE": "RO",
    "DEVICE_ARCHITECTURE": "RO", "FULL_DEVICE_NAME": "RO", "DEVICE_UUID": "RO", "DEVICE_LUID": "RO",
    "DEVICE_TYPE": "RO", "DEVICE_GOPS": "RO", "OPTIMIZATION_CAPABILITIES": "RO", "DEVICE_PCI_INFO": "RO",
    "GPU_DEVICE_ID": "RO", "GPU_DEVICE_TOTAL_MEM_SIZE": "RO", "GPU_DEVICE_MAX_ALLOC_MEM_SIZE": "RO",
    "GPU_UARCH_VERSION": "RO", "GPU_CACHELINE_SIZE": "RO", "GPU_EXECUTION_UNITS_COUNT": "RO",
    "GPU_MEMORY_STATISTICS": "RO", "COMPATIBILITY_CHECK": "RO", "PERF_COUNT": "RW", "MODEL_PRIORITY": "RW",
    "GPU_HOST_TASK_PRIORITY": "RW", "GPU_QUEUE_PRIORITY": "RW", "GPU_QUEUE_THROTTLE": "RW",
    "GPU_ENABLE_SDPA_OPTIMIZATION": "RW", "GPU_ENABLE_LORA_OPERATION": "RW",
    "GPU_ENABLE_LARGE_ALLOCATIONS": "RW", "GPU_ENABLE_LOOP_UNROLLING": "RW",
    "GPU_DISABLE_WINOGRAD_CONVOLUTION": "RW", "CACHE_DIR": "RW", "CACHE_MODE": "RW",
    "PERFORMANCE_HINT": "RW", "EXECUTION_MODE_HINT": "RW", "COMPILATION_NUM_THREADS": "RW",
    "NUM_STREAMS": "RW", "PERFORMANCE_HINT_NUM_REQUESTS": "RW", "INFERENCE_PRECISION_HINT": "RW",
    "ENABLE_CPU_PINNING": "RW", "ENABLE_CPU_RESERVATION": "RW", "DEVICE_ID": "RW",
    "DYNAMIC_QUANTIZATION_GROUP_SIZE": "RW", "ACTIVATIONS_SCALE_FACTOR": "RW", "WEIGHTS_PATH": "RW",
    "CACHE_ENCRYPTION_CALLBACKS": "WO", "KV_CACHE_PRECISION": "RW", "MODEL_PTR": "WO",
    "OFFLOAD_RATIO": "RW", "CONFIG_FILE": "RW",
}  # fmt: skip
# Read from a compiled model rather than the device.
COMPILED_MODEL_ONLY = {"OPTIMAL_NUMBER_OF_INFER_REQUESTS"}


def _module_aliases(tree: ast.Module) -> dict[str, object]:
    """Names the module binds to openvino modules (``import openvino.properties as props``)."""
    import importlib

    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "openvino":
                    aliases[alias.asname or alias.name] = importlib.import_module(alias.name)
    return aliases


def _chain(node: ast.AST) -> list[str] | None:
    """``a.b.c`` as ["a", "b", "c"]; None for anything that is not a plain attribute chain."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


def openvino_references(source: str) -> list[tuple[str, object | None]]:
    """Every outermost ``alias.x.y`` attribute chain rooted at an openvino module alias, with
    what it resolves to in the installed package (None where it does not resolve)."""
    tree = ast.parse(source)
    aliases = _module_aliases(tree)
    inner = set()
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or id(node) in inner:
            continue
        chain = _chain(node)
        if not chain or chain[0] not in aliases:
            continue
        child = node.value
        while isinstance(child, ast.Attribute):  # the sub-chains are not references of their own
            inner.add(id(child))
            child = child.value
        target = aliases[chain[0]]
        for part in chain[1:]:
            target = getattr(target, part, None)
            if target is None:
                break
        found.append((".".join(chain), target))
    return found


def property_dicts(source: str) -> list[tuple[ast.Dict, bool]]:
    """Dict literals of the module whose keys are all attribute chains (property configurations),
    each with whether it configures the CPU (passed to ``compile_model(..., "CPU", {...})``)."""
    tree = ast.parse(source)
    for_cpu = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "compile_model" and len(node.args) >= 3
                and isinstance(node.args[1], ast.Constant) and node.args[1].value == "CPU"):
            for_cpu.add(id(node.args[2]))
    return [(node, id(node) in for_cpu) for node in ast.walk(tree)
            if isinstance(node, ast.Dict) and node.keys
            and all(k is not None and _chain(k) for k in node.keys)]


def _resolve(node: ast.AST, namespace: dict) -> object:
    chain = _chain(node)
    target = namespace[chain[0]]
    for part in chain[1:]:
        target = getattr(target, part)
    return target


def test_gpu_module_compiles_and_names_real_properties() -> None:
    module = load_snippet(PAGE)  # imports: the module is at least valid Python with real imports
    assert callable(module.main) and module.DEVICES == ("GPU",)
    references = openvino_references(SOURCE)
    assert len(references) > 20, "the AST walk found too few openvino references to be working"
    missing = sorted(name for name, target in references if target is None)
    assert not missing, f"guide/gpu.py names what openvino {ov.get_version()} does not have: {missing}"
    # Lower-case leaves are properties: callable names that give the property's string key.
    from openvino.properties._properties import Property

    for name, target in references:
        leaf = name.rsplit(".", 1)[-1]
        if leaf.islower() and not name.startswith("ov."):
            assert isinstance(target, Property), f"{name} is not an OpenVINO property"


def test_the_reference_check_catches_a_typo() -> None:
    """The check above must be able to fail."""
    source = SOURCE.replace("gpu_hints.queue_throttle", "gpu_hints.queue_throtle", 1)
    assert any(target is None for _, target in openvino_references(source))


def test_every_property_the_page_sets_is_a_writable_gpu_property() -> None:
    module = load_snippet(PAGE)
    namespace = vars(module)
    dicts = property_dicts(SOURCE)
    gpu_dicts = [node for node, for_cpu in dicts if not for_cpu]
    assert len(gpu_dicts) >= 6, "expected the page's GPU configurations"
    for node in gpu_dicts:
        for key in node.keys:
            name = str(_resolve(key, namespace))
            assert GPU_PROPERTIES_2026_4.get(name) == "RW", f"{name} is not a writable GPU property"
    # Values of the right type: a property called with a value checks it (a string for an
    # enum, say, raises TypeError). Values that are variables of main() are left out.
    for node, _ in dicts:
        for key, value in zip(node.keys, node.values, strict=True):
            chain = _chain(value)
            if chain and chain[0] in namespace:
                _resolve(key, namespace)(_resolve(value, namespace))


def test_the_names_read_back_exist_on_the_gpu_or_its_compiled_models() -> None:
    module = load_snippet(PAGE)
    namespace = vars(module)
    tree = ast.parse(SOURCE)
    read = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "get_property" and node.args and _chain(node.args[-1]):
            read.add(str(_resolve(node.args[-1], namespace)))
    assert read, "expected get_property calls"
    unknown = read - set(GPU_PROPERTIES_2026_4) - COMPILED_MODEL_ONLY
    assert not unknown, f"read back but not GPU properties: {sorted(unknown)}"


def test_the_snapshot_matches_the_gpu_plugin_when_it_loads() -> None:
    """Where the GPU plugin can be loaded (libOpenCL.so.1 present, with or without a GPU), the
    snapshot above must still be what it reports: a newer OpenVINO that drops a property fails."""
    try:
        live = ov.Core().get_property("GPU", "SUPPORTED_PROPERTIES")
    except RuntimeError as error:
        pytest.skip(f"the GPU plugin does not load here: {str(error).strip().splitlines()[-1][:120]}")
    live = {str(name): str(mutability) for name, mutability in live.items()}
    used = {str(_resolve(k, vars(load_snippet(PAGE))))
            for node, for_cpu in property_dicts(SOURCE) if not for_cpu for k in node.keys}
    assert all(live.get(name) == "RW" for name in used), {name: live.get(name) for name in used}


def test_without_a_gpu_main_runs_nothing_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    if any(d.startswith("GPU") for d in ov.Core().available_devices):
        pytest.skip("this machine has a GPU: the GPU cases run instead")
    result = load_snippet(PAGE).main(device="CPU", model="unused.xml")
    assert result == {"device": "CPU", "gpus": [], "ran": False}
    assert "nothing was run" in capsys.readouterr().out


def _type_name(value: str) -> str:
    """An element type's short name ("f16") from either language's text of it: C++ gives the
    name, Python's str() of an ov.Type gives "<Type: 'float16'>"."""
    python_text = {str(t): t.get_type_name() for t in (ov.Type.f16, ov.Type.bf16, ov.Type.f32)}
    return python_text.get(value, value)


@pytest.mark.parametrize(("device", "language"), CASES)
def test_gpu_defaults_to_f16_and_stays_close_to_f32(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["ran"]
    assert _type_name(r["default_precision"]) == "f16"
    assert r["f16_vs_f32_max_abs"] <= 0.05 * max(1.0, r["output_scale"])


@pytest.mark.parametrize(("device", "language"), CASES)
def test_gpu_cache_and_settings_read_back(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["compile_cached_s"] < r["compile_cold_s"], "loading from the cache should beat compiling"
    assert r["throughput_requests"] >= r["throughput_streams"] >= 1
    assert "HIGH" in r["urgent_queue_priority"] and "LOW" in r["background_queue_priority"]
    for key in ("throughput_fps", "batch_fps", "single_fps", "cpu_and_gpu_fps",
                "throttle_low_cpu_ms", "throttle_high_cpu_ms"):
        assert r[key] >= 0 and math.isfinite(r[key]), key


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """One runtime under both languages: the same GPUs found, the same precision, streams and
    requests chosen, the same priorities read back, and outputs on the same scale."""
    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    for key in ("gpus", "ran", "throughput_streams", "throughput_requests"):
        assert py[key] == cc[key], key
    assert _type_name(py["default_precision"]) == _type_name(cc["default_precision"])
    for key in ("urgent_queue_priority", "background_queue_priority"):
        assert py[key].split(".")[-1] == cc[key], key  # "Priority.HIGH" in Python, "HIGH" in C++
    assert cc["output_scale"] == pytest.approx(py["output_scale"], rel=0.5)


def test_without_a_gpu_the_cpp_program_runs_nothing_and_says_so(tmp_path: Path) -> None:
    """The C++ twin's refusal is the module's: with another device it lists the GPUs (none here)
    and returns what the Python main returns, without reading the model."""
    if any(d.startswith("GPU") for d in ov.Core().available_devices):
        pytest.skip("this machine has a GPU: the GPU cases run instead")
    from perfguide import cpp

    cpp.build(["guide/gpu"])
    unused = tmp_path / "unused.xml"
    unused.write_text("")  # must exist; never read
    done = cpp.run("guide/gpu", "CPU", str(unused))
    assert done["observed"] == load_snippet(PAGE).main(device="CPU", model="unused.xml")
    assert "nothing was run" in done["output"]


# The C++ twin, checked without a GPU: every property it names is resolved through the headers it
# is compiled against (openvino/runtime/properties.hpp and intel_gpu/properties.hpp) to its key.
HEADERS = [Path(ov.__file__).parent / "include" / "openvino" / "runtime" / name
           for name in ("properties.hpp", "intel_gpu/properties.hpp")]
HEADER_TOKEN = re.compile(r'namespace (?P<open>\w+) \{|\}\s*// namespace (?P<close>\w+)'
                          r'|static constexpr [^;{]*?\b(?P<name>\w+)\s*\{\s*"(?P<key>\w+)"\s*\}', re.S)
CPP_CALL = re.compile(r"\b(?P<name>(?:ov|\w+_hint)::(?:\w+::)*[a-z_0-9]+)\(")
CPP_READ = re.compile(r"get_property\((?:\w+, )?(?P<name>(?:ov|\w+_hint)::[\w:]+?)(?:\.name\(\))?\)")


def header_property_keys() -> dict[str, str]:
    """{qualified C++ name: string key} of every property constant the two headers declare,
    e.g. "ov::intel_gpu::hint::queue_throttle": "GPU_QUEUE_THROTTLE"."""
    keys = {}
    for header in HEADERS:
        stack: list[str] = []
        for m in HEADER_TOKEN.finditer(header.read_text(encoding="utf-8")):
            if m["open"]:
                stack.append(m["open"])
            elif m["close"]:
                assert stack and stack[-1] == m["close"], f"{header}: unbalanced namespace {m['close']}"
                stack.pop()
            else:
                keys["::".join([*stack, m["name"]])] = m["key"]
    return keys


def cpp_properties(source: str) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
    """(set on the GPU, read back): each (qualified C++ name, its key or None where the headers
    declare no such property). Namespace aliases (``namespace gpu_hint = ov::...``) are followed;
    a statement that compiles for "CPU" is left out of what is set on the GPU."""
    keys = header_property_keys()
    aliases = dict(re.findall(r"namespace (\w+) = ([\w:]+);", source))

    def qualified(name: str) -> str:
        head, _, rest = name.partition("::")
        return f"{aliases[head]}::{rest}" if head in aliases else name

    set_on_gpu, read = [], []
    for statement in source.split(";"):
        for m in CPP_CALL.finditer(statement):
            name = qualified(m["name"])
            if '"CPU"' not in statement:
                set_on_gpu.append((name, keys.get(name)))
        read += [(qualified(m["name"]), keys.get(qualified(m["name"]))) for m in CPP_READ.finditer(statement)]
    return set_on_gpu, read


def test_cpp_twin_sets_only_writable_gpu_properties_and_reads_real_ones() -> None:
    set_on_gpu, read = cpp_properties(CPP_SOURCE)
    assert len(header_property_keys()) > 50, "the header scan found too few properties to be working"
    assert len(set_on_gpu) >= 8 and len(read) >= 6, "expected the page's GPU configurations and reads"
    unknown = sorted(name for name, key in set_on_gpu + read if key is None)
    assert not unknown, f"guide/gpu.cpp calls what the OpenVINO headers declare no property for: {unknown}"
    for name, key in set_on_gpu:
        assert GPU_PROPERTIES_2026_4.get(key) == "RW", f"{name} ({key}) is not a writable GPU property"
    unreadable = {key for _, key in read} - set(GPU_PROPERTIES_2026_4) - COMPILED_MODEL_ONLY
    assert not unreadable, f"read back but not GPU properties: {sorted(unreadable)}"


def test_the_cpp_property_check_can_fail() -> None:
    """A misspelt property, and a real one the GPU does not take, are both caught."""
    set_on_gpu, _ = cpp_properties(CPP_SOURCE.replace("queue_throttle(", "queue_throtle(", 1))
    assert any(key is None for _, key in set_on_gpu)
    not_for_gpu = "ov::hint::enable_hyper_threading(true)"  # a CPU property
    set_on_gpu, _ = cpp_properties(CPP_SOURCE.replace("ov::num_streams(1)", not_for_gpu))
    assert any(GPU_PROPERTIES_2026_4.get(key) != "RW" for _, key in set_on_gpu)
