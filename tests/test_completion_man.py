"""`forewarn completion bash|zsh|fish`, run by the shells themselves, and the man pages in man/,
which must be what click-man makes of the CLI today."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FOREWARN = BIN / "forewarn"

pytestmark = pytest.mark.skipif(not FOREWARN.exists(), reason="forewarn is not installed in this interpreter's venv")


def _env() -> dict[str, str]:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    env.pop("FOREWARN_CONFIG", None)
    return env


def _script(shell: str) -> str:
    res = subprocess.run([str(FOREWARN), "completion", shell], capture_output=True, text=True, env=_env(), timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout


def _bash(words: list[str], tmp_path: Path) -> list[str]:
    """Complete as bash does: the script sourced, the function called with the words typed."""
    (tmp_path / "c.bash").write_text(_script("bash"))
    line = " ".join(words)
    prog = (f"source {tmp_path / 'c.bash'}; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; "
            "_forewarn_completion forewarn; printf '%s\\n' \"${COMPREPLY[@]}\"")
    res = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, env=_env(), timeout=60, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    return res.stdout.split()


def test_bash_completes_commands_options_and_choices(tmp_path: Path) -> None:
    assert _bash(["forewarn", "ba"], tmp_path) == ["baseline"]
    assert set(_bash(["forewarn", "sc"], tmp_path)) == {"scan"}
    assert _bash(["forewarn", "scan", "--format", "s"], tmp_path) == ["sarif"]
    assert set(_bash(["forewarn", "scan", "--fail-on", ""], tmp_path)) == {"critical", "high", "medium", "low", "info"}
    assert "--suppress" in _bash(["forewarn", "scan", "--su"], tmp_path)
    assert _bash(["forewarn", "completion", "f"], tmp_path) == ["fish"]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish absent (.ci/run installs it)")
def test_fish_completes_from_its_script() -> None:
    prog = ("forewarn completion fish | source; complete -C 'forewarn expl'; "
            "complete -C 'forewarn scan --format '")
    res = subprocess.run(["fish", "-c", prog], capture_output=True, text=True, env=_env(), timeout=60)
    assert res.returncode == 0, res.stderr
    words = [line.split("\t")[0] for line in res.stdout.splitlines()]
    assert words[0] == "explain"
    assert {"sarif", "junit", "prometheus", "html", "json"} <= set(words[1:])


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh absent (.ci/run installs it)")
def test_zsh_loads_its_script_and_gets_answers(tmp_path: Path) -> None:
    (tmp_path / "_forewarn").write_text(_script("zsh"))
    prog = f"autoload -U compinit; compinit -u -d {tmp_path}/zcd; source {tmp_path}/_forewarn && print -l ${{_comps[forewarn]}}"
    res = subprocess.run(["zsh", "-f", "-c", prog], capture_output=True, text=True, env=_env(), timeout=60)
    assert res.returncode == 0 and res.stdout.strip() == "_forewarn_completion", res.stdout + res.stderr
    # what the script asks forewarn, as zsh's widget asks it
    ask = subprocess.run([str(FOREWARN)], capture_output=True, text=True, timeout=60,
                         env={**_env(), "_FOREWARN_COMPLETE": "zsh_complete", "COMP_WORDS": "forewarn timeline --format m",
                              "COMP_CWORD": "3"})
    assert ask.returncode == 0 and ask.stdout.split("\n")[:2] == ["plain", "markdown"], ask.stdout


def test_completion_refuses_another_shell() -> None:
    res = subprocess.run([str(FOREWARN), "completion", "tcsh"], capture_output=True, text=True, env=_env(), timeout=60)
    assert res.returncode == 2 and "tcsh" in res.stderr and "Traceback" not in res.stderr


# -- man pages --------------------------------------------------------------------------------

def test_man_pages_match_the_cli(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    from gen_man import MAN, generate, page_date

    date = page_date()
    assert date, "man/forewarn.1 is missing: run tools/gen_man.py"
    fresh = {p.name: p.read_text() for p in generate(tmp_path, date)}
    committed = {p.name: p.read_text() for p in MAN.glob("*.1")}
    assert sorted(fresh) == sorted(committed), "run .venv/bin/python tools/gen_man.py --keep-date"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"{stale} do not match the CLI: run .venv/bin/python tools/gen_man.py --keep-date"
    assert {"forewarn.1", "forewarn-scan.1", "forewarn-baseline.1", "forewarn-completion.1"} <= set(committed)
    assert "\\-\\-format" in committed["forewarn-scan.1"] and "sarif" in committed["forewarn-scan.1"]


@pytest.mark.skipif(shutil.which("man") is None, reason="man absent")
def test_man_renders_the_scan_page() -> None:
    res = subprocess.run(["man", "-l", str(ROOT / "man" / "forewarn-scan.1")], capture_output=True, text=True,
                         timeout=60, env={**_env(), "MANPAGER": "cat", "MANWIDTH": "100"})
    assert res.returncode == 0, res.stderr
    assert "forewarn-scan" in res.stdout and "--fail-on" in res.stdout
