"""``roost render`` through a subprocess, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.effects.conftest import deployment

ROOST = Path(sys.executable).parent / "roost"

CANARY = """\
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: podinfo, namespace: test}
spec:
  provider: kubernetes
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  autoscalerRef: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: podinfo}
  service: {port: 80, targetPort: 9898}
  analysis: {interval: 1m, threshold: 5, iterations: 10}
"""

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


CONFIG = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "cfg", "namespace": "test"},
    "data": {"a": "1"},
}


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    canary, target, resources = tmp_path / "c.yaml", tmp_path / "t.yaml", tmp_path / "r.yaml"
    canary.write_text(CANARY)
    target.write_text(yaml.safe_dump(_target()))
    resources.write_text(yaml.safe_dump_all([HPA, CONFIG]))
    return canary, target, resources


def _roost(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOST), "render", *map(str, args)], capture_output=True, text=True, timeout=60
    )


def test_render_yaml_lists_every_object_sorted(tmp_path: Path) -> None:
    canary, target, resources = _files(tmp_path)
    done = _roost(canary, "--target", target, "--resource", resources)
    assert done.returncode == 0, done.stderr
    docs = list(yaml.safe_load_all(done.stdout))
    keys = [(d["apiVersion"], d["kind"], d["metadata"]["name"]) for d in docs]
    assert keys == [
        ("apps/v1", "Deployment", "podinfo"),
        ("apps/v1", "Deployment", "podinfo-primary"),
        ("autoscaling/v2", "HorizontalPodAutoscaler", "podinfo-primary"),
        ("v1", "ConfigMap", "cfg-primary"),
        ("v1", "Service", "podinfo"),
        ("v1", "Service", "podinfo-canary"),
        ("v1", "Service", "podinfo-primary"),
    ]
    by_key = dict(zip(keys, docs, strict=True))
    assert by_key[("apps/v1", "Deployment", "podinfo")]["spec"]["replicas"] == 0
    primary = by_key[("apps/v1", "Deployment", "podinfo-primary")]
    env_from = primary["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    assert env_from == [{"configMapRef": {"name": "cfg-primary"}}]


def test_render_json_in_a_later_phase(tmp_path: Path) -> None:
    canary, target, resources = _files(tmp_path)
    done = _roost(
        canary, "--target", target, "--resource", resources,
        "--phase", "Progressing", "--routes", "90,10", "-o", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    objects = json.loads(done.stdout)
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert ("HorizontalPodAutoscaler", "podinfo-primary") in kinds
    # the target keeps its 2 replicas while progressing: no write, so it is not listed
    assert ("Deployment", "podinfo") not in kinds


def test_problems_name_themselves_and_exit_2(tmp_path: Path) -> None:
    canary, target, resources = _files(tmp_path)
    missing_config = _roost(canary, "--target", target)
    assert missing_config.returncode == 2
    assert "configmap cfg" in missing_config.stderr
    bad_routes = _roost(canary, "--target", target, "--resource", resources, "--routes", "90,20")
    assert bad_routes.returncode == 2
    assert "--routes" in bad_routes.stderr
    bad_phase = _roost(canary, "--target", target, "--resource", resources, "--phase", "Nope")
    assert bad_phase.returncode == 2 and "--phase" in bad_phase.stderr
    no_label = deployment(selector={"role": "x"})
    target.write_text(yaml.safe_dump(no_label))
    done = _roost(canary, "--target", target, "--resource", resources)
    assert done.returncode == 2
    assert "spec.selector.matchLabels must contain one of [app name app.kubernetes.io/name]" in (
        done.stderr
    )
    assert _roost(tmp_path / "nope.yaml", "--target", target).returncode == 2


def test_provider_and_routes_render_the_router_objects(tmp_path: Path) -> None:
    canary, target, resources = _files(tmp_path)
    # --provider wins over spec.provider; iterations make the split blue/green
    done = _roost(
        canary, "--target", target, "--resource", resources,
        "--provider", "istio", "--routes", "0,100", "--phase", "Progressing", "-o", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    objects = {(o["kind"], o["metadata"]["name"]): o for o in json.loads(done.stdout)}
    assert ("DestinationRule", "podinfo-primary") in objects
    assert ("DestinationRule", "podinfo-canary") in objects
    route = objects[("VirtualService", "podinfo")]["spec"]["http"][0]["route"]
    assert [(d["destination"]["host"], d["weight"]) for d in route] == [
        ("podinfo-primary", 0),
        ("podinfo-canary", 100),
    ]


def test_a_router_problem_is_one_line_and_exit_2(tmp_path: Path) -> None:
    canary, target, resources = _files(tmp_path)
    done = _roost(canary, "--target", target, "--resource", resources, "--provider", "nginx")
    assert done.returncode == 2
    assert "spec.ingressRef" in done.stderr
    unknown = _roost(canary, "--target", target, "--resource", resources, "--provider", "envoy")
    assert unknown.returncode == 2
    assert "unknown provider 'envoy'" in unknown.stderr
