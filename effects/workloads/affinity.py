"""Rewriting pod anti-affinity and topology spread selectors to follow the primary's pods.

A target that spreads its pods with ``app: <target>`` would, copied verbatim, spread the primary's
pods against the canary's instead of against each other. Only selector-label keys whose value is
the target's name are renamed; other values (another app) are the user's intent and stay.
Pod *affinity* is left as written (Flagger does the same).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from effects.workloads.metadata import PRIMARY_SUFFIX


def _rewrite_selector(selector: dict[str, Any] | None, keys: set[str], name: str) -> None:
    if not selector:
        return
    labels = selector.get("matchLabels") or {}
    for key, value in labels.items():
        if key in keys and value == name:
            labels[key] = f"{name}{PRIMARY_SUFFIX}"
    for expression in selector.get("matchExpressions") or []:
        if expression.get("key") not in keys:
            continue
        values = expression.get("values") or []
        for i, value in enumerate(values):
            if value == name:
                values[i] = f"{name}{PRIMARY_SUFFIX}"
                break


def rewrite_affinity(pod_spec: dict[str, Any], selector_labels: Iterable[str], name: str) -> None:
    """Rename ``name`` to ``name-primary`` in anti-affinity and spread selectors, in place."""
    keys = set(selector_labels)
    for constraint in pod_spec.get("topologySpreadConstraints") or []:
        _rewrite_selector(constraint.get("labelSelector"), keys, name)
    anti = (pod_spec.get("affinity") or {}).get("podAntiAffinity") or {}
    for term in anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
        _rewrite_selector((term.get("podAffinityTerm") or {}).get("labelSelector"), keys, name)
    for term in anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []:
        _rewrite_selector(term.get("labelSelector"), keys, name)
