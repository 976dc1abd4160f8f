"""``roost loadtester`` as its own process: it starts, serves, stops on SIGTERM, keeps gates."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.loadtester.conftest import payload

PREFIX = "roost loadtester listening on "


@contextmanager
def roost_loadtester(gate_db: Path) -> Iterator[str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from controller.cli import main; main()",
            "loadtester",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--gate-db",
            str(gate_db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(PREFIX), line
        yield line.removeprefix(PREFIX).strip()
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == 0


def test_cli_serves_and_keeps_gates_across_restarts(gate_db: Path) -> None:
    with roost_loadtester(gate_db) as url, httpx.Client(base_url=url) as c:
        assert c.get("/healthz").text == "OK"
        assert c.post("/gate/open", json=payload(), params={"actor": "ci"}).status_code == 202
    with roost_loadtester(gate_db) as url, httpx.Client(base_url=url) as c:
        assert c.post("/gate/check", json=payload()).text == "Approved"
        assert [(e["action"], e["actor"]) for e in c.get("/gate/log").json()] == [("open", "ci")]
