"""Every complete Flagger example Canary renders, and every built-in object it yields is valid.

The examples come without their workloads, so each test builds a target matching ``targetRef``
(and the autoscaler ``autoscalerRef`` names), exposing the port the Canary's Service points at.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from effects.rendering import RenderRequest, render_canary
from effects.routing.base import live_key
from reducers.spec import Canary, Phase, parse_provider, validate_document
from tests.effects.conftest import assert_valid, deployment
from tests.routing.conftest import validate_plan
from tests.spec.conftest import SHARED

EXAMPLES = SHARED / "conformance" / "flagger-examples" / "complete"
CANARIES = sorted(EXAMPLES.glob("canary-*.yaml"))
BUILT_IN_GROUPS = ("v1", "apps/v1", "autoscaling/v2")


def _target(model: Canary) -> dict[str, Any]:
    ref = model.spec.target_ref
    namespace = model.metadata.namespace or "default"
    if ref.is_knative:
        return {
            "apiVersion": ref.api_version,
            "kind": "Service",
            "metadata": {"name": ref.name, "namespace": namespace},
            "status": {"latestCreatedRevisionName": f"{ref.name}-00001"},
        }
    if str(ref.kind) == "Service":
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": ref.name, "namespace": namespace},
            "spec": {"selector": {"app": ref.name}, "ports": [{"name": "http", "port": 80}]},
        }
    service = model.spec.service
    port = service.effective_target_port() if service else 9898
    container_port: dict[str, Any] = (
        {"containerPort": port, "name": "http"}
        if isinstance(port, int)
        else {"containerPort": 9898, "name": port}
    )
    pod_spec = {
        "containers": [
            {
                "name": "app",
                "image": "ghcr.io/stefanprodan/podinfo:6.0.0",
                "ports": [container_port, {"containerPort": 9797}],
            }
        ]
    }
    target = deployment(ref.name, kind=str(ref.kind), pod_spec=pod_spec)
    target["metadata"]["namespace"] = namespace
    if str(ref.kind) == "Deployment":
        target["spec"]["replicas"] = 2
    return target


def _autoscaler(model: Canary) -> dict[tuple[str, str], dict[str, Any]]:
    ref = model.spec.autoscaler_ref
    if ref is None:
        return {}
    target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": model.spec.target_ref.name}
    if str(ref.kind) == "HorizontalPodAutoscaler":
        spec: dict[str, Any] = {"scaleTargetRef": target, "minReplicas": 2, "maxReplicas": 4}
    else:
        spec = {
            "scaleTargetRef": {"name": target["name"]},
            "triggers": [
                {
                    "type": "prometheus",
                    "name": "prom-trigger",
                    "metadata": {"query": f'sum(x{{app="{target["name"]}"}})'},
                }
            ],
        }
    obj = {
        "apiVersion": ref.api_version,
        "kind": str(ref.kind),
        "metadata": {"name": ref.name, "namespace": model.metadata.namespace or "default"},
        "spec": spec,
    }
    return {(str(ref.kind), ref.name): obj}


def _user_objects(model: Canary) -> list[dict[str, Any]]:
    """The objects of the user's a router derives from: the ingress, APISIX route, Upstream."""
    namespace = model.metadata.namespace or "default"
    apex = model.spec.effective_service_name()
    port = model.spec.service.port if model.spec.service else 80
    found: list[dict[str, Any]] = []
    if model.spec.ingress_ref is not None:
        backend = {"service": {"name": apex, "port": {"number": port}}}
        path = {"path": "/", "pathType": "Prefix", "backend": backend}
        found.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": model.spec.ingress_ref.name, "namespace": namespace},
                "spec": {"rules": [{"host": "app.example.com", "http": {"paths": [path]}}]},
            }
        )
    if model.spec.route_ref is not None:
        found.append(
            {
                "apiVersion": "apisix.apache.org/v2",
                "kind": "ApisixRoute",
                "metadata": {"name": model.spec.route_ref.name, "namespace": namespace},
                "spec": {
                    "http": [
                        {
                            "name": "method",
                            "match": {"hosts": ["app.example.com"], "paths": ["/*"]},
                            "backends": [{"serviceName": apex, "servicePort": port}],
                        }
                    ]
                },
            }
        )
    if model.spec.upstream_ref is not None:
        ref = model.spec.upstream_ref
        found.append(
            {
                "apiVersion": "gloo.solo.io/v1",
                "kind": "Upstream",
                "metadata": {"name": ref.name, "namespace": ref.namespace or namespace},
                "spec": {"loadBalancerConfig": {"roundRobin": {}}},
            }
        )
    return found


def _canaries() -> list[Any]:
    out = []
    for path in CANARIES:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d and d.get("kind") == "Canary"]
        out.extend(pytest.param(doc, id=f"{path.stem}-{i}") for i, doc in enumerate(docs))
    return out


def test_the_examples_are_there() -> None:
    assert len(CANARIES) >= 20


@pytest.mark.parametrize("phase", [Phase.INITIALIZING, Phase.PROGRESSING, Phase.PROMOTING])
@pytest.mark.parametrize("document", _canaries())
def test_example_renders(document: dict[str, Any], phase: Phase) -> None:
    model = validate_document(document)
    assert isinstance(model, Canary), model
    provider = parse_provider(str(model.spec.provider) if model.spec.provider else "istio")
    request = RenderRequest(
        canary=model,
        target=_target(model),
        provider=provider,
        resources=_autoscaler(model),
        phase=phase,
        live={live_key(o): o for o in _user_objects(model)},
    )
    rendered = render_canary(request)
    # every router object of a kind with a schema validates against it
    validate_plan(rendered.router)
    keys = [(o["apiVersion"], o["kind"], o["metadata"]["name"]) for o in rendered.objects]
    assert keys == sorted(keys)
    for obj in rendered.objects:
        if obj["apiVersion"] in BUILT_IN_GROUPS:
            assert_valid(obj)
    if model.spec.target_ref.kind.value in ("Deployment", "DaemonSet"):
        names = {name for _, kind, name in keys if kind == "Service"}
        apex = model.spec.effective_service_name()
        assert names == {apex, f"{apex}-primary", f"{apex}-canary"}
        kind = str(model.spec.target_ref.kind)
        primary = f"{model.spec.target_ref.name}-primary"
        assert ("apps/v1", kind, primary) in keys
