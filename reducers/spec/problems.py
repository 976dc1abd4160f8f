"""Validation problems, and the one place pydantic's errors become Roost's messages.

A :class:`Problem` names the object (kind and name), the dotted field path inside it
(``spec.analysis.metrics[0].interval``; map keys that are not plain words are quoted:
``metadata.annotations["kuma.io/mesh"]``) and a message that says what is wrong in the user's
terms. Every consumer — ``roost validate``, the controller's rejection event, status — prints
problems through ``str(problem)`` so the wording is the same everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from reducers.spec.errors import InvalidValue

_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

DEPRECATED_FIELDS = {
    "canaryAnalysis": "Flagger's old name for analysis, dropped by its CRD; rename it to analysis",
}
"""Unknown fields that deserve a hint rather than a bare "unknown field"."""


@dataclass(frozen=True)
class Problem:
    """One reason a document is not a valid Flagger resource."""

    kind: str
    """Kind of the document (as written, or a placeholder when absent)."""
    name: str
    """`metadata.name` of the document (or a placeholder when absent)."""
    path: str
    """Dotted path of the offending field; `(document)` for the document as a whole."""
    message: str
    """What is wrong, in the user's terms."""

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}: {self.path}: {self.message}"


def format_path(loc: Iterable[int | str]) -> str:
    """Render a location as `spec.analysis.metrics[0].interval`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _WORD.match(part):
            text += f".{part}" if text else part
        else:
            text += f'["{part}"]'
    return text or "(document)"


def problems_from_error(kind: str, name: str, error: ValidationError) -> list[Problem]:
    """Translate every error of a failed model validation, in order, without duplicates."""
    seen: set[Problem] = set()
    problems: list[Problem] = []
    for detail in error.errors(include_url=False):
        problem = _problem(kind, name, detail)
        if problem not in seen:
            seen.add(problem)
            problems.append(problem)
    return problems


def _problem(kind: str, name: str, detail: Mapping[str, Any]) -> Problem:
    raw_loc: tuple[int | str, ...] = tuple(detail["loc"])
    loc: list[int | str] = [part for part in raw_loc if part != "[key]"]
    context: dict[str, Any] = dict(detail.get("ctx") or {})
    ours = context.get("error")
    if isinstance(ours, InvalidValue):
        if ours.field is not None:
            loc.append(ours.field)
        message = ours.message
    else:
        message = _message(detail, context)
    if "[key]" in raw_loc:
        message = f"map key: {message}"
    return Problem(kind=kind, name=name, path=format_path(loc), message=message)


def _message(detail: Mapping[str, Any], context: dict[str, Any]) -> str:
    kind = detail["type"]
    value = detail.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        last = detail["loc"][-1] if detail["loc"] else ""
        hint = DEPRECATED_FIELDS.get(str(last))
        return f"unknown field ({hint})" if hint else "unknown field"
    if kind in ("enum", "literal_error"):
        return f"unknown value {value!r}; expected {context.get('expected', '?')}"
    fixed = _FIXED.get(kind)
    if fixed is not None:
        return fixed.format(**context)
    return str(detail["msg"])


_FIXED = {
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
    "string_too_short": "must be at least {min_length} character(s) long",
    "string_too_long": "must be at most {max_length} character(s) long",
    "string_pattern_mismatch": "must match the pattern {pattern}",
}


def render(problems: Sequence[Problem]) -> str:
    """One problem per line, as printed by `roost validate`."""
    return "\n".join(str(problem) for problem in problems)
