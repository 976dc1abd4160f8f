"""Knative Serving (provider ``knative``; flagger-objects §1.7 and §3.13).

The target itself routes: a Knative Service splits traffic between revisions in ``spec.traffic``.
The primary is the revision recorded in the Service's ``flagger.app/primary-revision`` annotation
(set here from ``status.latestCreatedRevisionName`` when absent, and moved to it in the
Promoting phase); the canary is whatever revision is latest. The router creates nothing: it plans
merge patches of the user's Service, which the shell applies with ``Applier.patch``. Knative has
no header matching or mirroring: A/B iterations route everything to the canary.

The split in force is read from ``status.traffic``, where Knative reports what it routes; the
primary entry is the one naming the recorded revision that is *not* the latest-revision entry,
so a primary that is also the latest revision (right after a promotion) is still told apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from effects.kubeapi import ObjectRef
from effects.routing.base import (
    Patch,
    RouterInput,
    RouterPlan,
    Routes,
    RoutesError,
    check_weights,
)
from effects.workloads.service_targets import PRIMARY_REVISION
from reducers.spec import Phase
from reducers.spec.canary import KNATIVE_API_VERSION

KIND = "Service"


def _annotation(live: Mapping[str, Any]) -> str | None:
    value = ((live.get("metadata") or {}).get("annotations") or {}).get(PRIMARY_REVISION)
    return str(value) if value else None


def _percent(name: str, entry: Mapping[str, Any], what: str) -> int:
    value = entry.get("percent")
    if not isinstance(value, int) or isinstance(value, bool):
        raise RoutesError(f"Knative Service {name}: status.traffic {what} entry has no percent")
    return value


class KnativeRouter:
    """Merge patches of the user's Knative Service ``<targetRef.name>``."""

    def _ref(self, inp: RouterInput) -> ObjectRef:
        return inp.ref(KNATIVE_API_VERSION, KIND, inp.canary.spec.target_ref.name)

    def _live(self, inp: RouterInput) -> Mapping[str, Any]:
        ref = self._ref(inp)
        live = inp.get(ref.api_version, ref.kind, ref.name)
        if live is None:
            raise RoutesError(
                f"Knative Service {ref.namespace}/{ref.name} (spec.targetRef) not found"
            )
        return live

    def reads(self, inp: RouterInput) -> list[ObjectRef]:
        return [self._ref(inp)]

    def render(self, inp: RouterInput, routes: Routes) -> RouterPlan:
        check_weights(routes)
        ref = self._ref(inp)
        live = self._live(inp)
        primary = _annotation(live)
        latest = (live.get("status") or {}).get("latestCreatedRevisionName")
        patch: dict[str, Any] = {}
        if inp.phase is Phase.PROMOTING and latest and latest != primary:
            # promotion: the revision under test becomes the primary one
            primary = None
        if primary is None:
            primary = latest
            if not primary:
                raise RoutesError(
                    f"Knative Service {ref.name} has no status.latestCreatedRevisionName yet: "
                    "no revision to route to"
                )
            patch["metadata"] = {"annotations": {PRIMARY_REVISION: primary}}
        patch["spec"] = {
            "traffic": [
                {"latestRevision": True, "percent": routes.canary},
                {"revisionName": primary, "percent": routes.primary},
            ]
        }
        notes = ("Knative cannot mirror traffic: mirroring skipped",) if routes.mirrored else ()
        return RouterPlan(patches=(Patch(ref, patch),), notes=notes)

    def read_routes(self, inp: RouterInput) -> Routes:
        live = self._live(inp)
        name = inp.canary.spec.target_ref.name
        primary = _annotation(live)
        if primary is None:
            raise RoutesError(f"Knative Service {name} has no {PRIMARY_REVISION} annotation")
        traffic = [
            t for t in (live.get("status") or {}).get("traffic") or [] if isinstance(t, Mapping)
        ]
        latest = next((t for t in traffic if t.get("latestRevision") is True), None)
        pinned = next(
            (
                t
                for t in traffic
                if t.get("revisionName") == primary and not t.get("latestRevision")
            ),
            None,
        )
        if latest is None:
            raise RoutesError(f"Knative Service {name}: status.traffic has no latest revision")
        if pinned is None:
            raise RoutesError(f"Knative Service {name}: status.traffic does not route {primary}")
        return Routes(_percent(name, pinned, "primary"), _percent(name, latest, "latest"))

    def finalize(self, inp: RouterInput) -> RouterPlan:
        """Forget the primary revision and give the latest revision all traffic again.

        Left pinned, the Service would keep every later revision at 0 % once the Canary is gone;
        Knative's own default is all traffic to the latest revision.
        """
        ref = self._ref(inp)
        live = inp.get(ref.api_version, ref.kind, ref.name)
        if live is None:
            return RouterPlan()
        patch = {
            "metadata": {"annotations": {PRIMARY_REVISION: None}},
            "spec": {"traffic": [{"latestRevision": True, "percent": 100}]},
        }
        note = f"Knative Service {ref.name}: primary revision forgotten, latest revision routed"
        return RouterPlan(patches=(Patch(ref, patch),), notes=(note,))
