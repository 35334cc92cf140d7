"""Open every built page in headless Chromium: no console error, no request to another host,
no broken internal link. Uses Debian's chromium (no browser download) driven by Playwright."""

from __future__ import annotations

import re
import shutil
import threading
import urllib.error
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest

from conftest import IN_CI

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        message = "Debian's chromium is not installed (scripts/test.sh installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def served_site(built_site: tuple[Path, str]):
    """The built site on 127.0.0.1, on a free port, for the duration of this module."""
    site, _ = built_site
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def page_urls(site: Path, base: str) -> list[str]:
    """The URL of every built page (``a/b/index.html`` is served as ``a/b/``)."""
    urls = []
    for html in sorted(site.rglob("*.html")):
        relative = html.relative_to(site)
        if html.name == "404.html":
            continue
        folder = "" if relative.parent == Path(".") else relative.parent.as_posix() + "/"
        urls.append(base + (folder if html.name == "index.html" else relative.as_posix()))
    return urls


def test_every_page_in_headless_chromium(served_site: tuple[Path, str]) -> None:
    from playwright.sync_api import sync_playwright

    site, base = served_site
    urls = page_urls(site, base)
    assert len(urls) >= 2, "the site has pages"
    problems: list[str] = []
    link_status: dict[str, bool] = {}

    def link_ok(url: str) -> bool:
        target, fragment = urldefrag(url)
        if target not in link_status:
            try:
                with urllib.request.urlopen(target, timeout=10) as response:
                    link_status[target] = response.status == 200
                    if link_status[target]:
                        link_status[target + "#"] = response.read().decode("utf-8", "replace")
            except (urllib.error.URLError, OSError):
                link_status[target] = False
        if not link_status[target]:
            return False
        html = link_status.get(target + "#", "")
        return not fragment or re.search(rf"""id=["']{re.escape(fragment)}["']""", html) is not None

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        current = {"url": ""}
        page.on("console", lambda m: m.type == "error" and problems.append(
            f"{current['url']}: console error: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"{current['url']}: page error: {e}"))
        page.on("request", lambda r: urlparse(r.url).scheme in {"http", "https", "ws", "wss"}
                and urlparse(r.url).hostname != "127.0.0.1"
                and problems.append(f"{current['url']}: request to another host: {r.url}"))
        page.on("requestfailed", lambda r: problems.append(
            f"{current['url']}: request failed: {r.url}"))
        page.on("response", lambda r: r.status >= 400 and problems.append(
            f"{current['url']}: HTTP {r.status} for {r.url}"))
        for url in urls:
            current["url"] = url
            page.goto(url, wait_until="networkidle")
            assert page.title(), f"{url}: no title"
            hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            for href in hrefs:
                if urlparse(href).hostname == "127.0.0.1" and not link_ok(href):
                    problems.append(f"{url}: broken internal link: {href}")
        browser.close()
    assert not problems, "\n".join(sorted(set(problems)))


# Every tab's content is measured, not only the one a reader has open.
_OVERFLOW = """() => {
  document.querySelectorAll('.tabbed-block').forEach(e => { e.style.display = 'block'; });
  const bad = [];
  // A table scrolls in Material's wrapper, which is what overflows; the table inside never does.
  const boxes = '.md-typeset__scrollwrap, .md-typeset__table, .md-typeset pre > code';
  document.querySelectorAll(boxes).forEach(e => {
    if (e.closest('details:not([open])')) return;
    if (e.scrollWidth > e.clientWidth + 1) {
      bad.push(`${e.tagName.toLowerCase()} ${e.scrollWidth}px in ${e.clientWidth}px: ` +
               (e.textContent || '').trim().slice(0, 50).replace(/\\s+/g, ' '));
    }
  });
  return bad;
}"""

_STACKED = """() => {
  const bad = [];
  document.querySelectorAll('.tabbed-block').forEach(e => { e.style.display = 'block'; });
  document.querySelectorAll('.md-typeset table').forEach(t => {
    if (t.querySelectorAll('thead th').length >= 4 && !t.hasAttribute('data-stacked')) {
      bad.push('not stacked: ' + t.textContent.trim().slice(0, 50));
    } else if (t.hasAttribute('data-stacked') && t.scrollWidth > window.innerWidth) {
      bad.push(`stacked but ${t.scrollWidth}px wide: ` + t.textContent.trim().slice(0, 50));
    }
  });
  return bad;
}"""


def test_no_table_or_code_scrolls_sideways_at_1400px_and_tables_stack_on_a_phone(
        served_site: tuple[Path, str]) -> None:
    from playwright.sync_api import sync_playwright

    site, base = served_site
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        for width, check in ((1400, _OVERFLOW), (390, _STACKED)):
            page = browser.new_page(viewport={"width": width, "height": 900})
            for url in page_urls(site, base):
                if "/tutorials/" in url and url.rstrip("/") != base + "tutorials":
                    continue  # notebooks: their output cells are Jupyter's layout, not ours
                page.goto(url, wait_until="networkidle")
                page.wait_for_selector("body[data-tables-stacked]", state="attached", timeout=15000)
                problems += [f"{width}px {url}: {p}" for p in page.evaluate(check)]
            page.close()
        browser.close()
    assert not problems, "\n".join(problems)
