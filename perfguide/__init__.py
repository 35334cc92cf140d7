"""Shared core of the OpenVINO performance guide.

Snippets, tests and scripts all import from here, so each fact (a model recipe, the list of
devices, how a latency is measured) has exactly one implementation.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]  # the checkout: results/, snippets/, docs/
