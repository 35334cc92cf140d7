"""What every snippet module shares: its command line and how a model name becomes a file.

A snippet module defines ``main(device, model)`` and ends with::

    if __name__ == "__main__":
        snippet_main(main, default_model="yolov5n")

so it runs as ``python snippets/guide/introduction.py --device CPU --model yolov5n`` (or a path
to the reader's own ``.xml``/``.onnx``), and pytest calls ``main`` directly with each device.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from perfguide.devices import check_device
from perfguide.errors import Parser, run_cli


def resolve_argument(name: str, kind: str = "model") -> str:
    """What a snippet's ``main`` gets for a ``--model`` argument: a model file's path (a zoo
    model built if needed), or, for an LLM page (kind "llm"), a zoo LLM's name or the path of
    a reader's GGUF file or OpenVINO LLM folder. Anything else is a one-line UsageError."""
    if kind == "llm":
        from perfguide import llm_zoo

        if name in llm_zoo.LLM_ZOO:
            llm_zoo.gguf_path(name)  # built now, not halfway through the page's examples
            return name
        return str(llm_zoo.resolve_llm(name))
    from perfguide.zoo import resolve_model

    return str(resolve_model(name))


def snippet_main(
    main: Callable[..., dict[str, Any]], *, default_model: str, doc: str | None = None,
    kind: str = "model",
) -> None:
    """Parse ``--device``/``--model``/``--json`` and run ``main``; exit 2 on bad input.
    ``kind="llm"``: the model is an LLM (see :func:`resolve_argument`)."""

    def _cli(argv: list[str] | None) -> int:
        parser = Parser(description=doc or main.__doc__)
        parser.add_argument("--device", default="CPU", help="OpenVINO device (default: CPU)")
        parser.add_argument(
            "--model",
            default=default_model,
            help=(f"zoo LLM, or your own .gguf file or OpenVINO LLM folder (default: {default_model})"
                  if kind == "llm" else
                  f"zoo name or path to your own .xml/.onnx (default: {default_model})"),
        )
        parser.add_argument("--json", action="store_true", help="print the results as JSON")
        args = parser.parse_args(argv)
        result = main(device=check_device(args.device), model=resolve_argument(args.model, kind))
        if args.json:
            print(json.dumps(result, indent=2, default=str))
        return 0

    sys.exit(run_cli(_cli))
