"""Writes as kube-apiserver's registry strategies make them: create, replace, patch, delete.

Each function checks what the apiserver checks (names, kinds, preconditions, resource versions,
finalizers), keeps what only the apiserver may set (uid, creation time, generation, status on
main writes and everything but status on status writes), applies defaults, and hands the result
to ``Store.commit``. All of it happens under the store's lock, so a read-modify-write (a patch)
can never interleave with another writer.
"""

from __future__ import annotations

import copy
import secrets
import uuid
from typing import Any

from controller.sandbox import collecting, objects
from controller.sandbox.catalog import ResourceType
from controller.sandbox.defaults import apply_defaults, initial_status
from controller.sandbox.errors import (
    ApiError,
    Body,
    already_exists,
    bad_request,
    conflict,
    internal,
    invalid,
    not_found,
    unprocessable,
)
from controller.sandbox.patches import PatchError, json_patch, strategic_merge_patch
from controller.sandbox.store import Store, object_key, present
from reducers.patching import merge_patch


def create(
    store: Store,
    rt: ResourceType,
    version: str,
    namespace: str | None,
    body: Any,
    *,
    dry_run: bool = False,
) -> Body:
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object")
    obj = copy.deepcopy(body)
    meta = obj.setdefault("metadata", {})
    objects.metadata(obj)
    _check_type(rt, version, obj)
    if rt.namespaced:
        if namespace and meta.get("namespace") not in (None, "", namespace):
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on "
                "the request"
            )
        meta["namespace"] = namespace or meta.get("namespace") or "default"
    else:
        meta.pop("namespace", None)
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = f"{meta['generateName']}{secrets.token_hex(3)[:5]}"
    if not meta.get("name"):
        raise invalid(
            rt.kind,
            rt.group,
            "",
            "metadata.name",
            "Required value: name or generateName is required",
        )
    if meta.get("resourceVersion"):
        raise internal("resourceVersion should not be set on objects to be created")
    objects.validate(rt, obj)
    obj.pop("apiVersion", None)
    obj.pop("kind", None)
    with store.lock:
        if store.require_namespaces and rt.namespaced:
            ns_type = store.catalog.get("", "namespaces")
            if (
                ns_type is not None
                and store.stored(object_key(ns_type, None, meta["namespace"])) is None
            ):
                raise not_found("", "namespaces", meta["namespace"])
        key = object_key(rt, meta.get("namespace"), meta["name"])
        if store.stored(key) is not None:
            raise already_exists(rt.group, rt.plural, meta["name"])
        for field in objects.SYSTEM_METADATA:
            meta.pop(field, None)
        meta.pop("managedFields", None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = objects.timestamp(store.clock())
        if rt.generation:
            meta["generation"] = 1
        if rt.status:
            # Status is the controllers' to write: a create cannot set it.
            obj.pop("status", None)
            if rt.builtin:
                obj["status"] = initial_status(rt.group, rt.plural)
        collecting.admit(store, rt, obj, None)
        apply_defaults(rt.group, rt.plural, obj, None, store.addresses)
        if dry_run:
            return present(rt, version, obj)
        # The version created, as the apiserver answers, even if a controller (a CRD becoming
        # Established) has written a newer one since.
        return present(rt, version, store.commit(key, obj, "ADDED").obj)


def replace(
    store: Store,
    rt: ResourceType,
    version: str,
    namespace: str | None,
    name: str,
    body: Any,
    *,
    subresource: str | None = None,
    dry_run: bool = False,
) -> Body:
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object")
    with store.lock:
        old = store.existing(rt, namespace, name)
        if subresource == "scale":
            sent = str((body.get("metadata") or {}).get("resourceVersion") or "")
            candidate = objects.apply_scale(rt, old, body)
            candidate["metadata"] = {**old["metadata"], "resourceVersion": sent}
            return update(store, rt, version, old, candidate, "scale", dry_run=dry_run)
        meta = body.get("metadata") or {}
        if meta.get("name") not in (None, name):
            raise bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the "
                f"URL ({name})"
            )
        if not meta.get("resourceVersion") and not rt.builtin:
            raise invalid(
                rt.kind,
                rt.group,
                name,
                "metadata.resourceVersion",
                "Invalid value: 0x0: must be specified for an update",
            )
        return update(store, rt, version, old, copy.deepcopy(body), subresource, dry_run=dry_run)


