"""A reader's results file is untrusted: markup in any string it carries is shown as text.

The site is built with a hostile benchmark file and a hostile page-results file added: HTML,
script and Markdown links in every string field the schemas accept (those they refuse are tested
in tests/test_results.py and tests/test_page_results.py); the built HTML holds none of it as
markup, and headless Chromium opens every page with no dialog and no injected element."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO, build_site
from perfguide import pages, results
from perfguide.errors import UsageError

PAYLOAD = '<img src=x onerror="alert(1)"><script>alert(2)</script>**b**[l](javascript:alert(3))$x$'
HOSTILE = "zz-hostile-machine"


def poison_accepted(container, key, where: str, check: Callable[[], object], refused: set[str]) -> None:
    """Append the payload to every string under ``container[key]`` that ``check`` (a schema
    check of the document) still accepts; a string it refuses is put back and its field noted in
    ``refused`` (those are covered by the refusal tests of tests/test_results.py and
    tests/test_page_results.py). Numbers and structure are kept."""
    value = container[key]
    if isinstance(value, str):
        container[key] = value + PAYLOAD
        try:
            check()
        except UsageError:
            container[key] = value
            refused.add(re.sub(r"^peers\.llama_cpp\..+\.(\w+)$", r"peers.llama_cpp.*.\1",
                               re.sub(r"\[\d+\]", "[]", where)))
    elif isinstance(value, dict):
        for k in list(value):
            poison_accepted(value, k, f"{where}.{k}", check, refused)
    elif isinstance(value, list):
        for i in range(len(value)):
            poison_accepted(value, i, f"{where}[{i}]", check, refused)


REFUSED = {  # the string fields a schema keeps to a safe pattern: markup there refuses the file
    "machine.id", "machine.isa[]", "machine.date", "record.id", "record.model", "record.device",
    "record.scenario", "record.config.hint", "record.config.precision", "record.compiled.hint",
    "record.compiled.precision", "record.compiled.execution_devices[]", "record.benchmark_app.mode",
    "record.llm.weights", "record.llm.kv_cache_precision", "record.llm.kv_precision_used",
    "peers.llama_cpp.*.version", "peers.llama_cpp.*.format",
    "page.device", "page.model", "page.date", "page.source_sha256", "page.code_sha256",
}  # fmt: skip


def hostile_files() -> tuple[dict[Path, dict], set[str]]:
    """A benchmark file and a page results file with markup in every string the schemas accept
    (the machine named ``HOSTILE``), and the fields whose markup they refuse."""
    refused: set[str] = set()
    bench = json.loads((REPO / "results" / "amd-epyc-2c-linux.json").read_text())
    bench["machine"]["id"] = HOSTILE
    bench["machine"]["devices"] = {"CPU": "AMD EPYC"}
    # The LLM records, bandwidth probe and llama.cpp comparison of the committed machine that has
    # them, so that their strings are poisoned too.
    for other in results.files_in(REPO / "results"):
        doc = json.loads(other.read_text())
        llm = [r for r in doc["records"] if r["scenario"] == "llm"]
        if llm and not any(r["scenario"] == "llm" for r in bench["records"]):
            bench["records"] += llm
            bench["peak"]["bandwidth"] = doc["peak"].get("bandwidth", {})
            if "peers" in doc:
                bench["peers"] = doc["peers"]
    poison_accepted(bench, "machine", "machine", lambda: results.validate(bench), refused)
    if "peers" in bench:
        poison_accepted(bench, "peers", "peers", lambda: results.validate(bench), refused)
    for record in bench["records"]:
        poison_accepted({"r": record}, "r", "record", lambda r=record: results.validate_record(r), refused)
    pages_doc = json.loads((REPO / "results" / "pages" / "amd-epyc-2c-linux.json").read_text())
    pages_doc["machine"] = {**bench["machine"]}
    for name in list(pages_doc["pages"]):
        entry = pages_doc["pages"][name]
        entry["output"] += "\n```\n"
        poison_accepted(pages_doc["pages"], name, "page", lambda: pages.validate(pages_doc), refused)
    pages_doc["pages"]["guide/hints"]["code_sha256"] = "0" * 64  # stale: its marker shows the commit
    files = {REPO / "results" / f"{HOSTILE}.json": bench,
             REPO / "results" / "pages" / f"{HOSTILE}.json": pages_doc}  # fmt: skip
    return files, refused


def test_every_string_field_is_either_refused_or_shown_inert() -> None:
    files, refused = hostile_files()
    assert refused <= REFUSED, f"the schemas refuse markup in fields not known here: {refused - REFUSED}"
    assert {"machine.id", "record.id", "record.model", "page.model"} <= refused
    bench, page_doc = files.values()
    for doc in files.values():  # free text took the markup
        assert "<img" in doc["machine"]["cpu_model"] and "<img" in doc["machine"]["os"]
    assert all("<img" in entry["output"] for entry in page_doc["pages"].values())
    assert all("<img" in r["warning"] for r in bench["records"] if r["warning"])
    assert all("<img" in r["benchmark_app"]["command"] for r in bench["records"] if r["benchmark_app"])


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("hostile-site")
    done = build_site(site, hostile_files()[0])
    assert done.returncode == 0, f"a hostile file broke the build:\n{done.stdout}\n{done.stderr}"
    return site


def test_the_built_html_holds_no_injected_markup(hostile_site: Path) -> None:
    pages = {p: p.read_text(encoding="utf-8") for p in hostile_site.rglob("*.html")}
    shown = [p for p, html in pages.items() if HOSTILE in html]
    assert len(shown) >= 10, "the hostile machine is shown on the guide's pages"
    for path, html in pages.items():
        for bad in ("<img src=x", "<script>alert", 'href="javascript:', "<strong>b</strong>"):
            assert bad not in html, f"{path.relative_to(hostile_site)}: {bad!r} reached the page"
    assert "&lt;img src=x" in pages[hostile_site / "benchmarks" / "index.html"]  # shown, as text


@pytest.mark.browser
def test_hostile_pages_open_in_chromium_with_no_dialog_or_injected_element(hostile_site: Path) -> None:
    from functools import partial
    from http.server import ThreadingHTTPServer
    from threading import Thread
    from urllib.parse import urlparse

    from playwright.sync_api import sync_playwright
    from test_site_browser import CHROMIUM_FLAGS, _QuietHandler, chromium_path, page_urls

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(hostile_site)))
    Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    problems: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
            page = browser.new_page()
            page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
            page.on("request", lambda r: urlparse(r.url).hostname not in (None, "127.0.0.1")
                    and urlparse(r.url).scheme in ("http", "https")
                    and problems.append(f"request: {r.url}"))
            for url in page_urls(hostile_site, base):
                if "/tutorials/" in url:
                    continue
                page.goto(url, wait_until="networkidle")
                found = page.evaluate("() => document.querySelectorAll("
                                      "'img[src=\"x\"], [onerror], a[href^=\"javascript:\"]').length")
                if found:
                    problems.append(f"{url}: {found} injected element(s)")
            browser.close()
    finally:
        server.shutdown()
    assert not problems, "\n".join(problems)
