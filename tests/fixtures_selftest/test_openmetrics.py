"""The OpenMetrics builder writes text promtool accepts and refuses series it would not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fixtures.openmetrics import OpenMetricsBuilder


def family_of(line: str) -> str:
    if line.startswith("#"):
        return line.split()[2]
    name = line.split("{")[0].split()[0]
    for suffix in ("_total", "_bucket", "_count", "_sum"):
        name = name.removesuffix(suffix)
    return name


def test_each_family_is_written_once_and_in_one_piece() -> None:
    text = (
        OpenMetricsBuilder()
        .requests("podinfo-canary", start=0, end=20, per_step={"200": 9, "500": 1})
        .latencies("podinfo-canary", start=0, end=20, per_step={0.1: 10})
        .requests("podinfo-primary", start=0, end=20, per_step={"200": 10})
        .render()
    )
    lines = text.splitlines()
    blocks = [family_of(line) for line in lines[:-1]]
    runs = [name for i, name in enumerate(blocks) if i == 0 or blocks[i - 1] != name]

    assert lines[-1] == "# EOF"
    assert text.endswith("\n")
    assert runs == ["http_requests", "http_request_duration_seconds"]
    assert 'http_requests_total{app="podinfo-primary",status="200"} 20 20' in lines
    assert 'http_request_duration_seconds_bucket{app="podinfo-canary",le="+Inf"} 20 20' in lines
    assert 'http_request_duration_seconds_sum{app="podinfo-canary"} 2 20' in lines


def test_label_values_are_escaped() -> None:
    text = OpenMetricsBuilder().gauge("g", {"path": 'a"b\\c'}, [(1, 1.5)]).render()

    assert 'g{path="a\\"b\\\\c"} 1.5 1' in text.splitlines()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda b: b.gauge("g", {"a": "1"}, [(1, 1)]).gauge("g", {"a": "1"}, [(2, 1)]), "twice"),
        (lambda b: b.gauge("g", {}, [(2, 1), (2, 2)]), "rise strictly"),
        (lambda b: b.gauge("g", {}, [(1, 1)]).counter("g", {"a": "1"}, [(1, 1)]), "already"),
        (lambda b: b.gauge("g", {"__name__": "x"}, [(1, 1)]), "label name"),
        (lambda b: b.latencies("x", start=0, end=10, per_step={float("inf"): 1}), "finite"),
    ],
)
def test_series_promtool_would_reject_are_refused(
    build: Callable[[OpenMetricsBuilder], object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build(OpenMetricsBuilder())
