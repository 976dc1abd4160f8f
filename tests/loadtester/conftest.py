"""Load-tester tests: the real server on a free loopback port, driven over HTTP.

``loadtester`` runs it in-process on a thread (stopped, with its child processes, when the
test ends); ``gate_db`` is the SQLite file a test may hand to a second instance to check that
gates survive a restart.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from controller.loadtester import LoadTesterSettings, LoadTesterThread


@pytest.fixture
def gate_db(tmp_path: Path) -> Path:
    return tmp_path / "gates.sqlite"


def settings_for(
    gate_db: Path, *, namespace_regexp: str = "", timeout: timedelta = timedelta(minutes=1)
) -> LoadTesterSettings:
    return LoadTesterSettings(
        host="127.0.0.1",
        port=0,
        gate_db=gate_db,
        namespace_regexp=namespace_regexp,
        timeout=timeout,
    )


@pytest.fixture
def loadtester(gate_db: Path) -> Iterator[LoadTesterThread]:
    with LoadTesterThread(settings_for(gate_db)) as server:
        yield server


@pytest.fixture
def client(loadtester: LoadTesterThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=loadtester.url, timeout=30) as c:
        yield c


def payload(namespace: str = "test", **metadata: str) -> dict[str, object]:
    body: dict[str, object] = {"name": "podinfo", "namespace": namespace, "phase": "Progressing"}
    if metadata:
        body["metadata"] = metadata
    return body


def wait_until_idle(client: httpx.Client, timeout: float = 20.0) -> None:
    """Poll ``/tasks`` until no background task runs (fails the test at ``timeout``)."""
    deadline = time.monotonic() + timeout
    while client.get("/tasks").json():
        if time.monotonic() > deadline:
            pytest.fail("background tasks still running")
        time.sleep(0.05)
