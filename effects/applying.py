"""The one applier: create, or patch only a meaningful difference, and report an outcome.

It takes a rendered manifest (or a patch for an object Roost does not own, such as the target)
and returns an ``EffectOutcome`` value for the controller to append; it never raises for an API
failure (:func:`effects.kubeapi.classify` is the choke point) and never decides anything.

"Meaningful difference" is containment: every field the manifest states must equal the live
value, so fields the server defaults or others own (clusterIP, nodePorts, annotations someone
else added, replicas an autoscaler moves) never cause a write. Applying twice is a no-op.
A 409 re-reads the object and tries again, a bounded number of times.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import kubernetes.client

from effects.kubeapi import JSON_PATCH, MERGE_PATCH, KubeApi, ObjectRef, classify
from reducers.events import EffectOutcome, EffectResult
from reducers.patching import merge_patch

CONFLICT_RETRIES = 3
_METADATA_FIELDS = ("labels", "annotations", "ownerReferences")


@dataclass(frozen=True)
class ApplyPolicy:
    """How one manifest meets an existing object."""

    exclusive_metadata: bool = False
    """Remove labels and annotations the manifest does not state (Services this Canary owns)."""
    keep_existing: tuple[str, ...] = ()
    """Dotted paths the live object keeps once it exists (``spec.replicas`` under autoscaling)."""
    create_only: bool = False
    """Create when missing, never change afterwards (the primary before its first promotion)."""
    replace: tuple[str, ...] = ()
    """Dotted paths whose maps are made exact: keys the live object has there and the manifest
    does not state are removed, at every depth (a router's ``spec``, which no one else writes)."""
    exclusive_annotation_prefixes: tuple[str, ...] = ()
    """Annotation keys starting with one of these belong to the manifest alone: such keys the live
    object has and the manifest does not state are removed; other annotations are left alone
    (the NGINX canary keys of an earlier split, on an Ingress others annotate too)."""


def contains(live: Any, wanted: Any) -> bool:
    """Whether ``live`` already holds everything ``wanted`` states (lists element by element)."""
    if isinstance(wanted, Mapping):
        if not isinstance(live, Mapping):
            return False
        return all(
            (k not in live) if v is None else (k in live and contains(live[k], v))
            for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(live, list)
            and len(live) == len(wanted)
            and all(contains(a, b) for a, b in zip(live, wanted, strict=True))
        )
    return bool(live == wanted)


def _drop_path(manifest: dict[str, Any], dotted: str) -> None:
    *parents, last = dotted.split(".")
    node: Any = manifest
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(last, None)


def _stale_annotations(
    stated: Mapping[str, Any] | None, live: Mapping[str, Any], policy: ApplyPolicy
) -> dict[str, Any]:
    """``stated`` plus ``None`` for every live key under an exclusive prefix it lacks."""
    out = dict(stated or {})
    prefixes = policy.exclusive_annotation_prefixes
    live_keys = (live.get("metadata") or {}).get("annotations") or {}
    if prefixes:
        out.update({k: None for k in live_keys if k.startswith(prefixes) and k not in out})
    return out


def _patch_body(desired: Mapping[str, Any], live: Mapping[str, Any], policy: ApplyPolicy) -> Any:
    body = {k: copy.deepcopy(v) for k, v in desired.items() if k not in ("apiVersion", "kind")}
    _replacing(body, live, policy.replace, into_lists=False)
    meta = {k: v for k, v in (body.get("metadata") or {}).items() if k in _METADATA_FIELDS}
    if policy.exclusive_metadata:
        live_meta = live.get("metadata") or {}
        for field in ("labels", "annotations"):
            stale = set(live_meta.get(field) or {}) - set(meta.get(field) or {})
            meta[field] = {**(meta.get(field) or {}), **dict.fromkeys(stale)}
    if policy.exclusive_annotation_prefixes:
        meta["annotations"] = _stale_annotations(meta.get("annotations"), live, policy)
    body["metadata"] = meta
    return body


def _nulling(live: Any, wanted: Any, *, into_lists: bool) -> Any:
    """``wanted`` with ``None`` for every key of ``live`` it lacks, in maps at any depth.

    A merge patch replaces a list whole, so the patch body stops at lists; the containment
    check (``into_lists``) also looks inside list elements, or a key dropped from one list
    element (an Istio rule's ``mirror``) would not count as a difference.
    """
    if isinstance(live, Mapping) and isinstance(wanted, Mapping):
        out = {k: _nulling(live.get(k), v, into_lists=into_lists) for k, v in wanted.items()}
        out.update({k: None for k in live if k not in wanted})
        return out
    same_length_lists = (
        isinstance(live, list) and isinstance(wanted, list) and len(live) == len(wanted)
    )
    if into_lists and same_length_lists:
        return [_nulling(a, b, into_lists=True) for a, b in zip(live, wanted, strict=True)]
    return wanted


def _replacing(
    desired: dict[str, Any], live: Mapping[str, Any], paths: tuple[str, ...], *, into_lists: bool
) -> None:
    for dotted in paths:
        *parents, last = dotted.split(".")
        node: Any = desired
        seen: Any = live
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
            seen = seen.get(part) if isinstance(seen, Mapping) else None
        if isinstance(node, dict) and isinstance(seen, Mapping):
            node[last] = _nulling(seen.get(last), node.get(last), into_lists=into_lists)


def _wanted(desired: Mapping[str, Any], live: Mapping[str, Any], policy: ApplyPolicy) -> Any:
    wanted = copy.deepcopy(dict(desired))
    _replacing(wanted, live, policy.replace, into_lists=True)
    if policy.exclusive_metadata:
        live_meta = live.get("metadata") or {}
        for field in ("labels", "annotations"):
            stale = set(live_meta.get(field) or {}) - set(wanted["metadata"].get(field) or {})
            wanted["metadata"][field] = {
                **(wanted["metadata"].get(field) or {}),
                **dict.fromkeys(stale),
            }
    if policy.exclusive_annotation_prefixes:
        meta = wanted.setdefault("metadata", {})
        meta["annotations"] = _stale_annotations(meta.get("annotations"), live, policy)
    return wanted


class Applier:
    """Writes rendered objects and target patches; one outcome per call."""

    def __init__(self, api_client: kubernetes.client.ApiClient) -> None:
        self.api = KubeApi(api_client)

    def _outcome(
        self, effect: str, at: datetime, result: EffectResult, detail: str, retryable: bool = False
    ) -> EffectOutcome:
        return EffectOutcome(
            at=at, effect=effect, result=result, retryable=retryable, detail=detail
        )

    def _failed(self, effect: str, at: datetime, error: Exception) -> EffectOutcome:
        found = classify(error)
        result = EffectResult.CONFLICT if found.conflict else EffectResult.ERROR
        return self._outcome(effect, at, result, found.detail, found.retryable)

    def apply(
        self,
        manifest: Mapping[str, Any],
        *,
        at: datetime,
        effect: str = "",
        policy: ApplyPolicy = ApplyPolicy(),
        known: Mapping[str, Any] | None = None,
    ) -> EffectOutcome:
        """Create ``manifest`` or bring the live object to contain it.

        ``known`` is the live object as the caller read it moments ago: the first attempt
        compares against it instead of reading again (a quiet tick then writes and reads
        nothing); a conflict re-reads, so a stale copy costs one retry, never a lost write.
        """
        ref = ObjectRef.of(manifest)
        effect = effect or f"apply {ref}"
        first = [dict(known)] if known is not None else []

        def attempt() -> EffectOutcome:
            live = first.pop() if first else self.api.get(ref)
            if live is None:
                self.api.create(manifest)
                return self._outcome(effect, at, EffectResult.APPLIED, f"created {ref}")
            if policy.create_only:
                return self._outcome(effect, at, EffectResult.UNCHANGED, f"{ref} exists")
            desired = copy.deepcopy(dict(manifest))
            for path in policy.keep_existing:
                _drop_path(desired, path)
            if contains(live, _wanted(desired, live, policy)):
                return self._outcome(effect, at, EffectResult.UNCHANGED, f"{ref} up to date")
            body = _patch_body(desired, live, policy)
            body["metadata"]["resourceVersion"] = (live.get("metadata") or {}).get(
                "resourceVersion"
            )
            self.api.patch(ref, body)
            return self._outcome(effect, at, EffectResult.APPLIED, f"patched {ref}")

        return self._retrying(effect, at, attempt)

    def patch(
        self,
        ref: ObjectRef,
        patch: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        at: datetime,
        effect: str = "",
    ) -> EffectOutcome:
        """Merge-patch (a mapping) or JSON-patch (a list) an object Roost does not own.

        A merge patch whose result the live object already equals is not sent.
        """
        effect = effect or f"patch {ref}"

        def attempt() -> EffectOutcome:
            live = self.api.get(ref)
            if live is None:
                return self._outcome(effect, at, EffectResult.ERROR, f"{ref} not found")
            if isinstance(patch, Mapping):
                if merge_patch(live, patch) == live:
                    return self._outcome(effect, at, EffectResult.UNCHANGED, f"{ref} as wanted")
                after = self.api.patch(ref, dict(patch), MERGE_PATCH)
            else:
                after = self.api.patch(ref, [dict(op) for op in patch], JSON_PATCH)
            before_rv = (live.get("metadata") or {}).get("resourceVersion")
            if (after.get("metadata") or {}).get("resourceVersion") == before_rv:
                return self._outcome(effect, at, EffectResult.UNCHANGED, f"{ref} as wanted")
            return self._outcome(effect, at, EffectResult.APPLIED, f"patched {ref}")

        return self._retrying(effect, at, attempt)

    def delete(
        self,
        ref: ObjectRef,
        *,
        at: datetime,
        effect: str = "",
        grace_period_seconds: int | None = None,
    ) -> EffectOutcome:
        """Delete an object Roost owns (a Skipper canary Ingress on finalization)."""
        effect = effect or f"delete {ref}"

        def attempt() -> EffectOutcome:
            if self.api.delete(ref, grace_period_seconds):
                return self._outcome(effect, at, EffectResult.APPLIED, f"deleted {ref}")
            return self._outcome(effect, at, EffectResult.UNCHANGED, f"{ref} already gone")

        return self._retrying(effect, at, attempt)

    def _retrying(
        self, effect: str, at: datetime, attempt: Callable[[], EffectOutcome]
    ) -> EffectOutcome:
        """Run ``attempt``, re-reading and retrying on 409 up to ``CONFLICT_RETRIES`` times.

        The one choke point of this module: every failure becomes an outcome, classified."""
        last: Exception | None = None
        for _ in range(CONFLICT_RETRIES):
            try:
                return attempt()
            except Exception as e:
                if not classify(e).conflict:
                    return self._failed(effect, at, e)
                last = e
        assert last is not None
        return self._failed(effect, at, last)
