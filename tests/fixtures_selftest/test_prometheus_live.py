"""The session's scraping Prometheus sees what the simulated app is set to report."""

from __future__ import annotations

from collections.abc import Callable

from tests.fixtures.prometheus import LivePrometheus, PromResponse, has_data

SUCCESS_RATE = (
    'sum(rate(http_requests_total{status!~"5.."}[10s])) / sum(rate(http_requests_total[10s]))'
)
P99 = "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[10s])))"


def test_queries_follow_the_traffic_the_app_is_set_to(prometheus_live: LivePrometheus) -> None:
    # The app starts at 100% success and 50 ms; values far from both show the setting arrived.
    prometheus_live.app.set_traffic(success_ratio=0.8, latency_seconds=0.3)

    def near(expected: float) -> Callable[[PromResponse], bool]:
        return lambda r: has_data(r) and abs(r.value() - expected) < 0.03

    success = prometheus_live.wait_for(SUCCESS_RATE, until=near(0.8), timeout=40)
    assert abs(success.value() - 0.8) < 0.03

    # Every request observes 0.3 s, so the estimate falls inside the (0.25, 0.5] bucket.
    def in_bucket(r: PromResponse) -> bool:
        return has_data(r) and 0.25 < r.value() <= 0.5

    p99 = prometheus_live.wait_for(P99, until=in_bucket, timeout=20)
    assert 0.25 < p99.value() <= 0.5
