"""The object database of the double: objects, one resourceVersion counter, and an event log.

Every write gets the next value of one global, monotonic ``resourceVersion`` and an entry in a
bounded event log, from which watches resume and ``resourceVersionMatch=Exact`` lists and
continue tokens are answered; what has fallen off the log is gone (410), as after an etcd
compaction. The store is synchronous and guarded by one lock, so the HTTP server's loop and a
test's thread can both use it; listeners hear of each commit and must not block.

The apiserver's rules for writes live in ``writing``; what a cluster's controllers do around the
apiserver (garbage collection, namespace cleanup, establishing CRDs) lives in ``collecting``,
called after each commit. Stored dicts are never mutated once stored, so events share them;
callers always get deep copies.
"""

from __future__ import annotations

import base64
import collections
import copy
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from controller.sandbox import collecting, objects
from controller.sandbox.catalog import Catalog, ResourceType
from controller.sandbox.defaults import ServiceAddresses
from controller.sandbox.errors import (
    ApiError,
    Body,
    bad_request,
    gone,
    not_found,
    too_large_resource_version,
)
from controller.sandbox.selectors import Selector

ObjectKey = tuple[str, str, str, str]
"""(group, plural, namespace or "" when cluster-scoped, name)."""


@dataclass(frozen=True)
class Event:
    """One committed change: what a watch streams and what resuming and snapshots replay."""

    rv: int
    type: str  # ADDED, MODIFIED or DELETED
    key: ObjectKey
    obj: Body
    prev: Body | None


@dataclass(frozen=True)
class Page:
    """One answer to a list: items at ``resource_version``, and where the next page starts."""

    items: list[Body]
    resource_version: int
    continue_token: str | None = None
    remaining: int | None = None


def _utcnow() -> datetime:
    return datetime.now(UTC)


def object_key(rt: ResourceType, namespace: str | None, name: str) -> ObjectKey:
    """Where an object of ``rt`` is stored: the namespace is dropped for cluster-scoped ones."""
    return (rt.group, rt.plural, namespace or "" if rt.namespaced else "", name)


