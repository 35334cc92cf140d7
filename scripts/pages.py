#!/usr/bin/env python3
"""Regenerate the page results: run every page's snippet module and store what it observed.

Examples:
  python scripts/pages.py regenerate                      # every page, each on its own device
  python scripts/pages.py regenerate guide/introduction   # one page
  python scripts/pages.py regenerate guide/latency --device GPU
  python scripts/pages.py list
  python scripts/pages.py migrate                         # add code hashes to older results files
  python scripts/pages.py check                           # is this machine's output from today's code?
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perfguide import pages  # noqa: E402
from perfguide.devices import check_device  # noqa: E402
from perfguide.environment import check_same_cpu, describe_machine  # noqa: E402
from perfguide.errors import UsageError, run_cli  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the pages that have a snippet module, with the device each runs on")
    sub.add_parser("check", help="fail if this machine's stored page results came from another version of "
                   "their snippets (other machines' are listed: the site shows them marked)")
    mig = sub.add_parser("migrate", help="give older page results the code hash of the snippet they "
                         "were measured with (figures untouched)")
    mig.add_argument("files", nargs="*", type=Path, help="page results files (default: results/pages/*.json)")
    regen = sub.add_parser("regenerate", help="run pages' snippets, store their results")
    regen.add_argument("pages", nargs="*", help="section/page names (default: all)")
    regen.add_argument("--device", help="device to run on (default: the first device of those the page is "
                       "written for that is here: CPU for most, HETERO:CPU for the heterogeneous page)")
    regen.add_argument("--machine-id", help="name of this machine's results file")
    args = parser.parse_args(argv)

    if args.command == "list":
        for page in pages.snippet_pages():
            device, why = pages.default_device(page)
            print(f"{page}  {device or '(skipped: ' + why + ')'}")
        return 0
    if args.command == "check":
        return check()
    if args.command == "migrate":
        return migrate(args.files or sorted(pages.pages_dir().glob("*.json")))
    if args.device:
        check_device(args.device)
    unknown = sorted(set(args.pages) - set(pages.snippet_pages()))
    if unknown:
        raise UsageError(f"unknown page(s) {', '.join(unknown)}; pages: {', '.join(pages.snippet_pages())}")
    machine = describe_machine(args.machine_id)
    path = pages.pages_dir() / f"{machine['id']}.json"
    if path.exists():
        check_same_cpu(path, pages.load(path)["machine"])
    for page in args.pages or pages.snippet_pages():
        device, why = (args.device, None) if args.device else pages.default_device(page)
        if device is None:
            print(f"skipped {page}: {why}", file=sys.stderr)
            continue
        print(f"running {page} on {device} ...", file=sys.stderr)
        entry = pages.run_page(page, device)
        pages.store(path, machine, page, entry)  # after each page: an interruption keeps the rest
    print(f"wrote {path}")
    from perfguide.blocks.expand import report

    print("\n".join(report(machine["id"])))
    return 0


def migrate(files: list[Path]) -> int:
    """Add code hashes where the stored byte hash proves which source a result came from."""
    for path in files:
        doc = pages.load(path)
        proved, unproved = pages.migrate(doc)
        if proved:
            pages.save(doc, path)
        print(f"{path}: {proved} result(s) given their code hash"
              + (f", {unproved} whose source is not here (they show as stale)" if unproved else ""))
    return 0


def check() -> int:
    """Exit 1, naming them, if this machine's stored page results came from other versions of
    their snippets; other machines' stale results are listed (the site marks them)."""
    here = set(pages.stale_entries(here_only=True))
    for machine_id, page, why in pages.stale_entries():
        if (machine_id, page, why) in here:
            print(f"{machine_id}: {page}: {why}; rerun: python scripts/pages.py regenerate {page}",
                  file=sys.stderr)
        else:
            print(f"{machine_id}: {page}: {why} (another machine: shown marked as measured earlier)")
    if not here:
        print("every page result of this machine matches its snippet module")
    return 1 if here else 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
