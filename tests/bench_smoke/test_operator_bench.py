"""``bench/operator.py`` still runs end to end: five canaries, a few 1 s ticks.

Only that it completes and prints every figure; the numbers themselves belong to the bench.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "operator.py"


def test_the_operator_bench_runs_and_prints_its_figures() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--canaries", "5", "--ticks", "3", "--interval", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for figure in ("lag p50", "p99", "cores", "RSS", "API calls/tick", "events/s", "baseline"):
        assert figure in done.stdout, done.stdout
    assert "N = 5 canaries (setup" in done.stdout and "5 ready" in done.stdout
