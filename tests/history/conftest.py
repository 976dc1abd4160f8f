"""History tests: ledgers written by real simulations, the commands run through Typer's runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from controller.cli import app
from controller.simulation import load_script, simulate
from ledger import EventRegistry, Ledger
from reducers.canary.history import History, build_history
from reducers.events import ALL_EVENTS
from reducers.spec import Canary

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
Simulate = Callable[..., Path]
Invoke = Callable[..., Any]


def example(name: str) -> Any:
    return yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))


def record(path: Path, canary: dict[str, Any], script: Any = None) -> Path:
    """Simulate ``canary`` under ``script`` (``None``: the default run) into the ledger."""
    with Ledger.open(str(path)) as ledger:
        simulate(
            Canary.model_validate(canary),
            None if script is None else load_script(script),
            ledger=ledger,
        )
    return path


def history_of(path: Path, stream: str) -> History:
    registry = EventRegistry(ALL_EVENTS)
    with Ledger.open(str(path)) as ledger:
        events = [
            e for page in ledger.read_stream_payloads(stream) for e in registry.decode_rows(page)
        ]
    return build_history(stream, events)


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture
def invoke() -> Invoke:
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, list(args))

    return run
