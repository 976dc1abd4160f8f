"""Least privilege: the roles Roost ships grant no wildcard, cover every kind the operator reads
or writes (effects.kubeapi's table and Flagger's three CRDs) with the verbs it uses, grant the
rest nothing, and say the same thing in every install (kustomize, namespaced, Helm chart)."""

from __future__ import annotations

import pytest

from controller import crdgen
from effects import kubeapi
from tests.deploy.conftest import (
    Manifest,
    helm_template,
    kustomize,
    one,
    rules_as_triples,
)

WATCHED = {
    (crdgen.GROUP, "canaries"),
    (crdgen.GROUP, "metrictemplates"),
    (crdgen.GROUP, "alertproviders"),
    ("apps", "deployments"),
    ("apps", "daemonsets"),
    ("", "configmaps"),
    ("", "secrets"),
    ("autoscaling", "horizontalpodautoscalers"),
    ("keda.sh", "scaledobjects"),
    ("serving.knative.dev", "services"),
}
"""What ``roost run`` watches: Flagger's kinds, targets, their ConfigMaps/Secrets, autoscalers."""

CREATED = frozenset({"get", "create", "patch"})
"""What Roost needs on a kind it writes: GET, then POST when missing or PATCH when different."""

NEEDS = {
    (crdgen.GROUP, "canaries"): {"get", "list", "watch", "patch"},
    (crdgen.GROUP, "metrictemplates"): {"get", "list", "watch"},
    (crdgen.GROUP, "alertproviders"): {"get", "list", "watch"},
    ("", "events"): {"create"},
    ("coordination.k8s.io", "leases"): {"get", "create", "update"},
    ("serving.knative.dev", "services"): {"get", "patch"},  # the user's target, never created
    ("serving.knative.dev", "revisions"): {"get"},
}
"""Kinds effects.kubeapi addresses that Roost does not simply create and patch."""

DELETED = {("networking.k8s.io", "ingresses"), ("metrics.keptn.sh", "analyses")}


def cluster_roles() -> dict[str, Manifest]:
    return {
        "kustomize": one(kustomize("base"), "ClusterRole"),
        "chart": one(helm_template(), "ClusterRole"),
    }


def namespaced_roles() -> dict[str, Manifest]:
    return {
        "kustomize": one(kustomize("namespaced"), "Role"),
        "chart": one(helm_template({"rbac": {"namespaced": True}}), "Role"),
    }


def grants(role: Manifest, group: str, resource: str) -> set[str]:
    return {v for g, r, v in rules_as_triples(role) if (g, r) == (group, resource)}


def all_roles() -> list[tuple[str, Manifest]]:
    found = [(f"cluster-{k}", v) for k, v in cluster_roles().items()]
    return found + [(f"namespaced-{k}", v) for k, v in namespaced_roles().items()]


def test_no_role_grants_a_wildcard_or_anything_but_resources() -> None:
    for name, role in all_roles():
        for rule in role["rules"]:
            assert set(rule) == {"apiGroups", "resources", "verbs"}, (name, rule)
            for field in ("apiGroups", "resources", "verbs"):
                assert rule[field], (name, rule)
                assert not [v for v in rule[field] if "*" in v], (name, rule)


def test_cluster_role_covers_every_kind_the_effects_layer_addresses() -> None:
    role = cluster_roles()["kustomize"]
    for (group, kind), (plural, _) in kubeapi._RESOURCES.items():
        verbs = grants(role, group, plural)
        wanted = NEEDS.get((group, plural), CREATED)
        assert wanted <= verbs, f"{kind}.{group or 'core'}: missing {sorted(wanted - verbs)}"


def test_cluster_role_covers_flaggers_resources() -> None:
    role = cluster_roles()["kustomize"]
    for crd in crdgen.CRDS:
        assert {"get", "list", "watch"} <= grants(role, crdgen.GROUP, crd.plural), crd.kind
    assert grants(role, crdgen.GROUP, "canaries/status") == {"get", "patch"}
    # owner references with blockOwnerDeletion to a Canary need update on its finalizers
    assert grants(role, crdgen.GROUP, "canaries/finalizers") == {"update"}
    assert "patch" in grants(role, crdgen.GROUP, "canaries")  # Roost's own finalizer


def test_list_watch_and_delete_only_where_the_operator_needs_them() -> None:
    role = cluster_roles()["kustomize"]
    for group, resource, verb in rules_as_triples(role):
        if verb in {"list", "watch"}:
            assert (group, resource) in WATCHED, (group, resource, verb)
        if verb in {"delete", "deletecollection"}:
            assert (group, resource) in DELETED, (group, resource, verb)
    for group, resource in WATCHED:
        assert {"get", "list", "watch"} <= grants(role, group, resource), (group, resource)


def test_secrets_are_read_and_copied_never_deleted() -> None:
    role = cluster_roles()["kustomize"]
    assert grants(role, "", "secrets") == {"get", "list", "watch", "create", "patch"}
    assert grants(role, "", "configmaps") == {"get", "list", "watch", "create", "patch"}


def test_events_and_the_leader_lease() -> None:
    role = cluster_roles()["kustomize"]
    assert grants(role, "", "events") == {"create", "patch"}
    assert grants(role, "coordination.k8s.io", "leases") == {"get", "create", "update", "patch"}


@pytest.mark.parametrize("source", ["kustomize", "chart"])
def test_namespaced_role_is_the_cluster_role_less_cluster_scoped_kinds(source: str) -> None:
    cluster_scoped = {
        (group, plural)
        for (group, _), (plural, namespaced) in kubeapi._RESOURCES.items()
        if not namespaced
    }
    assert cluster_scoped  # Kuma's TrafficRoutes
    expected = {
        (g, r, v)
        for g, r, v in rules_as_triples(cluster_roles()[source])
        if (g, r) not in cluster_scoped
    }
    assert rules_as_triples(namespaced_roles()[source]) == expected


def test_chart_grants_what_kustomize_grants() -> None:
    roles = cluster_roles()
    assert rules_as_triples(roles["chart"]) == rules_as_triples(roles["kustomize"])
