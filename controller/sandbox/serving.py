"""The double on its own event loop in a thread, for synchronous tests and ``roost sandbox``.

The official sync client blocks, so the server cannot share its thread: ``ApiServerThread`` runs
the double's loop in a daemon thread and offers thread-safe helpers around it: direct reads
and seeds through the store (which has its own lock), and fault injection, which kmock wants done
on the server's loop. ``stop()`` ends open watches first, so it returns promptly and leaves no
thread behind; give the thread a ``roost-session-`` name only when it lives for a whole session.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, TypeVar

import kubernetes.client

from controller.sandbox import faults
from controller.sandbox.apiserver import ApiServer
from controller.sandbox.catalog import ResourceType
from controller.sandbox.errors import ApiError, Body
from controller.sandbox.selectors import Selector
from controller.sandbox.store import Store

T = TypeVar("T")


class ApiServerThread:
    """An ``ApiServer`` served on loopback from a thread: ``start()``, ``url``, ``stop()``.

    Keyword options not listed here go to ``ApiServer`` (``bookmark_interval``,
    ``watch_timeout``, ``max_events``, ``clock``, ``require_namespaces``...).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "roost-apiserver",
        daemon: bool = True,
        **options: Any,
    ) -> None:
        self._host, self._port, self._options = host, port, options
        self._thread = threading.Thread(target=self._run, name=name, daemon=daemon)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._server: ApiServer | None = None
        self._url: str | None = None
        self._failure: BaseException | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self, timeout: float = 10.0) -> Self:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"the API server double did not start within {timeout} s")
        if self._failure is not None:
            raise RuntimeError("the API server double failed to start") from self._failure
        return self

    def stop(self, timeout: float = 10.0) -> None:
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopping.set)
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"the API server double did not stop within {timeout} s")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as e:  # reported by start(), or lost with the thread
            self._failure = e
        finally:
            self._ready.set()
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            asyncio.set_event_loop(None)
            loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        server = ApiServer(**self._options)
        async with server.running(self._host, self._port) as url:
            self._server, self._url = server, url
            self._ready.set()
            await self._stopping.wait()

    # ------------------------------------------------------------ access

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the API server double is not running")
        return self._url

    @property
    def server(self) -> ApiServer:
        if self._server is None:
            raise RuntimeError("the API server double is not running")
        return self._server

    @property
    def store(self) -> Store:
        return self.server.store

    @property
    def kmock(self) -> Any:
        """The kmock handler: its DSL and request log (register reactions through ``call``)."""
        return self.server.kmock

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``fn`` on the server's loop and return its result (for kmock's DSL)."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the API server double is not running")
        if threading.current_thread() is self._thread:
            return fn()
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except BaseException as e:
                future.set_exception(e)

        loop.call_soon_threadsafe(run)
        return future.result(timeout)

    def configuration(self) -> kubernetes.client.Configuration:
        """A client configuration for this server: plain HTTP, no credentials, no retries."""
        configuration = kubernetes.client.Configuration(host=self.url)
        configuration.retries = 0
        return configuration

    # ------------------------------------------------------------ objects, thread-safe

    def resource(self, resource: str) -> ResourceType:
        """Resolve ``deployments``, ``deployments.apps``, ``apps/v1/deployments`` or a kind."""
        return self.server.catalog.resolve(resource)

    def seed(self, obj: Body) -> Body:
        """Store ``obj`` as given (status included); its ``apiVersion`` and ``kind`` pick where."""
        found = self.server.catalog.find_kind(str(obj.get("apiVersion", "")), str(obj.get("kind")))
        if found is None:
            raise LookupError(f"no resource serves {obj.get('apiVersion')} {obj.get('kind')}")
        return self.store.seed(found, obj)

    def read(self, resource: str, name: str, namespace: str | None = None) -> Body | None:
        """The stored object, or None if there is none."""
        rt = self.resource(resource)
        try:
            return self.store.get(rt, rt.versions[0], namespace, name)
        except ApiError:
            return None

    def objects(self, resource: str, namespace: str | None = None) -> list[Body]:
        rt = self.resource(resource)
        return self.store.list_objects(rt, rt.versions[0], namespace, Selector()).items

    # ------------------------------------------------------------ faults, thread-safe

    def fail(self, verb: str, resource: str | None = None, **options: Any) -> Any:
        """``faults.fail`` on the server's loop: the next matching requests get an error."""
        return self.call(lambda: faults.fail(self.kmock, verb, resource, **options))

    def delay(self, verb: str, resource: str | None = None, **options: Any) -> Any:
        """``faults.delay`` on the server's loop: the next matching requests are held."""
        return self.call(lambda: faults.delay(self.kmock, verb, resource, **options))

    def drop_watches(self) -> None:
        """End every open watch stream, as an apiserver restart would."""
        self.call(self.server.drop_watches)

    def compact(self) -> None:
        """Forget the event log: watches and lists from older versions now get 410 Gone."""
        self.store.compact()

    def reset(self) -> None:
        """Back to a fresh cluster: no objects, reactions or recorded requests."""
        self.call(self.server.reset)
