"""Discovery serves every group an operator touches, and CRDs add and remove resources."""

from __future__ import annotations

from typing import Any

import kubernetes.client
import pytest
from kubernetes.client import ApiException

from tests.fixtures.apiserver import ApiServerHandle

CRDS = ("apiextensions.k8s.io", "v1", "customresourcedefinitions")


def _get(client: kubernetes.client.ApiClient, path: str) -> Any:
    response: Any = client.call_api("GET", client.configuration.host + path)
    response.read()
    import json

    return json.loads(response.data)


@pytest.mark.parametrize(
    ("group_version", "resources"),
    [
        ("v1", {"events", "namespaces", "services", "configmaps", "secrets", "pods"}),
        (
            "apps/v1",
            {
                "deployments",
                "deployments/status",
                "deployments/scale",
                "daemonsets",
                "statefulsets/scale",
            },
        ),
        ("autoscaling/v2", {"horizontalpodautoscalers", "horizontalpodautoscalers/status"}),
        ("networking.k8s.io/v1", {"ingresses"}),
        ("coordination.k8s.io/v1", {"leases"}),
        ("events.k8s.io/v1", {"events"}),
        ("apiextensions.k8s.io/v1", {"customresourcedefinitions"}),
        (
            "flagger.app/v1beta1",
            {
                "canaries",
                "canaries/status",
                "metrictemplates",
                "metrictemplates/status",
                "alertproviders",
                "alertproviders/status",
            },
        ),
        ("networking.istio.io/v1beta1", {"virtualservices", "destinationrules"}),
        ("networking.istio.io/v1alpha3", {"virtualservices", "destinationrules"}),
        ("split.smi-spec.io/v1alpha1", {"trafficsplits"}),
        ("split.smi-spec.io/v1alpha2", {"trafficsplits"}),
        ("split.smi-spec.io/v1alpha3", {"trafficsplits"}),
        ("gateway.networking.k8s.io/v1", {"httproutes"}),
        ("gateway.networking.k8s.io/v1beta1", {"httproutes"}),
        ("projectcontour.io/v1", {"httpproxies"}),
        ("traefik.io/v1alpha1", {"traefikservices"}),
        ("traefik.containo.us/v1alpha1", {"traefikservices"}),
        ("gateway.solo.io/v1", {"routetables"}),
        ("gloo.solo.io/v1", {"upstreams"}),
        ("apisix.apache.org/v2", {"apisixroutes"}),
        ("appmesh.k8s.aws/v1beta2", {"virtualnodes", "virtualrouters", "virtualservices"}),
        ("kuma.io/v1alpha1", {"trafficroutes"}),
        ("serving.knative.dev/v1", {"services", "revisions"}),
        ("keda.sh/v1alpha1", {"scaledobjects"}),
    ],
)
def test_group_versions_are_discoverable(
    client: kubernetes.client.ApiClient, group_version: str, resources: set[str]
) -> None:
    path = f"/api/{group_version}" if group_version == "v1" else f"/apis/{group_version}"
    listed = _get(client, path)
    assert listed["kind"] == "APIResourceList"
    assert listed["groupVersion"] == group_version
    assert resources <= {r["name"] for r in listed["resources"]}


def test_the_scale_subresource_is_advertised_as_autoscaling_scale(
    client: kubernetes.client.ApiClient,
) -> None:
    [scale] = [
        r for r in _get(client, "/apis/apps/v1")["resources"] if r["name"] == "deployments/scale"
    ]
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")


def test_preferred_versions_follow_kubernetes_version_order(
    client: kubernetes.client.ApiClient,
) -> None:
    groups = {g["name"]: g for g in _get(client, "/apis")["groups"]}
    preferred = {name: g["preferredVersion"]["version"] for name, g in groups.items()}
    assert preferred["autoscaling"] == "v2"
    assert preferred["gateway.networking.k8s.io"] == "v1"
    assert preferred["split.smi-spec.io"] == "v1alpha3"
    assert preferred["networking.istio.io"] == "v1"
    assert [v["version"] for v in groups["split.smi-spec.io"]["versions"]] == [
        "v1alpha3",
        "v1alpha2",
        "v1alpha1",
    ]
    version = kubernetes.client.VersionApi(client).get_code()
    assert version.major == "1"


def test_one_resource_served_in_two_versions_is_one_set_of_objects(
    custom: kubernetes.client.CustomObjectsApi,
) -> None:
    custom.create_namespaced_custom_object(
        "gateway.networking.k8s.io",
        "v1beta1",
        "default",
        "httproutes",
        {"metadata": {"name": "web"}, "spec": {"hostnames": ["web.example"]}},
    )
    read = custom.get_namespaced_custom_object(
        "gateway.networking.k8s.io", "v1", "default", "httproutes", "web"
    )
    assert read["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert read["spec"]["hostnames"] == ["web.example"]


def test_kuma_traffic_routes_are_cluster_scoped(
    custom: kubernetes.client.CustomObjectsApi,
) -> None:
    route = custom.create_cluster_custom_object(
        "kuma.io", "v1alpha1", "trafficroutes", {"metadata": {"name": "web"}, "spec": {}}
    )
    assert "namespace" not in route["metadata"]


def _crd(group: str = "example.com", plural: str = "widgets") -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {
                "plural": plural,
                "singular": "widget",
                "kind": "Widget",
                "shortNames": ["wd"],
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                    "subresources": {"status": {}},
                },
                {
                    "name": "v1alpha1",
                    "served": True,
                    "storage": False,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                },
            ],
        },
    }


def test_a_crd_is_established_and_served_until_deleted(
    apiserver: ApiServerHandle,
    client: kubernetes.client.ApiClient,
    custom: kubernetes.client.CustomObjectsApi,
) -> None:
    custom.create_cluster_custom_object(*CRDS, _crd())
    crd = kubernetes.client.ApiextensionsV1Api(client).read_custom_resource_definition(
        "widgets.example.com"
    )
    conditions = {c.type: c.status for c in crd.status.conditions}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    assert crd.status.accepted_names.kind == "Widget"
    assert crd.status.stored_versions == ["v1"]
    widgets = ("example.com", "v1", "default", "widgets")
    custom.create_namespaced_custom_object(*widgets, {"metadata": {"name": "w"}})
    assert _get(client, "/apis/example.com")["preferredVersion"]["version"] == "v1"
    custom.delete_cluster_custom_object(*CRDS, "widgets.example.com")
    with pytest.raises(ApiException) as caught:
        custom.list_namespaced_custom_object(*widgets)
    assert caught.value.status == 404
    deleted = [e.key[3] for e in apiserver.store.events() if e.type == "DELETED"]
    assert deleted[-2:] == ["widgets.example.com", "w"]  # the widget went with its CRD


def test_a_crd_must_be_named_after_its_plural_and_group(
    custom: kubernetes.client.CustomObjectsApi,
) -> None:
    crd = _crd()
    crd["metadata"]["name"] = "widgets.example.org"
    with pytest.raises(ApiException) as caught:
        custom.create_cluster_custom_object(*CRDS, crd)
    assert caught.value.status == 422
