"""``spec.service`` of a Canary: how the generated Services and routing objects look.

Typed where Roost itself reads the value (ports, names, hosts, Gateway API references, rewrite,
retries, mirror); open (:data:`~reducers.spec.base.JsonObject`) where the value is an Istio object
handed to the mesh unchanged (``match``, ``headers``, ``corsPolicy``, ``trafficPolicy``) — Istio
validates those on the rendered object, and pinning their shape here would reject settings newer
Istio releases accept. Effective values (defaults) come from :mod:`reducers.spec.defaults`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from reducers.spec import defaults
from reducers.spec.base import (
    Bool,
    Int,
    IntOrString,
    JsonObject,
    Port,
    SpecModel,
    StringMap,
    rule_error,
)
from reducers.spec.enums import TrafficDistribution

_DNS_SUBDOMAIN = r"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_KIND = r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$"
_SECTION = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"

Group = Annotated[str, Field(max_length=253, pattern=_DNS_SUBDOMAIN)]
Kind = Annotated[str, Field(min_length=1, max_length=63, pattern=_KIND)]
ObjectName = Annotated[str, Field(min_length=1, max_length=253)]
NamespaceName = Annotated[str, Field(min_length=1, max_length=63, pattern=_DNS_LABEL)]
SectionName = Annotated[str, Field(min_length=1, max_length=253, pattern=_SECTION)]


class GatewayRef(SpecModel):
    """A Gateway API parent reference of the generated HTTPRoute."""

    name: ObjectName
    """Name of the parent (usually a Gateway)."""
    namespace: NamespaceName | None = None
    """Namespace of the parent; absent means the Canary's namespace."""
    group: Group | None = None
    """API group of the parent; the Gateway API defaults it to gateway.networking.k8s.io."""
    kind: Kind | None = None
    """Kind of the parent; the Gateway API defaults it to Gateway."""
    section_name: SectionName | None = Field(default=None, alias="sectionName")
    """A listener of the parent to attach to."""
    port: Port | None = None
    """A port of the parent to attach to."""


class MirrorBackendRef(SpecModel):
    """Where a Gateway API request-mirror filter sends its copies."""

    name: ObjectName
    """Name of the backend."""
    namespace: NamespaceName | None = None
    """Namespace of the backend; absent means the Canary's namespace."""
    group: Group | None = None
    """API group of the backend; empty means the core group."""
    kind: Kind | None = None
    """Kind of the backend; absent means Service."""
    port: Port | None = None
    """Port of the backend; required when the backend is a core Service."""

    @model_validator(mode="after")
    def _service_needs_port(self) -> MirrorBackendRef:
        # The Gateway API's own CEL rule, which JSON Schema cannot express.
        is_core_service = not self.group and self.kind in (None, "Service")
        if is_core_service and self.port is None:
            raise rule_error("a Service backend needs a port", field="port")
        return self


class MirrorFilter(SpecModel):
    """A Gateway API request-mirror filter added to the generated routes."""

    backend_ref: MirrorBackendRef = Field(alias="backendRef")
    """Backend that receives the mirrored requests."""


class Rewrite(SpecModel):
    """URI / authority rewrite applied on the generated routes."""

    uri: str | None = None
    """Replacement path (or path prefix, see `type`)."""
    authority: str | None = None
    """Replacement Host/authority header."""
    type: str | None = None
    """`ReplacePrefixMatch` rewrites the matched prefix; anything else replaces the full path."""


class Retries(SpecModel):
    """HTTP retry policy of the generated routes."""

    attempts: Int | None = None
    """Number of retries for a request."""
    per_try_timeout: str | None = Field(default=None, alias="perTryTimeout")
    """Timeout of each attempt."""
    retry_on: str | None = Field(default=None, alias="retryOn")
    """Conditions that trigger a retry (comma-separated, router-specific)."""


class ServiceMetadata(SpecModel):
    """Extra labels and annotations for one of the generated Services."""

    labels: StringMap | None = None
    """Labels to add."""
    annotations: StringMap | None = None
    """Annotations to add."""


