"""``roost ui --kubeconfig``: the live view read from the API double, and a cluster that is gone.

The ledger says ``test/podinfo`` succeeded at weight 0; the cluster's Canary says Progressing at
weight 40 with a spec the ledger never recorded, so each page shows which source it read.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import kubernetes.client
import pytest

from controller.sandbox.kubeconfig import write_kubeconfig
from controller.ui.serving import Dashboard, DashboardServer
from controller.ui.sources import LedgerSource, LiveSource, SourceError, open_read_only
from tests.fixtures.apiserver import ApiServerHandle

GROUP, VERSION = "flagger.app", "v1beta1"


def _serve(ledger: Path, kubeconfig: Path) -> DashboardServer:
    live = LiveSource(str(kubeconfig))
    server = DashboardServer(Dashboard(LedgerSource(open_read_only(str(ledger))), live), port=0)
    server.start()
    return server


def _get(server: DashboardServer, path: str) -> httpx.Response:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        return client.get(path)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def live_server(
    apiserver: ApiServerHandle, ui_ledger: Path, tmp_path: Path
) -> Iterator[DashboardServer]:
    custom = kubernetes.client.CustomObjectsApi(apiserver.api_client())
    canary = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {
            "progressDeadlineSeconds": 4321,
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898},
            "analysis": {"interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 10},
        },
    }
    custom.create_namespaced_custom_object(GROUP, VERSION, "test", "canaries", canary)
    status = {"status": {"phase": "Progressing", "canaryWeight": 40}}
    custom.patch_namespaced_custom_object_status(
        GROUP, VERSION, "test", "canaries", "podinfo", status
    )
    server = _serve(ui_ledger, write_kubeconfig(tmp_path / "kubeconfig", apiserver.url))
    try:
        yield server
    finally:
        server.stop()


def test_the_list_shows_live_phase_and_weight_next_to_the_ledger(
    live_server: DashboardServer,
) -> None:
    rows = {
        (r["namespace"], r["name"]): r
        for r in _get(live_server, "/api/canaries").json()["canaries"]
    }
    podinfo = rows["test", "podinfo"]
    assert (podinfo["phase"], podinfo["weight"]) == ("Succeeded", 0)
    assert podinfo["live"] == {"phase": "Progressing", "weight": 40}
    assert rows["prod", "frontend"]["live"] is None
    page = _get(live_server, "/")
    assert page.status_code == 200
    assert "Live phase" in page.text and "Live weight" in page.text
    row = page.text.split('href="/canary/test/podinfo"', 1)[1].split("</tr>", 1)[0]
    assert "Succeeded" in row and "Progressing" in row and "<td>40</td>" in row
    assert "not in cluster" in page.text  # prod/frontend is only in the ledger
    assert "live view unavailable" not in page.text


def test_the_canary_page_shows_the_live_object(live_server: DashboardServer) -> None:
    page = _get(live_server, "/canary/test/podinfo")
    assert page.status_code == 200
    assert "Canary YAML (live from the cluster)" in page.text
    assert "progressDeadlineSeconds: 4321" in page.text and "canaryWeight: 40" in page.text
    assert "managedFields" not in page.text and "resourceVersion" not in page.text
    data = _get(live_server, "/api/canary/test/podinfo").json()
    assert data["live"] == {"phase": "Progressing", "weight": 40}
    assert data["manifestSource"] == "live from the cluster" and data["notice"] is None
    missing = _get(live_server, "/canary/prod/frontend")
    assert missing.status_code == 200
    assert "not in the cluster; showing the ledger only" in missing.text
    assert "Canary YAML (as last recorded in the ledger)" in missing.text


def test_an_unreachable_cluster_leaves_the_ledger_view_with_a_notice(
    ui_ledger: Path, tmp_path: Path
) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{_closed_port()}")
    server = _serve(ui_ledger, kubeconfig)
    try:
        page = _get(server, "/")
        assert page.status_code == 200
        assert "live view unavailable" in page.text and "cluster unreachable" in page.text
        assert "podinfo-failing" in page.text and "Live phase" not in page.text
        canary = _get(server, "/canary/test/podinfo")
        assert canary.status_code == 200
        assert "live view unavailable" in canary.text
        assert "Canary YAML (as last recorded in the ledger)" in canary.text
        assert _get(server, "/api/canaries").json()["notice"].startswith("live view unavailable")
    finally:
        server.stop()


def test_an_unanswering_cluster_is_asked_once_per_read(tmp_path: Path) -> None:
    """The client's retries are off: a cluster that drops connections costs one attempt (and
    one timeout) per page, not four."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[int] = []

    def drop_connections() -> None:
        while True:
            conn, _ = listener.accept()
            with conn:
                if conn.recv(65536).startswith(b"STOP"):
                    return
                accepted.append(1)

    thread = threading.Thread(target=drop_connections, name="dropping-server")
    thread.start()
    port = listener.getsockname()[1]
    live = LiveSource(str(write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}")))
    try:
        with pytest.raises(SourceError, match="cluster unreachable"):
            live.canaries()
        with pytest.raises(SourceError, match="cluster unreachable"):
            live.canary("test", "podinfo")
    finally:
        live.close()
        with socket.create_connection(("127.0.0.1", port)) as stop:
            stop.sendall(b"STOP")
        thread.join(10)
        listener.close()
    assert len(accepted) == 2
