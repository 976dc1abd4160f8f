"""The Helm chart under deploy/chart/roost, rendered by Helm's own Go SDK: every combination of
values renders objects that satisfy the Kubernetes schemas, each combination has the shape it
promises, and combinations that cannot work are refused with a reason."""

from __future__ import annotations

from typing import Any

import helm_python
import pytest
import yaml

from controller import crdgen
from tests.deploy.conftest import (
    CHART,
    PYPROJECT,
    assert_valid,
    container,
    env_of,
    helm_notes,
    helm_template,
    kustomize,
    of_kind,
    one,
)
from tests.deploy.test_kustomize import assert_run_reads

SLACK_URL = "https://hooks.slack.example/services/T000/B000/not-a-real-token"

COMBINATIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "postgres-leader-election": {
        "ledger": {"type": "postgres", "postgres": {"existingSecret": "roost-db"}},
        "leaderElection": {"enabled": True, "replicaCount": 2},
        "podDisruptionBudget": {"enabled": True},
    },
    "namespaced-rbac": {"rbac": {"namespaced": True}},
    "rbac-disabled": {
        "rbac": {"create": False},
        "serviceAccount": {"create": False, "name": "roost-operator"},
    },
    "everything-set": {
        "image": {"repository": "registry.example/roost", "tag": "9.9.9", "pullSecret": "regcred"},
        "meshProvider": "istio",
        "metricsServer": "http://prometheus.istio-system:9090",
        "namespace": "apps",
        "selectorLabels": "app,name",
        "includeLabelPrefix": "app.kubernetes.io,team",
        "configTracking": {"enabled": False},
        "slack": {"url": SLACK_URL, "channel": "deploys", "user": "roost"},
        "msteams": {"url": "https://teams.example/hook"},
        "eventWebhook": "https://events.example/roost",
        "clusterName": "prod-eu",
        "noCrossNamespaceRefs": True,
        "ledger": {"sqlite": {"persistence": {"size": "5Gi", "storageClass": "fast"}}},
        "serviceAccount": {"annotations": {"iam.example/role": "roost"}},
        "env": [{"name": "TZ", "value": "UTC"}],
        "podLabels": {"team": "platform"},
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["a"]}]}
                    ]
                }
            }
        },
        "priorityClassName": "system-cluster-critical",
    },
    "sqlite-without-persistence": {"ledger": {"sqlite": {"persistence": {"enabled": False}}}},
    "sqlite-existing-claim": {"ledger": {"sqlite": {"persistence": {"existingClaim": "mine"}}}},
}


@pytest.mark.parametrize("name", COMBINATIONS)
def test_chart_renders_objects_that_satisfy_the_schemas(name: str) -> None:
    manifests = helm_template(COMBINATIONS[name])
    assert of_kind(manifests, "Deployment")
    for manifest in manifests:
        assert_valid(manifest)
        if manifest["kind"] not in {"ClusterRole", "ClusterRoleBinding"}:
            assert manifest["metadata"]["namespace"] == "roost-system", manifest["kind"]
    names = [e["name"] for e in container(one(manifests, "Deployment"))["env"]]
    assert len(names) == len(set(names)), "an environment variable is set twice"


def test_chart_crds_are_the_generated_ones_and_valid() -> None:
    fresh = crdgen.render_files()
    with helm_python.Chart.load(CHART) as chart:
        crds = {entry["name"].removeprefix("crds/"): entry["data"] for entry in chart.crds}
    assert crds == fresh
    for text in crds.values():
        assert_valid(yaml.safe_load(text))


def test_chart_passes_helm_lint_strictly() -> None:
    report = helm_python.lint(CHART, strict=True, kube_version="v1.30.0")
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_chart_metadata_follows_the_project() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "roost"
    assert chart["appVersion"] == PYPROJECT["project"]["version"]


