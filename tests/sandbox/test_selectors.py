"""Label and field selectors filter lists the way kube-apiserver does."""

from __future__ import annotations

import kubernetes.client
import pytest
from kubernetes.client import ApiException

LABELS = {
    "a": {"app": "web", "tier": "front"},
    "b": {"app": "web", "tier": "back"},
    "c": {"app": "db"},
    "d": {},
}


@pytest.fixture(autouse=True)
def config_maps(core: kubernetes.client.CoreV1Api) -> None:
    for name, labels in LABELS.items():
        core.create_namespaced_config_map("default", {"metadata": {"name": name, "labels": labels}})
    core.create_namespaced_config_map("kube-system", {"metadata": {"name": "a"}})


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["a", "b"]),
        ("app==web", ["a", "b"]),
        ("app!=web", ["c", "d"]),
        ("tier in (front, back)", ["a", "b"]),
        ("tier notin (front)", ["b", "c", "d"]),
        ("tier", ["a", "b"]),
        ("!tier", ["c", "d"]),
        ("app=web,tier=back", ["b"]),
        ("app in (web,db),!tier", ["c"]),
        ("", ["a", "b", "c", "d"]),
    ],
)
def test_label_selectors(
    core: kubernetes.client.CoreV1Api, selector: str, expected: list[str]
) -> None:
    listed = core.list_namespaced_config_map("default", label_selector=selector)
    assert [item.metadata.name for item in listed.items] == expected


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("metadata.name=b", [("default", "b")]),
        ("metadata.name!=b,metadata.namespace=default", [("default", n) for n in "acd"]),
        ("metadata.namespace=kube-system", [("kube-system", "a")]),
        ("metadata.name==a", [("default", "a"), ("kube-system", "a")]),
    ],
)
def test_field_selectors(
    core: kubernetes.client.CoreV1Api, selector: str, expected: list[tuple[str, str]]
) -> None:
    listed = core.list_config_map_for_all_namespaces(field_selector=selector)
    assert [(i.metadata.namespace, i.metadata.name) for i in listed.items] == expected


@pytest.mark.parametrize(
    ("label_selector", "field_selector"),
    [("app in (web", None), ("app=web=x", None), (None, "spec.data=x")],
)
def test_bad_selectors_are_400(
    core: kubernetes.client.CoreV1Api, label_selector: str | None, field_selector: str | None
) -> None:
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_config_map(
            "default", label_selector=label_selector, field_selector=field_selector
        )
    assert caught.value.status == 400
