"""The site builds with ``mkdocs build --strict`` and zero warnings, and asks no other host."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import REPO, build_site


def test_strict_build_has_no_warnings(built_site: tuple[Path, str]) -> None:
    site, log = built_site
    assert (site / "index.html").is_file()
    warnings = [line for line in log.splitlines() if "WARNING" in line]
    assert not warnings, "\n".join(warnings)


def test_built_pages_reference_no_other_host(built_site: tuple[Path, str]) -> None:
    """No font, script or stylesheet comes from a CDN; links out are plain anchors only."""
    site, _ = built_site
    asset = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*?(?:src|href)=["'](https?:)?//""")
    offenders = [str(p.relative_to(site)) for p in site.rglob("*.html")
                 if asset.search(p.read_text(encoding="utf-8"))]
    assert not offenders, f"pages load assets from another host: {offenders}"


def test_config_keeps_the_promises_of_the_design() -> None:
    config = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=yaml.Loader)
    assert config["strict"] is True
    assert config["theme"]["font"] is False, "Google Fonts must stay off (offline site)"
    features = set(config["theme"]["features"])
    assert {"content.tabs.link", "content.code.copy", "content.code.annotate"} <= features
    snippets = next(e["pymdownx.snippets"] for e in config["markdown_extensions"]
                    if isinstance(e, dict) and "pymdownx.snippets" in e)
    assert snippets["check_paths"] and snippets["dedent_subsections"]
    assert snippets["base_path"] == ["snippets"]


READER = "zz-reader-test-machine"


@pytest.fixture(scope="module")
def site_with_a_readers_machine(tmp_path_factory: pytest.TempPathFactory):
    """The site built with one more, uncommitted page-results file: a committed machine's
    results under another id, with one figure that contradicts a sentence and one page result
    from an older version of its snippet. The file is removed again afterwards."""
    source = sorted((REPO / "results" / "pages").glob("*.json"))[0]
    doc = json.loads(source.read_text())
    doc["machine"]["id"] = READER
    from perfguide import pages

    # The reader has just regenerated tensors (fresh), with a figure that contradicts the page.
    doc["pages"]["guide/tensors"]["code_sha256"] = pages.code_sha256("guide/tensors")
    tensors = doc["pages"]["guide/tensors"]["observed"]
    tensors["tensor_shared_us"] = tensors["tensor_copy_us"] * 10  # "wrapping is cheaper" fails
    doc["pages"]["guide/hints"]["code_sha256"] = "0" * 64  # measured with an older snippet
    site = tmp_path_factory.mktemp("reader-site")
    done = build_site(site, {REPO / "results" / "pages" / f"{READER}.json": doc})
    assert done.returncode == 0, f"a reader's machine broke the build:\n{done.stdout}\n{done.stderr}"
    return site, done.stdout + done.stderr


def test_a_readers_machine_is_shown_with_notes_and_never_breaks_the_build(
        site_with_a_readers_machine: tuple[Path, str]) -> None:
    site, log = site_with_a_readers_machine
    assert not [line for line in log.splitlines() if "WARNING" in line]
    tensors = (site / "guide" / "tensors" / "index.html").read_text()
    assert f"{READER} (" in tensors  # its own tab
    notes = re.findall(r'<mark class="guard-note"[^>]*>(.*?)</mark>', tensors)
    assert notes == [f"⚠ Not so on {READER}: tensor_shared_us &lt; tensor_copy_us does not hold "
                     + re.search(r"\(.*\)", notes[0])[0]]
    assert f"note for {READER} on guide/tensors.md" in log
    hints = (site / "guide" / "hints" / "index.html").read_text()
    assert "Measured with an older version of the code" in hints and hints.count("older version") >= 1