def update(
    store: Store,
    rt: ResourceType,
    version: str,
    old: Body,
    candidate: Body,
    subresource: str | None,
    *,
    dry_run: bool = False,
) -> Body:
    """Turn a candidate (a replacement or a patched copy) into the next stored version."""
    with store.lock:
        old_meta = old["metadata"]
        name = old_meta["name"]
        if not isinstance(candidate.get("metadata"), dict):
            candidate["metadata"] = {}
        sent = candidate["metadata"]
        if (
            sent.get("resourceVersion") not in (None, "")
            and str(sent["resourceVersion"]) != old_meta["resourceVersion"]
        ):
            raise conflict(rt.group, rt.plural, name)
        if sent.get("uid") not in (None, "", old_meta["uid"]):
            raise conflict(
                rt.group,
                rt.plural,
                name,
                f"Precondition failed: UID in "
                f"precondition: {sent['uid']}, UID in object meta: {old_meta['uid']}",
            )
        if subresource == "status":
            new = copy.deepcopy(old)
            new.pop("status", None)
            if "status" in candidate:
                new["status"] = candidate["status"]
        else:
            new = candidate
            _check_type(rt, version, new)
            objects.keep_system_metadata(old, new)
            if rt.status and subresource is None:
                new.pop("status", None)
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
            objects.validate(rt, new)
            added = set(new["metadata"].get("finalizers") or []) - set(
                old_meta.get("finalizers") or []
            )
            if old_meta.get("deletionTimestamp") and added:
                raise invalid(
                    rt.kind,
                    rt.group,
                    name,
                    "metadata.finalizers",
                    "Forbidden: no new finalizers can be added if the object is "
                    f"being deleted, found new finalizers {sorted(added)}",
                )
            collecting.admit(store, rt, new, old)
            apply_defaults(rt.group, rt.plural, new, old, store.addresses)
        new.pop("apiVersion", None)
        new.pop("kind", None)
        if rt.generation and objects.tracked_spec(new) != objects.tracked_spec(old):
            new["metadata"]["generation"] = int(old_meta.get("generation") or 0) + 1
        new["metadata"]["resourceVersion"] = old_meta["resourceVersion"]
        if objects.unchanged(old, new) or dry_run:
            return present(rt, version, new)
        key = object_key(rt, old_meta.get("namespace"), name)
        event = store.commit(key, new, "MODIFIED")
        current = store.stored(key)
        if current is not None and objects.releasable(current):
            store.commit(key, None, "DELETED")
        return present(rt, version, event.obj)


def patch(
    store: Store,
    rt: ResourceType,
    version: str,
    namespace: str | None,
    name: str,
    patch_type: str,
    patch: Any,
    *,
    subresource: str | None = None,
    dry_run: bool = False,
    field_manager: str | None = None,
) -> tuple[Body, bool]:
    """Apply a ``json``, ``merge``, ``strategic`` or ``apply`` patch; True if it created."""
    with store.lock:
        key = object_key(rt, namespace, name)
        if patch_type == "apply":
            if not field_manager:
                raise ApiError(
                    422,
                    "Invalid",
                    'PatchOptions.meta.k8s.io "" is invalid: '
                    "fieldManager: Required value: is required for apply patch",
                )
            if store.stored(key) is None and subresource is None:
                if not isinstance(patch, dict):
                    raise bad_request("an apply patch must be an object")
                meta = patch.get("metadata") or {}
                body = {**patch, "metadata": {**meta, "name": meta.get("name") or name}}
                return create(store, rt, version, namespace, body, dry_run=dry_run), True
        old = store.existing(rt, namespace, name)
        base = objects.scale_view(rt, old) if subresource == "scale" else present(rt, version, old)
        try:
            candidate = _patched(rt, patch_type, base, patch)
        except PatchError as e:
            raise unprocessable(str(e)) from e
        if subresource == "scale":
            sent = (candidate.get("metadata") or {}).get("resourceVersion")
            candidate = objects.apply_scale(rt, old, candidate)
            candidate["metadata"] = {**old["metadata"], "resourceVersion": sent}
        return update(store, rt, version, old, candidate, subresource, dry_run=dry_run), False