class UnmanagedMetadata(SpecModel):
    """Label and annotation keys Roost never adds, removes or changes on owned Services."""

    labels: tuple[str, ...] | None = None
    """Label keys left alone."""
    annotations: tuple[str, ...] | None = None
    """Annotation keys left alone."""


class CanaryService(SpecModel):
    """The Services and routing objects generated for a Canary."""

    port: Port
    """Port of the generated Services."""
    name: str | None = None
    """Base name of the generated Services; defaults to the target's name."""
    port_name: str | None = Field(default=None, alias="portName")
    """Name of the main Service port; defaults to `http`."""
    target_port: IntOrString | None = Field(default=None, alias="targetPort")
    """Container port (number or name) behind the Service port; defaults to `port`."""
    app_protocol: str | None = Field(default=None, alias="appProtocol")
    """Application protocol of the main Service port."""
    traffic_distribution: TrafficDistribution | None = Field(
        default=None, alias="trafficDistribution"
    )
    """Traffic distribution preference copied to the generated Services."""
    port_discovery: Bool | None = Field(default=None, alias="portDiscovery")
    """Also expose every other container port of the target."""
    headless: Bool | None = None
    """Generate headless Services (no cluster IP)."""
    timeout: str | None = None
    """Request timeout on the generated routes."""
    backend_timeout: str | None = Field(default=None, alias="backendTimeout")
    """Per-backend request timeout (Gateway API only)."""
    mesh_name: str | None = Field(default=None, alias="meshName")
    """App Mesh mesh name."""
    backends: tuple[str, ...] | None = None
    """App Mesh backends."""
    hosts: tuple[str, ...] | None = None
    """Host names of the generated virtual service / route; defaults to the Service name."""
    gateways: tuple[str, ...] | None = None
    """Istio gateways of the VirtualService; defaults to `mesh`."""
    gateway_refs: Annotated[tuple[GatewayRef, ...], Field(max_length=32)] | None = Field(
        default=None, alias="gatewayRefs"
    )
    """Gateway API parents of the generated HTTPRoute."""
    delegation: Bool | None = None
    """Generate an Istio delegate VirtualService (hosts and gateways left empty)."""
    match: tuple[JsonObject, ...] | None = None
    """Istio HTTP match conditions applied to every generated route."""
    rewrite: Rewrite | None = None
    """URI / authority rewrite."""
    retries: Retries | None = None
    """HTTP retry policy."""
    headers: JsonObject | None = None
    """Request / response header operations (`request`/`response` → `add`/`set`/`remove`)."""
    cors_policy: JsonObject | None = Field(default=None, alias="corsPolicy")
    """Istio CORS policy."""
    traffic_policy: JsonObject | None = Field(default=None, alias="trafficPolicy")
    """Istio DestinationRule traffic policy."""
    mirror: tuple[MirrorFilter, ...] | None = None
    """Gateway API request mirroring."""
    apex: ServiceMetadata | None = None
    """Extra metadata for the apex Service (and the mesh or ingress object)."""
    primary: ServiceMetadata | None = None
    """Extra metadata for the primary Service."""
    canary: ServiceMetadata | None = None
    """Extra metadata for the canary Service."""
    unmanaged_metadata: UnmanagedMetadata | None = Field(default=None, alias="unmanagedMetadata")
    """Metadata keys Roost must not touch on owned Services."""

    def effective_name(self, target_name: str) -> str:
        """Base name of the generated Services."""
        return defaults.service_name(self.name, target_name)

    def effective_port_name(self) -> str:
        """Name of the main Service port."""
        return defaults.port_name(self.port_name)

    def effective_target_port(self) -> int | str:
        """Container port behind the main Service port."""
        return defaults.target_port(self.target_port, self.port)

    def effective_hosts(self, target_name: str) -> tuple[str, ...]:
        """Hosts of the generated virtual service / route."""
        return defaults.hosts(self.hosts, self.effective_name(target_name))

    def effective_gateways(self) -> tuple[str, ...]:
        """Istio gateways of the VirtualService."""
        return defaults.gateways(self.gateways)
