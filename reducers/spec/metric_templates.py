"""The MetricTemplate resource: a query and the backend that runs it.

An unknown ``provider.type`` is a validation error (Flagger's code would quietly use Prometheus).
The few settings a backend cannot work without (CloudWatch's region, the address of Dynatrace and
Splunk) are checked here too, because Flagger would only fail them on every analysis tick.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from reducers.spec.base import (
    Bool,
    ConditionsStatus,
    HttpUrl,
    LocalRef,
    ObjectMeta,
    SpecModel,
    rule_error,
)
from reducers.spec.enums import FlaggerApiVersion, MetricProviderType

_NEEDS_ADDRESS = frozenset({MetricProviderType.DYNATRACE, MetricProviderType.SPLUNK})


class MetricProvider(SpecModel):
    """The backend a MetricTemplate queries."""

    type: MetricProviderType
    """Kind of backend."""
    address: HttpUrl | None = None
    """API address of the backend (some backends have a public default)."""
    headers: dict[str, tuple[str, ...]] | None = None
    """Extra HTTP headers for Prometheus requests."""
    secret_ref: LocalRef | None = Field(default=None, alias="secretRef")
    """Secret in the template's namespace holding the credentials."""
    region: str | None = None
    """Cloud region (required for cloudwatch)."""
    insecure_skip_verify: Bool | None = Field(default=None, alias="insecureSkipVerify")
    """Skip TLS certificate verification of the address."""

    @model_validator(mode="after")
    def _required_settings(self) -> MetricProvider:
        if self.type is MetricProviderType.CLOUDWATCH and not self.region:
            raise rule_error("the cloudwatch provider needs a region", field="region")
        if self.type in _NEEDS_ADDRESS and not self.address:
            raise rule_error(f"the {self.type} provider needs an address", field="address")
        return self


class MetricTemplateSpec(SpecModel):
    """What a MetricTemplate queries, and where."""

    provider: MetricProvider
    """Backend that runs the query."""
    query: str
    """Query text, a template rendered per canary (`{{ namespace }}`, `{{ target }}`...)."""


class MetricTemplate(SpecModel):
    """A reusable metric query referenced by Canary metrics."""

    api_version: FlaggerApiVersion = Field(alias="apiVersion")
    """Always flagger.app/v1beta1 (v1alpha1 is read the same way)."""
    kind: Literal["MetricTemplate"]
    """Always `MetricTemplate`."""
    metadata: ObjectMeta
    """Object metadata."""
    spec: MetricTemplateSpec
    """The query and its backend."""
    status: ConditionsStatus | None = None
    """Unused by the controller."""
