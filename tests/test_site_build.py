"""The site builds with ``mkdocs build --strict`` and zero warnings, and asks no other host."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from conftest import REPO


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