def test_defaults_run_one_replica_recreated_with_the_ledger_on_a_kept_claim() -> None:
    manifests = helm_template()
    deployment = one(manifests, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    claim = one(manifests, "PersistentVolumeClaim")
    assert claim["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    assert {"name": "ledger", "persistentVolumeClaim": {"claimName": "roost-ledger"}} in volumes
    mounts = {m["name"]: m["mountPath"] for m in container(deployment)["volumeMounts"]}
    assert mounts["ledger"] == "/var/lib/roost"
    env = env_of(deployment)
    assert env["ROOST_LEDGER"]["value"] == "/var/lib/roost/ledger.db"
    assert env["ROOST_ENABLE_LEADER_ELECTION"]["value"] == "false"
    assert "ROOST_NAMESPACE" not in env
    assert container(deployment)["image"] == f"roost:{PYPROJECT['project']['version']}"
    assert one(manifests, "ClusterRoleBinding")["subjects"] == [
        {"kind": "ServiceAccount", "name": "roost", "namespace": "roost-system"}
    ]
    assert not of_kind(manifests, "Secret")


def test_defaults_match_the_kustomize_base_pod() -> None:
    ours = container(one(helm_template(), "Deployment"))
    theirs = container(one(kustomize("base"), "Deployment"))
    for field in ("args", "ports", "livenessProbe", "readinessProbe", "securityContext"):
        assert ours[field] == theirs[field], field


def test_leader_election_with_postgres_rolls_several_replicas_without_a_volume() -> None:
    manifests = helm_template(COMBINATIONS["postgres-leader-election"])
    deployment = one(manifests, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    assert not of_kind(manifests, "PersistentVolumeClaim")
    assert [v["name"] for v in deployment["spec"]["template"]["spec"]["volumes"]] == ["tmp"]
    env = env_of(deployment)
    assert env["ROOST_LEDGER"]["valueFrom"] == {"secretKeyRef": {"name": "roost-db", "key": "url"}}
    assert env["ROOST_ENABLE_LEADER_ELECTION"]["value"] == "true"
    assert env["ROOST_LEADER_ELECTION_NAMESPACE"]["value"] == "roost-system"
    assert one(manifests, "PodDisruptionBudget")["spec"]["minAvailable"] == 1


def test_namespaced_rbac_is_a_role_and_confines_the_watch() -> None:
    manifests = helm_template(COMBINATIONS["namespaced-rbac"])
    assert not of_kind(manifests, "ClusterRole") and not of_kind(manifests, "ClusterRoleBinding")
    role, binding = one(manifests, "Role"), one(manifests, "RoleBinding")
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == "roost-system"
    assert binding["roleRef"]["kind"] == "Role"
    assert env_of(one(manifests, "Deployment"))["ROOST_NAMESPACE"]["value"] == "roost-system"


def test_rbac_disabled_uses_the_named_account_and_grants_nothing() -> None:
    manifests = helm_template(COMBINATIONS["rbac-disabled"])
    kinds = {m["kind"] for m in manifests}
    assert not kinds & {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
    assert "ServiceAccount" not in kinds
    pod = one(manifests, "Deployment")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "roost-operator"


def test_every_value_reaches_the_operator_and_urls_stay_out_of_the_pod_spec() -> None:
    manifests = helm_template(COMBINATIONS["everything-set"])
    deployment = one(manifests, "Deployment")
    env = env_of(deployment)
    plain = {name: e["value"] for name, e in env.items() if "value" in e}
    assert plain == {
        "ROOST_LEDGER": "/var/lib/roost/ledger.db",
        "ROOST_NAMESPACE": "apps",
        "ROOST_MESH_PROVIDER": "istio",
        "ROOST_METRICS_SERVER": "http://prometheus.istio-system:9090",
        "ROOST_SELECTOR_LABELS": "app,name",
        "ROOST_INCLUDE_LABEL_PREFIX": "app.kubernetes.io,team",
        "ROOST_ENABLE_CONFIG_TRACKING": "false",
        "ROOST_SLACK_CHANNEL": "deploys",
        "ROOST_SLACK_USER": "roost",
        "ROOST_CLUSTER_NAME": "prod-eu",
        "ROOST_NO_CROSS_NAMESPACE_REFS": "true",
        "ROOST_ENABLE_LEADER_ELECTION": "false",
        "ROOST_LOG_LEVEL": "info",
        "ROOST_PORT": "8080",
        "TZ": "UTC",
    }
    secret = one(manifests, "Secret")
    from_secret = {
        name: e["valueFrom"]["secretKeyRef"] for name, e in env.items() if "valueFrom" in e
    }
    assert from_secret == {
        "ROOST_SLACK_URL": {"name": secret["metadata"]["name"], "key": "slack-url"},
        "ROOST_MSTEAMS_URL": {"name": secret["metadata"]["name"], "key": "msteams-url"},
        "ROOST_EVENT_WEBHOOK": {"name": secret["metadata"]["name"], "key": "event-webhook"},
    }
    assert SLACK_URL not in yaml.safe_dump(deployment)
    assert set(secret["data"]) == {"slack-url", "msteams-url", "event-webhook"}
    pod = deployment["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["tolerations"][0]["key"] == "dedicated"
    assert "nodeAffinity" in pod["affinity"]
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert container(deployment)["image"] == "registry.example/roost:9.9.9"
    claim = one(manifests, "PersistentVolumeClaim")["spec"]
    assert claim["storageClassName"] == "fast"
    assert claim["resources"]["requests"]["storage"] == "5Gi"


def test_sqlite_without_persistence_or_with_an_existing_claim() -> None:
    bare = helm_template(COMBINATIONS["sqlite-without-persistence"])
    assert not of_kind(bare, "PersistentVolumeClaim")
    volumes = one(bare, "Deployment")["spec"]["template"]["spec"]["volumes"]
    assert {"name": "ledger", "emptyDir": {}} in volumes
    theirs = helm_template(COMBINATIONS["sqlite-existing-claim"])
    assert not of_kind(theirs, "PersistentVolumeClaim")
    volumes = one(theirs, "Deployment")["spec"]["template"]["spec"]["volumes"]
    assert {"name": "ledger", "persistentVolumeClaim": {"claimName": "mine"}} in volumes


@pytest.mark.parametrize("name", COMBINATIONS)
def test_operator_is_configured_only_through_its_settings(name: str) -> None:
    assert_run_reads(set(env_of(one(helm_template(COMBINATIONS[name]), "Deployment"))))


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (
            {"leaderElection": {"enabled": True, "replicaCount": 2}},
            "several replicas need ledger.type postgres",
        ),
        ({"leaderElection": {"replicaCount": 2}}, "needs leaderElection.enabled"),
        ({"leaderElection": {"replicaCount": 0}}, "must be at least 1"),
        ({"ledger": {"type": "postgres"}}, "needs ledger.postgres.existingSecret"),
        ({"ledger": {"type": "mysql"}}, 'must be sqlite or postgres, not "mysql"'),
        (
            {"rbac": {"namespaced": True}, "namespace": "elsewhere"},
            "namespace must be empty or the release namespace",
        ),
    ],
)
def test_values_that_cannot_work_are_refused(values: dict[str, Any], reason: str) -> None:
    with pytest.raises(helm_python.HelmRenderError, match=reason):
        helm_template(values)


def test_notes_say_where_the_ledger_is() -> None:
    assert "on the claim roost-ledger (kept on uninstall)" in helm_notes()
    notes = helm_notes(COMBINATIONS["postgres-leader-election"])
    assert "in PostgreSQL, at the URL in Secret roost-db (key url)" in notes
    assert "2 replicas elect a leader" in notes
