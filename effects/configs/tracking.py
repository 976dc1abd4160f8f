"""Discovering, checksumming and renaming ConfigMap/Secret references of a pod template.

A pod template's configs are part of what the target runs: their checksums feed the revision
fingerprint (``reducers.canary.revisions.revision_of``), so a changed ConfigMap starts a run like a
changed image. Pure functions over plain dicts; the caller supplies the observed objects.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from effects.errors import RenderError
from effects.workloads.metadata import PRIMARY_SUFFIX

ConfigKind = Literal["configmap", "secret"]
TRACKING_ANNOTATION = "flagger.app/config-tracking"
TRACKED_SECRET_TYPES = frozenset(
    {"Opaque", "kubernetes.io/basic-auth", "kubernetes.io/ssh-auth", "kubernetes.io/tls"}
)


@dataclass(frozen=True)
class ConfigRef:
    """One reference of a pod template to a ConfigMap or Secret."""

    kind: ConfigKind
    name: str
    optional: bool = False

    @property
    def key(self) -> str:
        """Key as Flagger's ``status.trackedConfigs`` writes it: ``configmap/<name>``."""
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class TrackedConfigs:
    """The configs a template tracks: checksums by key, and the source objects to copy."""

    checksums: dict[str, str] = field(default_factory=dict)
    objects: tuple[dict[str, Any], ...] = ()


def _containers(pod_spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from pod_spec.get("containers") or []
    yield from pod_spec.get("initContainers") or []


def _ref(kind: ConfigKind, source: Mapping[str, Any] | None, name_key: str) -> ConfigRef | None:
    if not source or not source.get(name_key):
        return None
    return ConfigRef(kind, str(source[name_key]), bool(source.get("optional", False)))


def _volume_refs(volume: Mapping[str, Any]) -> Iterator[ConfigRef | None]:
    yield _ref("configmap", volume.get("configMap"), "name")
    yield _ref("secret", volume.get("secret"), "secretName")
    for source in (volume.get("projected") or {}).get("sources") or []:
        yield _ref("configmap", source.get("configMap"), "name")
        yield _ref("secret", source.get("secret"), "name")


def _container_refs(container: Mapping[str, Any]) -> Iterator[ConfigRef | None]:
    for env in container.get("env") or []:
        source = env.get("valueFrom") or {}
        yield _ref("configmap", source.get("configMapKeyRef"), "name")
        yield _ref("secret", source.get("secretKeyRef"), "name")
    for env_from in container.get("envFrom") or []:
        yield _ref("configmap", env_from.get("configMapRef"), "name")
        yield _ref("secret", env_from.get("secretRef"), "name")


def discover_refs(pod_spec: Mapping[str, Any]) -> list[ConfigRef]:
    """Every config reference, once per key; mandatory if any of its references is mandatory."""
    found: dict[str, ConfigRef] = {}
    candidates: list[ConfigRef | None] = []
    for volume in pod_spec.get("volumes") or []:
        candidates.extend(_volume_refs(volume))
    for container in _containers(pod_spec):
        candidates.extend(_container_refs(container))
    for ref in candidates:
        if ref is None:
            continue
        seen = found.get(ref.key)
        if seen is None or (seen.optional and not ref.optional):
            found[ref.key] = ref
    return list(found.values())


def _go_json(value: Any) -> bytes:
    """JSON as Go's encoding/json writes it: sorted keys, compact, HTML characters escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text.encode()


def checksum_of(obj: Mapping[str, Any]) -> str:
    """Hex of the first 8 bytes of SHA-256 over ``.data`` (Secret values stay base64)."""
    return hashlib.sha256(_go_json(obj.get("data"))).hexdigest()[:16]


def _tracking_disabled(obj: Mapping[str, Any]) -> bool:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(TRACKING_ANNOTATION, "")).startswith("disable")


def track(
    pod_spec: Mapping[str, Any],
    observed: Mapping[str, Mapping[str, Any]],
    where: str = "",
) -> TrackedConfigs:
    """Tracked configs of a pod spec, given the observed objects by key (``configmap/<name>``).

    A missing mandatory config is a :class:`RenderError`; a missing optional one, a disabled one
    and a Secret of an untracked type are skipped (their references keep their names).
    """
    checksums: dict[str, str] = {}
    objects: list[dict[str, Any]] = []
    for ref in discover_refs(pod_spec):
        obj = observed.get(ref.key)
        if obj is None:
            if ref.optional:
                continue
            kind = "configmap" if ref.kind == "configmap" else "secret"
            raise RenderError(f"{kind} {ref.name}{where} not found (referenced by the target)")
        if _tracking_disabled(obj):
            continue
        if ref.kind == "secret" and obj.get("type", "Opaque") not in TRACKED_SECRET_TYPES:
            continue
        checksums[ref.key] = checksum_of(obj)
        objects.append(copy.deepcopy(dict(obj)))
    return TrackedConfigs(checksums=checksums, objects=tuple(objects))


def _rename(source: dict[str, Any] | None, kind: str, name_key: str, tracked: set[str]) -> None:
    if source and f"{kind}/{source.get(name_key)}" in tracked:
        source[name_key] = f"{source[name_key]}{PRIMARY_SUFFIX}"


def rename_refs(pod_spec: Mapping[str, Any], tracked: Mapping[str, str]) -> dict[str, Any]:
    """A copy of ``pod_spec`` whose tracked references point at the ``-primary`` copies."""
    keys = set(tracked)
    spec = copy.deepcopy(dict(pod_spec))
    for volume in spec.get("volumes") or []:
        _rename(volume.get("configMap"), "configmap", "name", keys)
        _rename(volume.get("secret"), "secret", "secretName", keys)
        for source in (volume.get("projected") or {}).get("sources") or []:
            _rename(source.get("configMap"), "configmap", "name", keys)
            _rename(source.get("secret"), "secret", "name", keys)
    for group in ("containers", "initContainers"):
        for container in spec.get(group) or []:
            for env in container.get("env") or []:
                value_from = env.get("valueFrom") or {}
                _rename(value_from.get("configMapKeyRef"), "configmap", "name", keys)
                _rename(value_from.get("secretKeyRef"), "secret", "name", keys)
            for env_from in container.get("envFrom") or []:
                _rename(env_from.get("configMapRef"), "configmap", "name", keys)
                _rename(env_from.get("secretRef"), "secret", "name", keys)
    return spec
