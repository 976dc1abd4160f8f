"""The Canary resource: references, top-level spec, status, and the rules that span them.

``Canary.spec`` nests :class:`~reducers.spec.service.CanaryService` and
:class:`~reducers.spec.analysis.Analysis`. Rules that Flagger's controller (not its CRD) enforces
— a Knative target only with the knative provider and without an autoscaler — are model rules here,
so they are reported by ``roost validate`` instead of surfacing on the first reconcile.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from reducers.spec import defaults
from reducers.spec.analysis import Analysis
from reducers.spec.base import (
    Bool,
    Condition,
    HttpUrl,
    Int,
    NonNegativeInt,
    ObjectMeta,
    SpecModel,
    StringMap,
    Timestamp,
    rule_error,
)
from reducers.spec.enums import AutoscalerKind, FlaggerApiVersion, Phase, Provider, TargetKind
from reducers.spec.service import CanaryService

KNATIVE_API_VERSION = "serving.knative.dev/v1"
"""A ``Service`` target with this apiVersion is a Knative Service."""


class TargetRef(SpecModel):
    """The workload under release."""

    api_version: str = Field(alias="apiVersion")
    """apiVersion of the workload."""
    kind: TargetKind
    """Kind of the workload."""
    name: str
    """Name of the workload, in the Canary's namespace."""

    @property
    def is_knative(self) -> bool:
        """Whether the target is a Knative Service rather than a core Service or workload."""
        return self.kind is TargetKind.SERVICE and self.api_version == KNATIVE_API_VERSION


class ScalerReplicas(SpecModel):
    """Replica bounds for the primary's autoscaler, overriding the target's."""

    min_replicas: Int | None = Field(default=None, alias="minReplicas", ge=1)
    """Lowest replica count."""
    max_replicas: Int | None = Field(default=None, alias="maxReplicas", ge=1)
    """Highest replica count."""

    @model_validator(mode="after")
    def _ordered(self) -> ScalerReplicas:
        low, high = self.min_replicas, self.max_replicas
        if low is not None and high is not None and low > high:
            raise rule_error(f"minReplicas ({low}) exceeds maxReplicas ({high})", "minReplicas")
        return self


class AutoscalerRef(SpecModel):
    """Autoscaler of the target, mirrored for the primary."""

    api_version: str = Field(alias="apiVersion")
    """apiVersion of the autoscaler."""
    kind: AutoscalerKind
    """Kind of the autoscaler."""
    name: str
    """Name of the autoscaler."""
    primary_scaler_queries: StringMap | None = Field(default=None, alias="primaryScalerQueries")
    """KEDA trigger queries for the primary, by trigger name."""
    primary_scaler_replicas: ScalerReplicas | None = Field(
        default=None, alias="primaryScalerReplicas"
    )
    """Replica bounds for the primary's autoscaler."""


class IngressRef(SpecModel):
    """The Ingress the nginx and skipper providers split."""

    api_version: str = Field(alias="apiVersion")
    """apiVersion of the Ingress."""
    kind: Literal["Ingress"]
    """Always `Ingress`."""
    name: str
    """Name of the Ingress."""


class RouteRef(SpecModel):
    """The APISIX route the apisix provider splits."""

    api_version: str = Field(alias="apiVersion")
    """apiVersion of the route."""
    kind: Literal["ApisixRoute"]
    """Always `ApisixRoute`."""
    name: str
    """Name of the route."""


class UpstreamRef(SpecModel):
    """A Gloo Upstream whose settings are copied to the generated upstreams."""

    api_version: str = Field(alias="apiVersion")
    """apiVersion of the Upstream."""
    kind: Literal["Upstream"]
    """Always `Upstream`."""
    name: str
    """Name of the Upstream."""
    namespace: str | None = None
    """Namespace of the Upstream; absent means the Canary's namespace."""