def delete(
    store: Store,
    rt: ResourceType,
    version: str,
    namespace: str | None,
    name: str,
    options: Body | None = None,
    *,
    dry_run: bool = False,
) -> tuple[Body, bool]:
    """Delete or start deleting; returns the object and whether it is gone already."""
    options = options or {}
    with store.lock:
        old = store.existing(rt, namespace, name)
        meta = old["metadata"]
        preconditions = options.get("preconditions") or {}
        if preconditions.get("uid") not in (None, meta["uid"]):
            raise conflict(
                rt.group,
                rt.plural,
                name,
                f"Precondition failed: UID in "
                f"precondition: {preconditions['uid']}, UID in object meta: "
                f"{meta['uid']}",
            )
        if preconditions.get("resourceVersion") not in (None, meta["resourceVersion"]):
            raise conflict(rt.group, rt.plural, name)
        policy = options.get("propagationPolicy") or (
            "Orphan" if options.get("orphanDependents") else "Background"
        )
        if policy not in ("Orphan", "Background", "Foreground"):
            raise bad_request(f"unsupported propagationPolicy: {policy}")
        if dry_run:
            return present(rt, version, old), False
        key = object_key(rt, namespace, name)
        if policy == "Orphan":
            collecting.orphan_dependents(store, meta["uid"])
        finalizers = list(meta.get("finalizers") or [])
        if policy == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        if not finalizers:
            event = store.commit(key, None, "DELETED")
            return present(rt, version, event.obj), True
        if meta.get("deletionTimestamp") and finalizers == meta.get("finalizers"):
            return present(rt, version, old), False
        new_meta = {**meta, "finalizers": finalizers, "deletionGracePeriodSeconds": 0}
        new_meta.setdefault("deletionTimestamp", objects.timestamp(store.clock()))
        event = store.commit(key, {**old, "metadata": new_meta}, "MODIFIED")
        current = store.stored(key)
        return present(rt, version, current or event.obj), current is None


def _patched(rt: ResourceType, patch_type: str, base: Body, patch: Any) -> Body:
    match patch_type:
        case "json":
            return json_patch(base, patch)
        case "merge":
            if not isinstance(patch, dict):
                raise bad_request("a merge patch must be a JSON object")
            return dict(merge_patch(base, patch))
        case "strategic":
            return strategic_merge_patch(base, patch)
        case "apply":
            # No field managers: an apply merges like the patch its resource accepts.
            if rt.builtin:
                return strategic_merge_patch(base, patch)
            if not isinstance(patch, dict):
                raise bad_request("an apply patch must be an object")
            return dict(merge_patch(base, patch))
    raise bad_request(f"unknown patch type {patch_type!r}")


def _check_type(rt: ResourceType, version: str, obj: Body) -> None:
    kind = obj.get("kind")
    if kind not in (None, "", rt.kind):
        raise bad_request(
            f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})"
        )
    api_version = obj.get("apiVersion")
    if api_version not in (None, "") and str(api_version).rpartition("/")[0] != rt.group:
        raise bad_request(
            f"the API version in the data ({api_version}) does not match the "
            f"expected API version ({rt.api_version(version)})"
        )
