"""Rules on one object: validation, the spec a generation tracks, and the ``Scale`` view.

These are the pieces of kube-apiserver's registry strategies an operator notices: names and
labels that a cluster rejects (a 64-character label value fails there, so it fails here), when
``metadata.generation`` moves, which metadata a client can never change, and what ``/scale``
shows for a workload or a CR declaring ``subresources.scale``. Pure functions on decoded JSON;
the store decides when to apply them.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import Any

from controller.sandbox.catalog import ResourceType, ScaleSpec
from controller.sandbox.errors import ApiError, Body, bad_request, invalid
from controller.sandbox.selectors import selector_string

SYSTEM_METADATA = (
    "uid",
    "creationTimestamp",
    "generation",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "resourceVersion",
    "selfLink",
)
"""Metadata the apiserver owns: kept from the stored object whatever a write sends."""

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with whole seconds, as ``metav1.Time`` is serialised."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def metadata(obj: Body) -> Body:
    found = obj.get("metadata")
    if not isinstance(found, dict):
        raise bad_request("metadata must be an object")
    return found


def validate(rt: ResourceType, obj: Body) -> None:
    """Reject what a real apiserver's validation rejects in metadata (422 Invalid)."""
    meta = metadata(obj)
    name = str(meta.get("name") or "")
    if len(name) > 253 or not _SUBDOMAIN.match(name):
        raise invalid(
            rt.kind,
            rt.group,
            name,
            "metadata.name",
            f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case '
            "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
            "character",
        )
    for field in ("labels", "annotations"):
        if not isinstance(meta.get(field) or {}, dict):
            raise invalid(rt.kind, rt.group, name, f"metadata.{field}", "must be a map")
    for key, value in (meta.get("labels") or {}).items():
        prefix, _, label = str(key).rpartition("/")
        if (
            (prefix and not _SUBDOMAIN.match(prefix))
            or len(label) > 63
            or not _LABEL_NAME.match(label)
        ):
            raise invalid(
                rt.kind,
                rt.group,
                name,
                "metadata.labels",
                f'Invalid value: "{key}": name part '
                "must consist of alphanumeric characters, '-', '_' or '.', at most 63 characters",
            )
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            raise invalid(
                rt.kind,
                rt.group,
                name,
                "metadata.labels",
                f'Invalid value: "{value}": a valid '
                "label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                "'.', at most 63 characters",
            )
    for key, value in (meta.get("annotations") or {}).items():
        if not isinstance(value, str):
            raise invalid(
                rt.kind, rt.group, name, f"metadata.annotations.{key}", "must be a string"
            )


def tracked_spec(obj: Body) -> Body:
    """What ``metadata.generation`` counts changes of: everything but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "kind", "apiVersion")}


def unchanged(old: Body, new: Body) -> bool:
    """Whether a write changes nothing, so the apiserver answers without a new resourceVersion."""

    def comparable(obj: Body) -> Body:
        meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "resourceVersion"}
        rest = {k: v for k, v in obj.items() if k not in ("metadata", "kind", "apiVersion")}
        return {"metadata": meta, **rest}

    return comparable(old) == comparable(new)


def releasable(obj: Body) -> bool:
    """Whether a deletion is pending and no finalizer holds it any more: time to remove it."""
    meta = obj.get("metadata") or {}
    return bool(meta.get("deletionTimestamp")) and not meta.get("finalizers")


def keep_system_metadata(old: Body, new: Body) -> None:
    """Restore, in place on ``new``, the metadata only the apiserver may set."""
    old_meta, new_meta = metadata(old), metadata(new)
    for key in SYSTEM_METADATA:
        if key in old_meta:
            new_meta[key] = old_meta[key]
        else:
            new_meta.pop(key, None)
    new_meta["name"] = old_meta["name"]
    if "namespace" in old_meta:
        new_meta["namespace"] = old_meta["namespace"]
    new_meta.pop("managedFields", None)


# ------------------------------------------------------------------ the /scale subresource


def _path(path: str) -> list[str]:
    return [step for step in path.split(".") if step]


def read_path(obj: Body, path: str) -> Any:
    node: Any = obj
    for step in _path(path):
        if not isinstance(node, dict):
            return None
        node = node.get(step)
    return node


def write_path(obj: Body, path: str, value: Any) -> None:
    steps = _path(path)
    node = obj
    for step in steps[:-1]:
        node = node.setdefault(step, {})
    node[steps[-1]] = value


def scale_view(rt: ResourceType, obj: Body) -> Body:
    """The ``autoscaling/v1`` ``Scale`` of an object, as ``GET .../scale`` returns it."""
    spec = rt.scale or ScaleSpec()
    meta = metadata(obj)
    if spec.label_selector_path is not None:
        selector = read_path(obj, spec.label_selector_path) or ""
    else:
        selector = selector_string(read_path(obj, ".spec.selector"))
    status: Body = {"replicas": int(read_path(obj, spec.status_replicas_path) or 0)}
    if selector:
        status["selector"] = str(selector)
    scale_meta = {
        k: meta[k]
        for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
        if k in meta
    }
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_meta,
        "spec": {"replicas": int(read_path(obj, spec.spec_replicas_path) or 0)},
        "status": status,
    }


def apply_scale(rt: ResourceType, obj: Body, scale: Any) -> Body:
    """The object with the replicas a written ``Scale`` asks for; nothing else changes."""
    if not isinstance(scale, dict) or not isinstance(scale.get("spec"), dict):
        raise bad_request("a Scale must have a spec")
    replicas = scale["spec"].get("replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise ApiError(
            422,
            "Invalid",
            f'Scale.autoscaling "{metadata(obj).get("name")}" is invalid: '
            f"spec.replicas: Invalid value: {replicas!r}: must be greater than or equal to 0",
        )
    result = copy.deepcopy(obj)
    write_path(result, (rt.scale or ScaleSpec()).spec_replicas_path, replicas)
    return result
