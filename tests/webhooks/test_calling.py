"""Calling one hook: payload, success codes, retries with backoff, timeouts and TLS."""

from __future__ import annotations

import socket
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from effects.webhooks import Pacing, call_webhook, hook_timeout
from reducers.events import WebhookVerdict
from reducers.spec import WebhookType
from tests.fixtures.httpservers import RecordingServer
from tests.webhooks.conftest import AT, REF, RecordedSleep, hook

GATE_AND_RUN_TYPES = [t.value for t in WebhookType if t not in (WebhookType.EVENT,)]


@pytest.mark.parametrize("kind", GATE_AND_RUN_TYPES)
def test_payload_is_flaggers_in_order(
    recording_server: RecordingServer, pacing: Pacing, kind: str
) -> None:
    h = hook(f"{recording_server.url}/hook", type=kind, metadata={"cmd": "hey -z 1m"})
    result = call_webhook(h, REF, "Progressing", at=AT, pacing=pacing)
    [request] = recording_server.requests_to("/hook")
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert request.body == (
        b'{"name":"podinfo","namespace":"test","phase":"Progressing",'
        b'"checksum":"5f1c0ad2b9e8d7c6","metadata":{"cmd":"hey -z 1m"}}'
    )
    assert result.verdict is WebhookVerdict.SUCCESS
    assert result.type == (kind or "rollout")
    assert (result.name, result.phase, result.status, result.attempts) == (
        "hook",
        "Progressing",
        200,
        1,
    )
    assert result.at == AT


def test_empty_metadata_is_left_out(recording_server: RecordingServer, pacing: Pacing) -> None:
    call_webhook(
        hook(f"{recording_server.url}/h", metadata={}), REF, "Waiting", at=AT, pacing=pacing
    )
    assert recording_server.requests_to("/h")[0].json() == {
        "name": "podinfo",
        "namespace": "test",
        "phase": "Waiting",
        "checksum": "5f1c0ad2b9e8d7c6",
    }


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_any_2xx_succeeds(recording_server: RecordingServer, pacing: Pacing, status: int) -> None:
    recording_server.respond("/h", status)
    result = call_webhook(
        hook(f"{recording_server.url}/h"), REF, "Progressing", at=AT, pacing=pacing
    )
    assert (result.verdict, result.status, result.error) == (WebhookVerdict.SUCCESS, status, "")


def test_refusal_fails_at_once_with_the_body(
    recording_server: RecordingServer, pacing: Pacing, sleeps: RecordedSleep
) -> None:
    recording_server.respond("/h", 403, "gate closed")
    result = call_webhook(
        hook(f"{recording_server.url}/h", retries=3), REF, "Progressing", at=AT, pacing=pacing
    )
    assert result.verdict is WebhookVerdict.FAILURE
    assert (result.status, result.attempts, result.error) == (403, 1, '"gate closed"')
    assert sleeps.waits == []


def test_retries_with_exponential_backoff_then_succeeds(
    recording_server: RecordingServer, pacing: Pacing, sleeps: RecordedSleep
) -> None:
    recording_server.respond("/h", 500, once=True)
    recording_server.respond("/h", 502, once=True)
    recording_server.respond("/h", 200)
    result = call_webhook(
        hook(f"{recording_server.url}/h", retries=3), REF, "Progressing", at=AT, pacing=pacing
    )
    assert (result.verdict, result.status, result.attempts) == (WebhookVerdict.SUCCESS, 200, 3)
    assert sleeps.waits == [1.0, 2.0]


def test_gives_up_after_retries(
    recording_server: RecordingServer, pacing: Pacing, sleeps: RecordedSleep
) -> None:
    recording_server.respond("/h", 503, "busy")
    url = f"{recording_server.url}/h"
    result = call_webhook(hook(url, retries=2), REF, "Progressing", at=AT, pacing=pacing)
    assert len(recording_server.requests_to("/h")) == 3
    assert result.verdict is WebhookVerdict.FAILURE
    assert (result.status, result.attempts) == (503, 3)
    assert result.error == f"POST {url} giving up after 3 attempt(s)"
    assert sleeps.waits == [1.0, 2.0]


