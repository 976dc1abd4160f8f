"""revertOnDeletion: the target runs again and a taken-over apex selects the user's pods."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from effects.applying import Applier
from effects.reverting import revert_patches
from effects.settings import WorkloadSettings
from reducers.events import EffectResult
from tests.effects.conftest import canary, deployment
from tests.fixtures.apiserver import ApiServerHandle

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _apex(owned: bool, last_applied: str = "") -> dict[str, object]:
    meta: dict[str, object] = {"name": "podinfo", "namespace": "test"}
    if owned:
        meta["ownerReferences"] = [
            {
                "apiVersion": "flagger.app/v1beta1",
                "kind": "Canary",
                "name": "podinfo",
                "uid": "c-uid-1",
                "controller": True,
            }
        ]
    if last_applied:
        meta["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": last_applied}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {"selector": {"app": "podinfo-primary"}, "ports": [{"port": 80}]},
    }


def test_revert_restores_target_and_user_apex(apiserver: ApiServerHandle) -> None:
    applied = json.dumps({"spec": {"selector": {"app": "podinfo", "tier": "web"}}})
    apiserver.seed(deployment(replicas=0))
    apiserver.seed(_apex(False, applied))
    target = apiserver.read("deployments.apps", "podinfo", "test")
    apex = apiserver.read("services", "podinfo", "test")
    assert target is not None and apex is not None
    primary = {"spec": {"replicas": 3}}
    patches = revert_patches(canary(), target, WorkloadSettings(), primary=primary, apex=apex)
    applier = Applier(apiserver.api_client())
    outcomes = [applier.patch(p.ref, p.patch, at=AT) for p in patches]
    assert [o.result for o in outcomes] == [EffectResult.APPLIED, EffectResult.APPLIED]
    after = apiserver.read("deployments.apps", "podinfo", "test")
    assert after is not None and after["spec"]["replicas"] == 3
    svc = apiserver.read("services", "podinfo", "test")
    assert svc is not None and svc["spec"]["selector"] == {"app": "podinfo", "tier": "web"}


def test_owned_apex_is_left_to_garbage_collection() -> None:
    patches = revert_patches(canary(), deployment(replicas=0), WorkloadSettings(), apex=_apex(True))
    assert [p.ref.kind for p in patches] == ["Deployment"]
    assert patches[0].patch == {"spec": {"replicas": 1}}


def test_without_last_applied_the_apex_selects_the_user_pods() -> None:
    patches = revert_patches(canary(), deployment(), WorkloadSettings(), apex=_apex(False))
    assert patches[-1].patch == [
        {"op": "replace", "path": "/spec/selector", "value": {"app": "podinfo"}}
    ]
