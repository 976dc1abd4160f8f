"""Turning one decoded YAML/JSON document into a spec model or a list of problems.

This is the only entry point that knows which kinds exist: it dispatches on ``kind``, validates
with the matching model and translates failures through :mod:`reducers.spec.problems`. It never
raises for bad input, so a caller can report every document of a file in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from reducers.spec.alert_providers import AlertProvider
from reducers.spec.canary import Canary
from reducers.spec.metric_templates import MetricTemplate
from reducers.spec.problems import Problem, problems_from_error

SpecDocument = Canary | MetricTemplate | AlertProvider
"""Any resource Roost reads."""

MODELS: dict[str, type[Canary] | type[MetricTemplate] | type[AlertProvider]] = {
    "Canary": Canary,
    "MetricTemplate": MetricTemplate,
    "AlertProvider": AlertProvider,
}
"""Model of each supported kind."""

UNNAMED = "<unnamed>"
NO_KIND = "<no kind>"


def document_identity(doc: object) -> tuple[str, str]:
    """Kind and name to report for a document, with placeholders where they are missing."""
    if not isinstance(doc, Mapping):
        return NO_KIND, UNNAMED
    kind = doc.get("kind")
    metadata = doc.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    return (
        kind if isinstance(kind, str) and kind else NO_KIND,
        name if isinstance(name, str) and name else UNNAMED,
    )


def validate_document(doc: object) -> SpecDocument | list[Problem]:
    """Validate one document; the model when valid, otherwise every problem found."""
    kind, name = document_identity(doc)
    if not isinstance(doc, Mapping):
        return [Problem(kind, name, "(document)", "must be a mapping (a Kubernetes object)")]
    model = MODELS.get(kind)
    if model is None:
        supported = ", ".join(MODELS)
        shown = repr(doc.get("kind")) if "kind" in doc else "no kind"
        message = f"unsupported kind {shown}; roost validates {supported}"
        return [Problem(kind, name, "kind", message)]
    try:
        return model.model_validate(doc)
    except ValidationError as error:
        return problems_from_error(kind, name, error)
