"""Flagger's ``flagger.app/v1beta1`` resources as frozen, validated models — the spec layer.

Roost reads Flagger's Canary, MetricTemplate and AlertProvider unchanged. This package owns their
shape and their meaning: what is valid (:func:`validate_document`), what each field defaults to
(:mod:`reducers.spec.defaults`), and what a reducer derives from them (``effective_*`` methods).
It is pure like the rest of ``reducers``: no I/O, no clock, no environment. The controller decodes
YAML and calls in; the CRD generator reads the models' JSON Schema.

Public surface
--------------
Validation
    ``validate_document(doc) -> Canary | MetricTemplate | AlertProvider | list[Problem]``;
    ``Problem(kind, name, path, message)`` whose ``str()`` is ``Kind/name: path: message``;
    ``problems_from_error(kind, name, ValidationError)``; ``MODELS`` (kind → model).
Models (camelCase on the wire, snake_case in Python; ``to_document()`` round-trips)
    ``Canary`` → ``CanarySpec`` (``TargetRef``, ``AutoscalerRef``, ``IngressRef``, ``RouteRef``,
    ``UpstreamRef``, ``CanaryService``, ``Analysis`` → ``CanaryMetric``, ``CanaryWebhook``,
    ``CanaryAlert``, ``SessionAffinity``, ``HttpMatch``) and ``CanaryStatus``;
    ``MetricTemplate`` → ``MetricProvider``; ``AlertProvider`` → ``AlertProviderSpec``.
Effective values (Flagger's defaults; all in :mod:`reducers.spec.defaults`)
    ``Analysis``: ``strategy()``, ``effective_interval()``, ``effective_threshold()``,
    ``effective_max_weight()``, ``next_step_weight(current)``, ``effective_step_weights()``,
    ``effective_step_weight_promotion()``, ``effective_primary_ready_threshold()``,
    ``effective_canary_ready_threshold()``, ``webhooks_of(type)``.
    ``CanarySpec``: ``effective_provider(default)``, ``effective_progress_deadline()``,
    ``effective_service_name()``. ``CanaryService``: ``effective_name(target)``,
    ``effective_port_name()``, ``effective_target_port()``, ``effective_hosts(target)``,
    ``effective_gateways()``. ``CanaryMetric.effective_interval(from_template=...)``,
    ``CanaryWebhook.effective_type()`` / ``effective_timeout()``,
    ``SessionAffinity.effective_max_age()``, ``AlertProviderSpec.effective_channel()`` /
    ``effective_username()``.
Vocabulary
    ``Provider``, ``TargetKind``, ``AutoscalerKind``, ``WebhookType``, ``AlertSeverity``,
    ``Phase``, ``Strategy``, ``MetricProviderType``, ``AlertProviderType`` (``StrEnum`` s);
    ``parse_provider(text) -> ProviderChoice`` for the operator-wide provider name;
    ``parse_go_duration(text) -> timedelta``.
"""

from __future__ import annotations

from reducers.spec.alert_providers import AlertProvider, AlertProviderSpec
from reducers.spec.analysis import (
    BUILTIN_METRICS,
    Analysis,
    CanaryAlert,
    CanaryMetric,
    CanaryWebhook,
    HeaderMatch,
    HttpMatch,
    QueryParamMatch,
    SessionAffinity,
    TemplateRef,
    ThresholdRange,
)
from reducers.spec.base import Condition, NamespacedRef, ObjectMeta, SpecModel
from reducers.spec.canary import (
    AutoscalerRef,
    Canary,
    CanarySpec,
    CanaryStatus,
    IngressRef,
    RouteRef,
    ScalerReplicas,
    TargetRef,
    UpstreamRef,
)
from reducers.spec.durations import is_flagger_duration, parse_go_duration
from reducers.spec.enums import (
    AlertProviderType,
    AlertSeverity,
    AutoscalerKind,
    ConditionStatus,
    MetricProviderType,
    Phase,
    Provider,
    Strategy,
    TargetKind,
    WebhookType,
)
from reducers.spec.errors import (
    DurationError,
    InvalidValue,
    SpecError,
    UnknownProviderError,
)
from reducers.spec.metric_templates import MetricProvider, MetricTemplate, MetricTemplateSpec
from reducers.spec.problems import Problem, format_path, problems_from_error
from reducers.spec.providers import ProviderChoice, parse_provider
from reducers.spec.service import CanaryService, GatewayRef, MirrorFilter
from reducers.spec.validating import MODELS, SpecDocument, validate_document

__all__ = [
    "BUILTIN_METRICS",
    "MODELS",
    "AlertProvider",
    "AlertProviderSpec",
    "AlertProviderType",
    "AlertSeverity",
    "Analysis",
    "AutoscalerKind",
    "AutoscalerRef",
    "Canary",
    "CanaryAlert",
    "CanaryMetric",
    "CanaryService",
    "CanarySpec",
    "CanaryStatus",
    "CanaryWebhook",
    "Condition",
    "ConditionStatus",
    "DurationError",
    "GatewayRef",
    "HeaderMatch",
    "HttpMatch",
    "IngressRef",
    "InvalidValue",
    "MetricProvider",
    "MetricProviderType",
    "MetricTemplate",
    "MetricTemplateSpec",
    "MirrorFilter",
    "NamespacedRef",
    "ObjectMeta",
    "Phase",
    "Problem",
    "Provider",
    "ProviderChoice",
    "QueryParamMatch",
    "RouteRef",
    "ScalerReplicas",
    "SessionAffinity",
    "SpecDocument",
    "SpecError",
    "SpecModel",
    "Strategy",
    "TargetKind",
    "TargetRef",
    "TemplateRef",
    "ThresholdRange",
    "UnknownProviderError",
    "UpstreamRef",
    "WebhookType",
    "format_path",
    "is_flagger_duration",
    "parse_go_duration",
    "parse_provider",
    "problems_from_error",
    "validate_document",
]
