"""Settings of ``roost loadtester``: a frozen value with a docstring per field, passed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from controller.loadtester.loadgen import Limits


@dataclass(frozen=True, slots=True)
class LoadTesterSettings:
    """How the load tester listens, runs commands and keeps gates."""

    host: str = "0.0.0.0"
    """Address to listen on (Flagger's loadtester listens on every interface)."""
    port: int = 9090
    """Port to listen on; 0 picks a free one (the chosen port is printed)."""
    timeout: timedelta = timedelta(hours=1)
    """Deadline of one command (``-timeout``)."""
    namespace_regexp: str = ""
    """Only payloads whose namespace matches (searched, not anchored, as Go's MatchString) are
    served; empty allows every namespace."""
    gate_db: Path = Path("roost-gates.sqlite")
    """SQLite file holding gate state and the gate log; ``:memory:`` forgets on restart."""
    limits: Limits = field(default_factory=Limits)
    """Bounds of the built-in load generator."""
