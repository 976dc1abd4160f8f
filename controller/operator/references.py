"""Which canaries reference which objects, to tick exactly those canaries when one changes.

A canary's tick reads more than its Canary and its target: the ConfigMaps and Secrets the
target's pod template uses (config tracking), its autoscaler, the MetricTemplates of its metrics
and the AlertProviders of its alerts. :class:`References` is the index the process keeps from the
Canary and target informers' events; :func:`change_digest` is the part of a referenced object
whose change calls for a prompt tick (data or spec, never status or metadata bookkeeping),
reduced to a SHA-256 digest so that no Secret value is held beyond the informer's own cache.

This module decides nothing and reads nothing from the cluster; ``process`` feeds it and asks it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from typing import Any

from controller.operator.world import CANARY_API, referenced_configs

Ref = tuple[str, str, str]
"""(kind, namespace, name) of a referenced object."""
CanaryKey = tuple[str, str]
"""(namespace, name) of a Canary."""

CONFIG_KINDS = (("v1", "ConfigMap"), ("v1", "Secret"))
"""Watched only with config tracking on: without it their changes make no new revision."""
REFERENCED_KINDS = (
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("keda.sh/v1alpha1", "ScaledObject"),
    (CANARY_API, "MetricTemplate"),
    (CANARY_API, "AlertProvider"),
)
"""Each watched only where the API serves it (KEDA is not installed everywhere; see
``watching.served``)."""

_DATA_KINDS = frozenset({"ConfigMap", "Secret"})


def change_digest(obj: Mapping[str, Any]) -> str:
    """A digest of what of a referenced object matters to a tick: ``data`` and ``binaryData``
    of a ConfigMap or Secret, ``spec`` of anything else."""
    if obj.get("kind") in _DATA_KINDS:
        part: Any = {"data": obj.get("data"), "binaryData": obj.get("binaryData")}
    else:
        part = obj.get("spec")
    text = json.dumps(part, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def ref_of(obj: Mapping[str, Any]) -> Ref:
    meta = obj.get("metadata") or {}
    return str(obj.get("kind")), str(meta.get("namespace") or "default"), str(meta.get("name"))


def _canary_refs(doc: Mapping[str, Any], namespace: str) -> set[Ref]:
    """What a Canary names directly: its autoscaler, metric templates and alert providers (a
    ``namespace`` left out means the Canary's own, as the tick reads them)."""
    spec = doc.get("spec") or {}
    found: set[Ref] = set()
    autoscaler = spec.get("autoscalerRef") or {}
    if autoscaler.get("kind") and autoscaler.get("name"):
        found.add((str(autoscaler["kind"]), namespace, str(autoscaler["name"])))
    analysis = spec.get("analysis") or {}
    for metric in analysis.get("metrics") or ():
        ref = (metric or {}).get("templateRef") or {}
        if ref.get("name"):
            found.add(("MetricTemplate", str(ref.get("namespace") or namespace), str(ref["name"])))
    for alert in analysis.get("alerts") or ():
        ref = (alert or {}).get("providerRef") or {}
        if ref.get("name"):
            found.add(("AlertProvider", str(ref.get("namespace") or namespace), str(ref["name"])))
    return found


class References:
    """Canary → directly referenced objects and target; target → its ConfigMaps and Secrets.

    Lookups scan every canary: they run only after a digest changed, which is rare next to
    the events that carry no change, and a scan of a few thousand small sets is cheap.
    """

    def __init__(self) -> None:
        self._direct: dict[CanaryKey, set[Ref]] = {}
        self._target: dict[CanaryKey, Ref] = {}
        self._configs: dict[Ref, set[Ref]] = {}
        self._lock = threading.Lock()

    def note_canary(self, doc: Mapping[str, Any], deleted: bool = False) -> None:
        meta = doc.get("metadata") or {}
        key = (str(meta.get("namespace") or "default"), str(meta.get("name")))
        target = (doc.get("spec") or {}).get("targetRef") or {}
        with self._lock:
            if deleted:
                self._direct.pop(key, None)
                self._target.pop(key, None)
                return
            self._direct[key] = _canary_refs(doc, key[0])
            self._target[key] = (str(target.get("kind")), key[0], str(target.get("name")))

    def note_target(self, obj: Mapping[str, Any], deleted: bool = False) -> None:
        target = ref_of(obj)
        configs = set() if deleted else referenced_configs(obj)
        with self._lock:
            if configs:
                self._configs[target] = {(kind, target[1], name) for kind, name in configs}
            else:
                self._configs.pop(target, None)

    def canaries_of(self, ref: Ref) -> set[CanaryKey]:
        """The canaries whose ticks read ``ref``."""
        with self._lock:
            targets = {t for t, configs in self._configs.items() if ref in configs}
            return {
                key
                for key, direct in self._direct.items()
                if ref in direct or self._target.get(key) in targets
            }
