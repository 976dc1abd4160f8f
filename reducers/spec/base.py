"""Shared building blocks of the spec models: the model base, scalar types, metadata, references.

Every spec model is frozen, rejects unknown fields, reads Kubernetes camelCase names and lets
Python code use snake_case (``populate_by_name``). Scalars are strict where JSON is strict:
``"5"`` is not an integer and ``1.5`` is not a port, exactly as the API server would refuse them.
Attribute docstrings become field descriptions, so they also document the generated CRDs.

Values the CRD leaves open (Istio objects passed through to routers) are :data:`JsonObject`.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    PlainValidator,
    StrictBool,
    StrictInt,
    WithJsonSchema,
)

from reducers.spec.enums import ConditionStatus
from reducers.spec.errors import InvalidValue


class SpecModel(BaseModel):
    """Base of every spec model: frozen, closed, camelCase on the wire."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        use_attribute_docstrings=True,
        validate_default=False,
    )

    def to_document(self) -> dict[str, Any]:
        """The JSON form as the user wrote it: camelCase, only the fields that were given."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


def rule_error(message: str, field: str | None = None) -> InvalidValue:
    """An error raised by a cross-field rule; ``field`` narrows the reported path."""
    return InvalidValue(message, field)


def _number(value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue("must be a number")
    return value


Number = Annotated[int | float, PlainValidator(_number), WithJsonSchema({"type": "number"})]
"""A JSON number kept exactly as written (``99`` stays an int, ``0.5`` a float)."""

Bool = StrictBool
Int = StrictInt
NonNegativeInt = Annotated[StrictInt, Field(ge=0)]
Percent = Annotated[StrictInt, Field(ge=0, le=100)]
Port = Annotated[StrictInt, Field(ge=1, le=65535)]


def _int_or_string(value: object) -> int | str:
    if isinstance(value, str):
        if not value:
            raise InvalidValue("must not be empty")
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= 65535:
            raise InvalidValue("port number must be between 1 and 65535")
        return value
    raise InvalidValue("must be a port number or a port name")


IntOrString = Annotated[
    int | str,
    PlainValidator(_int_or_string),
    WithJsonSchema(
        {
            "x-kubernetes-int-or-string": True,
            "anyOf": [{"type": "integer"}, {"type": "string"}],
        }
    ),
]
"""A port given by number or by name (Kubernetes ``IntOrString``)."""

JsonObject = Annotated[
    dict[str, JsonValue],
    WithJsonSchema({"type": "object", "x-kubernetes-preserve-unknown-fields": True}),
]
"""An open JSON object passed through unchanged (validated by its final consumer, e.g. Istio)."""

HTTP_URL_PATTERN = r"^https?://[^\s/?#]+([/?#]\S*)?$"
_HTTP_URL = re.compile(HTTP_URL_PATTERN)


def _check_http_url(text: str) -> str:
    if not _HTTP_URL.match(text):
        raise InvalidValue(f"must be an absolute http:// or https:// URL, got {text!r}")
    return text


HttpUrl = Annotated[
    str,
    AfterValidator(_check_http_url),
    WithJsonSchema({"type": "string", "pattern": HTTP_URL_PATTERN}),
]
"""An absolute HTTP(S) URL kept as text (Flagger calls it; a relative URL can never work)."""

RFC3339_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_RFC3339 = re.compile(RFC3339_PATTERN)


def _check_timestamp(text: str) -> str:
    if not _RFC3339.match(text):
        raise InvalidValue(f"must be an RFC 3339 timestamp, got {text!r}")
    return text


Timestamp = Annotated[
    str,
    AfterValidator(_check_timestamp),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A status timestamp, kept as the RFC 3339 text the API server stores."""

StringMap = dict[str, str]


class ObjectMeta(SpecModel):
    """The parts of Kubernetes object metadata Roost reads; the rest is kept as given."""

    model_config = ConfigDict(extra="allow")

    name: str
    """Object name; Flagger's generated objects derive their names from it."""
    namespace: str | None = None
    """Namespace; absent in a manifest means the namespace it is applied to."""
    labels: StringMap | None = None
    """Object labels."""
    annotations: StringMap | None = None
    """Object annotations."""


class LocalRef(SpecModel):
    """A reference by name to an object in the same namespace."""

    name: str
    """Name of the referenced object."""


class NamespacedRef(SpecModel):
    """A reference by name, optionally to another namespace (default: the referrer's)."""

    name: str
    """Name of the referenced object."""
    namespace: str | None = None
    """Namespace of the referenced object; absent means the referrer's namespace."""


class Condition(SpecModel):
    """A status condition (Flagger writes a single one, of type `Promoted`)."""

    type: str
    """Condition type."""
    status: ConditionStatus
    """Whether the condition holds."""
    reason: str
    """Machine-readable reason; Flagger uses the phase name."""
    message: str | None = None
    """Human-readable explanation."""
    last_update_time: Timestamp | None = Field(default=None, alias="lastUpdateTime")
    """When the condition was last written."""
    last_transition_time: Timestamp | None = Field(default=None, alias="lastTransitionTime")
    """When the status value last changed."""


class ConditionsStatus(SpecModel):
    """Status of MetricTemplate and AlertProvider: conditions only (Flagger never writes them)."""

    conditions: tuple[Condition, ...] | None = None
    """Status conditions."""
