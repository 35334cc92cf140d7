#!/usr/bin/env python3
"""Regenerate the page results: run every page's snippet module and store what it observed.

Examples:
  python scripts/pages.py regenerate                      # every page, each on its own device
  python scripts/pages.py regenerate guide/introduction   # one page
  python scripts/pages.py regenerate guide/latency --device GPU
  python scripts/pages.py regenerate --resume             # continue a stopped run
  python scripts/pages.py list
  python scripts/pages.py migrate                         # add code hashes to older results files
  python scripts/pages.py check                           # is this machine's output from today's code?
  python scripts/pages.py validate                        # are the page results files well formed?
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from perfguide import pages
from perfguide.devices import check_device
from perfguide.environment import check_same_cpu, describe_machine
from perfguide.errors import Parser, UsageError, run_cli


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="pages.py", description=__doc__.splitlines()[0], epilog=__doc__.split("\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the pages that have a snippet module, with the device each runs on")
    sub.add_parser("check", help="fail if this machine's stored page results came from another version of "
                   "their snippets (other machines' are listed: the site shows them marked)")
    mig = sub.add_parser("migrate", help="give older page results the code hash of the snippet they "
                         "were measured with (figures untouched)")
    mig.add_argument("files", nargs="*", type=Path, help="page results files (default: results/pages/*.json)")
    val = sub.add_parser("validate", help="check page results files as the site build does (exit 2 if one "
                         "is refused)")
    val.add_argument("files", nargs="*", type=Path, help="page results files (default: results/pages/*.json)")
    regen = sub.add_parser("regenerate", help="run pages' snippets, store their results")
    regen.add_argument("pages", nargs="*", help="section/page names (default: all)")
    regen.add_argument("--device", help="device to run on (default: the first device of those the page is "
                       "written for that is here: CPU for most, HETERO:CPU for the heterogeneous page)")
    regen.add_argument("--machine-id", help="name of this machine's results file")
    regen.add_argument("--results-dir", help="where results files live (default: the repository's "
                       "results/; page results go into its pages/ folder)")
    regen.add_argument("--resume", action="store_true",
                       help="continue a stopped run (same pages and device) from its journal")
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
    if args.command == "validate":
        return validate(args.files or pages.files_in())
    return regenerate(args)


def regenerate(args) -> int:
    """Run the pages' snippets; each finished page goes into a journal at once, and the results
    file is written once at the end (so a stopped run loses at most the page in flight)."""
    from perfguide.environment import cpu_facts
    from perfguide.interrupt import stop_on_signals
    from perfguide.journal import Journal

    if args.device:
        check_device(args.device)
    unknown = sorted(set(args.pages) - set(pages.snippet_pages()))
    if unknown:
        raise UsageError(f"unknown page(s) {', '.join(unknown)}; pages: {', '.join(pages.snippet_pages())}")
    machine = describe_machine(args.machine_id)
    path = pages.pages_dir(args.results_dir) / f"{machine['id']}.json"
    from perfguide.results import check_writable

    check_writable(path)
    if path.exists():
        check_same_cpu(path, pages.load(path)["machine"])
    chosen = args.pages or pages.snippet_pages()
    journal = Journal(path, {"results": path.name, "pages": chosen, "device": args.device,
                             "machine": cpu_facts()})  # fmt: skip
    done = journal.start(args.resume)
    entries, reused = {}, 0
    try:
        with stop_on_signals():
            for page in chosen:
                kept = done.get(page)
                if kept is not None and pages.is_fresh(page, kept):  # the snippet has not changed since
                    entries[page], reused = kept, reused + 1
                    continue
                device, why = (args.device, None) if args.device else pages.default_device(page)
                if device is None:
                    print(f"skipped {page}: {why}", file=sys.stderr)
                    continue
                print(f"running {page} on {device} ...", file=sys.stderr)
                entries[page] = pages.run_page(page, device)
                journal.add(page, entries[page])
    except BaseException as exc:
        journal.stop(exc)
        raise
    pages.store(path, machine, entries)
    journal.remove()
    print(f"wrote {path}" + (f" ({reused} page(s) reused from the journal)" if args.resume else ""))
    if path.parent.resolve() == pages.pages_dir().resolve():  # what the site will show
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


def validate(files: list[Path]) -> int:
    """ok: <file> for each good page results file, one line for each bad one (exit 2)."""
    if not files:
        print(f"no page results files in {pages.pages_dir()}", file=sys.stderr)
        return 0
    from perfguide.results import report_checked

    return report_checked(pages.check_each(files), lambda doc: f"{len(doc['pages'])} pages")


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
