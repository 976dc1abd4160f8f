"""The router interface every traffic provider implements, and the rules they share.

A router is four pure functions of a :class:`RouterInput` (the Canary, its provider, the live
objects the shell read for it, operator settings, the run's cookies and phase):

* :meth:`Router.reads` — which objects the shell must read first: the router's own objects
  (to take them over or keep what others wrote) and the user's objects it derives from
  (``ingressRef``, ``routeRef``, ``upstreamRef``, a Knative Service);
* :meth:`Router.render` — the desired objects with a traffic split set, as a :class:`RouterPlan`
  the shared applier carries out (Flagger's Reconcile and SetRoutes in one step: Roost always
  knows the split it wants, so a spec change never resets the weights in between);
* :meth:`Router.read_routes` — the split the live objects route now (Flagger's GetRoutes);
  ``read_routes(render(x)) == x`` for every split the provider can express;
* :meth:`Router.finalize` — what deleting the Canary with ``revertOnDeletion`` does to routing.

Objects that existed before the Canary (a user's VirtualService named like the apex, say) are
taken over, not replaced: they keep their owners, and their spec as found is kept in the
``flagger.kubernetes.io/original-configuration`` annotation (unless kubectl's last-applied
annotation already holds it) so :func:`restore_plan` can put it back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from effects.applying import ApplyPolicy
from effects.errors import EffectsError
from effects.kubeapi import ObjectRef
from effects.settings import DEFAULT_SELECTOR_LABELS
from effects.workloads.metadata import (
    CANARY_SUFFIX,
    FLUX_OPT_OUT,
    PRIMARY_SUFFIX,
    is_controlled_by,
    owner_reference,
)
from reducers.spec import Canary, Phase, ProviderChoice
from reducers.spec.analysis import Analysis, SessionAffinity
from reducers.spec.service import CanaryService

ORIGINAL_CONFIGURATION = "flagger.kubernetes.io/original-configuration"
"""Annotation holding a taken-over object's spec as found (JSON)."""
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
"""kubectl's record of what the user applied; preferred over ours when restoring."""
_CARRIED = (LAST_APPLIED, ORIGINAL_CONFIGURATION)


class RoutesError(EffectsError):
    """The live routing objects hold no readable split (missing, malformed, or not ready)."""


class RouterConfigError(EffectsError):
    """The Canary asks for something its provider cannot do (no ingressRef for nginx, say)."""


@dataclass(frozen=True)
class Routes:
    """A traffic split: weights out of 100, and whether the canary gets mirrored traffic."""

    primary: int = 100
    canary: int = 0
    mirrored: bool = False


@dataclass(frozen=True)
class Cookies:
    """Session-affinity cookies of the run, ``name=value`` each, from the canary's state."""

    canary: str = ""
    primary: str = ""
    previous: str = ""


@dataclass(frozen=True)
class RouterSettings:
    """Operator flags routers read."""

    ingress_class: str = ""
    """``-ingress-class``: Contour's ``spec.ingressClassName`` when set."""
    nginx_annotations_prefix: str = "nginx.ingress.kubernetes.io"
    """``-ingress-annotations-prefix``: the NGINX canary annotations' prefix."""
    set_owner_refs: bool = True
    """False when the mesh objects live on another cluster than the Canary."""
    selector_labels: tuple[str, ...] = DEFAULT_SELECTOR_LABELS
    """``-selector-labels``, for routers that repeat the Services' pod selector."""


LiveKey = tuple[str, str, str]
"""(apiVersion, kind, name) of a live object in the Canary's namespace (or cluster-scoped)."""


def live_key(manifest: Mapping[str, Any]) -> LiveKey:
    meta = manifest.get("metadata") or {}
    return str(manifest.get("apiVersion")), str(manifest.get("kind")), str(meta.get("name"))


