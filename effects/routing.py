"""Routers: one per traffic provider, behind a small Protocol, found through a registry.

A router renders the provider's objects (VirtualService, HTTPRoute, ...) for a traffic split.
This issue brings only the ``kubernetes`` provider, whose router owns nothing beyond the ClusterIP
Services every canary gets (rendered by :mod:`effects.services`); mesh and ingress routers are
added here, one module each, by a later issue. :func:`router_for` returns ``None`` for a known
provider without a router yet, so callers say so; an unknown provider name never gets this far
(``reducers.spec.parse_provider`` rejects it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from reducers.spec import Canary, Provider, ProviderChoice


@dataclass(frozen=True)
class Routes:
    """A traffic split: weights out of 100, and whether the canary gets mirrored traffic."""

    primary: int = 100
    canary: int = 0
    mirrored: bool = False


class Router(Protocol):
    """Renders a provider's routing objects for a split."""

    def render(
        self, canary: Canary, routes: Routes, observed: Mapping[tuple[str, str], Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Desired routing objects (plain manifests)."""
        ...


class NopRouter:
    """The ``kubernetes`` provider: traffic follows the apex Service's selector, nothing else."""

    def render(
        self, canary: Canary, routes: Routes, observed: Mapping[tuple[str, str], Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        return []


ROUTERS: dict[Provider, Router] = {Provider.KUBERNETES: NopRouter()}


def router_for(choice: ProviderChoice) -> Router | None:
    """The router of a provider, or ``None`` when that provider has none yet."""
    return ROUTERS.get(choice.provider)
