"""Serving requests on resources: CRUD, patch types, lists, watches and collections.

Translates an HTTP request (kmock's parsed ``Request``) into store reads and ``writing`` calls,
and their results or ``ApiError``s into responses: which status code each verb answers with,
which patch Content-Types a resource accepts (strategic merge for built-ins only), what a
delete returns (a ``Status`` for built-ins, the object for CRs), and the query parameters of
lists and watches.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import yaml
from kmock import Response  # type: ignore[attr-defined]  # exported, not in __all__

from controller.sandbox import routes, writing
from controller.sandbox.catalog import ResourceType
from controller.sandbox.errors import (
    ApiError,
    Body,
    bad_request,
    internal,
    method_not_allowed,
    resource_not_found,
    unsupported_media_type,
)
from controller.sandbox.objects import scale_view
from controller.sandbox.selectors import Selector
from controller.sandbox.store import Store
from controller.sandbox.watching import WatchHub, WatchRequest

PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}


def json_response(code: int, body: Body) -> Any:
    return Response(status=code, payload=body)


def _is_true(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


class ResourceEndpoint:
    """Answers requests on resources, as kube-apiserver's REST handlers do."""

    def __init__(
        self, store: Store, hub: Callable[[], WatchHub | None], watch_timeout: float
    ) -> None:
        self.store = store
        self.hub = hub
        self.watch_timeout = watch_timeout

    def serve(self, request: Any, method: str, route: routes.Route, rt: ResourceType) -> Any:
        """The response to one request on a resource, its objects or their subresources."""
        params: dict[str, str] = dict(request.params)
        if route.namespace is not None and not rt.namespaced:
            raise resource_not_found()
        namespace = route.namespace if rt.namespaced else None
        version = str(route.version)
        sub = route.subresource
        if sub is not None and not (
            (sub == "status" and rt.status) or (sub == "scale" and rt.scale is not None)
        ):
            raise resource_not_found()
        dry_run = params.get("dryRun") == "All"
        name = route.name

        def view(obj: Body) -> Body:
            return scale_view(rt, obj) if sub == "scale" else obj

        if method == "GET":
            if routes.is_watch(method, params, route):
                return self._watch(rt, version, namespace, name, params)
            if name is not None:
                return json_response(200, view(self.store.get(rt, version, namespace, name)))
            if sub is not None:
                raise resource_not_found()
            return json_response(200, self._list(rt, version, namespace, params))
        if name is None:
            if method == "POST" and (namespace is not None or not rt.namespaced):
                created = writing.create(
                    self.store, rt, version, namespace, _body(request), dry_run=dry_run
                )
                return json_response(201, created)
            if method == "DELETE":
                return self._delete_collection(request, rt, version, namespace, params)
            raise method_not_allowed(method)
        if method == "PUT":
            replaced = writing.replace(
                self.store,
                rt,
                version,
                namespace,
                name,
                _body(request),
                subresource=sub,
                dry_run=dry_run,
            )
            return json_response(200, view(replaced))
        if method == "PATCH":
            patch_type = self._patch_type(request, rt)
            body = _yaml_body(request) if patch_type == "apply" else _body(request)
            patched, made = writing.patch(
                self.store,
                rt,
                version,
                namespace,
                name,
                patch_type,
                body,
                subresource=sub,
                dry_run=dry_run,
                field_manager=params.get("fieldManager"),
            )
            return json_response(201 if made else 200, view(patched))
        if method == "DELETE" and sub is None:
            options = _delete_options(request, params)
            obj, gone = writing.delete(
                self.store, rt, version, namespace, name, options, dry_run=dry_run
            )
            if gone and rt.builtin:
                return json_response(200, _success(rt, obj))
            return json_response(200, obj)
        raise method_not_allowed(method)

    def _patch_type(self, request: Any, rt: ResourceType) -> str:
        content_type = _header(request, "Content-Type").split(";")[0].strip().lower()
        accepted = [t for t, kind in PATCH_TYPES.items() if rt.builtin or kind != "strategic"]
        if content_type not in accepted:
            raise unsupported_media_type(content_type, accepted)
        return PATCH_TYPES[content_type]

    def _list(
        self, rt: ResourceType, version: str, namespace: str | None, params: dict[str, str]
    ) -> Body:
        selector = Selector.parse(
            params.get("labelSelector"), params.get("fieldSelector"), rt.field_labels
        )
        try:
            limit = int(params["limit"]) if params.get("limit") else None
        except ValueError:
            raise bad_request(f"invalid limit: {params['limit']!r}") from None
        page = self.store.list_objects(
            rt,
            version,
            namespace,
            selector,
            resource_version=params.get("resourceVersion"),
            match=params.get("resourceVersionMatch"),
            limit=limit,
            continue_token=params.get("continue"),
        )
        meta: Body = {"resourceVersion": str(page.resource_version)}
        if page.continue_token:
            meta["continue"] = page.continue_token
        if page.remaining is not None:
            meta["remainingItemCount"] = page.remaining
        return {
            "kind": rt.list_kind,
            "apiVersion": rt.api_version(version),
            "metadata": meta,
            "items": page.items,
        }

    def _watch(
        self,
        rt: ResourceType,
        version: str,
        namespace: str | None,
        name: str | None,
        params: dict[str, str],
    ) -> Any:
        hub = self.hub()
        if hub is None:
            raise internal("the server is not running")
        try:
            timeout = float(params.get("timeoutSeconds") or self.watch_timeout)
        except ValueError:
            raise bad_request("timeoutSeconds must be a number") from None
        watch = WatchRequest(
            rt=rt,
            version=version,
            namespace=namespace,
            name=name,
            selector=Selector.parse(
                params.get("labelSelector"), params.get("fieldSelector"), rt.field_labels
            ),
            resource_version=params.get("resourceVersion"),
            timeout=timeout,
            bookmarks=_is_true(params.get("allowWatchBookmarks")),
            send_initial=_is_true(params.get("sendInitialEvents")),
        )

        async def lines() -> AsyncIterator[Any]:
            yield b""  # send the headers now, as an apiserver does, before any event
            async for event in hub.stream(watch):
                yield event

        return Response(status=200, headers={"Content-Type": "application/json"}, payload=lines())

    def _delete_collection(
        self,
        request: Any,
        rt: ResourceType,
        version: str,
        namespace: str | None,
        params: dict[str, str],
    ) -> Any:
        listed = self._list(
            rt,
            version,
            namespace,
            {k: v for k, v in params.items() if k in ("labelSelector", "fieldSelector")},
        )
        options = _delete_options(request, params)
        deleted = []
        for item in listed["items"]:
            meta = item["metadata"]
            with contextlib.suppress(ApiError):  # gone meanwhile: nothing left to delete
                obj, _ = writing.delete(
                    self.store,
                    rt,
                    version,
                    meta.get("namespace"),
                    meta["name"],
                    options,
                    dry_run=params.get("dryRun") == "All",
                )
                deleted.append(obj)
        if rt.builtin:
            return json_response(
                200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
            )
        return json_response(200, {**listed, "items": deleted})


def _header(request: Any, name: str) -> str:
    for key, value in dict(request.headers).items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def _body(request: Any) -> Any:
    raw: bytes = request.body or b""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as e:
        raise bad_request(f"the request body is not valid JSON: {e}") from None


def _yaml_body(request: Any) -> Any:
    try:
        return yaml.safe_load(request.body or b"")
    except yaml.YAMLError as e:
        raise bad_request(f"the request body is not valid YAML: {e}") from None


def _delete_options(request: Any, params: dict[str, str]) -> Body:
    body = _body(request)
    options: Body = dict(body) if isinstance(body, dict) else {}
    if params.get("propagationPolicy"):
        options["propagationPolicy"] = params["propagationPolicy"]
    if params.get("orphanDependents"):
        options["orphanDependents"] = _is_true(params["orphanDependents"])
    return options


def _success(rt: ResourceType, obj: Body) -> Body:
    meta = obj.get("metadata") or {}
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {
            "name": meta.get("name"),
            "group": rt.group,
            "kind": rt.plural,
            "uid": meta.get("uid"),
        },
    }