@dataclass(frozen=True)
class RouterInput:
    """Everything a router's pure functions see."""

    canary: Canary
    provider: ProviderChoice
    live: Mapping[LiveKey, Mapping[str, Any]] = field(default_factory=dict)
    settings: RouterSettings = field(default_factory=RouterSettings)
    cookies: Cookies = field(default_factory=Cookies)
    phase: Phase = Phase.UNSET

    @property
    def namespace(self) -> str:
        return self.canary.metadata.namespace or "default"

    @property
    def apex(self) -> str:
        return self.canary.spec.effective_service_name()

    @property
    def primary_name(self) -> str:
        return f"{self.apex}{PRIMARY_SUFFIX}"

    @property
    def canary_name(self) -> str:
        return f"{self.apex}{CANARY_SUFFIX}"

    @property
    def service(self) -> CanaryService:
        """``spec.service``; routers that need it are only used for targets that have one."""
        service = self.canary.spec.service
        if service is None:
            raise RouterConfigError(f"provider {self.provider} needs spec.service")
        return service

    @property
    def analysis(self) -> Analysis:
        return self.canary.spec.analysis

    @property
    def session_affinity(self) -> SessionAffinity | None:
        return self.analysis.session_affinity

    def get(self, api_version: str, kind: str, name: str) -> Mapping[str, Any] | None:
        return self.live.get((api_version, kind, name))

    def ref(self, api_version: str, kind: str, name: str) -> ObjectRef:
        return ObjectRef(api_version, kind, self.namespace, name)


@dataclass(frozen=True)
class Desired:
    """One object to create or update, and how it meets the live copy."""

    manifest: dict[str, Any]
    policy: ApplyPolicy = field(default_factory=ApplyPolicy)


@dataclass(frozen=True)
class Patch:
    """A merge patch for a user's object the router changes but does not own (Knative)."""

    ref: ObjectRef
    patch: dict[str, Any]


