"""Failures are classified once: timeouts, unreachable servers, unreadable answers."""

from __future__ import annotations

import time

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from effects.metrics import FailureKind, QueryError, make_provider
from tests.metrics.conftest import AT, config


def test_a_slow_backend_times_out(httpserver: HTTPServer, base_url: str) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response("[]")

    httpserver.expect_request("/render").respond_with_handler(slow)
    provider = make_provider("graphite", config("graphite", base_url, timeout=0.2))

    outcome = provider.run_query("target=x", at=AT)

    assert isinstance(outcome, QueryError) and outcome.kind is FailureKind.TIMEOUT
    assert outcome.retryable


def test_an_unreachable_backend(unused_port: int) -> None:
    provider = make_provider("graphite", config("graphite", f"http://127.0.0.1:{unused_port}"))

    outcome = provider.is_online(at=AT)

    assert outcome is not None and outcome.kind is FailureKind.UNREACHABLE


def test_an_unreadable_answer(httpserver: HTTPServer, base_url: str) -> None:
    httpserver.expect_request("/render").respond_with_data("<html>proxy login</html>")
    provider = make_provider("graphite", config("graphite", base_url))

    outcome = provider.run_query("target=x", at=AT)

    assert isinstance(outcome, QueryError) and outcome.kind is FailureKind.BAD_RESPONSE
    assert "proxy login" in outcome.reason and not outcome.retryable


def test_long_backend_text_is_truncated(httpserver: HTTPServer, base_url: str) -> None:
    httpserver.expect_request("/render").respond_with_data("x" * 5000, status=400)
    provider = make_provider("graphite", config("graphite", base_url))

    outcome = provider.run_query("target=x", at=AT)

    assert isinstance(outcome, QueryError) and len(outcome.reason) <= 300


def test_an_answer_of_the_wrong_shape(httpserver: HTTPServer, base_url: str) -> None:
    httpserver.expect_request("/v1/accounts/1/query").respond_with_json(["not", "an", "object"])
    creds = {"newrelic_account_id": "1", "newrelic_query_key": "k"}
    provider = make_provider("newrelic", config("newrelic", base_url, creds))

    outcome = provider.run_query("SELECT 1", at=AT)

    assert isinstance(outcome, QueryError) and outcome.kind is FailureKind.BAD_RESPONSE
