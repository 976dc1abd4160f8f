"""Every Flagger default, in one place, as constants and pure functions over raw spec values.

The models keep exactly what the user wrote (``None`` when absent) so a spec round-trips; reducers
ask for *effective* values through the models' ``effective_*`` methods, which call the functions
here. The functions take primitive values, not models, so this module depends on nothing but
:mod:`reducers.spec.durations` and can be read as the complete table of Flagger's fallbacks.

Where Flagger's documented default differs from its code, the code wins and the function says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from itertools import pairwise

from reducers.spec.durations import parse_go_duration
from reducers.spec.errors import DurationError

TOTAL_WEIGHT = 100
"""Weights of primary and canary always add up to this."""

PROGRESS_DEADLINE_SECONDS = 600
"""Seconds a workload may take to become ready (``spec.progressDeadlineSeconds``)."""

ANALYSIS_INTERVAL = timedelta(seconds=60)
"""Tick period when ``analysis.interval`` is empty or unparsable."""

MIN_ANALYSIS_INTERVAL = timedelta(seconds=10)
"""Shorter intervals are raised to this."""

FAILED_CHECKS_THRESHOLD = 1
"""``analysis.threshold`` used when the written value is not positive."""

MAX_WEIGHT = 100
"""``analysis.maxWeight`` used when the written value is not positive."""

READY_THRESHOLD_PERCENT = 100
"""``primaryReadyThreshold`` / ``canaryReadyThreshold`` when absent."""

PORT_NAME = "http"
"""Name of the main port of the generated Services."""

ISTIO_GATEWAYS: tuple[str, ...] = ("mesh",)
"""Gateways of an Istio VirtualService when ``service.gateways`` is empty."""

METRIC_INTERVAL = timedelta(minutes=1)
METRIC_INTERVAL_TEXT = "1m"
"""Query window of builtin and inline metrics with no ``interval``."""

WEBHOOK_TIMEOUT = timedelta(seconds=10)
"""Per-attempt webhook timeout when ``timeout`` is absent (or shorter than two characters)."""

COOKIE_MAX_AGE_SECONDS = 86400
"""``sessionAffinity.maxAge`` when absent or zero."""

ALERT_CHANNEL = "general"
"""AlertProvider ``channel`` when absent."""

ALERT_USERNAME = "flagger"
"""AlertProvider ``username`` when absent."""


def progress_deadline(seconds: int | None) -> timedelta:
    """Effective `spec.progressDeadlineSeconds`."""
    return timedelta(seconds=PROGRESS_DEADLINE_SECONDS if seconds is None else seconds)


def analysis_interval(text: str | None) -> timedelta:
    """Effective tick period: 60s when absent or unparsable, never below 10s."""
    if not text:
        return ANALYSIS_INTERVAL
    try:
        interval = parse_go_duration(text)
    except DurationError:
        return ANALYSIS_INTERVAL
    return max(interval, MIN_ANALYSIS_INTERVAL)


def failed_checks_threshold(threshold: int | None) -> int:
    """Failed checks that trigger a rollback (`failedChecks >= threshold`)."""
    return threshold if threshold is not None and threshold > 0 else FAILED_CHECKS_THRESHOLD


def max_weight(written: int | None, step_weights: Sequence[int] | None) -> int:
    """Canary weight at which promotion starts.

    A non-empty ``stepWeights`` ladder ends at its last rung (capped at 100) and ``maxWeight`` is
    then ignored; otherwise a non-positive or absent ``maxWeight`` means 100. A ``maxWeight`` above
    100 is returned as written: Flagger then never promotes (weights stop at 100).
    """
    if step_weights:
        return min(TOTAL_WEIGHT, step_weights[-1])
    return written if written is not None and written > 0 else MAX_WEIGHT


def next_step_weight(
    current: int, step_weight: int | None, step_weights: Sequence[int] | None
) -> int:
    """Increment applied to the canary weight on the next advance (0: never advances)."""
    if (step_weight or 0) > 0 or not step_weights:
        return step_weight or 0
    room = TOTAL_WEIGHT - current
    if room == 0:
        return 1
    if current == 0:
        return min(room, step_weights[0])
    for rung, following in pairwise(step_weights):
        if current == rung:
            return min(room, following - current)
    return room


def step_weights_ladder(
    written_max: int | None, step_weight: int | None, step_weights: Sequence[int] | None
) -> tuple[int, ...]:
    """Canary weights a run visits before promotion, in order (mirror step not included).

    Computed by repeating :func:`next_step_weight` from 0 until the effective max weight or 100
    is reached, so it reproduces Flagger's overshoot (maxWeight 50, step 20 → 20, 40, 60).
    Empty when the analysis never advances weights.
    """
    ceiling = max_weight(written_max, step_weights)
    weights: list[int] = []
    current = 0
    while current < ceiling and current < TOTAL_WEIGHT:
        step = next_step_weight(current, step_weight, step_weights)
        if step <= 0:
            break
        current = min(TOTAL_WEIGHT, current + step)
        weights.append(current)
    return tuple(weights)


def ready_threshold(percent: int | None) -> int:
    """Percentage of updated pods that must be available."""
    return READY_THRESHOLD_PERCENT if percent is None else percent


def service_name(written: str | None, target_name: str) -> str:
    """Base name of the generated Services."""
    return written or target_name


def port_name(written: str | None) -> str:
    """Name of the main Service port."""
    return written or PORT_NAME


def target_port(written: int | str | None, port: int) -> int | str:
    """Container port behind the Service port."""
    return port if written is None or written == "" else written


def hosts(written: Sequence[str] | None, service: str) -> tuple[str, ...]:
    """Hosts of the generated virtual service / route."""
    return tuple(written) if written else (service,)


def gateways(written: Sequence[str] | None) -> tuple[str, ...]:
    """Istio gateways; `mesh` only when none are given (it is not added to a given list)."""
    return tuple(written) if written else ISTIO_GATEWAYS


def metric_interval(text: str | None, *, from_template: bool) -> timedelta | None:
    """Query window of a metric.

    Builtin and inline metrics default to one minute. Template metrics get *no* default in
    Flagger's code (its docs say otherwise): ``None`` is returned so the caller reproduces that.
    """
    if text:
        return parse_go_duration(text)
    return None if from_template else METRIC_INTERVAL


def webhook_timeout(text: str | None) -> timedelta:
    """Per-attempt webhook timeout."""
    if text is None or len(text) < 2:
        return WEBHOOK_TIMEOUT
    return parse_go_duration(text)


def cookie_max_age(seconds: int | None) -> int:
    """Max-Age of the canary session-affinity cookie."""
    return seconds if seconds else COOKIE_MAX_AGE_SECONDS


def alert_channel(written: str | None) -> str:
    """Channel an AlertProvider posts to."""
    return written or ALERT_CHANNEL


def alert_username(written: str | None) -> str:
    """User name an AlertProvider posts as."""
    return written or ALERT_USERNAME


def webhook_retries(written: int | None) -> int:
    """Extra attempts of a webhook call."""
    return written or 0
