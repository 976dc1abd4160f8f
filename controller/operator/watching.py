"""Informers: list one kind, then watch it, and tell the operator what changed.

An :class:`Informer` owns one resource (a kind, in one namespace or all) on a daemon thread
``roost-watch-<plural>``. It lists, delivers every object as ``ADDED``, then watches from the
list's resourceVersion with bookmarks, keeping the newest version it has seen so that a watch the
server closes (``timeoutSeconds``, a restart, a load balancer) resumes without a gap. When that
version has expired (410 Gone) it lists again and delivers the difference from its cache as
``ADDED``/``MODIFIED``/``DELETED``, so a consumer sees the same sequence of states it would have
seen had the watch never broken. Connection errors and server errors are retried with backoff;
nothing but :meth:`Informer.stop` ends the thread, and a consumer's exception is logged, never
fatal.

Objects are plain dicts (the JSON edge), exactly as the API server sent them, plus ``apiVersion``
and ``kind`` filled in on listed items, which the API omits. Consumers must not mutate them: the
cache shares them. This module decides nothing and writes nothing; the operator's scheduler turns
the events into ticks and ledger entries.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import kubernetes.client
from kubernetes.client.exceptions import ApiException

from effects.kubeapi import classify, plural_of

log = logging.getLogger("roost.operator.watching")

Key = tuple[str, str]
"""(namespace, name) of a cached object; the namespace is "" for a cluster-scoped kind."""

OnEvent = Callable[[str, dict[str, Any]], None]

_CONNECT_TIMEOUT = 10.0
_LIST_READ_TIMEOUT = 60.0
_WATCH_READ_SLACK = 30.0  # beyond timeoutSeconds: a silent stream this long is a dead one
_PAGE_SIZE = 500
_JSON = {"Accept": "application/json"}


@dataclass(frozen=True)
class Watched:
    """What one informer watches: a kind, in one namespace or (``None``) in all of them."""

    api_version: str
    kind: str
    plural: str
    namespace: str | None = None

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    def collection(self) -> str:
        """The API path of the collection (cluster-wide when ``namespace`` is ``None``)."""
        root = f"/apis/{self.api_version}" if self.group else f"/api/{self.api_version}"
        scope = f"/namespaces/{self.namespace}" if self.namespace else ""
        return f"{root}{scope}/{self.plural}"

    def __str__(self) -> str:
        where = self.namespace or "all namespaces"
        return f"{self.plural}.{self.group or 'core'} in {where}"


def watched(api_version: str, kind: str, namespace: str | None = None) -> Watched:
    """A :class:`Watched` with the plural from the effects table.

    ``namespace`` is ignored for a cluster-scoped kind, as ``ObjectRef`` ignores it, so callers
    may pass the operator's namespace for every kind alike. An unknown kind raises
    ``UnknownKindError``: a kind the operator cannot address is a bug, not something to guess.
    """
    plural, namespaced = plural_of(api_version, kind)
    return Watched(api_version, kind, plural, namespace if namespaced else None)


def served(api_client: kubernetes.client.ApiClient, watched: Watched) -> bool:
    """Whether ``watched`` can be listed: one GET of its collection (``limit=1``).

    An :class:`Informer` retries every failure with backoff and is not ``synced`` until its
    first list succeeds, so one started on a kind the API does not serve (404: a CRD not
    installed) or will not show us (403) would retry forever and hold readiness down. Those two
    answers mean "do not watch"; any other failure (the server unreachable for now) means
    "watch", and the informer's own retries take it from there.
    """
    method, url, headers, _, _ = api_client.param_serialize(
        method="GET",
        resource_path=watched.collection(),
        query_params=[("limit", "1")],
        header_params=dict(_JSON),
        auth_settings=["BearerToken"],
    )
    try:
        response: Any = api_client.call_api(
            method,
            url,
            header_params=headers,
            _request_timeout=(_CONNECT_TIMEOUT, _CONNECT_TIMEOUT),
        )
        status = int(response.status)
        response.read()
    except Exception as e:
        log.warning("cannot tell whether %s is served (%s); watching it", watched, e)
        return True
    if status in (403, 404):
        reason = "not served" if status == 404 else "forbidden"
        log.info("%s is %s (%d); not watching it", watched, reason, status)
        return False
    return True


def capped_backoff(failures: int) -> float:
    """Seconds to wait after ``failures`` consecutive failures: 0.5, 1, 2, ... up to 30."""
    return float(min(30.0, 0.5 * 2 ** max(0, failures - 1)))


class _Expired(Exception):
    """The resourceVersion we hold is older than the server remembers (410 Gone): list again."""


def _key(obj: dict[str, Any]) -> Key:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _meta(obj: dict[str, Any], field: str) -> str:
    return str((obj.get("metadata") or {}).get(field) or "")


def _lines(raw: Any) -> Iterator[bytes]:
    """Non-empty lines of a streamed body, each as soon as its chunk arrives."""
    pending = b""
    for chunk in raw.stream(None, decode_content=True):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        yield from (line for line in complete if line.strip())
    if pending.strip():
        yield pending


def _status_error(status: dict[str, Any]) -> Exception:
    """The exception an ``ERROR`` watch event stands for."""
    code = int(status.get("code") or 0)
    if code == 410:
        return _Expired(str(status.get("message") or "resource version expired"))
    error = ApiException(status=code, reason=str(status.get("reason") or "watch error"))
    error.body = json.dumps(status)
    return error


class Informer:
    """List-then-watch of one :class:`Watched` resource, with a cache, on its own thread."""

    def __init__(
        self,
        api_client: kubernetes.client.ApiClient,
        watched: Watched,
        *,
        on_event: OnEvent,
        label_selector: str | None = None,
        backoff: Callable[[int], float] = capped_backoff,
        timeout_seconds: int = 300,
    ) -> None:
        self.api_client = api_client
        self.watched = watched
        self._on_event = on_event
        self._selector = label_selector
        self._backoff = backoff
        self._timeout = timeout_seconds
        self._lock = threading.Lock()
        self._cache: dict[Key, dict[str, Any]] = {}
        self._rv = ""
        self._response: Any = None  # the open watch stream, for stop() to cut
        self._stopping = threading.Event()
        self._synced = threading.Event()
        self._failures = 0
        self._lists = 0
        self._thread = threading.Thread(
            target=self._run, name=f"roost-watch-{watched.plural}", daemon=True
        )

    # ------------------------------------------------------------ lifecycle and reads

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread: cut the open watch stream, wake any backoff, join up to ``timeout``."""
        self._stopping.set()
        with self._lock:
            response = self._response
        if response is not None:
            with contextlib.suppress(Exception):  # already closed or released: nothing to cut
                response.shutdown()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("the informer for %s did not stop within %s s", self.watched, timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def cache(self) -> dict[Key, dict[str, Any]]:
        """The objects as last seen, by (namespace, name); a copy of the mapping, shared values."""
        with self._lock:
            return dict(self._cache)

    @property
    def synced(self) -> bool:
        """True once the first list has been delivered."""
        return self._synced.is_set()

    def wait_synced(self, timeout: float | None = None) -> bool:
        return self._synced.wait(timeout)

    @property
    def resource_version(self) -> str:
        """The newest resourceVersion seen (from a list, an event or a bookmark)."""
        with self._lock:
            return self._rv

    @property
    def consecutive_failures(self) -> int:
        """Failed requests since the last successful one (what the backoff is computed from)."""
        return self._failures

    @property
    def lists(self) -> int:
        """How many full lists have completed: 1 after the first sync, +1 per relist."""
        return self._lists

    # ------------------------------------------------------------ the loop

    def _run(self) -> None:
        must_list = True
        while not self._stopping.is_set():
            try:
                if must_list:
                    self._relist()
                    must_list = False
                if not self._watch():
                    # A stream that closed without a line, not even a bookmark: pause a little
                    # so a misbehaving server or proxy cannot spin this loop.
                    self._stopping.wait(self._backoff(1))
            except _Expired as e:
                log.info("watch of %s expired (%s); listing again", self.watched, e)
                must_list = True
            except Exception as e:
                if self._stopping.is_set():
                    break
                self._failures += 1
                delay = self._backoff(self._failures)
                log.warning(
                    "watching %s failed (%d in a row, retrying in %.1f s): %s",
                    self.watched,
                    self._failures,
                    delay,
                    classify(e).detail,
                )
                self._stopping.wait(delay)

    def _request(self, query: list[tuple[str, str]], read_timeout: float) -> Any:
        if self._selector:
            query = [*query, ("labelSelector", self._selector)]
        method, url, headers, _, _ = self.api_client.param_serialize(
            method="GET",
            resource_path=self.watched.collection(),
            query_params=query,
            header_params=dict(_JSON),
            auth_settings=["BearerToken"],
        )
        return self.api_client.call_api(
            method, url, header_params=headers, _request_timeout=(_CONNECT_TIMEOUT, read_timeout)
        )

    @staticmethod
    def _raise_for_status(response: Any) -> None:
        if response.status == 200:
            return
        data = response.read()
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data or "")
        if response.status == 410:
            raise _Expired(text[:300])
        raise ApiException.from_response(http_resp=response, body=text, data=None)

    # ------------------------------------------------------------ list

    def _list(self) -> tuple[list[dict[str, Any]], str]:
        """Every object, page by page, and the resourceVersion the list is consistent at."""
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            query = [("limit", str(_PAGE_SIZE))] + ([("continue", token)] if token else [])
            response = self._request(query, _LIST_READ_TIMEOUT)
            self._raise_for_status(response)
            body = json.loads(response.read())
            for item in body.get("items") or []:
                item.setdefault("apiVersion", self.watched.api_version)
                item.setdefault("kind", self.watched.kind)
                items.append(item)
            meta = body.get("metadata") or {}
            token = str(meta.get("continue") or "")
            if not token:
                return items, str(meta.get("resourceVersion") or "")

    def _relist(self) -> None:
        """List, replace the cache, and deliver the difference from what was cached before."""
        items, rv = self._list()
        self._failures = 0
        fresh = {_key(obj): obj for obj in items}
        with self._lock:
            old, self._cache, self._rv = self._cache, fresh, rv
        changes: list[tuple[str, dict[str, Any]]] = []
        for key, obj in fresh.items():
            before = old.get(key)
            if before is None:
                changes.append(("ADDED", obj))
            elif _meta(before, "uid") != _meta(obj, "uid"):  # deleted and made again meanwhile
                changes += [("DELETED", before), ("ADDED", obj)]
            elif _meta(before, "resourceVersion") != _meta(obj, "resourceVersion"):
                changes.append(("MODIFIED", obj))
        changes += [("DELETED", obj) for key, obj in old.items() if key not in fresh]
        self._lists += 1
        if self._lists > 1:
            log.info("relisted %s: %d changes while not watching", self.watched, len(changes))
        for kind, obj in changes:
            self._deliver(kind, obj)
        self._synced.set()

    # ------------------------------------------------------------ watch

    def _watch(self) -> bool:
        """One watch request from the held resourceVersion until the server ends it.

        Returns whether any line arrived; raises ``_Expired`` on 410, anything else on failure.
        """
        query = [
            ("watch", "true"),
            ("resourceVersion", self.resource_version),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(self._timeout)),
        ]
        response = self._request(query, self._timeout + _WATCH_READ_SLACK)
        raw = response.response
        with self._lock:
            self._response = raw
        finished = False
        try:
            if self._stopping.is_set():  # stop() ran before the stream could be cut
                return True
            self._raise_for_status(response)
            self._failures = 0
            seen = False
            for line in _lines(raw):
                if self._stopping.is_set():
                    return True
                seen = True
                self._apply(json.loads(line))
            finished = True
            return seen
        finally:
            with self._lock:
                self._response = None
            if not finished:
                raw.close()  # unread data must never go back to the pool
            with contextlib.suppress(Exception):
                raw.release_conn()

    def _apply(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        obj = event.get("object") or {}
        if kind == "ERROR":
            raise _status_error(obj)
        rv = _meta(obj, "resourceVersion")
        if kind == "BOOKMARK":
            with self._lock:
                self._rv = rv or self._rv
            return
        if kind not in ("ADDED", "MODIFIED", "DELETED"):
            log.warning("ignoring a watch event of unknown type %r on %s", kind, self.watched)
            return
        with self._lock:
            if kind == "DELETED":
                self._cache.pop(_key(obj), None)
            else:
                self._cache[_key(obj)] = obj
            self._rv = rv or self._rv
        self._deliver(str(kind), obj)

    def _deliver(self, kind: str, obj: dict[str, Any]) -> None:
        try:
            self._on_event(kind, obj)
        except Exception:
            namespace, name = _key(obj)
            log.exception(
                "the handler of %s failed on %s %s/%s", self.watched, kind, namespace, name
            )
