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


def snippet_main(
    main: Callable[..., dict[str, Any]], *, default_model: str, doc: str | None = None
) -> None:
    """Parse ``--device``/``--model``/``--json`` and run ``main``; exit 2 on bad input."""

    def _cli(argv: list[str] | None) -> int:
        parser = Parser(description=doc or main.__doc__)
        parser.add_argument("--device", default="CPU", help="OpenVINO device (default: CPU)")
        parser.add_argument(
            "--model",
            default=default_model,
            help=f"zoo name or path to your own .xml/.onnx (default: {default_model})",
        )
        parser.add_argument("--json", action="store_true", help="print the results as JSON")
        args = parser.parse_args(argv)
        from perfguide.zoo import resolve_model

        result = main(device=check_device(args.device), model=str(resolve_model(args.model)))
        if args.json:
            print(json.dumps(result, indent=2, default=str))
        return 0

    sys.exit(run_cli(_cli))
