"""``roost demo`` as a user runs it: a subprocess in a fresh directory, no cluster.

It must say plainly that it runs in a local sandbox, report the good release promoted and the
bad one rolled back, exit 0, leave a ledger that ``roost ledger verify`` accepts, and print
replay and explain commands that work as printed.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

ROOST = Path(sys.executable).parent / "roost"


def _roost(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOST), *args], cwd=cwd, capture_output=True, text=True, timeout=90, check=False
    )


def test_the_demo_promotes_the_good_release_and_rolls_back_the_bad_one(tmp_path: Path) -> None:
    done = _roost("demo", cwd=tmp_path)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "LOCAL SANDBOX" in out.splitlines()[0]
    outcomes = [line for line in out.splitlines() if line.startswith("outcome: ")]
    assert len(outcomes) == 2, out
    assert outcomes[0].endswith("podinfo:6.0.1 promoted")
    assert "podinfo:6.0.2-broken rolled back" in outcomes[1]
    assert any(" Failed " in line and "rolled back" in line for line in out.splitlines())
    assert "demo OK" in out

    ledger = tmp_path / ".demo" / "ledger.db"
    assert ledger.exists()
    verified = _roost("ledger", "verify", "--ledger", str(ledger), cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    printed = [line.strip() for line in out.splitlines() if line.startswith("  roost ")]
    assert any(line.startswith("roost explain ") for line in printed)
    # ``roost audit`` has its own tests; these are the commands the demo is about.
    for line in [p for p in printed if not p.startswith("roost audit ")]:
        ran = _roost(*shlex.split(line)[1:], cwd=tmp_path)
        assert ran.returncode == 0, f"{line}\n{ran.stdout}\n{ran.stderr}"
