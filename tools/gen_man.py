"""Write man/forewarn.1 and a page per command (man/forewarn-scan.1 ...) from the CLI itself, with
click-man. tests/test_completion_man.py regenerates them and fails when they no longer match.

    .venv/bin/python tools/gen_man.py            # dated today
    .venv/bin/python tools/gen_man.py --keep-date  # the date the pages carry now (no other change)
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAN = ROOT / "man"
sys.path.insert(0, str(ROOT / "src"))


def page_date(directory: Path = MAN) -> str | None:
    """The date in man/forewarn.1's title line."""
    try:
        head = (directory / "forewarn.1").read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        return None
    m = re.match(r'\.TH "FOREWARN" "1" "([^"]+)"', head)
    return m.group(1) if m else None


def generate(target: Path, date: str) -> list[Path]:
    from click_man.core import write_man_pages

    from forewarn import __version__
    from forewarn.cli.main import cli

    target.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # click-man calls a helper click deprecates; the pages are the same
        warnings.simplefilter("ignore", DeprecationWarning)
        write_man_pages("forewarn", cli, version=__version__, target_dir=str(target), date=date)
    return sorted(target.glob("*.1"))


def main(argv: list[str]) -> int:
    date = (page_date() if "--keep-date" in argv else None) or time.strftime("%Y-%m-%d", time.gmtime())
    with tempfile.TemporaryDirectory() as tmp:
        pages = generate(Path(tmp), date)
        if MAN.exists():
            shutil.rmtree(MAN)
        MAN.mkdir()
        for p in pages:
            shutil.copy(p, MAN / p.name)
    print(f"wrote {len(pages)} man pages in {MAN.relative_to(ROOT)}/ (dated {date})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
