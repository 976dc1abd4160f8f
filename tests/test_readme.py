"""The README's commands run as written (in a scratch directory holding docs/examples)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def readme_blocks() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    return [block.strip().splitlines() for block in re.findall(r"```bash\n(.*?)```", text, re.S)]


def test_the_first_screen_shows_make_demo_and_make_test() -> None:
    first = readme_blocks()[0]
    assert [line.split()[:2] for line in first] == [["make", "demo"], ["make", "test"]]


def test_the_roost_commands_in_the_readme_work(tmp_path: Path) -> None:
    commands = [line for block in readme_blocks() for line in block if line.startswith("roost ")]
    assert len(commands) >= 9
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    env.pop("ROOST_LEDGER", None)
    for line in commands:
        argv = shlex.split(line.split("#", 1)[0])
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
    assert (tmp_path / "roost-ledger.db").exists() and (tmp_path / "copy.db").exists()
    assert (tmp_path / "sim.db").exists()
