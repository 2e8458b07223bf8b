"""forewarn installed from a wheel, run outside the checkout: the rule YAMLs (metadata, docs and
examples) ship with it, and nothing reads the source tree's tests/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    # built from a copy: setuptools keeps build/ in the source tree, and files renamed since the
    # last build would still ship from there
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__",
                                                                  "tests", "benchmarks"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            "-w", str(tmp / "dist"), str(source)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp / "dist").glob("forewarn-*.whl")
    target = tmp / "site"
    inst = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                           str(wheel)], capture_output=True, text=True, timeout=300)
    assert inst.returncode == 0, inst.stderr
    return target


def run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # the wheel first on the path; dependencies from this environment; the working directory far
    # from the checkout
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-c", "from forewarn.cli.main import main; main()", *args],
                          capture_output=True, text=True, timeout=120, env=env, cwd=site.parent)


def test_rules_code_shows_its_real_example(installed: Path) -> None:
    r = run(installed, "rules", "PVE120")
    assert r.returncode == 0, r.stderr
    assert "Example (real failing case" in r.stdout
    assert "CT is locked (migrate)" in r.stdout
    assert "not available" not in r.stdout
    assert "https://vlab.ibugone.com/traps/" in r.stdout  # the citation table ships too
    loaded = run(installed, "--version")
    assert loaded.returncode == 0


def test_the_wheel_is_what_runs(installed: Path) -> None:
    r = subprocess.run([sys.executable, "-c", "import forewarn, sys; print(forewarn.__file__)"],
                       capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(installed)},
                       cwd=installed.parent, timeout=60)
    assert r.stdout.strip().startswith(str(installed))


def test_why_and_scan_from_the_wheel(installed: Path) -> None:
    r = run(installed, "why", "CT is locked (migrate)")
    assert r.returncode == 0 and "PVE120" in r.stdout, r.stdout + r.stderr
    r = run(installed, "scan", "--format", "json", str(ROOT / "examples" / "seed001-quorum-flap"))
    assert r.returncode == 1 and '"PVE101"' in r.stdout, r.stderr
