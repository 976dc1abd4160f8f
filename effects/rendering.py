"""Everything Roost would create or update for one canary in one state, rendered at once.

The entry point of render-then-apply: :func:`render_canary` takes the Canary, the observed target
and referenced objects, the settings, the phase and the inputs the shell draws (``flagger-id``,
routes) and returns plain manifests sorted by apiVersion, kind and name. The controller applies
them with :class:`effects.applying.Applier`; ``roost render`` prints them.
Which shape each object takes follows the phase: before promotion the primary is rendered as
first created, from Promoting on as promoted; the target is shown scaled to zero or back up.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from effects.applying import ApplyPolicy
from effects.autoscalers import keda_pause_patch, keda_resume_patch, render_primary_autoscaler
from effects.configs import render_config_copy, track
from effects.errors import RenderError
from effects.kubeapi import ObjectRef
from effects.routing import (
    Cookies,
    LiveKey,
    RouterInput,
    RouterPlan,
    RouterSettings,
    Routes,
    router_for,
)
from effects.routing.base import live_key
from effects.services import metadata_is_exclusive, render_services
from effects.settings import WorkloadSettings
from effects.workloads import (
    PrimaryShape,
    render_primary,
    render_service_target_copies,
    scale_to_zero_patch,
    scale_up_patch,
)
from effects.workloads.metadata import PRIMARY_SUFFIX
from reducers.patching import merge_patch
from reducers.spec import AutoscalerKind, Canary, Phase, ProviderChoice, TargetKind

TARGET_AT_ZERO = frozenset(
    {
        Phase.UNSET,
        Phase.INITIALIZING,
        Phase.INITIALIZED,
        Phase.WAITING,
        Phase.SUCCEEDED,
        Phase.FAILED,
    }
)
PROMOTED = frozenset({Phase.PROMOTING, Phase.FINALISING, Phase.SUCCEEDED})

Resources = Mapping[tuple[str, str], Mapping[str, Any]]
"""Observed objects by (kind, name): ConfigMaps, Secrets, HPAs, ScaledObjects, Services."""


@dataclass(frozen=True)
class RenderRequest:
    """Inputs of one rendering."""

    canary: Canary
    target: Mapping[str, Any]
    provider: ProviderChoice
    resources: Resources = field(default_factory=dict)
    settings: WorkloadSettings = field(default_factory=WorkloadSettings)
    phase: Phase = Phase.UNSET
    flagger_id: str = "00000000-0000-4000-8000-000000000000"
    routes: Routes = field(default_factory=Routes)
    live: Mapping[LiveKey, Mapping[str, Any]] = field(default_factory=dict)
    """Live router objects and the user objects routers derive from, by apiVersion/kind/name."""
    cookies: Cookies = field(default_factory=Cookies)
    router_settings: RouterSettings = field(default_factory=RouterSettings)
    target_at_zero: bool | None = None
    """Whether the target is parked at zero; ``None`` derives it from the phase. The operator
    passes the recorded fact, so the target is scaled down only after the decision to."""
    promote: bool | None = None
    """Whether the primary, its autoscaler and config copies take the target's spec; ``None``
    derives it from the phase. The operator passes ``False`` when the live target is no longer
    the revision the run promoted, so a later release never reaches the primary unanalysed."""

    @property
    def promotes(self) -> bool:
        return self.phase in PROMOTED if self.promote is None else self.promote

    def router_input(self) -> RouterInput:
        """What the router sees: the live objects, with the target among them (Knative)."""
        live = {live_key(self.target): self.target, **self.live}
        return RouterInput(
            canary=self.canary,
            provider=self.provider,
            live=live,
            settings=dataclasses.replace(
                self.router_settings, selector_labels=self.settings.selector_labels
            ),
            cookies=self.cookies,
            phase=self.phase,
        )


@dataclass(frozen=True)
class TargetPatch:
    """A patch for a user's object (target, its ScaledObject, a taken-over Service).

    A mapping is a JSON merge patch, a list a JSON patch (to replace a whole map, which a merge
    patch cannot do).
    """

    ref: ObjectRef
    patch: dict[str, Any] | list[dict[str, Any]]


@dataclass(frozen=True)
class Rendered:
    """What one rendering yields.

    ``objects`` is everything, for reading (user objects shown as they will be after their
    patch); the controller applies ``owned`` with :meth:`Applier.apply` and ``patches`` with
    :meth:`Applier.patch`, so a user's object is never rewritten whole.
    """

    owned: list[dict[str, Any]]
    patches: list[TargetPatch]
    config_checksums: dict[str, str]
    notes: list[str]
    patched: list[dict[str, Any]] = field(default_factory=list)
    router: RouterPlan = field(default_factory=RouterPlan)
    """The router's part: its objects are in ``owned`` too, its user patches in ``patches``."""

    @property
    def objects(self) -> list[dict[str, Any]]:
        """Owned objects and patched user objects, sorted by apiVersion, kind and name."""
        return sorted([*self.owned, *self.patched], key=sort_key)


