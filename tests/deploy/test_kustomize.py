"""The kustomizations under deploy/kustomize: each renders with ``kubectl kustomize``, every
object it renders satisfies the Kubernetes schemas, and each install has the shape it promises."""

from __future__ import annotations

import pytest

from controller import crdgen
from tests.deploy.conftest import (
    KUSTOMIZE,
    OPERATOR_SETTINGS,
    PYPROJECT,
    assert_valid,
    command_options,
    container,
    env_of,
    kustomize,
    of_kind,
    one,
)

OVERLAYS = ("base", "namespaced", "ha", "loadtester", "crds")
OPERATOR_INSTALLS = ("base", "namespaced", "ha")
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_objects_that_satisfy_the_schemas(overlay: str) -> None:
    manifests = kustomize(overlay)
    assert manifests
    keys = [(m["kind"], m["metadata"].get("namespace"), m["metadata"]["name"]) for m in manifests]
    assert len(keys) == len(set(keys)), "an object is rendered twice"
    for manifest in manifests:
        assert_valid(manifest)


@pytest.mark.parametrize("copy", ["kustomize/crds", "chart/roost/crds"])
def test_crd_copies_match_a_fresh_generation(copy: str) -> None:
    folder = KUSTOMIZE.parent / copy
    fresh = crdgen.render_files()
    assert sorted(p.name for p in folder.glob("*.yaml") if p.name != "kustomization.yaml") == (
        sorted(fresh)
    )
    for name, text in fresh.items():
        assert (folder / name).read_text(encoding="utf-8") == text, (
            f"deploy/{copy}/{name} is stale: run `make crds`"
        )


def test_base_installs_the_crds_and_cluster_wide_rbac_in_roost_system() -> None:
    manifests = kustomize("base")
    crds = {m["metadata"]["name"] for m in of_kind(manifests, "CustomResourceDefinition")}
    assert crds == {f"{crd.plural}.{crdgen.GROUP}" for crd in crdgen.CRDS}
    assert one(manifests, "Namespace")["metadata"]["name"] == "roost-system"
    for manifest in manifests:
        if manifest["kind"] not in CLUSTER_SCOPED:
            assert manifest["metadata"]["namespace"] == "roost-system", manifest["kind"]
    binding = one(manifests, "ClusterRoleBinding")
    assert binding["roleRef"]["name"] == one(manifests, "ClusterRole")["metadata"]["name"]
    account = one(manifests, "ServiceAccount")["metadata"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["name"], "namespace": account["namespace"]}
    ]


