"""``roost simulate`` tests: the command runs in process through Typer's test runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from controller.cli import app

Invoke = Callable[..., Any]


@pytest.fixture
def invoke() -> Invoke:
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, ["simulate", *args])

    return run


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, Any], Path]:
    def dump(name: str, data: Any) -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
        return path

    return dump
