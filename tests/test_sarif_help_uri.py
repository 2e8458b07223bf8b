"""SARIF's helpUri of a rule is its row of the catalogue page (docs/catalogue.md#<code>): from
pyproject's [project.urls] Documentation when the package declares one, else the checkout's page."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from forewarn.report import sarif

ROOT = Path(__file__).resolve().parents[1]


def test_default_help_uri_is_the_rules_anchor_in_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sarif.DOCS_URL_ENV, raising=False)
    monkeypatch.setattr(sarif, "_documentation_url", lambda: None)
    uri = sarif.help_uri("PVE101", "quorum-lost")
    parsed = urlparse(uri)
    assert parsed.scheme == "file" and parsed.path.endswith("/docs/catalogue.md") and parsed.fragment == "pve101"
    page = (ROOT / "docs" / "catalogue.md").read_text()
    assert re.search(r'<a id="pve101"></a>PVE101 \|', page), "the catalogue page has no anchor for the code"


def test_the_documentation_url_of_the_package_metadata_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata as md

    class Meta:
        def get_all(self, key: str) -> list[str]:
            assert key == "Project-URL"
            return ["Source, https://example.org/forewarn", "Documentation, https://example.org/forewarn/docs/"]

    monkeypatch.delenv(sarif.DOCS_URL_ENV, raising=False)
    monkeypatch.setattr(md, "metadata", lambda name: Meta())
    assert sarif.help_uri("PVE101", "quorum-lost") == "https://example.org/forewarn/docs/catalogue.md#pve101"


def test_forewarn_codes_keep_their_own_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sarif.DOCS_URL_ENV, raising=False)
    assert urlparse(sarif.help_uri("FW908", "node-unreachable")).scheme == "file"
