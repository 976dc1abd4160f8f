"""The API server double on HTTP: kmock's server and DSL in front of the store.

kmock (``kmock==0.8``) receives each request, records it, and offers it to the reactions a test
registered with its DSL (``server.kmock["patch", kmock.resource("deployments")] << 409``). What
no reaction answers is served here like kube-apiserver would: discovery, CRUD with conflicts,
patches, subresources, selectors, paging and watches. kmock's own emulator is not used (it has
no resource versions, no PUT, no selectors, and replays everything on watch); its ``objects``
view therefore stays empty: read objects through ``ApiServer.store``.

Also a command: ``python -m controller.sandbox.apiserver --port N`` serves until SIGTERM/SIGINT
and prints its URL as the first line on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import aiohttp.web
import kmock
from kmock import Response  # type: ignore[attr-defined]  # exported, not in __all__
from kmock._internal.parsing import parse_path as kmock_parse_path

from controller.sandbox import discovery, routes, writing
from controller.sandbox.catalog import Catalog, builtin_types
from controller.sandbox.custom_types import CUSTOM_TYPES
from controller.sandbox.endpoints import ResourceEndpoint, json_response
from controller.sandbox.errors import (
    ApiError,
    Body,
    internal,
    method_not_allowed,
    resource_not_found,
)
from controller.sandbox.store import Store, object_key
from controller.sandbox.watching import WatchHub

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def default_catalog() -> Catalog:
    """Built-in resources of a cluster plus Flagger's and its routers' custom resources."""
    return Catalog([*builtin_types(), *CUSTOM_TYPES])


class _Handler(kmock.RawHandler):
    """kmock's handler with the double as the answer to whatever no reaction answers."""

    server: ApiServer

    async def __call__(self, raw: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        # kmock 0.8's path parser fails on the cluster-wide namespace list (/api/v1/namespaces).
        # Such a request goes through with an empty path segment kmock can parse; routing here
        # ignores empty segments, so it is still served as the namespace list.
        try:
            kmock_parse_path(raw.path)
        except ValueError:
            head, _, tail = raw.path.rpartition("/")
            raw = raw.clone(rel_url=raw.rel_url.with_path(f"{head}//{tail}"))
        response: aiohttp.web.StreamResponse = await super().__call__(raw)
        return response

    async def _handle(self, request: Any) -> aiohttp.web.StreamResponse:
        route = routes.parse(request.url.path)
        routes.normalise(request, route)
        limit = self.server.request_log_limit
        if limit is not None and len(self._requests) > limit:
            del self._requests[: len(self._requests) - limit]
        try:
            return await super()._handle(request)
        except NotImplementedError:  # no reaction of a test took it: serve it as an apiserver
            return await self.server.serve(request, route)

    async def _render_error(self, exc: Exception) -> aiohttp.web.StreamResponse:
        error = exc if isinstance(exc, ApiError) else internal(repr(exc))
        return aiohttp.web.json_response(error.status(), status=error.code)

    async def _stream_error(self, exc: Exception, raw: aiohttp.web.StreamResponse) -> None:
        error = exc if isinstance(exc, ApiError) else internal(repr(exc))
        line = json.dumps({"type": "ERROR", "object": error.status()}) + "\n"
        await raw.write(line.encode())


class ApiServer:
    """A Kubernetes API server double: a store, served over kmock with a real apiserver's rules.

    ``kmock`` is the kmock handler (its DSL and request log); ``store`` holds the objects and is
    safe to use from any thread. ``running`` serves it on a loopback port.
    """

    def __init__(
        self,
        *,
        catalog: Catalog | None = None,
        clock: Callable[[], datetime] | None = None,
        max_events: int = 10_000,
        bookmark_interval: float = 60.0,
        watch_timeout: float = 1800.0,
        require_namespaces: bool = False,
        request_log_limit: int | None = None,
    ) -> None:
        self.catalog = catalog or default_catalog()
        options: dict[str, Any] = {"clock": clock} if clock is not None else {}
        self.store = Store(
            self.catalog, max_events=max_events, require_namespaces=require_namespaces, **options
        )
        self.bookmark_interval = bookmark_interval
        self.watch_timeout = watch_timeout
        self.request_log_limit = request_log_limit
        self.kmock: Any = _Handler()
        self.kmock.server = self
        self.hub: WatchHub | None = None
        self.endpoint = ResourceEndpoint(self.store, lambda: self.hub, watch_timeout)
        self.address = ""
        self.seed_namespaces()

    def seed_namespaces(self) -> None:
        """Create the namespaces every cluster starts with."""
        namespaces = self.catalog.get("", "namespaces")
        if namespaces is None:
            return
        for name in DEFAULT_NAMESPACES:
            if self.store.stored(object_key(namespaces, None, name)) is None:
                writing.create(self.store, namespaces, "v1", None, {"metadata": {"name": name}})

    def drop_watches(self) -> None:
        """End every open watch stream now (on the server's loop)."""
        if self.hub is not None:
            self.hub.drop()

    def reset(self) -> None:
        """Back to a fresh cluster (on the server's loop): objects, reactions and requests go.

        Open watches then get 410 Gone on their next read, as after an etcd restore.
        """
        self.kmock._payloads.clear()
        self.kmock._requests.clear()
        self.store.clear()
        self.seed_namespaces()

    @contextlib.asynccontextmanager
    async def running(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Serve on ``host:port`` (0 picks a free port) and yield the base URL."""
        loop = asyncio.get_running_loop()
        self.hub = WatchHub(self.store, loop, self.bookmark_interval)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        bound_host, bound_port = sock.getsockname()[:2]
        self.address = f"{bound_host}:{bound_port}"
        async with self.kmock:
            server = aiohttp.web.Server(self.kmock, handler_cancellation=True)
            runner = aiohttp.web.ServerRunner(server, shutdown_timeout=2.0)
            await runner.setup()
            try:
                await aiohttp.web.SockSite(runner, sock).start()
                yield f"http://{self.address}"
            finally:
                self.hub.close()
                await runner.cleanup()

    # ------------------------------------------------------------ request handling

    async def serve(self, request: Any, route: routes.Route | None) -> aiohttp.web.StreamResponse:
        """Answer one request as kube-apiserver would; errors become ``Status`` bodies."""
        try:
            response = self._dispatch(request, route)
        except ApiError as e:
            response = json_response(e.code, e.status())
        result: aiohttp.web.StreamResponse = await response(request)
        return result

    def _static(self, path: str) -> Body | None:
        if path == "/":
            return discovery.root_paths(self.catalog)
        if path == "/version":
            return discovery.SERVER_VERSION
        if path == "/api":
            return discovery.api_versions(self.address)
        if path == "/apis":
            return discovery.group_list(self.catalog)
        return None

    def _dispatch(self, request: Any, route: routes.Route | None) -> Any:
        method = str(request.method.value).upper()
        path = request.url.path.rstrip("/") or "/"
        if method == "GET":
            if path in ("/healthz", "/readyz", "/livez"):
                return Response(status=200, payload=b"ok")
            static = self._static(path)
            if static is not None:
                return json_response(200, static)
        if route is None:
            raise resource_not_found()
        if route.version is None or route.plural is None:
            if method != "GET":
                raise method_not_allowed(method)
            if route.version is None:
                document = discovery.group(self.catalog, route.group)
            else:
                document = discovery.resource_list(self.catalog, route.group, route.version)
            if document is None:
                raise resource_not_found()
            return json_response(200, document)
        rt = self.catalog.lookup(route.group, route.version, route.plural)
        if rt is None:
            raise resource_not_found()
        return self.endpoint.serve(request, method, route, rt)


async def _serve_until_signalled(host: str, port: int, bookmark_interval: float) -> None:
    server = ApiServer(bookmark_interval=bookmark_interval)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with server.running(host, port) as url:
        print(url, flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Serve the double in this process until SIGINT or SIGTERM; print the URL first."""
    parser = argparse.ArgumentParser(
        prog="python -m controller.sandbox.apiserver",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--bookmark-interval", type=float, default=60.0)
    args = parser.parse_args(argv)
    asyncio.run(_serve_until_signalled(args.host, args.port, args.bookmark_interval))
    return 0


if __name__ == "__main__":
    sys.exit(main())