class CanarySpec(SpecModel):
    """Desired behaviour of a Canary."""

    target_ref: TargetRef = Field(alias="targetRef")
    """Workload under release."""
    analysis: Analysis
    """How runs advance and what they check."""
    service: CanaryService | None = None
    """Generated Services and routes (required for Deployment and DaemonSet targets)."""
    provider: Provider | None = None
    """Traffic provider; absent means the operator-wide default."""
    metrics_server: HttpUrl | None = Field(default=None, alias="metricsServer")
    """Prometheus used for builtin and inline metrics; absent means the operator-wide one."""
    autoscaler_ref: AutoscalerRef | None = Field(default=None, alias="autoscalerRef")
    """Autoscaler of the target."""
    ingress_ref: IngressRef | None = Field(default=None, alias="ingressRef")
    """Ingress for the nginx and skipper providers."""
    route_ref: RouteRef | None = Field(default=None, alias="routeRef")
    """Route for the apisix provider."""
    upstream_ref: UpstreamRef | None = Field(default=None, alias="upstreamRef")
    """Upstream template for the gloo provider."""
    progress_deadline_seconds: NonNegativeInt | None = Field(
        default=None, alias="progressDeadlineSeconds"
    )
    """Seconds a workload may take to become ready before the run fails."""
    skip_analysis: Bool | None = Field(default=None, alias="skipAnalysis")
    """Promote without running checks."""
    revert_on_deletion: Bool | None = Field(default=None, alias="revertOnDeletion")
    """Restore the original objects when the Canary is deleted."""
    suspend: Bool | None = None
    """Freeze the Canary: ticks do nothing."""

    @model_validator(mode="after")
    def _target_rules(self) -> CanarySpec:
        knative = self.target_ref.is_knative
        if knative and self.provider not in (None, Provider.KNATIVE):
            raise rule_error(
                f"a Knative Service target needs provider knative, not {self.provider}", "provider"
            )
        if self.provider is Provider.KNATIVE and not knative:
            raise rule_error(
                f"provider knative needs a {KNATIVE_API_VERSION} Service target", "targetRef"
            )
        if knative and self.autoscaler_ref is not None:
            raise rule_error("a Knative Service target cannot have an autoscaler", "autoscalerRef")
        if self.service is None and self.target_ref.kind is not TargetKind.SERVICE:
            raise rule_error(f"required for a {self.target_ref.kind} target", "service")
        return self

    def effective_provider(self, operator_default: Provider) -> Provider:
        """Traffic provider of this Canary."""
        return self.provider or operator_default

    def effective_progress_deadline(self) -> timedelta:
        """Time a workload may take to become ready."""
        return defaults.progress_deadline(self.progress_deadline_seconds)

    def effective_service_name(self) -> str:
        """Base name of the generated Services."""
        written = self.service.name if self.service else None
        return defaults.service_name(written, self.target_ref.name)


class CanaryStatus(SpecModel):
    """Observed state, as Flagger writes it (Roost computes it from its ledger)."""

    phase: Phase | None = None
    """Current phase."""
    failed_checks: Int | None = Field(default=None, alias="failedChecks")
    """Failed checks in the current run."""
    canary_weight: Int | None = Field(default=None, alias="canaryWeight")
    """Last canary weight written."""
    iterations: Int | None = None
    """Iteration counter of A/B and Blue/Green runs (may be -1 while awaiting promotion)."""
    tracked_configs: StringMap | None = Field(default=None, alias="trackedConfigs")
    """Checksums of tracked ConfigMaps and Secrets, by `configmap/<name>` / `secret/<name>`."""
    last_applied_spec: str | None = Field(default=None, alias="lastAppliedSpec")
    """Fingerprint of the target revision last synced."""
    last_promoted_spec: str | None = Field(default=None, alias="lastPromotedSpec")
    """Fingerprint of the revision running as primary."""
    last_transition_time: Timestamp | None = Field(default=None, alias="lastTransitionTime")
    """Time of the last status write."""
    session_affinity_cookie: str | None = Field(default=None, alias="sessionAffinityCookie")
    """Canary cookie of the current run."""
    primary_session_affinity_cookie: str | None = Field(
        default=None, alias="primarySessionAffinityCookie"
    )
    """Primary cookie."""
    previous_session_affinity_cookie: str | None = Field(
        default=None, alias="previousSessionAffinityCookie"
    )
    """Canary cookie of the previous run, kept to expire it."""
    conditions: tuple[Condition, ...] | None = None
    """Status conditions (a single `Promoted` condition)."""


class Canary(SpecModel):
    """A progressive rollout of one workload."""

    api_version: FlaggerApiVersion = Field(alias="apiVersion")
    """Always flagger.app/v1beta1 (v1alpha1 is read the same way)."""
    kind: Literal["Canary"]
    """Always `Canary`."""
    metadata: ObjectMeta
    """Object metadata."""
    spec: CanarySpec
    """Desired behaviour."""
    status: CanaryStatus | None = None
    """Observed state."""
