"""``python -m perfguide.bench``: the child processes of perfguide.bench.isolation.

``call PAYLOAD`` runs one of isolation.ISOLATED and prints its result as JSON;
``first-inference-child`` times read + compile + first inference once, in this fresh process.
"""

from __future__ import annotations

import importlib
import json
import sys

from perfguide.bench.config import BenchConfig
from perfguide.bench.isolation import ISOLATED
from perfguide.bench.scenarios import first_inference_child
from perfguide.errors import Parser, run_cli


def _resolve(func: str):
    module, _, name = ISOLATED[func].partition(":")
    return getattr(importlib.import_module(f"perfguide.bench.{module}"), name)


def child_main(argv: list[str] | None = None) -> int:
    """``python -m perfguide.bench call PAYLOAD`` and ``... first-inference-child ...``."""
    parser = Parser(prog="python -m perfguide.bench")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    child = sub.add_parser("first-inference-child", help="time read + compile + first inference once")
    child.add_argument("--model", required=True)
    child.add_argument("--device", required=True)
    child.add_argument("--config", default="{}", help="BenchConfig fields as JSON")
    child.add_argument("--cache-dir")
    call = sub.add_parser("call", help="run one measuring function (see in_fresh_process)")
    call.add_argument("payload", help='JSON: {"func": ..., "args": [...], "kwargs": {...}, "config": {...}}')
    args = parser.parse_args(argv)
    if args.command == "call":
        payload = json.loads(args.payload)
        kwargs = payload.get("kwargs") or {}
        if payload.get("config") is not None:
            kwargs["config"] = BenchConfig(**payload["config"])
        result = _resolve(payload["func"])(*payload.get("args", []), **kwargs)
        print(json.dumps(result, allow_nan=False))
        return 0
    config = BenchConfig(**json.loads(args.config))
    print(json.dumps(first_inference_child(args.model, args.device, config, args.cache_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(child_main))
