import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVIDENCE = ROOT / "tests" / "evidence"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))
os.environ.setdefault("COLUMNS", "120")

# Fuzz budgets come from a Hypothesis profile, so a long run can raise them without editing tests:
# FOREWARN_FUZZ_EXAMPLES=N runs every fuzz test with N examples; HYPOTHESIS_PROFILE=NAME (or
# pytest's --hypothesis-profile) picks a registered profile ("quick": 5 each, "long": 5000 each).
# Without either, each test keeps its everyday budget (`fuzzing.examples(n)`).
from hypothesis import settings  # noqa: E402

settings.register_profile("quick", max_examples=5, deadline=None)
settings.register_profile("long", max_examples=5000, deadline=None)
if os.environ.get("FOREWARN_FUZZ_EXAMPLES"):
    settings.register_profile("env", max_examples=int(os.environ["FOREWARN_FUZZ_EXAMPLES"]), deadline=None)
    settings.load_profile("env")
elif os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])
