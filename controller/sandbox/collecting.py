"""What a cluster's own controllers do around the apiserver: GC, namespaces and CRDs.

In a real cluster the garbage collector deletes dependents whose owners are gone, the namespace
controller empties a deleted namespace, and the apiextensions controller serves and establishes a
new CRD. An operator relies on all three (its Services and primary Deployments carry the Canary
as owner). Here they run synchronously right after the commit that triggers them, under the
store's lock, so a test sees their effect as soon as the triggering request returns: a real cluster
takes a moment, and nothing an operator does should depend on that moment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from controller.sandbox import catalog, objects
from controller.sandbox.errors import Body, invalid

if TYPE_CHECKING:
    from controller.sandbox.store import Event, ObjectKey, Store

_CRD = ("apiextensions.k8s.io", "customresourcedefinitions")
_NAMESPACE = ("", "namespaces")


def admit(store: Store, rt: catalog.ResourceType, obj: Body, old: Body | None) -> None:
    """Validate and complete an object before it is stored (the built-in admission steps)."""
    if rt.key == _CRD:
        name = objects.metadata(obj).get("name", "")
        try:
            defined = catalog.from_crd(obj)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise invalid(rt.kind, rt.group, name, "spec", f"Invalid value: {e}") from e
        if name != f"{defined.plural}.{defined.group}":
            raise invalid(
                rt.kind,
                rt.group,
                name,
                "metadata.name",
                f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group',
            )
    elif rt.key == _NAMESPACE and old is None:
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj.setdefault("status", {}).setdefault("phase", "Active")


def after_commit(store: Store, event: Event) -> None:
    """React to a commit as the cluster's controllers would (under the store's lock)."""
    group_plural = event.key[:2]
    if group_plural == _CRD:
        _crd_changed(store, event)
    elif group_plural == _NAMESPACE and (
        event.type == "DELETED" or event.obj["metadata"].get("deletionTimestamp")
    ):
        _empty_namespace(store, event.key[3])
    if event.type == "DELETED" or event.obj["metadata"].get("deletionTimestamp"):
        collect_garbage(store)


def _delete(store: Store, key: ObjectKey, obj: Body) -> None:
    """Delete as the garbage collector does: finalizers still hold the object if it has any."""
    meta = obj["metadata"]
    if meta.get("finalizers"):
        if not meta.get("deletionTimestamp"):
            stamped = {
                **meta,
                "deletionTimestamp": objects.timestamp(store.clock()),
                "deletionGracePeriodSeconds": 0,
            }
            store.commit(key, {**obj, "metadata": stamped}, "MODIFIED")
    else:
        store.commit(key, None, "DELETED")


def _deleting_in_foreground(store: Store, uid: str) -> bool:
    for _, obj in store.stored_items():
        meta = obj["metadata"]
        if meta.get("uid") == uid:
            return bool(meta.get("deletionTimestamp")) and "foregroundDeletion" in (
                meta.get("finalizers") or []
            )
    return False


def _has_dependents(store: Store, uid: str) -> bool:
    return any(
        any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences") or [])
        for _, obj in store.stored_items()
    )


def _collect_once(store: Store) -> bool:
    """One pass over every object; True if it changed anything (another pass may be due)."""
    for key, obj in store.stored_items():
        meta = obj["metadata"]
        refs: list[Any] = meta.get("ownerReferences") or []
        if refs and not meta.get("deletionTimestamp"):
            absent = [ref for ref in refs if not store.uid_known(str(ref.get("uid", "")))]
            if len(absent) == len(refs) or any(
                _deleting_in_foreground(store, str(ref.get("uid", ""))) for ref in refs
            ):
                _delete(store, key, obj)
                return True
            if absent:
                kept = [ref for ref in refs if ref not in absent]
                store.commit(
                    key, {**obj, "metadata": {**meta, "ownerReferences": kept}}, "MODIFIED"
                )
                return True
        finalizers = meta.get("finalizers") or []
        if (
            meta.get("deletionTimestamp")
            and "foregroundDeletion" in finalizers
            and not _has_dependents(store, meta["uid"])
        ):
            rest = [f for f in finalizers if f != "foregroundDeletion"]
            store.commit(key, {**obj, "metadata": {**meta, "finalizers": rest}}, "MODIFIED")
            if not rest:
                store.commit(key, None, "DELETED")
            return True
    return False


def collect_garbage(store: Store) -> None:
    """Delete dependents of deleted owners (background and foreground) until nothing changes.

    Commits made here call back into ``after_commit``; the flag keeps that from nesting.
    """
    if store.gc_running:
        return
    store.gc_running = True
    try:
        while _collect_once(store):
            pass
    finally:
        store.gc_running = False


def orphan_dependents(store: Store, uid: str) -> None:
    """Drop the owner reference to ``uid`` from its dependents (``propagationPolicy: Orphan``)."""
    for key, obj in store.stored_items():
        refs = obj["metadata"].get("ownerReferences") or []
        kept = [ref for ref in refs if ref.get("uid") != uid]
        if len(kept) != len(refs):
            store.commit(
                key, {**obj, "metadata": {**obj["metadata"], "ownerReferences": kept}}, "MODIFIED"
            )


def _empty_namespace(store: Store, namespace: str) -> None:
    for key, obj in store.stored_items():
        if key[2] == namespace and store.stored(key) is obj:
            _delete(store, key, obj)


def _crd_status(crd: Body, now: str) -> Body:
    names = crd["spec"]["names"]
    accepted = {
        k: v
        for k, v in names.items()
        if k in ("plural", "singular", "kind", "listKind", "shortNames", "categories")
    }
    accepted.setdefault("listKind", f"{names['kind']}List")
    accepted.setdefault("singular", names["kind"].lower())
    stored = [v["name"] for v in crd["spec"].get("versions") or [] if v.get("storage")]
    return {
        "acceptedNames": accepted,
        "conditions": [
            {
                "type": "NamesAccepted",
                "status": "True",
                "reason": "NoConflicts",
                "message": "no conflicts found",
                "lastTransitionTime": now,
            },
            {
                "type": "Established",
                "status": "True",
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
                "lastTransitionTime": now,
            },
        ],
        "storedVersions": stored,
    }


def _without_times(status: Any) -> Any:
    if not isinstance(status, dict):
        return status
    conditions = [
        {k: v for k, v in c.items() if k != "lastTransitionTime"}
        for c in status.get("conditions") or []
    ]
    return {**status, "conditions": conditions}


def _crd_changed(store: Store, event: Event) -> None:
    """Serve (or stop serving) what a CRD defines, and establish it as the apiserver does."""
    if event.type == "DELETED":
        defined = catalog.from_crd(event.obj)
        store.catalog.unregister(defined.group, defined.plural)
        for key, _ in store.stored_items():
            if key[:2] == defined.key:
                store.commit(key, None, "DELETED")
        return
    crd = event.obj
    if crd["metadata"].get("deletionTimestamp"):
        return
    store.catalog.register(catalog.from_crd(crd))
    status = _crd_status(crd, objects.timestamp(store.clock()))
    if _without_times(crd.get("status")) != _without_times(status):
        store.commit(event.key, {**crd, "status": status}, "MODIFIED")