def sort_key(manifest: Mapping[str, Any]) -> tuple[str, str, str]:
    """apiVersion, kind, name: the order ``roost render`` prints in."""
    name = str((manifest.get("metadata") or {}).get("name", ""))
    return str(manifest.get("apiVersion", "")), str(manifest.get("kind", "")), name


def _configs(request: RenderRequest) -> tuple[list[dict[str, Any]], dict[str, str]]:
    if not request.settings.config_tracking:
        return [], {}
    observed = {
        f"{kind.lower()}/{name}": obj
        for (kind, name), obj in request.resources.items()
        if kind in ("ConfigMap", "Secret")
    }
    pod_spec = ((request.target.get("spec") or {}).get("template") or {}).get("spec") or {}
    tracked = track(pod_spec, observed)
    copies = []
    for source in tracked.objects:
        name = f"{(source.get('metadata') or {}).get('name')}{PRIMARY_SUFFIX}"
        existing = request.resources.get((str(source.get("kind")), name))
        copies.append(
            render_config_copy(
                source, request.canary, request.settings.include_label_prefixes, existing
            )
        )
    return copies, tracked.checksums


def _changed(
    obj: Mapping[str, Any], patch: Mapping[str, Any] | None, patches: list[TargetPatch]
) -> dict[str, Any] | None:
    """``obj`` after ``patch`` when that changes it (and the patch recorded), else ``None``."""
    if patch is None:
        return None
    after = merge_patch(obj, patch)
    if after == obj:
        return None
    patches.append(TargetPatch(ObjectRef.of(obj), dict(patch)))
    return dict(after)


def _autoscaler(
    request: RenderRequest, at_zero: bool, patched: list[dict[str, Any]], patches: list[TargetPatch]
) -> list[dict[str, Any]]:
    ref = request.canary.spec.autoscaler_ref
    if ref is None:
        return []
    source = request.resources.get((str(ref.kind), ref.name))
    if source is None:
        raise RenderError(f"{ref.kind} {ref.name} not found (spec.autoscalerRef)")
    init = not request.promotes
    out = [render_primary_autoscaler(source, request.canary, request.settings, init=init)]
    if ref.kind is AutoscalerKind.SCALED_OBJECT:
        patch = keda_pause_patch() if at_zero else keda_resume_patch()
        paused = _changed(source, patch, patches)
        if paused is not None:
            patched.append(paused)
    return out


