"""Starting and stopping the load tester: in the foreground (CLI) or on a thread (tests, embedding).

The server is aiohttp (already a dependency of the sandbox; its router gives "any method, any
path" in one line and its runner a clean shutdown). We bind the listening socket ourselves so a
port of 0 yields a known port before the first request. Shutdown always closes the task runner
(killing child processes) and the gate store.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from types import TracebackType

from aiohttp import web

from controller.loadtester.gates import GateStore
from controller.loadtester.handlers import make_app
from controller.loadtester.settings import LoadTesterSettings
from controller.loadtester.tasks import TaskRunner


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


async def serve(
    settings: LoadTesterSettings, stop: asyncio.Event, ready: Callable[[str], None]
) -> None:
    """Serve until ``stop`` is set; ``ready`` receives the base URL once listening."""
    store = GateStore(settings.gate_db)
    runner = TaskRunner(timeout=settings.timeout, limits=settings.limits)
    app = make_app(settings, store, runner)
    app_runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    try:
        await app_runner.setup()
        sock = _listen(settings.host, settings.port)
        try:
            await web.SockSite(app_runner, sock).start()
        except BaseException:
            sock.close()
            raise
        ready(_url(sock))
        await stop.wait()
    finally:
        await runner.close()
        await app_runner.cleanup()
        store.close()


class LoadTesterThread:
    """A load tester on a thread of its own, for tests and embedding; a context manager."""

    def __init__(self, settings: LoadTesterSettings) -> None:
        self.settings = settings
        self.url = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="roost-loadtester", daemon=False)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await serve(self.settings, self._stop, self._on_ready)

        try:
            asyncio.run(main())
        except BaseException as e:
            self._error = e
            self._ready.set()

    def _on_ready(self, url: str) -> None:
        self.url = url
        self._ready.set()

    def __enter__(self) -> LoadTesterThread:
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._error is not None or not self.url:
            self._thread.join(timeout=30)
            raise RuntimeError("the load tester did not start") from self._error
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)
