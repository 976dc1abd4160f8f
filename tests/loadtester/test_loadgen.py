"""Reading ``hey`` command lines: supported flags, defaults and bounds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from controller.loadtester import Limits, LoadSpecError, parse_hey


def test_flagger_docs_command() -> None:
    spec = parse_hey("hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/", Limits())
    assert (spec.url, spec.duration, spec.rate, spec.workers) == (
        "http://podinfo-canary.test:9898/",
        timedelta(minutes=1),
        10.0,
        2,
    )
    assert spec.method == "GET"


def test_defaults_and_headers() -> None:
    spec = parse_hey("hey -m post -T application/json -H 'A: b' http://h/", Limits())
    assert (spec.requests, spec.workers, spec.duration, spec.method) == (200, 50, None, "POST")
    assert spec.headers == (("A", "b"), ("Content-Type", "application/json"))


@pytest.mark.parametrize(
    ("cmd", "error"),
    [
        ("hey", "URL is required"),
        ("hey -n", "needs a value"),
        ("hey -n x http://h/", "needs a number"),
        ("hey -H nocolon http://h/", "is not 'Name: value'"),
        ("hey -h2 http://h/", "not supported"),
        ("hey -z 10m http://h/", "must not exceed"),
        ("hey -c 0 http://h/", "-c must be between"),
        ("hey http://a/ http://b/", "unexpected argument"),
    ],
)
def test_rejections(cmd: str, error: str) -> None:
    with pytest.raises(LoadSpecError, match=error):
        parse_hey(cmd, Limits(max_duration=timedelta(minutes=5)))
