"""Every hand-written YAML file under deploy/ (the generated deploy/crds aside) is either a
complete object that satisfies the Kubernetes schemas, a kustomization, or chart metadata; the
chart's values name every setting users know from Flagger's chart."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import CHART, DEPLOY, assert_valid, documents

NOT_MANIFESTS = {CHART / "Chart.yaml", CHART / "values.yaml"}


def static_yaml() -> list[Path]:
    found = []
    for path in sorted(DEPLOY.rglob("*.y*ml")):
        if path.is_relative_to(DEPLOY / "crds") or path.is_relative_to(CHART / "templates"):
            continue  # generated (checked in tests/spec) / Go templates (checked rendered)
        if path.name == "kustomization.yaml" or path in NOT_MANIFESTS:
            continue
        found.append(path)
    return found


def test_the_static_files_are_found() -> None:
    names = {p.relative_to(DEPLOY).as_posix() for p in static_yaml()}
    assert "kustomize/operator/deployment.yaml" in names
    assert "kustomize/base/clusterrole.yaml" in names
    assert "chart/roost/crds/canaries.yaml" in names


@pytest.mark.parametrize("path", static_yaml(), ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_static_manifest_satisfies_the_schemas(path: Path) -> None:
    manifests = documents(path.read_text(encoding="utf-8"))
    assert manifests
    for manifest in manifests:
        assert_valid(manifest)


def test_every_kustomization_names_only_existing_files() -> None:
    for path in sorted(DEPLOY.rglob("kustomization.yaml")):
        kustomization = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert kustomization["kind"] == "Kustomization"
        for resource in kustomization.get("resources", []):
            assert (path.parent / resource).exists(), f"{path}: {resource}"


def test_values_offer_flaggers_settings() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    assert {
        "image",
        "meshProvider",
        "metricsServer",
        "namespace",
        "selectorLabels",
        "includeLabelPrefix",
        "configTracking",
        "slack",
        "msteams",
        "eventWebhook",
        "clusterName",
        "noCrossNamespaceRefs",
        "leaderElection",
        "ledger",
        "rbac",
        "serviceAccount",
        "resources",
        "podAnnotations",
        "nodeSelector",
        "tolerations",
        "affinity",
    } <= set(values)
    assert set(values["slack"]) == {"url", "channel", "user"}
    assert values["leaderElection"] == {"enabled": False, "replicaCount": 1, "namespace": ""}
    assert values["ledger"]["type"] == "sqlite"
    assert {"size", "storageClass"} <= set(values["ledger"]["sqlite"]["persistence"])
    assert set(values["ledger"]["postgres"]) == {"existingSecret", "key"}
    assert values["rbac"] == {"create": True, "namespaced": False}