@dataclass(frozen=True)
class RouterPlan:
    """What a router wants done: objects applied, user objects patched, objects deleted."""

    apply: tuple[Desired, ...] = ()
    patches: tuple[Patch, ...] = ()
    delete: tuple[ObjectRef, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def manifests(self) -> list[dict[str, Any]]:
        return [d.manifest for d in self.apply]


class Router(Protocol):
    """One traffic provider: pure functions from a :class:`RouterInput`."""

    def reads(self, inp: RouterInput) -> list[ObjectRef]:
        """Objects to read before the other calls (own and referenced)."""
        ...

    def render(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        """Desired routing objects holding ``routes``."""
        ...

    def read_routes(self, inp: RouterInput) -> Routes:
        """The split the live objects route now; raises :class:`RoutesError`."""
        ...

    def finalize(self, inp: RouterInput) -> RouterPlan:
        """What Canary deletion with ``revertOnDeletion`` does to routing."""
        ...


# ------------------------------------------------------------------ shared rules


def apex_metadata(inp: RouterInput, name: str, *, flux: bool = True) -> dict[str, Any]:
    """Metadata of a router object named after the apex: ``service.apex`` labels/annotations,
    the Flux opt-out keys (``flux``), and the owner reference when the settings allow."""
    apex = inp.canary.spec.service.apex if inp.canary.spec.service else None
    labels = dict((apex.labels if apex else None) or {})
    annotations = dict((apex.annotations if apex else None) or {})
    if flux:
        annotations.update(FLUX_OPT_OUT)
    meta: dict[str, Any] = {"name": name, "namespace": inp.namespace}
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    if inp.settings.set_owner_refs:
        meta["ownerReferences"] = [owner_reference(inp.canary)]
    return meta


def plain_metadata(inp: RouterInput, name: str, *, owned: bool = True) -> dict[str, Any]:
    """Name, namespace and (when ``owned`` and allowed) the owner reference; nothing else."""
    meta: dict[str, Any] = {"name": name, "namespace": inp.namespace}
    if owned and inp.settings.set_owner_refs:
        meta["ownerReferences"] = [owner_reference(inp.canary)]
    return meta


def is_taken_over(live: Mapping[str, Any] | None, canary: Canary) -> bool:
    """A live object this Canary did not create (it has no controller reference to it)."""
    return live is not None and not is_controlled_by(live, canary.metadata.name)


def take_over(
    desired: dict[str, Any], live: Mapping[str, Any] | None, inp: RouterInput
) -> dict[str, Any]:
    """``desired`` adjusted to meet a live object the Canary did not create.

    The object keeps its own owner references (so deleting the Canary does not delete it), and
    its spec as first found is kept in the original-configuration annotation unless kubectl's
    last-applied annotation holds the user's intent already. An object the Canary created, or
    no live object, leaves ``desired`` unchanged.
    """
    if live is None or not is_taken_over(live, inp.canary):
        return desired
    out = dict(desired)
    meta = dict(out.get("metadata") or {})
    live_meta = live.get("metadata") or {}
    meta.pop("ownerReferences", None)
    annotations = dict(meta.get("annotations") or {})
    live_annotations = live_meta.get("annotations") or {}
    for key in _CARRIED:
        if key in live_annotations:
            annotations[key] = live_annotations[key]
    if LAST_APPLIED not in annotations and ORIGINAL_CONFIGURATION not in annotations:
        annotations[ORIGINAL_CONFIGURATION] = json.dumps(
            {"spec": live.get("spec") or {}}, sort_keys=True, separators=(",", ":")
        )
    meta["annotations"] = annotations
    out["metadata"] = meta
    return out


def original_spec(live: Mapping[str, Any]) -> dict[str, Any] | None:
    """The spec a taken-over object had before the Canary, or ``None`` when not recorded."""
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    for key in _CARRIED:
        raw = annotations.get(key)
        if not raw:
            continue
        try:
            spec = json.loads(raw).get("spec")
        except (ValueError, AttributeError):
            continue
        if isinstance(spec, dict):
            return spec
    return None


def restore_plan(inp: RouterInput, keys: Sequence[LiveKey]) -> RouterPlan:
    """Finalization shared by most routers: restore every taken-over object among ``keys``.

    Objects the Canary created are left to garbage collection through their owner reference.
    A taken-over object without a recorded original is left as it is, with a note.
    """
    apply: list[Desired] = []
    notes: list[str] = []
    for key in keys:
        live = inp.live.get(key)
        if live is None or not is_taken_over(live, inp.canary):
            continue
        spec = original_spec(live)
        api_version, kind, name = key
        if spec is None:
            notes.append(f"{kind} {name}: no original configuration recorded, left as it is")
            continue
        meta = {"name": name, "namespace": inp.namespace, "annotations": {}}
        restored = {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": spec}
        apply.append(Desired(restored, ApplyPolicy(replace=("spec",))))
        notes.append(f"{kind} {name}: original configuration restored")
    return RouterPlan(apply=tuple(apply), notes=tuple(notes))


def owned_desired(
    inp: RouterInput, manifest: dict[str, Any], *, replace: tuple[str, ...] = ("spec",)
) -> Desired:
    """A router object as it should be applied: taken over when a foreign one exists, with
    ``replace`` paths made exact (a router owns the routing part of what it writes)."""
    live = inp.live.get(live_key(manifest))
    return Desired(take_over(manifest, live, inp), ApplyPolicy(replace=replace))


def check_weights(routes: Routes) -> None:
    """Reject a split no router can express: weights outside 0-100 or not adding up to 100."""
    if not (0 <= routes.primary <= 100 and 0 <= routes.canary <= 100):
        raise RouterConfigError(f"weights must be 0-100, got {routes.primary}/{routes.canary}")
    if routes.primary + routes.canary != 100:
        raise RouterConfigError(f"weights must add up to 100, got {routes.primary}+{routes.canary}")


def both_zero(name: str, primary: int | None, canary: int | None) -> None:
    """Flagger's GetRoutes error when a split routes nothing anywhere."""
    if not primary and not canary:
        raise RoutesError(f"{name} does not contain routes for the primary or canary")


# ------------------------------------------------------------------ session affinity


def set_cookie(cookie: str, max_age: int, affinity: SessionAffinity) -> str:
    """A Set-Cookie value: ``name=value; Max-Age=n`` then the attributes in Flagger's order."""
    parts = [f"{cookie}; Max-Age={max_age}"]
    if affinity.domain:
        parts.append(f"Domain={affinity.domain}")
    if affinity.http_only:
        parts.append("HttpOnly")
    if affinity.partitioned:
        parts.append("Partitioned")
    if affinity.path:
        parts.append(f"Path={affinity.path}")
    if affinity.same_site:
        parts.append(f"SameSite={affinity.same_site}")
    if affinity.secure:
        parts.append("Secure")
    return "; ".join(parts)


def expire_cookie(cookie: str) -> str:
    """The Set-Cookie value that drops a previous run's canary cookie."""
    return f"{cookie}; Max-Age=-1"


def cookie_regex(cookie: str) -> str:
    """Regex matching a Cookie header that carries ``name=value``."""
    name, _, value = cookie.partition("=")
    return f".*{name}.*{value}.*"
