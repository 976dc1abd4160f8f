"""Rendering query templates: the subset of Go's text/template that metric queries use.

Flagger renders queries with Go templates whose only inputs are functions (``{{ namespace }}``,
``{{ variables.direction }}``) and whose missing keys are errors. Roost supports exactly the
actions metric templates use — a function name, ``variables.<key>``, and the ``{{-``/``-}}``
whitespace trims — and rejects anything else by name, instead of guessing what it meant.
Builtin queries are written in Python (:mod:`effects.metrics.builtins`), so they need no
``printf``. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.DOTALL)
_VARIABLE = re.compile(r"\.?variables\.([A-Za-z0-9_-]+)")


class RenderError(ValueError):
    """The query cannot be rendered; the message names the missing variable or action."""


@dataclass(frozen=True)
class QueryContext:
    """The values a query template may use (flagger-core §3.3)."""

    name: str
    namespace: str
    target: str
    service: str
    ingress: str
    route: str
    interval: str
    variables: Mapping[str, str] = field(default_factory=dict)

    def lookup(self, action: str) -> str:
        """The value of one action's expression."""
        action = action.removeprefix(".")
        if action in ("name", "namespace", "target", "service", "ingress", "route", "interval"):
            value: str = getattr(self, action)
            return value
        match = _VARIABLE.fullmatch(action)
        if match is not None:
            key = match.group(1)
            if key not in self.variables:
                raise RenderError(f"variable {key!r} is not set in templateVariables")
            return self.variables[key]
        raise RenderError(f"unsupported template action {{{{ {action} }}}}")


def render(template: str, context: QueryContext) -> str:
    """The query text; raise :class:`RenderError` for a missing variable or unknown action."""
    out: list[str] = []
    pos = 0
    trim_next = False
    for match in _ACTION.finditer(template):
        literal = template[pos : match.start()]
        if trim_next:
            literal = literal.lstrip()
        if match.group(1):
            literal = literal.rstrip()
        out.append(literal)
        out.append(context.lookup(match.group(2)))
        trim_next = bool(match.group(3))
        pos = match.end()
    tail = template[pos:]
    if "{{" in tail:
        raise RenderError("unclosed template action")
    out.append(tail.lstrip() if trim_next else tail)
    return "".join(out)
