"""Judging a metric value against its range (flagger-core §3.2) and wording the verdict.

Shared by whoever measures (``effects`` and the simulated world compute the verdict they record)
and the decider (which words the Warning event). Pure arithmetic and formatting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reducers.canary.messages import Names
from reducers.events import MetricResult, MetricSource, MetricVerdict
from reducers.spec import CanaryMetric

SUCCESS_RATE = "request-success-rate"
DURATION = "request-duration"


@dataclass(frozen=True, slots=True)
class Bounds:
    """Effective bounds of a metric check (``None``: unbounded on that side)."""

    min: float | None
    max: float | None


def bounds_of(metric: CanaryMetric, source: MetricSource) -> Bounds:
    """The bounds the check uses, including the deprecated ``threshold`` forms."""
    rng = metric.threshold_range
    duration = source is MetricSource.BUILTIN and metric.name == DURATION
    if rng is not None:
        low = None if rng.min is None else float(rng.min)
        high = None if rng.max is None else float(rng.max)
        if duration:  # bounds become whole milliseconds (kept Flagger quirk 14)
            low = None if low is None else float(math.trunc(low))
            high = None if high is None else float(math.trunc(high))
        return Bounds(low, high)
    threshold = float(metric.threshold or 0)
    if source is MetricSource.BUILTIN and metric.name == SUCCESS_RATE:
        return Bounds(threshold, None)
    if duration:
        return Bounds(None, float(math.trunc(threshold)))
    return Bounds(None, threshold)


def judge(metric: CanaryMetric, source: MetricSource, value: float | None) -> MetricVerdict:
    """Verdict for a measured value (``None`` or NaN: no data). Bounds are inclusive."""
    if value is None or math.isnan(value):
        return MetricVerdict.NO_DATA
    if source is MetricSource.BUILTIN and metric.name == DURATION:
        value = float(math.trunc(value))
    b = bounds_of(metric, source)
    if b.min is not None and value < b.min:
        return MetricVerdict.FAIL
    if b.max is not None and value > b.max:
        return MetricVerdict.FAIL
    return MetricVerdict.PASS


def go_float(value: float) -> str:
    """A float as Go's ``%v`` prints it: ``99``, ``0.5``, ``500``."""
    if value == math.trunc(value) and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def go_duration_ms(ms: float) -> str:
    """Whole milliseconds as Go's ``time.Duration`` prints them: ``500ms``, ``1.515s``, ``1m0s``."""
    total = math.trunc(ms)
    if total == 0:
        return "0s"
    sign = "-" if total < 0 else ""
    total = abs(total)
    if total < 1000:
        return f"{sign}{total}ms"
    hours, rest = divmod(total, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds = rest / 1000
    text = f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{text}"
    if minutes:
        return f"{sign}{minutes}m{text}"
    return sign + text


def halt_message(n: Names, metric: CanaryMetric, result: MetricResult) -> str:
    """The Warning event text of a failed, empty or erroring metric check."""
    source, name = result.source, result.name
    builtin_rate = source is MetricSource.BUILTIN and name == SUCCESS_RATE
    builtin_duration = source is MetricSource.BUILTIN and name == DURATION
    if result.verdict is MetricVerdict.NO_DATA:
        if builtin_rate:
            return (
                f"Halt advancement no values found for {result.provider} metric {SUCCESS_RATE} "
                f"probably {n.workload} is not receiving traffic: {result.error}"
            )
        if builtin_duration:
            return (
                f"Halt advancement no values found for {result.provider} metric {DURATION} "
                f"probably {n.workload} is not receiving traffic"
            )
        if source is MetricSource.INLINE:
            return f"Halt advancement no values found for metric: {name}"
        return f"Halt advancement no values found for custom metric: {name}: {result.error}"
    if result.verdict is MetricVerdict.ERROR:
        if source is MetricSource.BUILTIN:
            return f"Prometheus query failed: {result.error}"
        if source is MetricSource.INLINE:
            return f"Prometheus query failed for {name}: {result.error}"
        return f"Metric query failed for {name}: {result.error}"
    value = result.value if result.value is not None else 0.0
    b = bounds_of(metric, source)
    below = b.min is not None and value < b.min
    bound = b.min if below else b.max
    op = "<" if below else ">"
    head = f"Halt {n.canary} advancement"
    if builtin_rate:
        return f"{head} success rate {value:.2f}% {op} {go_float(bound or 0.0)}%"
    if builtin_duration:
        shown = go_duration_ms(value)
        return f"{head} request duration {shown} {op} {go_duration_ms(bound or 0.0)}"
    return f"{head} {name} {value:.2f} {op} {go_float(bound or 0.0)}"


def webhook_succeeded(status: int | None) -> bool:
    """Whether a final HTTP status is a webhook success: any 2xx.

    Flagger accepts only 200-202 (quirk 11): a hook answering 204 No Content fails there. Roost
    treats every 2xx as success (docs/compatibility.md).
    """
    return status is not None and 200 <= status <= 299


def webhook_retryable(status: int | None) -> bool:
    """Whether an answer is retried: no answer, 429, and 5xx except 501 (flagger-core §4.2)."""
    return status is None or status == 429 or (status >= 500 and status != 501)
