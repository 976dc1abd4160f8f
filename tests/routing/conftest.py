"""Builders of the router tests: inputs, live objects, and validation against upstream schemas.

Router objects of a kind with a schema in ``shared/schemas/crds/<group>/<kind>_<version>.json``
must validate against it (:func:`assert_crd_valid`); built-in kinds (Ingress) go through
:func:`tests.effects.conftest.assert_valid`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema

from effects.routing import Cookies, RouterInput, RouterPlan, RouterSettings, Routes, router_for
from effects.routing.base import live_key
from reducers.spec import Canary, Phase, parse_provider
from tests.effects.conftest import assert_valid, canary
from tests.spec.conftest import SHARED

CRD_SCHEMAS = SHARED / "schemas" / "crds"
BUILT_IN = ("v1", "networking.k8s.io/v1")

__all__ = ["assert_crd_valid", "assert_valid", "canary", "inp", "schema_path", "validate_plan"]


def inp(
    model: Canary,
    provider: str,
    live: Iterable[Mapping[str, Any]] = (),
    *,
    cookies: Cookies = Cookies(),
    phase: Phase = Phase.PROGRESSING,
    settings: RouterSettings = RouterSettings(),
) -> RouterInput:
    """A router input for ``model`` under ``provider`` with these live objects."""
    return RouterInput(
        canary=model,
        provider=parse_provider(provider),
        live={live_key(obj): obj for obj in live},
        settings=settings,
        cookies=cookies,
        phase=phase,
    )


def schema_path(manifest: Mapping[str, Any]) -> Path | None:
    """The upstream schema file of this object's kind and version, if ``shared`` has one."""
    group, _, version = str(manifest["apiVersion"]).rpartition("/")
    path = CRD_SCHEMAS / group / f"{str(manifest['kind']).lower()}_{version}.json"
    return path if path.is_file() else None


@functools.cache
def _validator(path: Path) -> jsonschema.protocols.Validator:
    """CRD schemas are OpenAPI 3.0 schema objects, whose keywords are JSON Schema draft 4's
    (a boolean ``exclusiveMaximum``, for one); so they are read with the draft 4 validator."""
    schema = json.loads(path.read_text(encoding="utf-8"))
    validator: jsonschema.protocols.Validator = jsonschema.Draft4Validator(schema)
    return validator


def assert_crd_valid(manifest: Mapping[str, Any]) -> None:
    """The object validates against its upstream CRD schema (which must exist)."""
    path = schema_path(manifest)
    assert path is not None, f"no schema for {manifest['apiVersion']} {manifest['kind']}"
    errors = sorted(_validator(path).iter_errors(dict(manifest)), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors)


def validate_plan(plan: RouterPlan) -> int:
    """Validate every object of a plan that has a schema; returns how many were checked."""
    checked = 0
    for manifest in plan.manifests:
        if manifest["apiVersion"] in BUILT_IN:
            assert_valid(manifest)
            checked += 1
        elif schema_path(manifest) is not None:
            assert_crd_valid(manifest)
            checked += 1
    return checked


def round_trip(model: Canary, provider: str, routes: Routes, **kw: Any) -> Routes:
    """``read_routes(render(routes))``: render, take the objects as live, read them back."""
    router = router_for(parse_provider(provider))
    first = inp(model, provider, kw.pop("live", ()), **kw)
    plan = router.render(first, routes)
    live = [*first.live.values(), *plan.manifests]
    return router.read_routes(inp(model, provider, live, **kw))
