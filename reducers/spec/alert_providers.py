"""The AlertProvider resource: a chat service Canary alerts are posted to.

Flagger's CRD admits exactly one of ``address`` and ``secretRef`` (a ``oneOf``): both together are
rejected, although Flagger's own docs show them together. Roost follows the CRD and names both
fields in the error. Effective channel and user name come from :mod:`reducers.spec.defaults`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from reducers.spec import defaults
from reducers.spec.base import (
    ConditionsStatus,
    HttpUrl,
    LocalRef,
    ObjectMeta,
    SpecModel,
    rule_error,
)
from reducers.spec.enums import AlertProviderType, FlaggerApiVersion


class AlertProviderSpec(SpecModel):
    """Where and how alerts are posted."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [{"required": ["type", "address"]}, {"required": ["type", "secretRef"]}]
        }
    )

    type: AlertProviderType
    """Chat service."""
    address: HttpUrl | None = None
    """Hook URL (exclusive with `secretRef`)."""
    secret_ref: LocalRef | None = Field(default=None, alias="secretRef")
    """Secret holding the hook URL under key `address` (exclusive with `address`)."""
    channel: str | None = None
    """Channel to post to."""
    username: str | None = None
    """User name to post as."""
    proxy: HttpUrl | None = None
    """HTTP(S) proxy for the hook calls."""

    @model_validator(mode="after")
    def _address_xor_secret(self) -> AlertProviderSpec:
        if self.address is not None and self.secret_ref is not None:
            raise rule_error(
                "address and secretRef are mutually exclusive: set exactly one", field="secretRef"
            )
        if self.address is None and self.secret_ref is None:
            raise rule_error("one of address or secretRef is required")
        return self

    def effective_channel(self) -> str:
        """Channel to post to."""
        return defaults.alert_channel(self.channel)

    def effective_username(self) -> str:
        """User name to post as."""
        return defaults.alert_username(self.username)


class AlertProvider(SpecModel):
    """A chat service Canary alerts can be routed to."""

    api_version: FlaggerApiVersion = Field(alias="apiVersion")
    """Always flagger.app/v1beta1 (v1alpha1 is read the same way)."""
    kind: Literal["AlertProvider"]
    """Always `AlertProvider`."""
    metadata: ObjectMeta
    """Object metadata."""
    spec: AlertProviderSpec
    """Where and how alerts are posted."""
    status: ConditionsStatus | None = None
    """Unused by the controller."""
