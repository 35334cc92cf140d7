"""The C++ twins of the snippet modules: found, built with CMake against the Python
environment's OpenVINO, and run the way the tests and a reader run them.

``snippets/<section>/<page>.cpp`` sits beside ``<page>.py`` and cuts the same section names. The
programs are built by ``snippets/CMakeLists.txt`` against the ``openvino`` wheel's own CMake
package (``<openvino package>/cmake``), with nlohmann/json from its Python package, into
``.cache/cpp/`` (``$PERFGUIDE_CPP_BUILD`` to move it); CMake rebuilds only what changed.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

from perfguide import REPO_ROOT
from perfguide.errors import UsageError

SNIPPETS = REPO_ROOT / "snippets"
BUILD_TIMEOUT_S = 1800  # every program from nothing on a 2-core machine takes about 5 minutes


def build_dir() -> Path:
    env = os.environ.get("PERFGUIDE_CPP_BUILD")
    return Path(env).expanduser() if env else REPO_ROOT / ".cache" / "cpp"


def cpp_pages() -> list[str]:
    """Every page with a C++ twin, as ``section/page``."""
    return sorted(str(p.relative_to(SNIPPETS).with_suffix("")) for p in SNIPPETS.glob("*/*.cpp"))


# The harness's own programs (perfguide/bench/*.cpp), built by the same CMake project.
HARNESS_PROGRAMS = ("bench/single_stream",)


def programs() -> list[str]:
    """Every program the CMake project builds: the pages' twins and the harness's own."""
    return [*cpp_pages(), *HARNESS_PROGRAMS]


def source(page: str) -> Path:
    return SNIPPETS / f"{page}.cpp"


def program(name: str) -> Path:
    """Where a built program lies (``<build>/<section>/<page>``, ``<build>/bench/<name>``)."""
    return build_dir() / name


def openvino_cmake_dir() -> Path:
    """The OpenVINO CMake package the wheel ships beside its libraries."""
    import openvino

    found = Path(openvino.__file__).parent / "cmake"
    if not (found / "OpenVINOConfig.cmake").is_file():
        raise UsageError(f"this openvino package has no CMake package at {found}")
    return found


def json_include_dir() -> Path:
    try:
        import nlohmann_json
    except ImportError:
        raise UsageError("nlohmann/json is not installed: run scripts/install.sh test") from None
    return Path(nlohmann_json.__file__).parent / "include"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise UsageError(f"{name} is not installed: the C++ programs need CMake and a C++17 compiler")
    return found


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-40:])
        raise UsageError(f"{what} failed:\n{tail}")


def build(pages: list[str] | None = None, jobs: int | None = None) -> list[Path]:
    """Configure (once) and build the programs named (pages, or the harness's own; all when
    None); return their paths. An unchanged source is not rebuilt."""
    unknown = sorted(set(pages or []) - set(programs()))
    if unknown:
        raise UsageError(f"no C++ twin for {', '.join(unknown)}; pages with one: {', '.join(cpp_pages())}")
    cmake = _tool("cmake")
    out = build_dir()
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "build.lock", "w") as lock:  # two builds at once (two test runs) take turns
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_locked(cmake, out, pages, jobs)


def _build_locked(cmake: str, out: Path, pages: list[str] | None, jobs: int | None) -> list[Path]:
    cache = out / "CMakeCache.txt"
    wanted = {"OpenVINO_DIR": str(openvino_cmake_dir()), "NLOHMANN_JSON_INCLUDE": str(json_include_dir())}
    stale = not cache.is_file() or (SNIPPETS / "CMakeLists.txt").stat().st_mtime > cache.stat().st_mtime
    if stale or any(not _cache_line(cache, key).endswith(f"={value}") for key, value in wanted.items()):
        _run([cmake, "-S", str(SNIPPETS), "-B", str(out), "-DCMAKE_BUILD_TYPE=Release",
              *(f"-D{key}={value}" for key, value in wanted.items())], "configuring the C++ programs")
    targets = [p.replace("/", "_") for p in (pages or programs())]
    command = [cmake, "--build", str(out), "--parallel", str(jobs or os.cpu_count() or 1)]
    for target in targets:
        command += ["--target", target]
    _run(command, "building the C++ programs")
    return [program(p) for p in (pages or programs())]


def _cache_line(cache: Path, key: str) -> str:
    if not cache.is_file():
        return ""
    for line in cache.read_text(errors="replace").splitlines():
        if line.startswith(f"{key}:"):
            return line
    return ""


def tokenizers_library() -> Path:
    """The openvino_tokenizers extension (the tokenizer models' operations), from its wheel."""
    import openvino_tokenizers

    found = sorted((Path(openvino_tokenizers.__file__).parent / "lib").glob("libopenvino_tokenizers.*"))
    if not found:
        raise UsageError("the openvino-tokenizers package has no libopenvino_tokenizers library")
    return found[0]


def llm_folders(model: str, work: Path) -> Path:
    """What an LLM page's C++ program is given: the f16 OpenVINO folder of a zoo LLM (built if
    needed) with its int8 and int4 siblings, or the same three folders made under ``work`` from a
    reader's GGUF file or folder (by the Python module's own ``variants``, NNCF being Python's)."""
    from perfguide import pages

    folders = {fmt: Path(path) for fmt, path in pages.load_snippet("guide/llm").variants(model, work).items()}
    if folders["f16"].parent == folders["int8"].parent:  # a zoo LLM, or a GGUF file converted
        return folders["f16"]
    (work / "f16").symlink_to(folders["f16"].resolve(), target_is_directory=True)  # a reader's folder
    return work / "f16"


def run_page(page: str, device: str, model: str | None = None, timeout: float = 1800) -> dict:
    """Run a page's C++ program as its Python module would be run: on the module's model (or
    ``model``: a zoo name or the reader's file), resolved the way the Python side resolves it."""
    import tempfile

    from perfguide import pages
    from perfguide.snippet import resolve_argument

    module = pages.load_snippet(page)
    kind = getattr(module, "MODEL_KIND", "model")
    name = model or module.MODEL
    with tempfile.TemporaryDirectory(prefix="perfguide-cpp-") as work:
        if kind == "llm":
            path = str(llm_folders(str(resolve_argument(name, kind)), Path(work)))
            env = {"OPENVINO_TOKENIZERS_LIB": str(tokenizers_library())}
        else:
            path, env = resolve_argument(name, kind), {}
        return run(page, device, path, timeout=timeout, env=env)


def run(page: str, device: str, model: str, timeout: float = 1800, env: dict | None = None) -> dict:
    """Run a page's built program on ``device`` with a model file: {"observed": the JSON it
    printed last, "output": the lines before}. Its refusal (exit 2) is a one-line UsageError."""
    binary = program(page)
    if not binary.is_file():
        raise UsageError(f"{binary} is not built: run python scripts/cpp.py build {page}")
    done = subprocess.run([str(binary), "--device", device, "--model", model, "--json"],
                          capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    if done.returncode == 2:
        raise UsageError(done.stderr.strip().splitlines()[-1].removeprefix("error: ")
                         if done.stderr.strip() else f"{page}.cpp exited with 2")
    if done.returncode != 0:
        raise RuntimeError(f"{binary} exited with {done.returncode}:\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    lines = done.stdout.rstrip("\n").splitlines()
    if not lines:
        raise RuntimeError(f"{binary} printed nothing")
    return {"observed": json.loads(lines[-1]), "output": "\n".join(lines[:-1]) + "\n"}
