"""The task endpoint: blocking commands, background load with de-duplication, errors."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from controller.loadtester import LoadTesterThread
from tests.fixtures.httpservers import RecordingServer
from tests.loadtester.conftest import payload, settings_for, wait_until_idle


def test_metadata_is_required(client: httpx.Client) -> None:
    answer = client.post("/", json=payload())
    assert (answer.status_code, answer.text) == (400, "metadata not found in payload")


def test_bash_returns_output_when_asked(client: httpx.Client) -> None:
    cmd = "echo hello from $0"
    shown = client.post("/", json=payload(type="bash", cmd=cmd, returnCmdOutput="true"))
    assert (shown.status_code, shown.text) == (200, "hello from bash\n")
    hidden = client.post("/", json=payload(type="bash", cmd=cmd, returnCmdOutput="nope"))
    assert (hidden.status_code, hidden.text) == (200, "")


def test_bash_failure_is_500_with_flaggers_text(client: httpx.Client) -> None:
    answer = client.post("/", json=payload(type="bash", cmd="false"))
    assert (answer.status_code, answer.text) == (500, "command false failed: : exit status 1")
    answer = client.post("/", json=payload(type="bash", cmd="echo out; exit 3"))
    assert answer.text == "command echo out; exit 3 failed: out\n: exit status 3"


def test_command_past_the_deadline_is_killed(gate_db: Path) -> None:
    settings = settings_for(gate_db, timeout=timedelta(milliseconds=300))
    with LoadTesterThread(settings) as server, httpx.Client(base_url=server.url) as c:
        answer = c.post("/", json=payload(type="bash", cmd="sleep 30 & sleep 30"))
    assert (answer.status_code, answer.text) == (
        500,
        "command sleep 30 & sleep 30 failed: : signal: killed",
    )


@pytest.mark.parametrize(
    ("kind", "binary"), [("helm", "helm"), ("helmv3", "helm"), ("kubectl", "kubectl")]
)
def test_missing_tool_is_a_failure(
    client: httpx.Client, kind: str, binary: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server resolves tools on the PATH at request time: an empty PATH hides them.
    monkeypatch.setenv("PATH", str(tmp_path))
    answer = client.post("/", json=payload(type=kind, cmd="version"))
    assert answer.status_code == 500
    assert answer.text == (
        f'command version failed: : exec: "{binary}": executable file not found in $PATH'
    )


def test_kubectl_runs_when_installed(client: httpx.Client) -> None:
    # `make sysdeps` installs kubectl, so its absence is a broken setup, not a reason to skip.
    assert shutil.which("kubectl"), "kubectl is missing: run `make sysdeps`"
    answer = client.post(
        "/", json=payload(type="kubectl", cmd="version --client", returnCmdOutput="true")
    )
    assert answer.status_code == 200
    assert "Client Version" in answer.text


def test_unknown_type_is_400(client: httpx.Client) -> None:
    answer = client.post("/", json=payload(type="jmeter", cmd="run"))
    assert (answer.status_code, answer.text) == (400, "unknown task type jmeter")


def test_cmd_is_required(client: httpx.Client) -> None:
    answer = client.post("/", json=payload(type="cmd", logCmdOutput="true"))
    assert (answer.status_code, answer.text) == (400, "cmd not found in metadata")


def test_hey_runs_on_the_builtin_generator(
    client: httpx.Client, recording_server: RecordingServer
) -> None:
    cmd = f"hey -n 5 -c 1 -m POST -d ping -H 'X-Test: yes' {recording_server.url}/load"
    assert client.post("/", json=payload(cmd=cmd)).status_code == 202
    wait_until_idle(client)
    requests = recording_server.requests_to("/load")
    assert len(requests) == 5
    assert {(r.method, r.body, r.headers["x-test"]) for r in requests} == {("POST", b"ping", "yes")}


def test_running_command_is_not_started_twice(client: httpx.Client) -> None:
    # Runs until the server stops at the end of the test (which kills it): no timing involved.
    cmd = "sleep 30"
    assert client.post("/", json=payload(cmd=cmd)).status_code == 202
    assert client.post("/", json=payload(cmd=cmd)).status_code == 202
    assert client.get("/tasks").json() == [f"podinfo.test {cmd}"]
    # The same command for another canary is another task.
    assert client.post("/", json=payload(namespace="other", cmd=cmd)).status_code == 202
    assert client.get("/tasks").json() == [f"podinfo.other {cmd}", f"podinfo.test {cmd}"]


def test_hey_runs_for_a_duration(client: httpx.Client, recording_server: RecordingServer) -> None:
    cmd = f"hey -z 1s -q 10 -c 2 {recording_server.url}/load"
    assert client.post("/", json=payload(cmd=cmd)).status_code == 202
    wait_until_idle(client)
    assert recording_server.requests_to("/load")


@pytest.mark.parametrize(
    "cmd",
    [
        "hey -z 1m -c 2",
        "hey -x http://proxy http://h/",
        "hey -c 1000 http://h/",
        "hey -z 2h http://h/",
    ],
)
def test_unrunnable_hey_is_400(client: httpx.Client, cmd: str) -> None:
    answer = client.post("/", json=payload(cmd=cmd))
    assert answer.status_code == 400
    assert answer.text.startswith("hey: ")


def test_other_commands_run_through_sh(client: httpx.Client, tmp_path: object) -> None:
    marker = f"{tmp_path}/ran"
    assert client.post("/", json=payload(cmd=f"echo done > {marker}")).status_code == 202
    wait_until_idle(client)
    with open(marker) as f:
        assert f.read() == "done\n"
