"""Watch streams: resume from a resourceVersion, bookmark, time out, expire, and end on demand.

A watch is the part of the API an operator leans on hardest and a fake most often gets wrong:
this one replays only the events after the requested version (410 ``Expired`` as an ``ERROR``
event once the log has been compacted past it, as a real apiserver sends it), applies selectors
so an object that stops matching arrives as ``DELETED``, sends ``BOOKMARK`` events when asked,
and closes at ``timeoutSeconds``. ``WatchHub.drop`` ends every open stream at once, the way an
apiserver restart or a load-balancer timeout does, to test reconnection.

Streams run on the server's event loop; commits may come from any thread and only wake them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from controller.sandbox.catalog import ResourceType
from controller.sandbox.errors import ApiError, Body
from controller.sandbox.selectors import Selector
from controller.sandbox.store import Event, Store, present


@dataclass(frozen=True)
class WatchRequest:
    """What one watch asks for, parsed from its URL."""

    rt: ResourceType
    version: str
    namespace: str | None
    name: str | None
    selector: Selector
    resource_version: str | None
    timeout: float
    bookmarks: bool
    send_initial: bool


class WatchHub:
    """Wakes the streams when the store changes; bounds and ends them."""

    def __init__(self, store: Store, loop: asyncio.AbstractEventLoop, bookmark_interval: float):
        self._store = store
        self._loop = loop
        self._changed = asyncio.Event()
        self._epoch = 0
        self._closing = False
        self.bookmark_interval = bookmark_interval
        store.subscribe(self._on_commit)

    def _on_commit(self) -> None:
        # Called under the store's lock, from whichever thread wrote: only schedule the wake-up.
        with contextlib.suppress(RuntimeError):  # the loop has already been closed
            self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def drop(self) -> None:
        """End every open watch stream now (call on the server's loop)."""
        self._epoch += 1
        self._wake()

    def close(self) -> None:
        """End every stream and refuse to keep new ones open: the server is stopping."""
        self._closing = True
        self._wake()

    async def stream(self, watch: WatchRequest) -> AsyncIterator[Body]:
        """The events of one watch, as JSON-ready dicts, until timeout, drop or close."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + watch.timeout
        epoch = self._epoch
        try:
            initial, cursor = self._store.watch_start(
                watch.rt, watch.resource_version, watch.send_initial
            )
        except ApiError as e:
            yield {"type": "ERROR", "object": e.status()}
            return
        for obj in initial:
            if self._wanted(watch, obj):
                yield {"type": "ADDED", "object": present(watch.rt, watch.version, obj)}
        if watch.send_initial and watch.bookmarks:
            yield self._bookmark(watch, cursor, initial_end=True)
        next_bookmark = loop.time() + self.bookmark_interval
        while not self._closing and epoch == self._epoch:
            changed = self._changed  # taken before reading, so no commit can slip between
            try:
                events, cursor = self._store.events_after(cursor)
            except ApiError as e:  # this watcher fell behind the compacted log
                yield {"type": "ERROR", "object": e.status()}
                return
            for event in events:
                translated = self._translate(watch, event)
                if translated is not None:
                    yield translated
            now = loop.time()
            if now >= deadline:
                # Real apiservers send a last bookmark just before the timeout closes a watch.
                if watch.bookmarks:
                    yield self._bookmark(watch, cursor)
                return
            if watch.bookmarks and now >= next_bookmark:
                yield self._bookmark(watch, cursor)
                next_bookmark = now + self.bookmark_interval
            wake_at = min(deadline, next_bookmark) if watch.bookmarks else deadline
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), max(0.0, wake_at - now))

    def _bookmark(self, watch: WatchRequest, cursor: int, initial_end: bool = False) -> Body:
        metadata: Body = {"resourceVersion": str(cursor)}
        if initial_end:
            metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
        return {
            "type": "BOOKMARK",
            "object": {
                "kind": watch.rt.kind,
                "apiVersion": watch.rt.api_version(watch.version),
                "metadata": metadata,
            },
        }

    @staticmethod
    def _in_scope(watch: WatchRequest, obj: Body) -> bool:
        meta = obj.get("metadata") or {}
        if watch.namespace and meta.get("namespace") != watch.namespace:
            return False
        return not watch.name or meta.get("name") == watch.name

    def _wanted(self, watch: WatchRequest, obj: Body) -> bool:
        return self._in_scope(watch, obj) and watch.selector.matches(obj)

    def _translate(self, watch: WatchRequest, event: Event) -> Body | None:
        """The event as this watcher sees it through its selector, or None if it sees nothing."""
        if event.key[:2] != watch.rt.key or not self._in_scope(watch, event.obj):
            return None
        matches_now = watch.selector.matches(event.obj)
        matched_before = event.prev is not None and watch.selector.matches(event.prev)
        kind = event.type
        if kind == "MODIFIED":
            if matches_now and not matched_before:
                kind = "ADDED"
            elif matched_before and not matches_now:
                kind = "DELETED"
            elif not matches_now:
                return None
        elif kind == "DELETED":
            if not (matches_now or matched_before):
                return None
        elif not matches_now:
            return None
        return {"type": kind, "object": present(watch.rt, watch.version, event.obj)}
