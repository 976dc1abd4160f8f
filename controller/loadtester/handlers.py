"""The HTTP API of the load tester, compatible with flagger-loadtester (flagger-core §8).

Every path accepts any method, as Flagger's does. Gate and rollback switches read the webhook
payload (``name``, ``namespace``) and answer exactly as Flagger's (``Approved`` / ``Forbidden``,
202 for open/close). Beyond Flagger: gate state persists (:mod:`controller.loadtester.gates`),
every open/close records who did it — header ``X-Roost-Actor``, else query parameter ``actor``,
else the client address — and when, readable as JSON at ``/gate/log``; ``/tasks`` lists running
background tasks; an unknown task type is a 400 (Flagger's loadtester drops the connection).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from controller.loadtester.gates import GateStore
from controller.loadtester.loadgen import LoadSpecError
from controller.loadtester.settings import LoadTesterSettings
from controller.loadtester.tasks import TaskRunner

STORE = web.AppKey("store", GateStore)
RUNNER = web.AppKey("runner", TaskRunner)
SETTINGS = web.AppKey("settings", LoadTesterSettings)

ACTOR_HEADER = "X-Roost-Actor"
ACTOR_PARAM = "actor"
TRUE_WORDS = {"1", "t", "T", "TRUE", "true", "True"}
"""Go's ``strconv.ParseBool`` spellings of true; anything else is false."""

Handler = Callable[[web.Request], Awaitable[web.Response]]


class BadPayload(Exception):
    """The body is not a webhook payload."""


class Refusal(Exception):
    """Ends a request early with ``response`` (bad payload, forbidden namespace)."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


class Payload:
    """The parts of a Flagger webhook payload the load tester reads."""

    def __init__(self, doc: Any) -> None:
        if not isinstance(doc, dict):
            raise BadPayload("payload is not a JSON object")
        self.name = str(doc.get("name") or "")
        self.namespace = str(doc.get("namespace") or "")
        metadata = doc.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise BadPayload("metadata is not an object")
        self.metadata = {str(k): str(v) for k, v in metadata.items()}

    @property
    def key(self) -> str:
        return f"{self.name}.{self.namespace}"


async def _payload(request: web.Request) -> Payload:
    try:
        return Payload(json.loads(await request.read() or b"null"))
    except (ValueError, BadPayload) as e:
        # Flagger answers an unreadable payload with an empty 400.
        raise Refusal(web.Response(status=400)) from e


def _authorize(request: web.Request, payload: Payload) -> None:
    pattern = request.app[SETTINGS].namespace_regexp
    if pattern and not re.search(pattern, payload.namespace):
        raise Refusal(web.Response(status=403, text="Forbidden"))


def actor_of(request: web.Request) -> str:
    """Who opened or closed a gate: the header, the query parameter, else the client address."""
    return (
        request.headers.get(ACTOR_HEADER)
        or request.query.get(ACTOR_PARAM)
        or request.remote
        or "unknown"
    )


def _check(prefix: str) -> Handler:
    async def check(request: web.Request) -> web.Response:
        payload = await _payload(request)
        _authorize(request, payload)
        if request.app[STORE].is_open(prefix + payload.key):
            return web.Response(text="Approved")
        return web.Response(status=403, text="Forbidden")

    return check


def _switch(prefix: str, *, open: bool) -> Handler:
    async def switch(request: web.Request) -> web.Response:
        payload = await _payload(request)
        _authorize(request, payload)
        request.app[STORE].set(prefix + payload.key, open=open, actor=actor_of(request))
        return web.Response(status=202)

    return switch


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="OK")


async def approve(request: web.Request) -> web.Response:
    return web.Response(text="OK")


async def halt(request: web.Request) -> web.Response:
    return web.Response(status=403, text="Forbidden")


async def gate_log(request: web.Request) -> web.Response:
    """Opens and closes in order; ``?key=`` narrows to one gate, ``?after=`` to newer entries."""
    try:
        after = int(request.query.get("after", "0"))
    except ValueError:
        return web.Response(status=400, text="after must be an integer")
    entries = request.app[STORE].log(request.query.get("key"), after=after)
    return web.json_response(entries)


async def tasks(request: web.Request) -> web.Response:
    return web.json_response(request.app[RUNNER].running)


async def metrics(request: web.Request) -> web.Response:
    running = len(request.app[RUNNER].running)
    text = (
        "# HELP roost_loadtester_tasks_running Background tasks running.\n"
        "# TYPE roost_loadtester_tasks_running gauge\n"
        f"roost_loadtester_tasks_running {running}\n"
    )
    return web.Response(text=text, content_type="text/plain")


_BLOCKING = {"bash", "helm", "helmv3", "kubectl"}


def _argv(kind: str, command: str) -> list[str]:
    if kind == "bash":
        return ["bash", "-c", command]
    return ["helm" if kind.startswith("helm") else kind, *command.split()]


async def task(request: web.Request) -> web.Response:
    """The task endpoint: blocking commands answer when done, ``cmd`` starts in background."""
    payload = await _payload(request)
    _authorize(request, payload)
    if not payload.metadata:
        return web.Response(status=400, text="metadata not found in payload")
    kind = payload.metadata.get("type") or "cmd"
    command = payload.metadata.get("cmd", "")
    return_output = payload.metadata.get("returnCmdOutput", "") in TRUE_WORDS
    runner = request.app[RUNNER]
    if kind in _BLOCKING:
        result = await runner.run(_argv(kind, command))
        if not result.ok:
            failed = f"command {command} failed: {result.output}: {result.error}"
            return web.Response(status=500, text=failed)
        return web.Response(text=result.output if return_output else "")
    if kind != "cmd":
        return web.Response(status=400, text=f"unknown task type {kind}")
    if not command:
        return web.Response(status=400, text="cmd not found in metadata")
    try:
        runner.submit(
            payload.key, command, log_output=payload.metadata.get("logCmdOutput") == "true"
        )
    except LoadSpecError as e:
        return web.Response(status=400, text=str(e))
    return web.Response(status=202)


ROUTES: dict[str, Handler] = {
    "/healthz": healthz,
    "/metrics": metrics,
    "/tasks": tasks,
    "/gate/approve": approve,
    "/gate/halt": halt,
    "/gate/check": _check(""),
    "/gate/open": _switch("", open=True),
    "/gate/close": _switch("", open=False),
    "/gate/log": gate_log,
    "/rollback/check": _check("rollback."),
    "/rollback/open": _switch("rollback.", open=True),
    "/rollback/close": _switch("rollback.", open=False),
}


async def dispatch(request: web.Request) -> web.Response:
    """Exact paths first; every other path is the task endpoint (as in Flagger)."""
    try:
        return await ROUTES.get(request.path, task)(request)
    except Refusal as refused:
        return refused.response


def make_app(settings: LoadTesterSettings, store: GateStore, runner: TaskRunner) -> web.Application:
    """The aiohttp application; the caller owns ``store`` and ``runner`` and closes them."""
    app = web.Application()
    app[SETTINGS] = settings
    app[STORE] = store
    app[RUNNER] = runner
    app.router.add_route("*", "/{tail:.*}", dispatch)
    return app