def _workload_side(
    request: RenderRequest, patched: list[dict[str, Any]], patches: list[TargetPatch]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    target = request.target
    at_zero = request.target_at_zero
    if at_zero is None:
        at_zero = request.phase in TARGET_AT_ZERO
    copies, checksums = _configs(request)
    shape = PrimaryShape.PROMOTE if request.promotes else PrimaryShape.CREATE
    objects = [
        *copies,
        render_primary(
            target,
            request.canary,
            request.settings,
            tracked=checksums,
            flagger_id=request.flagger_id,
            shape=shape,
        ),
        *_autoscaler(request, at_zero, patched, patches),
    ]
    live = {name: obj for (kind, name), obj in request.resources.items() if kind == "Service"}
    objects.extend(render_services(request.canary, target, request.settings, live))
    primary = request.resources.get((str(target.get("kind")), f"{target_name(request)}-primary"))
    ref = request.canary.spec.autoscaler_ref
    scaler = request.resources.get((str(ref.kind), ref.name)) if ref else None
    patch = (
        scale_to_zero_patch(target)
        if at_zero
        else scale_up_patch(target, request.canary, primary, scaler)
    )
    scaled = _changed(target, patch, patches)
    if scaled is not None:
        patched.append(scaled)
    return objects, checksums


def target_name(request: RenderRequest) -> str:
    return request.canary.spec.target_ref.name


def _check_target(request: RenderRequest) -> None:
    ref = request.canary.spec.target_ref
    meta = request.target.get("metadata") or {}
    if request.target.get("kind") != str(ref.kind) or meta.get("name") != ref.name:
        raise RenderError(
            f"the target is {request.target.get('kind')} {meta.get('name')}, "
            f"but the Canary's targetRef is {ref.kind} {ref.name}"
        )


def render_canary(request: RenderRequest) -> Rendered:
    """Every object Roost would create or update for this canary in this phase."""
    _check_target(request)
    ref = request.canary.spec.target_ref
    notes: list[str] = []
    checksums: dict[str, str] = {}
    patched: list[dict[str, Any]] = []
    patches: list[TargetPatch] = []
    objects: list[dict[str, Any]] = []
    if ref.is_knative:
        pass  # the knative router pins and moves the revisions (effects.routing.knative)
    elif ref.kind is TargetKind.SERVICE:
        promote = request.promotes
        objects = render_service_target_copies(
            request.target, request.canary, request.settings, promote=promote
        )
    else:
        objects, checksums = _workload_side(request, patched, patches)
    router_input = request.router_input()
    plan = router_for(request.provider).render(router_input, request.routes)
    objects.extend(plan.manifests)
    notes.extend(plan.notes)
    for change in plan.patches:
        live = router_input.get(change.ref.api_version, change.ref.kind, change.ref.name)
        if live is None:
            raise RenderError(f"{change.ref} not found")
        after = _changed(live, change.patch, patches)
        if after is not None:
            patched.append(after)
    owned = sorted((copy.deepcopy(o) for o in objects), key=sort_key)
    return Rendered(owned, patches, checksums, notes, patched, plan)


def apply_policy(
    manifest: Mapping[str, Any], request: RenderRequest, rendered: Rendered | None = None
) -> ApplyPolicy:
    """How the applier meets the live copy of one owned object.

    A router object takes the policy its router planned (``rendered.router``).

    The primary workload is created once and rewritten only by a promotion (Flagger's
    Initialize never updates it); its replica count stays with the autoscaler when there is one.
    Services this Canary controls lose foreign metadata; a taken-over Service keeps it.
    The primary autoscaler likewise changes only from Promoting on.
    """
    if rendered is not None:
        key = live_key(manifest)
        for desired in rendered.router.apply:
            if live_key(desired.manifest) == key:
                return desired.policy
    kind = manifest.get("kind")
    promoted = request.promotes
    name = (manifest.get("metadata") or {}).get("name")
    if kind in ("Deployment", "DaemonSet") and name == f"{target_name(request)}{PRIMARY_SUFFIX}":
        keep = ("spec.replicas",) if request.canary.spec.autoscaler_ref is not None else ()
        return ApplyPolicy(create_only=not promoted, keep_existing=keep)
    if kind in ("HorizontalPodAutoscaler", "ScaledObject"):
        return ApplyPolicy(create_only=not promoted)
    if request.canary.spec.target_ref.kind is TargetKind.SERVICE:
        primary = name == f"{target_name(request)}{PRIMARY_SUFFIX}"
        return ApplyPolicy(create_only=primary and not promoted)
    if kind == "Service":
        live = request.resources.get(("Service", str(name)))
        return ApplyPolicy(exclusive_metadata=metadata_is_exclusive(live, request.canary))
    return ApplyPolicy()