def test_base_runs_one_replica_recreated_with_the_sqlite_ledger_on_a_claim() -> None:
    manifests = kustomize("base")
    deployment = one(manifests, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    pod = deployment["spec"]["template"]["spec"]
    claim = one(manifests, "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    ledger_volume = next(
        name
        for name, v in volumes.items()
        if v.get("persistentVolumeClaim", {}).get("claimName") == claim["metadata"]["name"]
    )
    mounts = {m["name"]: m["mountPath"] for m in container(deployment)["volumeMounts"]}
    assert mounts[ledger_volume] == "/var/lib/roost"
    assert env_of(deployment)["ROOST_LEDGER"]["value"].startswith("/var/lib/roost/")
    assert "ROOST_ENABLE_LEADER_ELECTION" not in env_of(deployment)


@pytest.mark.parametrize("overlay", OPERATOR_INSTALLS)
def test_operator_pod_is_locked_down_probed_and_scraped(overlay: str) -> None:
    manifests = kustomize(overlay)
    deployment = one(manifests, "Deployment")
    template = deployment["spec"]["template"]
    pod, box = template["spec"], container(deployment)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert box["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert box["args"] == ["run"]
    ports = {p["name"]: p["containerPort"] for p in box["ports"]}
    assert box["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert box["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert env_of(deployment)["ROOST_PORT"]["value"] == str(ports["http"])
    notes = template["metadata"]["annotations"]
    assert notes["prometheus.io/scrape"] == "true"
    assert notes["prometheus.io/port"] == str(ports["http"])
    assert notes["prometheus.io/path"] == "/metrics"
    service = one(manifests, "Service")
    assert service["spec"]["selector"].items() <= template["metadata"]["labels"].items()
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    assert deployment["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    accounts = {m["metadata"]["name"] for m in of_kind(manifests, "ServiceAccount")}
    assert pod["serviceAccountName"] in accounts


def test_ha_elects_a_leader_among_two_replicas_with_the_ledger_in_postgres() -> None:
    manifests = kustomize("ha")
    deployment = one(manifests, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert not of_kind(manifests, "PersistentVolumeClaim")
    pod = deployment["spec"]["template"]["spec"]
    assert not [v for v in pod["volumes"] if "persistentVolumeClaim" in v]
    assert "/var/lib/roost" not in {m["mountPath"] for m in container(deployment)["volumeMounts"]}
    env = env_of(deployment)
    assert env["ROOST_LEDGER"] == {
        "name": "ROOST_LEDGER",
        "valueFrom": {"secretKeyRef": {"name": "roost-ledger", "key": "url"}},
    }
    assert env["ROOST_ENABLE_LEADER_ELECTION"]["value"] == "true"
    assert env["ROOST_LEADER_ELECTION_NAMESPACE"]["valueFrom"] == {
        "fieldRef": {"fieldPath": "metadata.namespace"}
    }
    budget = one(manifests, "PodDisruptionBudget")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_namespaced_creates_nothing_cluster_scoped_and_watches_its_own_namespace() -> None:
    manifests = kustomize("namespaced")
    assert not [m["kind"] for m in manifests if m["kind"] in CLUSTER_SCOPED]
    namespaces = {m["metadata"]["namespace"] for m in manifests}
    assert len(namespaces) == 1
    binding = one(manifests, "RoleBinding")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": one(manifests, "Role")["metadata"]["name"],
    }
    account = one(manifests, "ServiceAccount")["metadata"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["name"], "namespace": account["namespace"]}
    ]
    watched = env_of(one(manifests, "Deployment"))["ROOST_NAMESPACE"]
    assert watched["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}


def test_loadtester_serves_flagger_loadtester_urls_with_its_own_flags() -> None:
    manifests = kustomize("loadtester")
    deployment, service = one(manifests, "Deployment"), one(manifests, "Service")
    assert deployment["metadata"]["name"] == service["metadata"]["name"] == "flagger-loadtester"
    box = container(deployment)
    command, *flags = box["args"]
    assert command == "loadtester"
    options = command_options("loadtester")
    assert options is not None
    given = dict(flag.split("=", 1) for flag in flags)
    assert set(given) <= set(options), set(given) - set(options)
    ports = {p["name"]: p["containerPort"] for p in box["ports"]}
    assert given["--port"] == str(ports["http"])
    assert box["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    mounts = {m["mountPath"] for m in box["volumeMounts"]}
    assert given["--gate-db"].rsplit("/", 1)[0] in mounts
    assert box["securityContext"]["readOnlyRootFilesystem"] is True
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()


@pytest.mark.parametrize("overlay", ("base", "namespaced", "ha", "loadtester"))
def test_images_carry_the_project_version(overlay: str) -> None:
    version = PYPROJECT["project"]["version"]
    for deployment in of_kind(kustomize(overlay), "Deployment"):
        assert container(deployment)["image"] == f"roost:{version}"


@pytest.mark.parametrize("overlay", OPERATOR_INSTALLS)
def test_operator_is_configured_only_through_its_settings(overlay: str) -> None:
    names = [e["name"] for e in container(one(kustomize(overlay), "Deployment"))["env"]]
    assert len(names) == len(set(names)), "an environment variable is set twice"
    assert_run_reads(set(names))


def assert_run_reads(names: set[str]) -> None:
    """Every ROOST_* variable set is a setting of ``roost run`` (issue 8's list) and one the
    command really reads."""
    ours = {name for name in names if name.startswith("ROOST_")}
    assert ours <= OPERATOR_SETTINGS, sorted(ours - OPERATOR_SETTINGS)
    options = command_options("run")
    assert options is not None, "`roost run` is not registered"
    read = {v for v in options.values() if v}
    assert ours <= read, f"`roost run` does not read {sorted(ours - read)}"
