"""List, build and inspect the guide's model zoo (networks built in code, never downloaded)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import onnx

from perfguide import llm_zoo, zoo
from perfguide.errors import Parser, run_cli
from perfguide.flops import count_macs, count_params
from perfguide.inputs import random_inputs

EXAMPLES = """\
examples:
  python scripts/zoo.py list                    the zoo's models and their published size
  python scripts/zoo.py build                   build (or find in the cache) every model
  python scripts/zoo.py build yolov5n resnet50  just these
  python scripts/zoo.py info bert-base          counted vs published parameters and MACs
  python scripts/zoo.py info my_model.onnx      inputs, outputs and counts of your own model
  python scripts/zoo.py build-llm qwen2.5-0.5b  an LLM's GGUF file and its f16/int8/int4 folders
  python scripts/zoo.py llm-convert my.gguf out/  your GGUF file as an OpenVINO LLM folder

Models are cached in $PERFGUIDE_CACHE, else <repo>/.cache/zoo.
"""


def _millions(n: float) -> str:
    return f"{n / 1e6:.3f} M"


def _giga(n: float) -> str:
    return f"{n / 1e9:.3f} G"


def cmd_list(_args: argparse.Namespace) -> None:
    width = max(map(len, zoo.ZOO))
    pad = " " * (width + 2)
    for name, recipe in zoo.ZOO.items():
        print(f"{name:<{width}}  {recipe.description}")
        print(
            f"{pad}published: {_millions(recipe.published_params)} params, "
            f"{_giga(recipe.published_macs)} MACs"
        )
        print(f"{pad}MACs: {recipe.macs_note}")
    for name, llm in llm_zoo.LLM_ZOO.items():
        print(f"{name:<{width}}  {llm.description}")
        print(f"{pad}{_millions(llm.shape.params)} params counted"
              + (f" (published {_millions(llm.published_params)})" if llm.published_params else ""))


def cmd_build_llm(args: argparse.Namespace) -> None:
    names = args.names or list(llm_zoo.LLM_ZOO)
    for name in names:
        llm_zoo.get_recipe(name)  # an unknown name fails before anything is built
    for name in names:
        start = time.perf_counter()
        gguf = llm_zoo.gguf_path(name)
        print(f"{name}: {gguf} ({gguf.stat().st_size / 2**20:.0f} MiB)")
        for fmt in llm_zoo.FORMATS:
            folder = llm_zoo.model_dir(name, fmt)
            print(f"  {fmt}: {folder} ({llm_zoo.weight_bytes(folder) / 2**20:.0f} MiB of weights)")
        print(f"  ready in {time.perf_counter() - start:.1f} s")


def cmd_llm_convert(args: argparse.Namespace) -> None:
    from perfguide.errors import UsageError

    src = llm_zoo.resolve_llm(args.gguf)
    if not src.is_file():
        raise UsageError(f"{src} is a folder already; llm-convert takes a .gguf file")
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} is not empty; give a new or empty folder")
    out.mkdir(parents=True, exist_ok=True)
    llm_zoo.convert_gguf(src.resolve(), out)
    print(f"wrote {out}: an OpenVINO LLM folder (model, tokenizer, detokenizer, config.json)")


def cmd_build(args: argparse.Namespace) -> None:
    names = args.names or list(zoo.ZOO)
    for name in names:
        zoo.get_recipe(name)  # an unknown name fails before anything is built
    for name in names:
        cached = zoo.is_cached(name)
        start = time.perf_counter()
        path = zoo.model_path(name)
        seconds = time.perf_counter() - start
        d = zoo.describe(name)
        size = sum(f.stat().st_size for f in path.parent.iterdir()) / 2**20
        print(f"{name}: {path}")
        print(
            f"  params {_millions(d['params'])} (published {_millions(d['published_params'])},"
            f" ratio {d['params_ratio']:.3f})"
        )
        print(
            f"  MACs   {_giga(d['macs'])} (published {_giga(d['published_macs'])},"
            f" ratio {d['macs_ratio']:.3f})"
        )
        print(f"  {'cached' if cached else f'built in {seconds:.1f} s'}, {size:.1f} MiB on disk")


def cmd_info(args: argparse.Namespace) -> None:
    target = args.model
    if target in zoo.ZOO:
        for key, value in zoo.describe(target).items():
            shown = f"{value:,}" if isinstance(value, int) else value
            print(f"{key}: {f'{value:.4f}' if isinstance(value, float) else shown}")
        return
    model = zoo.read_model(target)  # checks the file as resolve_model does, reading it once
    path = Path(target).expanduser()
    print(f"path: {path}")
    for kind, ports in (("input", model.inputs), ("output", model.outputs)):
        for port in ports:
            dtype = port.get_element_type().get_type_name()
            print(f"{kind}: {port.get_any_name()} {port.get_partial_shape()} {dtype}")
    if path.suffix.lower() != ".onnx":
        print("params, MACs: counted for ONNX files only")
        return
    proto = onnx.load(path)
    print(f"params: {count_params(proto):,}")
    # Dynamic dims take the same values random inputs get: batch 1, others 128.
    shapes = {name: list(a.shape) for name, a in random_inputs(model).items()}
    try:
        print(f"MACs: {count_macs(proto, shapes):,} at {shapes}")
    except ValueError as exc:
        print(f"MACs: not counted ({exc})")


def main(argv: list[str] | None = None) -> int:
    parser = Parser(
        prog="python scripts/zoo.py",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", help="the zoo's models with their published size").set_defaults(
        run=cmd_list
    )
    build = sub.add_parser("build", help="build models into the cache (all by default)")
    build.add_argument("names", nargs="*", metavar="NAME", help=f"one of: {', '.join(zoo.ZOO)}")
    build.set_defaults(run=cmd_build)
    info = sub.add_parser("info", help="inputs, outputs, parameters and MACs of a model")
    info.add_argument("model", metavar="NAME_OR_PATH", help="a zoo name or a .xml/.onnx file")
    info.set_defaults(run=cmd_info)
    build_llm = sub.add_parser("build-llm", help="build zoo LLMs: GGUF file and f16/int8/int4 folders")
    build_llm.add_argument("names", nargs="*", metavar="NAME", help=f"one of: {', '.join(llm_zoo.LLM_ZOO)}")
    build_llm.set_defaults(run=cmd_build_llm)
    convert = sub.add_parser("llm-convert", help="convert a GGUF file to an OpenVINO LLM folder")
    convert.add_argument("gguf", metavar="FILE.gguf")
    convert.add_argument("out", metavar="FOLDER")
    convert.set_defaults(run=cmd_llm_convert)
    args = parser.parse_args(argv)
    args.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
