"""Reading a Kubernetes API path: group, version, namespace, resource, name, subresource.

kmock parses paths too, but reads ``/api/v1/namespaces/x`` as "namespace x" rather than
"the Namespace named x", and knows neither ``watch=True`` (what ``kubernetes_asyncio`` sends)
nor the legacy ``/watch/`` prefix. The double routes by this parse; ``normalise`` rewrites
kmock's own fields so that fault-injection reactions see the request the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Route:
    group: str
    version: str | None
    plural: str | None = None
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None
    watch_prefix: bool = False


_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})


def parse(path: str) -> Route | None:
    """The route of an API path, or None when it is not under ``/api`` or ``/apis``."""
    parts = [part for part in path.split("/") if part]
    version: str | None
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 2 and parts[0] == "apis":
        group = parts[1]
        version = parts[2] if len(parts) >= 3 else None
        rest = parts[3:]
    else:
        return None
    watch_prefix = bool(rest) and rest[0] == "watch"
    if watch_prefix:
        rest = rest[1:]
    namespace = None
    is_namespace_subresource = group == "" and len(rest) == 3 and rest[2] in _NAMESPACE_SUBRESOURCES
    if len(rest) >= 3 and rest[0] == "namespaces" and not is_namespace_subresource:
        namespace, rest = rest[1], rest[2:]
    return Route(
        group=group,
        version=version,
        plural=rest[0] if rest else None,
        namespace=namespace,
        name=rest[1] if len(rest) > 1 else None,
        subresource="/".join(rest[2:]) or None,
        watch_prefix=watch_prefix,
    )


def is_watch(method: str, params: dict[str, str], route: Route) -> bool:
    return method == "GET" and (
        route.watch_prefix or params.get("watch", "").lower() in ("true", "1")
    )


def normalise(request: Any, route: Route | None) -> None:
    """Make kmock's parsed fields of ``request`` agree with the double's reading of it.

    ``request`` is a frozen ``kmock.Request``; its fields are rewritten in place so that the
    DSL's criteria (``kmock.action.WATCH``, resources, names) match what is actually served.
    """
    import kmock

    if route is None or route.version is None or route.plural is None:
        return
    method = str(request.method.value).upper()
    fields: dict[str, Any] = {
        "resource": kmock.resource(route.group, route.version, route.plural),
        "namespace": route.namespace,
        "name": route.name,
        "subresource": route.subresource,
    }
    if is_watch(method, dict(request.params), route):
        fields["action"] = kmock.action.WATCH
    elif method == "GET":
        fields["action"] = kmock.action.FETCH if route.name else kmock.action.LIST
    for attribute, value in fields.items():
        object.__setattr__(request, attribute, value)