class Store:
    """Objects, resource versions and the event log; thread-safe, never blocking on I/O."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        clock: Callable[[], datetime] = _utcnow,
        max_events: int = 10_000,
        require_namespaces: bool = False,
    ) -> None:
        self.catalog = catalog
        self.clock = clock
        self.require_namespaces = require_namespaces
        self.lock = threading.RLock()
        """Held by every read and write; ``writing`` and ``collecting`` take it too."""
        self._objects: dict[ObjectKey, Body] = {}
        self._uids: dict[str, ObjectKey] = {}
        self._events: collections.deque[Event] = collections.deque(maxlen=max_events)
        self._rv = 0
        self._compacted = 0
        self._listeners: list[Callable[[], None]] = []
        self.addresses = ServiceAddresses()
        self.gc_running = False
        """Set while ``collecting`` runs a garbage-collection pass (it must not nest)."""

    # ------------------------------------------------------------ bookkeeping

    @property
    def resource_version(self) -> int:
        with self.lock:
            return self._rv

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every commit (under the lock: it must only schedule work)."""
        with self.lock:
            self._listeners.append(listener)

    def compact(self) -> None:
        """Forget the event log, as an etcd compaction does: older versions now answer 410."""
        with self.lock:
            self._events.clear()
            self._compacted = self._rv

    def events(self) -> list[Event]:
        """The retained event log, oldest first (for tests asking what was written, in order)."""
        with self.lock:
            return [
                Event(e.rv, e.type, e.key, copy.deepcopy(e.obj), copy.deepcopy(e.prev))
                for e in self._events
            ]

    def commit(self, key: ObjectKey, new: Body | None, kind: str) -> Event:
        """Store ``new`` (None deletes) at the next resourceVersion; the one write path."""
        with self.lock:
            self._rv += 1
            prev = self._objects.get(key)
            rv = str(self._rv)
            if new is None:
                assert prev is not None
                obj = {**prev, "metadata": {**prev["metadata"], "resourceVersion": rv}}
                del self._objects[key]
                self._uids.pop(prev["metadata"].get("uid", ""), None)
            else:
                obj = {**new, "metadata": {**new["metadata"], "resourceVersion": rv}}
                self._objects[key] = obj
                self._uids[obj["metadata"]["uid"]] = key
            event = Event(self._rv, kind, key, obj, prev)
            if len(self._events) == self._events.maxlen:
                self._compacted = self._events[0].rv
            self._events.append(event)
            for listener in self._listeners:
                listener()
            collecting.after_commit(self, event)
            return event

    def stored(self, key: ObjectKey) -> Body | None:
        """The stored object itself (not a copy): for ``collecting``, under the lock."""
        return self._objects.get(key)

    def stored_items(self) -> list[tuple[ObjectKey, Body]]:
        return list(self._objects.items())

    def uid_known(self, uid: str) -> bool:
        return uid in self._uids

    def _present(self, rt: ResourceType, version: str, obj: Body) -> Body:
        return present(rt, version, obj)

    def existing(self, rt: ResourceType, namespace: str | None, name: str) -> Body:
        """The stored object itself (not a copy), or 404."""
        found = self._objects.get(object_key(rt, namespace, name))
        if found is None:
            raise not_found(rt.group, rt.plural, name)
        return found

    # ------------------------------------------------------------ reads

    def get(self, rt: ResourceType, version: str, namespace: str | None, name: str) -> Body:
        with self.lock:
            return self._present(rt, version, self.existing(rt, namespace, name))

    def _state_at(self, rv: int) -> dict[ObjectKey, Body]:
        """Every object as it was at ``rv``, rebuilt by undoing the newer logged events."""
        if rv < self._compacted:
            raise gone(f"too old resource version: {rv} ({self._compacted + 1})")
        state = dict(self._objects)
        for event in reversed(self._events):
            if event.rv <= rv:
                break
            if event.prev is None:
                state.pop(event.key, None)
            else:
                state[event.key] = event.prev
        return state

    def list_objects(
        self,
        rt: ResourceType,
        version: str,
        namespace: str | None,
        selector: Selector,
        *,
        resource_version: str | None = None,
        match: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
    ) -> Page:
        """A list as the apiserver answers it, with ``limit``/``continue`` paging on a snapshot."""
        with self.lock:
            start_after: tuple[str, str] | None = None
            if continue_token:
                at, start_after = _decode_continue(continue_token)
                if at < self._compacted:
                    raise gone(
                        "The provided continue parameter is too old to display a consistent list "
                        "result. You can start a new list without the continue parameter."
                    )
                state = self._state_at(at)
            elif match == "Exact":
                at = _parse_rv(resource_version)
                if at > self._rv:
                    raise too_large_resource_version(at, self._rv)
                state = self._state_at(at)
            else:
                if match not in (None, "", "NotOlderThan"):
                    raise bad_request(f"unsupported resourceVersionMatch: {match}")
                if resource_version not in (None, "", "0"):
                    wanted = _parse_rv(resource_version)
                    if wanted > self._rv:
                        raise too_large_resource_version(wanted, self._rv)
                at, state = self._rv, self._objects
            found = sorted(
                (key[2], key[3], obj)
                for key, obj in state.items()
                if key[:2] == rt.key
                and (not namespace or key[2] == namespace)
                and selector.matches(obj)
            )
            if start_after is not None:
                found = [entry for entry in found if entry[:2] > start_after]
            token, remaining = None, None
            if limit and len(found) > limit:
                last = found[limit - 1]
                token = _encode_continue(at, (last[0], last[1]))
                remaining = len(found) - limit if selector.empty else None
                found = found[:limit]
            items = [self._present(rt, version, entry[2]) for entry in found]
            return Page(items, at, token, remaining)

    def watch_start(
        self, rt: ResourceType, resource_version: str | None, send_initial: bool
    ) -> tuple[list[Body], int]:
        """Where a watch starts: the objects to send as ADDED first, and the cursor after them.

        No version (or "0") means "current state, then changes", as in a real apiserver; a
        version means "changes after it", or 410 when it has been compacted away.
        """
        with self.lock:
            if send_initial or resource_version in (None, "", "0"):
                current = [obj for key, obj in sorted(self._objects.items()) if key[:2] == rt.key]
                return [copy.deepcopy(obj) for obj in current], self._rv
            wanted = _parse_rv(resource_version)
            if wanted < self._compacted:
                raise gone(f"too old resource version: {wanted} ({self._compacted + 1})")
            return [], wanted

    def events_after(self, cursor: int) -> tuple[list[Event], int]:
        """Events newer than ``cursor`` and the new cursor; 410 if the log no longer has them."""
        with self.lock:
            if cursor < self._compacted:
                raise gone(f"too old resource version: {cursor} ({self._compacted + 1})")
            newer: list[Event] = []
            for event in reversed(self._events):
                if event.rv <= cursor:
                    break
                newer.append(event)
            newer.reverse()
            return newer, max(cursor, self._rv)

    # ------------------------------------------------------------ direct access for tests

    def seed(self, rt: ResourceType, obj: Body) -> Body:
        """Store an object as given, status included, stamping only what is missing."""
        obj = copy.deepcopy(obj)
        meta = objects.metadata(obj)
        with self.lock:
            if not rt.namespaced:
                meta.pop("namespace", None)
            elif not meta.get("namespace"):
                meta["namespace"] = "default"
            key = object_key(rt, meta.get("namespace"), meta["name"])
            existing = (self._objects.get(key) or {}).get("metadata") or {}
            meta.setdefault("uid", existing.get("uid") or str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", objects.timestamp(self.clock()))
            if rt.generation:
                meta.setdefault("generation", 1)
            obj.pop("apiVersion", None)
            obj.pop("kind", None)
            event = self.commit(key, obj, "MODIFIED" if key in self._objects else "ADDED")
            return self._present(rt, rt.versions[0], event.obj)

    def clear(self) -> None:
        """Forget every object, with no events (a fresh cluster); resourceVersions go on."""
        with self.lock:
            self._objects.clear()
            self._uids.clear()
            self._events.clear()
            self._compacted = self._rv


def present(rt: ResourceType, version: str, obj: Body) -> Body:
    """A copy of a stored object as served at ``version``, with its ``apiVersion`` and ``kind``."""
    result = copy.deepcopy(obj)
    result["apiVersion"] = rt.api_version(version)
    result["kind"] = rt.kind
    return result


def _parse_rv(value: str | None) -> int:
    try:
        parsed = int(value or "")
    except ValueError:
        raise ApiError(
            400,
            "BadRequest",
            f'resourceVersion: Invalid value: "{value}": must be an unsigned integer',
        ) from None
    if parsed < 0:
        raise bad_request(f'resourceVersion: Invalid value: "{value}"')
    return parsed


def _encode_continue(rv: int, after: tuple[str, str]) -> str:
    raw = json.dumps({"rv": rv, "ns": after[0], "name": after[1]}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), (str(data["ns"]), str(data["name"]))
    except (ValueError, KeyError, TypeError):
        raise bad_request("continue key is not valid") from None
