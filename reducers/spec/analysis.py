"""``spec.analysis`` of a Canary: schedule, traffic steps, checks, hooks, alerts, stickiness.

Cross-field rules live on the models so that a model that exists is a valid one: the CRD's
``oneOf`` (exactly one of ``iterations`` / ``stepWeight`` / ``stepWeights``) and the few checks
Flagger only discovers while running (a metric nothing can evaluate, identical cookie names), which
Roost rejects up front. Effective values come from :mod:`reducers.spec.defaults`.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field, JsonValue, model_validator

from reducers.spec import defaults
from reducers.spec.base import (
    Bool,
    HttpUrl,
    Int,
    NamespacedRef,
    NonNegativeInt,
    Number,
    Percent,
    SpecModel,
    StringMap,
    rule_error,
)
from reducers.spec.durations import Duration
from reducers.spec.enums import AlertSeverity, SameSite, Strategy, WebhookType

BUILTIN_METRICS = frozenset({"request-success-rate", "request-duration"})
"""Metric names Roost evaluates without a template or query."""


def _one_of(fields: tuple[str, ...]) -> list[JsonValue]:
    return [{"required": [name]} for name in fields]


class HeaderMatch(SpecModel):
    """How one request header must match: exactly one of the four operators."""

    OPERATORS: ClassVar[tuple[str, ...]] = ("exact", "prefix", "suffix", "regex")
    model_config = ConfigDict(json_schema_extra={"oneOf": _one_of(OPERATORS)})

    exact: str | None = None
    """The whole value equals this."""
    prefix: str | None = None
    """The value starts with this."""
    suffix: str | None = None
    """The value ends with this."""
    regex: str | None = None
    """The value matches this RE2 regular expression."""

    @model_validator(mode="after")
    def _exactly_one(self) -> HeaderMatch:
        given = [name for name in self.OPERATORS if getattr(self, name) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise rule_error(f"set exactly one of exact, prefix, suffix or regex (found: {found})")
        return self


class QueryParamMatch(SpecModel):
    """How one query parameter must match: at most one operator (none: the parameter exists)."""

    model_config = ConfigDict(
        json_schema_extra={
            "not": {
                "anyOf": [
                    {"required": ["exact", "prefix"]},
                    {"required": ["exact", "regex"]},
                    {"required": ["prefix", "regex"]},
                ]
            }
        }
    )

    exact: str | None = None
    """The whole value equals this."""
    prefix: str | None = None
    """The value starts with this."""
    regex: str | None = None
    """The value matches this RE2 regular expression."""

    @model_validator(mode="after")
    def _at_most_one(self) -> QueryParamMatch:
        given = [n for n in ("exact", "prefix", "regex") if getattr(self, n) is not None]
        if len(given) > 1:
            raise rule_error(
                f"set at most one of exact, prefix or regex (found: {', '.join(given)})"
            )
        return self


class HttpMatch(SpecModel):
    """One A/B-testing condition; a request matching any condition goes to the canary."""

    headers: dict[str, HeaderMatch] | None = None
    """Request headers that must match, by header name."""
    query_params: dict[str, QueryParamMatch] | None = Field(default=None, alias="queryParams")
    """Query parameters that must match, by parameter name."""
    source_labels: StringMap | None = Field(default=None, alias="sourceLabels")
    """Labels the calling workload must carry (Istio mesh gateway only)."""


class ThresholdRange(SpecModel):
    """Inclusive range of accepted metric values; either bound may be absent."""

    min: Number | None = None
    """Lowest accepted value."""
    max: Number | None = None
    """Highest accepted value."""

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdRange:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise rule_error(f"min ({self.min}) is greater than max ({self.max})", field="min")
        return self


class TemplateRef(NamespacedRef):
    """Reference to a MetricTemplate (namespace defaults to the Canary's)."""

    api_version: str | None = Field(default=None, alias="apiVersion")
    """Optional apiVersion of the template (informational)."""
    kind: str | None = None
    """Optional kind of the template (informational)."""


class CanaryMetric(SpecModel):
    """One metric check run on every analysis tick."""

    name: str
    """Metric name; `request-success-rate` and `request-duration` are builtin."""
    interval: Duration | None = None
    """Query window."""
    threshold: Number | None = None
    """Deprecated single bound (its meaning depends on the metric kind)."""
    threshold_range: ThresholdRange | None = Field(default=None, alias="thresholdRange")
    """Accepted range of values."""
    query: str | None = None
    """Deprecated inline Prometheus query."""
    template_ref: TemplateRef | None = Field(default=None, alias="templateRef")
    """MetricTemplate that evaluates this metric."""
    template_variables: StringMap | None = Field(default=None, alias="templateVariables")
    """Variables exposed to the template as `variables`."""

    @model_validator(mode="after")
    def _evaluable(self) -> CanaryMetric:
        # Flagger accepts such a metric and then fails it on every tick.
        if self.name not in BUILTIN_METRICS and not self.query and self.template_ref is None:
            raise rule_error(
                f"metric {self.name!r} is not builtin and has neither templateRef nor query",
                field="templateRef",
            )
        return self

    @property
    def is_builtin(self) -> bool:
        """Whether Roost's builtin observers evaluate this metric."""
        return self.name in BUILTIN_METRICS

    def effective_interval(self, *, from_template: bool) -> timedelta | None:
        """Query window for the builtin/inline pass or the template pass (see defaults)."""
        return defaults.metric_interval(self.interval, from_template=from_template)


class CanaryAlert(SpecModel):
    """Routes the Canary's alerts of some severity to an AlertProvider."""

    name: str
    """Label of this entry."""
    provider_ref: NamespacedRef = Field(alias="providerRef")
    """AlertProvider to post to."""
    severity: AlertSeverity | None = None
    """Lowest severity delivered; empty delivers nothing (Flagger's code, not its docs)."""


class CanaryWebhook(SpecModel):
    """An HTTP hook called at a point of the rollout chosen by `type`."""

    name: str
    """Name used in events."""
    url: HttpUrl
    """Address the payload is POSTed to."""
    type: WebhookType | None = None
    """When the hook is called; absent or empty means `rollout`."""
    timeout: Duration | None = None
    """Per-attempt timeout."""
    retries: NonNegativeInt | None = None
    """Extra attempts after a retryable failure."""
    disable_tls: Bool | None = Field(default=None, alias="disableTLS")
    """Skip TLS certificate verification."""
    mute_alert: Bool | None = Field(default=None, alias="muteAlert")
    """Suppress the "waiting for approval" alerts of gate hooks."""
    metadata: StringMap | None = None
    """Sent as `metadata` in the payload."""

    def effective_type(self) -> WebhookType:
        """The hook's type, with the unspecified type read as ``rollout``."""
        return (self.type or WebhookType.UNSPECIFIED).effective

    def effective_timeout(self) -> timedelta:
        """Per-attempt timeout."""
        return defaults.webhook_timeout(self.timeout)


class SessionAffinity(SpecModel):
    """Cookie stickiness: a user sent to the canary once stays there for the run."""

    cookie_name: str = Field(alias="cookieName")
    """Name of the canary cookie."""
    primary_cookie_name: str | None = Field(default=None, alias="primaryCookieName")
    """Name of the primary cookie; setting it makes primary users sticky as well."""
    max_age: NonNegativeInt | None = Field(default=None, alias="maxAge")
    """Max-Age of the canary cookie in seconds."""
    domain: str | None = None
    """Cookie Domain attribute."""
    http_only: Bool | None = Field(default=None, alias="httpOnly")
    """Cookie HttpOnly attribute."""
    partitioned: Bool | None = None
    """Cookie Partitioned attribute."""
    path: str | None = None
    """Cookie Path attribute."""
    same_site: SameSite | None = Field(default=None, alias="sameSite")
    """Cookie SameSite attribute."""
    secure: Bool | None = None
    """Cookie Secure attribute."""

    @model_validator(mode="after")
    def _distinct_names(self) -> SessionAffinity:
        if self.primary_cookie_name is not None and self.primary_cookie_name == self.cookie_name:
            raise rule_error(
                "primaryCookieName must differ from cookieName", field="primaryCookieName"
            )
        return self

    def effective_max_age(self) -> int:
        """Max-Age of the canary cookie."""
        return defaults.cookie_max_age(self.max_age)


StepWeights = Annotated[tuple[Annotated[Int, Field(ge=1)], ...], Field(min_length=1)]
_MODES = ("iterations", "stepWeight", "stepWeights")


class Analysis(SpecModel):
    """How a run advances and what it checks."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [{"required": ["interval", "threshold", mode]} for mode in _MODES]
        }
    )

    interval: Duration
    """Time between two ticks of this canary."""
    threshold: Int
    """Failed checks that trigger a rollback."""
    iterations: NonNegativeInt | None = None
    """Number of iterations of an A/B or Blue/Green run."""
    max_weight: Int | None = Field(default=None, alias="maxWeight")
    """Canary weight at which promotion starts (canary strategy)."""
    step_weight: NonNegativeInt | None = Field(default=None, alias="stepWeight")
    """Linear increment of the canary weight per tick."""
    step_weights: StepWeights | None = Field(default=None, alias="stepWeights")
    """Explicit, strictly increasing ladder of canary weights."""
    step_weight_promotion: NonNegativeInt | None = Field(default=None, alias="stepWeightPromotion")
    """Primary-weight increment per tick while promoting (0: switch at once)."""
    mirror: Bool | None = None
    """Mirror traffic to the canary before shifting it."""
    mirror_weight: Percent | None = Field(default=None, alias="mirrorWeight")
    """Percentage of traffic mirrored (0: the router's default, all of it)."""
    primary_ready_threshold: Percent | None = Field(default=None, alias="primaryReadyThreshold")
    """Percentage of updated primary pods that must be available."""
    canary_ready_threshold: Percent | None = Field(default=None, alias="canaryReadyThreshold")
    """Percentage of updated canary pods that must be available."""
    match: tuple[HttpMatch, ...] | None = None
    """A/B-testing conditions."""
    session_affinity: SessionAffinity | None = Field(default=None, alias="sessionAffinity")
    """Cookie stickiness during the run."""
    metrics: tuple[CanaryMetric, ...] | None = None
    """Metric checks."""
    webhooks: tuple[CanaryWebhook, ...] | None = None
    """Hooks."""
    alerts: tuple[CanaryAlert, ...] | None = None
    """Per-canary alert routing; when given, the operator-wide notifier is not used."""

    @model_validator(mode="after")
    def _one_mode(self) -> Analysis:
        given = [m for m, v in zip(_MODES, self._mode_values(), strict=True) if v is not None]
        if not given:
            raise rule_error("one of iterations, stepWeight or stepWeights is required")
        if len(given) > 1:
            raise rule_error(
                f"{' and '.join(given)} are mutually exclusive: set exactly one of "
                "iterations, stepWeight or stepWeights",
                field=given[-1],
            )
        ladder = self.step_weights or ()
        if any(b <= a for a, b in pairwise(ladder)):
            raise rule_error("stepWeights must be strictly increasing", field="stepWeights")
        return self

    def _mode_values(self) -> tuple[object, object, object]:
        return (self.iterations, self.step_weight, self.step_weights)

    def strategy(self) -> Strategy:
        """Deployment strategy, derived the way Flagger derives it on every use."""
        if self.iterations:
            return Strategy.AB_TESTING if self.match else Strategy.BLUE_GREEN
        return Strategy.CANARY

    def effective_interval(self) -> timedelta:
        """Tick period."""
        return defaults.analysis_interval(self.interval)

    def effective_threshold(self) -> int:
        """Failed checks that trigger a rollback."""
        return defaults.failed_checks_threshold(self.threshold)

    def effective_max_weight(self) -> int:
        """Canary weight at which promotion starts."""
        return defaults.max_weight(self.max_weight, self.step_weights)

    def next_step_weight(self, current: int) -> int:
        """Increment of the canary weight from ``current`` on the next advance."""
        return defaults.next_step_weight(current, self.step_weight, self.step_weights)

    def effective_step_weights(self) -> tuple[int, ...]:
        """Canary weights a canary-strategy run visits before promoting."""
        return defaults.step_weights_ladder(self.max_weight, self.step_weight, self.step_weights)

    def effective_step_weight_promotion(self) -> int:
        """Primary-weight increment while promoting (0: all at once)."""
        return self.step_weight_promotion or 0

    def effective_primary_ready_threshold(self) -> int:
        """Percentage of updated primary pods that must be available."""
        return defaults.ready_threshold(self.primary_ready_threshold)

    def effective_canary_ready_threshold(self) -> int:
        """Percentage of updated canary pods that must be available."""
        return defaults.ready_threshold(self.canary_ready_threshold)

    def webhooks_of(self, kind: WebhookType) -> tuple[CanaryWebhook, ...]:
        """Hooks of one (effective) type, in list order."""
        wanted = kind.effective
        return tuple(hook for hook in self.webhooks or () if hook.effective_type() == wanted)
