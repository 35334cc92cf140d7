#!/usr/bin/env python3
"""Build and run the C++ twins of the snippet modules (snippets/<section>/<page>.cpp).

  python scripts/cpp.py build [PAGE ...]            build all (or some) programs into .cache/cpp/
  python scripts/cpp.py run guide/introduction --device CPU --model yolov5n

``run`` builds the page's program if its source changed, turns a zoo name into the model's
file (or takes your own .xml/.onnx), and runs it; ``--json`` prints what it observed as JSON.
The programs link the OpenVINO of this Python environment, so both languages run one runtime.
"""

from __future__ import annotations

import json
import sys

from perfguide import cpp
from perfguide.errors import Parser, UsageError, run_cli


def _main(argv: list[str] | None) -> int:
    parser = Parser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the programs (only what changed)")
    b.add_argument("pages", nargs="*", help="section/page (default: every page with a C++ twin)")
    r = sub.add_parser("run", help="build one page's program if needed and run it")
    r.add_argument("page", help="section/page, e.g. guide/introduction")
    r.add_argument("--device", default="CPU", help="OpenVINO device (default: CPU)")
    r.add_argument("--model", help="zoo name or path to your own .xml/.onnx (default: the page's model)")
    r.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    if args.command == "build":
        for path in cpp.build(args.pages or None):
            print(path)
        return 0

    from perfguide import pages
    from perfguide.devices import check_device
    from perfguide.snippet import resolve_argument

    page = args.page.removesuffix(".cpp")
    if page not in cpp.cpp_pages():
        raise UsageError(f"no C++ twin for {page!r}; pages with one: {', '.join(cpp.cpp_pages())}")
    module = pages.load_snippet(page)
    device = check_device(args.device)
    resolve_argument(args.model or module.MODEL, getattr(module, "MODEL_KIND", "model"))  # bad: 1 line
    cpp.build([page])
    done = cpp.run_page(page, device, args.model)
    print(done["output"], end="")
    if args.json:
        print(json.dumps(done["observed"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(_main))
