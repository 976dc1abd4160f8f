"""Fault injection helpers written in kmock's own DSL: fail or delay the next N matching requests.

Tests of an operator's error handling need an apiserver that answers 409, 429, 500 or 503 at a
chosen moment, or answers slowly. kmock already does that with reactions
(``kmock["patch", kmock.resource("deployments")][:1] << 409``) and that DSL stays available on
``ApiServer.kmock``; these helpers only spell the common cases with Kubernetes verbs and count
"the next N" from the moment of the call, not from the server's start as a plain slice does.
A delayed request is then served normally; a failed one never reaches the store.

Must be called on the server's event loop (``ApiServerThread`` does that for tests).
"""

from __future__ import annotations

import asyncio
from typing import Any

import kmock
from kmock import K8sCriteria  # type: ignore[attr-defined]  # exported, not in __all__

from controller.sandbox.errors import for_code

ANY = "*"
"""For ``namespace``, ``name`` and ``subresource``: match any value."""

_VERBS: dict[str, dict[str, Any]] = {
    "get": {"action": kmock.action.FETCH},
    "list": {"action": kmock.action.LIST},
    "watch": {"action": kmock.action.WATCH},
    "create": {"action": kmock.action.CREATE},
    "update": {"method": kmock.method.PUT},
    "patch": {"method": kmock.method.PATCH},
    "delete": {"method": kmock.method.DELETE},
    "*": {},
}


def _view(
    handler: Any,
    verb: str,
    resource: str | None,
    namespace: str | None,
    name: str | None,
    subresource: str | None,
    times: int | None,
) -> Any:
    """The kmock view of the next ``times`` requests (all, if None) matching the criteria."""
    if verb not in _VERBS:
        raise ValueError(f"unknown verb {verb!r}; expected one of {sorted(_VERBS)}")
    criteria: dict[str, Any] = dict(_VERBS[verb])
    if resource is not None:
        criteria["resource"] = kmock.resource(resource)
    for field, value in (("namespace", namespace), ("name", name), ("subresource", subresource)):
        if value != ANY:
            criteria[field] = value
    view = handler[K8sCriteria(**criteria)]
    seen = len(list(view))
    return view[seen:] if times is None else view[seen : seen + times]


def fail(
    handler: Any,
    verb: str,
    resource: str | None = None,
    *,
    code: int = 500,
    times: int | None = 1,
    message: str | None = None,
    namespace: str | None = ANY,
    name: str | None = ANY,
    subresource: str | None = ANY,
    retry_after: int | None = None,
) -> Any:
    """Answer the next ``times`` matching requests with ``code`` and a ``Status`` body.

    ``resource`` is anything ``kmock.resource`` parses: ``"deployments"``,
    ``"deployments.apps"``, ``"apps/v1/deployments"``. ``subresource=None`` matches the main
    resource only. Returns the kmock reaction, whose requests tests can inspect.
    """
    view = _view(handler, verb, resource, namespace, name, subresource, times)
    reaction = view << code << for_code(code, message).status()
    if retry_after is not None:
        reaction = reaction << {"Retry-After": str(retry_after)}
    return reaction


def delay(
    handler: Any,
    verb: str,
    resource: str | None = None,
    *,
    seconds: float,
    times: int | None = 1,
    namespace: str | None = ANY,
    name: str | None = ANY,
    subresource: str | None = ANY,
) -> Any:
    """Hold the next ``times`` matching requests for ``seconds``, then serve them normally."""

    async def pause(request: Any) -> None:
        await asyncio.sleep(seconds)
        raise NotImplementedError  # kmock's signal: matched, now let the next handler serve it

    view = _view(handler, verb, resource, namespace, name, subresource, times)
    return view << pause