def test_backoff_is_capped_and_retry_after_honoured() -> None:
    from effects.webhooks.calling import backoff

    assert [backoff(k, None) for k in range(7)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert backoff(0, "7") == 7.0
    assert backoff(0, "600") == 30.0


def test_429_waits_as_told(
    recording_server: RecordingServer, pacing: Pacing, sleeps: RecordedSleep
) -> None:
    def slow_down(request: Request) -> Response:
        return Response(status=429, headers={"Retry-After": "7"})

    recording_server.respond("/h", 200)
    with HTTPServer(host="127.0.0.1") as limited:
        limited.expect_ordered_request("/h").respond_with_handler(slow_down)
        limited.expect_ordered_request("/h").respond_with_data("ok")
        result = call_webhook(
            hook(limited.url_for("/h"), retries=1), REF, "Progressing", at=AT, pacing=pacing
        )
    assert (result.verdict, result.attempts) == (WebhookVerdict.SUCCESS, 2)
    assert sleeps.waits == [7.0]


def test_501_is_not_retried(recording_server: RecordingServer, pacing: Pacing) -> None:
    recording_server.respond("/h", 501)
    result = call_webhook(
        hook(f"{recording_server.url}/h", retries=2), REF, "Progressing", at=AT, pacing=pacing
    )
    assert (result.verdict, result.attempts) == (WebhookVerdict.FAILURE, 1)


def test_unreachable_hook_is_a_retried_transport_failure(
    pacing: Pacing, sleeps: RecordedSleep
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/h"
    result = call_webhook(hook(url, retries=1), REF, "Progressing", at=AT, pacing=pacing)
    assert result.status is None
    assert result.attempts == 2
    assert result.error.startswith(f"POST {url} giving up after 2 attempt(s): ConnectError")
    assert sleeps.waits == [1.0]


@pytest.mark.parametrize(
    ("written", "seconds"), [(None, 10.0), ("500ms", 0.5), ("30s", 30.0), ("1m", 60.0)]
)
def test_timeout_parsing(written: str | None, seconds: float) -> None:
    fields = {} if written is None else {"timeout": written}
    assert hook_timeout(hook("http://h.example/", **fields)) == seconds


def test_timeout_ends_an_attempt(httpserver: HTTPServer, pacing: Pacing) -> None:
    def stall(request: Request) -> Response:
        time.sleep(1.0)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(stall)
    result = call_webhook(
        hook(httpserver.url_for("/slow"), timeout="200ms"), REF, "Progressing", at=AT, pacing=pacing
    )
    assert result.verdict is WebhookVerdict.FAILURE
    assert result.status is None
    assert "ReadTimeout" in result.error


def test_self_signed_certificate_fails_by_default(
    recording_https_server: RecordingServer, pacing: Pacing
) -> None:
    url = f"{recording_https_server.url}/h"
    result = call_webhook(hook(url), REF, "Progressing", at=AT, pacing=pacing)
    assert result.verdict is WebhookVerdict.FAILURE
    assert "CERTIFICATE_VERIFY_FAILED" in result.error
    assert recording_https_server.requests_to("/h") == []


def test_disable_tls_accepts_self_signed_certificate(
    recording_https_server: RecordingServer, pacing: Pacing
) -> None:
    url = f"{recording_https_server.url}/h"
    result = call_webhook(hook(url, disableTLS=True), REF, "Progressing", at=AT, pacing=pacing)
    assert result.verdict is WebhookVerdict.SUCCESS
    assert len(recording_https_server.requests_to("/h")) == 1


def test_duration_is_measured_with_the_injected_clock(recording_server: RecordingServer) -> None:
    ticks = iter([10.0, 10.25])
    pacing = Pacing(sleep=lambda s: None, clock=lambda: next(ticks))
    result = call_webhook(
        hook(f"{recording_server.url}/h"), REF, "Progressing", at=AT, pacing=pacing
    )
    assert result.duration_ms == 250
