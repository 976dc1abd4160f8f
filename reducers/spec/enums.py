"""Closed vocabularies of the Flagger resources, as ``StrEnum`` s.

Every value here is one Flagger's CRD lists in an ``enum``; a value outside these sets is a
validation error (Flagger's CRD rejects most of them, and where Flagger's code would silently fall
back to a default, Roost refuses instead). Members whose value is the empty string exist because
Flagger's CRD lists ``""`` explicitly (it means "not set" for severity, webhook type and phase).

Pure vocabulary: no behaviour lives here beyond small classification properties.
"""

from __future__ import annotations

from enum import StrEnum


class Provider(StrEnum):
    """Traffic provider of a Canary (`spec.provider`), exactly the values Flagger's CRD admits."""

    APISIX = "apisix"
    APPMESH = "appmesh"
    APPMESH_V1BETA2 = "appmesh:v1beta2"
    CONTOUR = "contour"
    GATEWAYAPI_V1 = "gatewayapi:v1"
    GATEWAYAPI_V1BETA1 = "gatewayapi:v1beta1"
    GLOO = "gloo"
    ISTIO = "istio"
    KNATIVE = "knative"
    KUBERNETES = "kubernetes"
    KUMA = "kuma"
    LINKERD = "linkerd"
    NGINX = "nginx"
    OSM = "osm"
    SKIPPER = "skipper"
    SMI_V1ALPHA1 = "smi:v1alpha1"
    SMI_V1ALPHA2 = "smi:v1alpha2"
    SMI_V1ALPHA3 = "smi:v1alpha3"
    TRAEFIK = "traefik"


class TargetKind(StrEnum):
    """Kinds of workload a Canary can release."""

    DAEMON_SET = "DaemonSet"
    DEPLOYMENT = "Deployment"
    SERVICE = "Service"


class AutoscalerKind(StrEnum):
    """Autoscalers Flagger knows how to mirror for the primary."""

    HORIZONTAL_POD_AUTOSCALER = "HorizontalPodAutoscaler"
    SCALED_OBJECT = "ScaledObject"


class TrafficDistribution(StrEnum):
    """Values copied into `Service.spec.trafficDistribution` of the generated Services."""

    PREFER_CLOSE = "PreferClose"
    PREFER_SAME_ZONE = "PreferSameZone"
    PREFER_SAME_NODE = "PreferSameNode"


class WebhookType(StrEnum):
    """When a webhook is called; `""` is Flagger's spelling of `rollout`."""

    UNSPECIFIED = ""
    CONFIRM_ROLLOUT = "confirm-rollout"
    PRE_ROLLOUT = "pre-rollout"
    ROLLOUT = "rollout"
    CONFIRM_PROMOTION = "confirm-promotion"
    POST_ROLLOUT = "post-rollout"
    EVENT = "event"
    ROLLBACK = "rollback"
    CONFIRM_TRAFFIC_INCREASE = "confirm-traffic-increase"

    @property
    def effective(self) -> WebhookType:
        """The type this hook behaves as: an unspecified type runs as a rollout hook."""
        return WebhookType.ROLLOUT if self is WebhookType.UNSPECIFIED else self


class AlertSeverity(StrEnum):
    """Severity filter of a Canary alert entry; `""` receives nothing (Flagger quirk)."""

    UNSET = ""
    INFO = "info"
    WARN = "warn"
    ERROR = "error"


class SameSite(StrEnum):
    """`SameSite` attribute of the session-affinity cookie."""

    STRICT = "Strict"
    LAX = "Lax"
    NONE = "None"


class Phase(StrEnum):
    """Canary phases as written to `status.phase`; `""` before the first status write."""

    UNSET = ""
    INITIALIZING = "Initializing"
    INITIALIZED = "Initialized"
    WAITING = "Waiting"
    PROGRESSING = "Progressing"
    WAITING_PROMOTION = "WaitingPromotion"
    PROMOTING = "Promoting"
    FINALISING = "Finalising"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    TERMINATING = "Terminating"
    TERMINATED = "Terminated"


class ConditionStatus(StrEnum):
    """Kubernetes condition status values (the CRD types it as a string; only these occur)."""

    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class MetricProviderType(StrEnum):
    """Query backends of a MetricTemplate (`spec.provider.type`)."""

    PROMETHEUS = "prometheus"
    INFLUXDB = "influxdb"
    DATADOG = "datadog"
    EXTERNALMETRICS = "externalmetrics"
    STACKDRIVER = "stackdriver"
    CLOUDWATCH = "cloudwatch"
    NEWRELIC = "newrelic"
    GRAPHITE = "graphite"
    DYNATRACE = "dynatrace"
    KEPTN = "keptn"
    SPLUNK = "splunk"


class AlertProviderType(StrEnum):
    """Chat services an AlertProvider can post to."""

    SLACK = "slack"
    MSTEAMS = "msteams"
    DISCORD = "discord"
    ROCKET = "rocket"
    GCHAT = "gchat"


class Strategy(StrEnum):
    """Deployment strategy derived from the analysis (never written in a spec)."""

    CANARY = "canary"
    BLUE_GREEN = "blue-green"
    AB_TESTING = "ab-testing"


class FlaggerApiVersion(StrEnum):
    """``apiVersion`` values accepted for the three kinds.

    ``v1alpha1`` is the pre-1.0 spelling that Flagger's own documentation still shows for some
    MetricTemplates; the fields are identical, so it is read with the same models.
    """

    V1BETA1 = "flagger.app/v1beta1"
    V1ALPHA1 = "flagger.app/v1alpha1"
