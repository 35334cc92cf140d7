"""A reader's results file is untrusted: markup in any string it carries is shown as text.

The site is built with a hostile benchmark file and a hostile page-results file added (HTML,
script, Markdown links in every string field the pages show); the built HTML holds none of it as
markup, and headless Chromium opens every page with no dialog and no injected element."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO, build_site

PAYLOAD = '<img src=x onerror="alert(1)"><script>alert(2)</script>**b**[l](javascript:alert(3))$x$'
HOSTILE = "zz-hostile-machine"


def _poison(value):
    """Every string of a JSON value with the payload appended (numbers and structure kept)."""
    if isinstance(value, str):
        return value + PAYLOAD
    if isinstance(value, list):
        return [_poison(v) for v in value]
    if isinstance(value, dict):
        return {k: _poison(v) for k, v in value.items()}
    return value


def hostile_files() -> dict[Path, dict]:
    bench = json.loads((REPO / "results" / "amd-epyc-2c-linux.json").read_text())
    for key in ("cpu_model", "os", "python", "numpy"):
        bench["machine"][key] += PAYLOAD
    bench["machine"]["id"] = HOSTILE
    bench["machine"]["devices"] = {"CPU": PAYLOAD}
    for record in bench["records"]:
        if record.get("warning"):
            record["warning"] += PAYLOAD
    pages = json.loads((REPO / "results" / "pages" / "amd-epyc-2c-linux.json").read_text())
    pages["machine"] = {**pages["machine"], "id": HOSTILE, "cpu_model": "EPYC" + PAYLOAD,
                        "openvino": "2026" + PAYLOAD, "git_commit": PAYLOAD}
    for entry in pages["pages"].values():
        entry["model"] += PAYLOAD
        entry["output"] += "\n```\n" + PAYLOAD + "\n"
        entry["observed"] = {k: _poison(v) if not isinstance(v, int | float) else v
                             for k, v in entry["observed"].items()}
    pages["pages"]["guide/hints"]["code_sha256"] = PAYLOAD  # stale: its marker shows the commit
    return {REPO / "results" / f"{HOSTILE}.json": bench,
            REPO / "results" / "pages" / f"{HOSTILE}.json": pages}


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("hostile-site")
    done = build_site(site, hostile_files())
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
