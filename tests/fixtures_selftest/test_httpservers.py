"""The recording servers record what arrives and answer as programmed; HTTPS needs trust."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.fixtures.httpservers import RecordingServer, SelfSignedCertificate


def test_records_method_path_headers_and_json_body(recording_server: RecordingServer) -> None:
    response = httpx.post(
        f"{recording_server.url}/hooks/rollout?attempt=1",
        json={"name": "podinfo", "phase": "Progressing"},
        headers={"X-Roost-Test": "yes"},
    )

    assert response.status_code == 200
    [request] = recording_server.requests
    assert (request.method, request.path, request.query) == ("POST", "/hooks/rollout", "attempt=1")
    assert request.headers["x-roost-test"] == "yes"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"name": "podinfo", "phase": "Progressing"}


def test_answers_the_status_programmed_per_path(recording_server: RecordingServer) -> None:
    recording_server.respond("/gate", 403)
    recording_server.respond("/check", 500, {"error": "down"}, once=True)
    recording_server.respond("/check", 202, {"ok": True})

    gate = httpx.post(f"{recording_server.url}/gate", json={})
    checks = [httpx.get(f"{recording_server.url}/check") for _ in range(2)]
    other = httpx.get(f"{recording_server.url}/other")

    assert gate.status_code == 403
    assert [(r.status_code, r.json()) for r in checks] == [
        (500, {"error": "down"}),
        (202, {"ok": True}),
    ]
    assert other.status_code == 200
    assert [r.path for r in recording_server.requests_to("/check")] == ["/check", "/check"]


def test_records_concurrent_requests_without_losing_any(recording_server: RecordingServer) -> None:
    recording_server.respond("/events", 204)

    def send(i: int) -> int:
        return httpx.post(f"{recording_server.url}/events", json={"i": i}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, range(24)))

    received = recording_server.wait_for_requests(24, path="/events", timeout=10)
    assert statuses == [204] * 24
    assert sorted(r.json()["i"] for r in received) == list(range(24))


def test_tls_verification_fails_by_default_against_the_self_signed_server(
    recording_https_server: RecordingServer,
) -> None:
    assert recording_https_server.url.startswith("https://127.0.0.1:")

    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.post(f"{recording_https_server.url}/gate", json={})

    assert recording_https_server.requests == []


def test_tls_succeeds_when_verification_is_disabled(
    recording_https_server: RecordingServer,
) -> None:
    recording_https_server.respond("/gate", 403)

    response = httpx.post(f"{recording_https_server.url}/gate", json={"a": 1}, verify=False)

    assert response.status_code == 403
    assert [r.json() for r in recording_https_server.requests_to("/gate")] == [{"a": 1}]


def test_the_certificate_verifies_for_a_client_that_trusts_it(
    recording_https_server: RecordingServer, self_signed_certificate: SelfSignedCertificate
) -> None:
    # So the default failure above is about trust, not a malformed certificate.
    response = httpx.get(
        f"{recording_https_server.url}/health", verify=self_signed_certificate.client_context()
    )

    assert response.status_code == 200
