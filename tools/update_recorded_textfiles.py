"""Refresh the rule counts in the recorded Prometheus textfiles (contrib/prometheus/testdata/*.prom)
and in the promtool test input that feeds them, after rules were added or removed.

tests/test_monitoring.py checks that each recorded textfile is what forewarn writes today for
its evidence, and that promtool is fed the same values; adding a rule changes the counts.

    .venv/bin/python tools/update_recorded_textfiles.py
"""
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.chdir(ROOT)
import test_monitoring as tm  # noqa: E402

yml = Path('contrib/prometheus/forewarn-alerts.test.yml')
t = yml.read_text()
for name in ("seed001-quorum-flap", "ha-fence-watchdog", "node-unreachable"):
    today = tm._record(name)
    counts = dict(re.findall(r'forewarn_rules\{outcome="([a-z-]+)"\} ([\d.]+)', today))
    prom = Path(f'contrib/prometheus/testdata/{name}.prom')
    p = prom.read_text()
    for outcome, v in counts.items():
        p = re.sub(rf'(forewarn_rules\{{outcome="{outcome}"\}} )[\d.]+', rf'\g<1>{v}', p)
        t = re.sub(rf"(series: 'forewarn_rules\{{instance=\"{name}\", outcome=\"{outcome}\"\}}'\n\s+values: ')(\d+)", rf'\g<1>{int(float(v))}', t)
    prom.write_text(p)
    print(name, counts)
yml.write_text(t)
