"""The whole rendering applied to the API double: objects, policies, patches, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from effects.applying import Applier
from effects.rendering import Rendered, RenderRequest, apply_policy, render_canary
from effects.routing import Routes
from reducers.events import EffectOutcome, EffectResult
from reducers.spec import Phase, parse_provider
from tests.effects.conftest import canary, deployment
from tests.fixtures.apiserver import ApiServerHandle

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
HPA: dict[str, Any] = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "podinfo", "namespace": "test"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
        "minReplicas": 2,
        "maxReplicas": 4,
    },
}
CONFIG: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "cfg", "namespace": "test"},
    "data": {"a": "1"},
}


def _target() -> dict[str, Any]:
    pod_spec = {
        "containers": [
            {
                "name": "app",
                "image": "x",
                "envFrom": [{"configMapRef": {"name": "cfg"}}],
                "ports": [{"containerPort": 9898, "name": "http"}],
            }
        ]
    }
    return deployment(pod_spec=pod_spec, replicas=2)


def _request(apiserver: ApiServerHandle, phase: Phase) -> RenderRequest:
    model = canary(
        autoscalerRef={
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "name": "podinfo",
        }
    )
    resources: dict[tuple[str, str], Any] = {}
    for resource in ("configmaps", "horizontalpodautoscalers.autoscaling", "services"):
        for obj in apiserver.objects(resource, "test"):
            resources[(obj["kind"], obj["metadata"]["name"])] = obj
    target = apiserver.read("deployments.apps", "podinfo", "test")
    assert target is not None
    return RenderRequest(
        canary=model,
        target=target,
        provider=parse_provider("kubernetes"),
        resources=resources,
        phase=phase,
        routes=Routes(),
    )


def _apply(applier: Applier, request: RenderRequest, rendered: Rendered) -> list[EffectOutcome]:
    outcomes = [
        applier.apply(obj, at=AT, policy=apply_policy(obj, request)) for obj in rendered.owned
    ]
    outcomes += [applier.patch(p.ref, p.patch, at=AT) for p in rendered.patches]
    return outcomes


def test_initialisation_applies_everything_once(apiserver: ApiServerHandle) -> None:
    for obj in (_target(), HPA, CONFIG):
        apiserver.seed(obj)
    applier = Applier(apiserver.api_client())
    request = _request(apiserver, Phase.INITIALIZING)
    rendered = render_canary(request)
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in rendered.owned)
    assert kinds == [
        ("ConfigMap", "cfg-primary"),
        ("Deployment", "podinfo-primary"),
        ("HorizontalPodAutoscaler", "podinfo-primary"),
        ("Service", "podinfo"),
        ("Service", "podinfo-canary"),
        ("Service", "podinfo-primary"),
    ]
    assert rendered.config_checksums.keys() == {"configmap/cfg"}
    first = _apply(applier, request, rendered)
    assert {o.result for o in first} == {EffectResult.APPLIED}
    target = apiserver.read("deployments.apps", "podinfo", "test")
    assert target is not None and target["spec"]["replicas"] == 0
    again = _request(apiserver, Phase.INITIALIZING)
    second = _apply(applier, again, render_canary(again))
    assert {o.result for o in second} == {EffectResult.UNCHANGED}


def test_promotion_updates_the_primary_but_not_replicas(apiserver: ApiServerHandle) -> None:
    for obj in (_target(), HPA, CONFIG):
        apiserver.seed(obj)
    applier = Applier(apiserver.api_client())
    request = _request(apiserver, Phase.INITIALIZING)
    _apply(applier, request, render_canary(request))
    primary = apiserver.read("deployments.apps", "podinfo-primary", "test")
    assert primary is not None
    primary["spec"]["replicas"] = 3  # as the primary HPA would
    apiserver.seed(primary)
    target = apiserver.read("deployments.apps", "podinfo", "test")
    assert target is not None
    target["spec"]["template"]["spec"]["containers"][0]["image"] = "y"
    target["spec"]["replicas"] = 2
    apiserver.seed(target)
    config = apiserver.read("configmaps", "cfg", "test")
    assert config is not None
    config["data"] = {"a": "2"}
    apiserver.seed(config)
    # before promotion the primary keeps its spec
    progressing = _request(apiserver, Phase.PROGRESSING)
    outcomes = _apply(applier, progressing, render_canary(progressing))
    after = apiserver.read("deployments.apps", "podinfo-primary", "test")
    assert after is not None and after["spec"]["template"]["spec"]["containers"][0]["image"] == "x"
    assert all(o.result is not EffectResult.ERROR for o in outcomes)
    promoting = _request(apiserver, Phase.PROMOTING)
    _apply(applier, promoting, render_canary(promoting))
    promoted = apiserver.read("deployments.apps", "podinfo-primary", "test")
    assert promoted is not None
    assert promoted["spec"]["template"]["spec"]["containers"][0]["image"] == "y"
    assert promoted["spec"]["replicas"] == 3
    copy_ = apiserver.read("configmaps", "cfg-primary", "test")
    assert copy_ is not None and copy_["data"] == {"a": "2"}
