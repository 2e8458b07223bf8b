"""Findings cite the public document behind a seed (title, section, address), not a seed path
that does not ship (issue 10, item 5)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from forewarn.cli.main import cli
from forewarn.catalogue import CATALOGUE
from forewarn.catalogue.docs import rule_doc_json, rule_doc_markdown
from forewarn.catalogue.citations import _FILE, citations

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "tests" / "evidence" / "seeds"
TABLE = yaml.safe_load(_FILE.read_text(encoding="utf-8"))
# every rule's and every advise row's seed (the catalogue holds both)
REFS = sorted({part.strip() for meta in CATALOGUE.values() for part in meta.seed.split(",")
               if part.strip().startswith("seeds/")})


def test_the_table_covers_every_seed_file():
    assert sorted(TABLE) == sorted(p.stem for p in SEEDS.glob("*.txt"))


@pytest.mark.parametrize("seed_id", sorted(TABLE))
def test_each_section_starts_where_the_table_says(seed_id):
    lines = (SEEDS / f"{seed_id}.txt").read_text(encoding="utf-8").splitlines()
    for start, title, *_ in TABLE[seed_id]["sections"]:
        assert title in lines[start - 1], (seed_id, start, title, lines[start - 1])


@pytest.mark.parametrize("ref", REFS)
def test_every_rule_and_catalogue_reference_resolves(ref):
    [c] = citations(ref)
    assert c.document != ref and "seeds/" not in c.document
    assert c.section, ref
    assert c.url is None or c.url.startswith("https://")
    text = c.text()
    assert "seeds/" not in text and (c.url in text if c.url else "no public address found" in text)


def test_a_reference_to_no_known_seed_is_repeated_not_invented():
    [c] = citations("seeds/999_0000.txt:1")
    assert (c.document, c.section, c.url) == ("seeds/999_0000.txt:1", None, None)


def test_json_and_html_findings_cite_the_document(tmp_path):
    result = CliRunner().invoke(cli, ["scan", str(ROOT / "examples" / "seed001-quorum-flap"), "--format", "json"])
    report = json.loads(result.output)
    for f in report["findings"]:
        if f["seed"]:
            assert f["citations"] and all("seeds/" not in c["document"] for c in f["citations"])
    [pve101] = [f for f in report["findings"] if f["code"] == "PVE101"]
    assert pve101["citations"][0]["section"] == "Отсутствие кворума в кластере"
    page = tmp_path / "r.html"
    CliRunner().invoke(cli, ["scan", str(ROOT / "examples" / "seed001-quorum-flap"), "--format", "html",
                             "-o", str(page)])
    html = page.read_text(encoding="utf-8")
    assert "from field note seeds/" not in html
    assert "section “Отсутствие кворума в кластере”" in html


def test_rule_docs_and_why_cite_the_document():
    md = rule_doc_markdown("PVE120")
    assert "https://vlab.ibugone.com/traps/" in md and not re.search(r"seeds/\d{3}_", md)
    assert rule_doc_json("PVE120")["citations"][0]["url"] == "https://vlab.ibugone.com/traps/"
    out = CliRunner().invoke(cli, ["why", "ERROR: migration aborted (duration 00:00:00): CT is locked (migrate)"]).output
    assert "vlab.ibugone.com/traps/" in out and not re.search(r"seeds/\d{3}_", out)
