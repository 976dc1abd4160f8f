"""Routers: one module per traffic provider behind :class:`~effects.routing.base.Router`.

:func:`router_for` is the registry lookup. Every provider Flagger's CRD admits has a router; an
unknown provider string never gets here (``reducers.spec.parse_provider`` rejects it), so there
is no fallback from one router to another.
"""

from __future__ import annotations

from effects.routing.base import (
    Cookies,
    Desired,
    LiveKey,
    Patch,
    Router,
    RouterConfigError,
    RouterInput,
    RouterPlan,
    RouterSettings,
    Routes,
    RoutesError,
)
from effects.routing.registry import ROUTERS, router_for

__all__ = [
    "ROUTERS",
    "Cookies",
    "Desired",
    "LiveKey",
    "Patch",
    "Router",
    "RouterConfigError",
    "RouterInput",
    "RouterPlan",
    "RouterSettings",
    "Routes",
    "RoutesError",
    "router_for",
]
