"""Label and field selectors, parsed and matched the way kube-apiserver does.

Operators find their objects by label (``app=podinfo``, ``app in (a,b)``, ``!flagger.app/x``) and
single objects by field (``metadata.name=x`` on a watch). A double that ignored selectors would hand
every object to every caller and hide filtering bugs, so a selector that does not parse is a 400
here as it is in a cluster, and a field the resource does not index is rejected too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from controller.sandbox.errors import ApiError, Body, bad_request

_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_SET = re.compile(rf"^(?P<key>{_KEY})\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)$")
_COMPARE = re.compile(rf"^(?P<key>{_KEY})\s*(?P<op>==|=|!=|>|<)\s*(?P<value>[^\s,()=!<>]*)$")
_NOT_EXISTS = re.compile(rf"^!\s*(?P<key>{_KEY})$")
_EXISTS = re.compile(rf"^(?P<key>{_KEY})$")


@dataclass(frozen=True)
class Requirement:
    """One clause of a label selector: ``key op values``."""

    key: str
    op: str  # "exists", "!exists", "=", "!=", "in", "notin", ">", "<"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        match self.op:
            case "exists":
                return present
            case "!exists":
                return not present
            case "=" | "in":
                return present and value in self.values
            case "!=" | "notin":
                return not present or value not in self.values
            case ">" | "<":
                return present and _compare(value, self.op, self.values)
        raise AssertionError(self.op)


def _compare(value: str | None, op: str, bound: frozenset[str]) -> bool:
    try:
        left, right = int(value or ""), int(next(iter(bound)))
    except ValueError:
        return False
    return left > right if op == ">" else left < right


def _split(selector: str) -> list[str]:
    """Split on the commas that separate clauses, not those inside ``in (a,b)`` sets."""
    parts: list[str] = []
    depth, start = 0, 0
    for index, char in enumerate(selector):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(selector[start:index])
            start = index + 1
    parts.append(selector[start:])
    return [part.strip() for part in parts if part.strip()]


def parse_labels(selector: str | None) -> tuple[Requirement, ...]:
    """Parse ``labelSelector``; raises a 400 ``ApiError`` as the apiserver does on bad syntax."""
    requirements: list[Requirement] = []
    for part in _split(selector or ""):
        if found := _SET.match(part):
            values = frozenset(v.strip() for v in found["values"].split(",") if v.strip())
            requirements.append(Requirement(found["key"], found["op"], values))
        elif found := _COMPARE.match(part):
            op = "=" if found["op"] == "==" else found["op"]
            if op in (">", "<") and not found["value"].lstrip("-").isdigit():
                raise bad_request(f"unable to parse requirement: {part!r}: not an integer")
            requirements.append(Requirement(found["key"], op, frozenset({found["value"]})))
        elif found := _NOT_EXISTS.match(part):
            requirements.append(Requirement(found["key"], "!exists"))
        elif found := _EXISTS.match(part):
            requirements.append(Requirement(found["key"], "exists"))
        else:
            raise bad_request(f"unable to parse requirement: found {part!r}, expected a selector")
    return tuple(requirements)


@dataclass(frozen=True)
class FieldRequirement:
    path: str
    value: str
    equal: bool


def parse_fields(selector: str | None, allowed: Iterable[str]) -> tuple[FieldRequirement, ...]:
    """Parse ``fieldSelector``: ``=``, ``==`` and ``!=`` on the fields the resource indexes."""
    known = {"metadata.name", "metadata.namespace", *allowed}
    requirements: list[FieldRequirement] = []
    for part in _split(selector or ""):
        found = re.match(r"^([A-Za-z0-9.]+)\s*(==|=|!=)\s*(.*)$", part)
        if found is None:
            raise bad_request(f"invalid selector: {part!r}; can't understand {part!r}")
        path, op, value = found[1], found[2], found[3].strip()
        if path not in known:
            raise bad_request(f"field label not supported: {path}")
        requirements.append(FieldRequirement(path, value, op != "!="))
    return tuple(requirements)


def _field(obj: Body, path: str) -> str:
    node: Any = obj
    for step in path.split("."):
        if not isinstance(node, dict) or step not in node:
            return ""
        node = node[step]
    return "" if node is None else str(node)


@dataclass(frozen=True)
class Selector:
    """A parsed label and field selector, applied to stored objects."""

    labels: tuple[Requirement, ...] = ()
    fields: tuple[FieldRequirement, ...] = ()

    @classmethod
    def parse(
        cls, label_selector: str | None, field_selector: str | None, field_labels: Iterable[str]
    ) -> Selector:
        return cls(parse_labels(label_selector), parse_fields(field_selector, field_labels))

    @property
    def empty(self) -> bool:
        return not self.labels and not self.fields

    def matches(self, obj: Body) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if not all(requirement.matches(labels) for requirement in self.labels):
            return False
        return all((_field(obj, f.path) == f.value) == f.equal for f in self.fields)


def selector_string(label_selector: Mapping[str, Any] | None) -> str:
    """Render a ``LabelSelector`` (``matchLabels``, ``matchExpressions``) as selector text.

    This is what a Scale's ``status.selector`` shows, and what HPAs and ``kubectl`` use.
    """
    if not label_selector:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((label_selector.get("matchLabels") or {}).items())]
    for expression in label_selector.get("matchExpressions") or []:
        key, op = expression.get("key", ""), expression.get("operator", "")
        values = ",".join(sorted(expression.get("values") or []))
        match op:
            case "In":
                parts.append(f"{key} in ({values})")
            case "NotIn":
                parts.append(f"{key} notin ({values})")
            case "Exists":
                parts.append(key)
            case "DoesNotExist":
                parts.append(f"!{key}")
            case _:
                raise ApiError(422, "Invalid", f"{op!r} is not a valid label selector operator")
    return ",".join(parts)
