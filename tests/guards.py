"""What the session-wide guards in ``tests/conftest.py`` need to know.

A server meant to live for the whole test session (Prometheus, an API double in its own process)
registers its pid here when it starts; any other child process still running after a test is a
leak and fails that test.
"""

from __future__ import annotations

import os
from pathlib import Path

SESSION_PIDS: set[int] = set()


def running_children() -> set[int]:
    """Pids of this process's children that are still running (zombies excluded)."""
    me = os.getpid()
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # exited while we looked
        fields = text.rsplit(")", 1)[1].split()
        state, parent = fields[0], int(fields[1])
        if parent == me and state != "Z":
            found.add(int(stat.parent.name))
    return found
