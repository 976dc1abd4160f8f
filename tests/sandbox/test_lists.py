"""Lists: typed list kinds, paging on a consistent snapshot, historical reads and 410 Gone."""

from __future__ import annotations

import kubernetes.client
import pytest
from kubernetes.client import ApiException

from tests.fixtures.apiserver import ApiServerHandle


def _names(listed: kubernetes.client.V1ConfigMapList) -> list[str]:
    return [item.metadata.name for item in listed.items]


@pytest.fixture
def five(core: kubernetes.client.CoreV1Api) -> str:
    for name in "abcde":
        core.create_namespaced_config_map("default", {"metadata": {"name": name}})
    listed: str = core.list_namespaced_config_map("default").metadata.resource_version
    return listed


def test_a_list_carries_kind_api_version_and_the_current_version(
    core: kubernetes.client.CoreV1Api, five: str
) -> None:
    listed = core.list_namespaced_config_map("default")
    assert (listed.kind, listed.api_version) == ("ConfigMapList", "v1")
    assert _names(listed) == list("abcde")
    newer = core.create_namespaced_config_map("default", {"metadata": {"name": "f"}})
    assert int(newer.metadata.resource_version) > int(five)


def test_paging_reads_one_snapshot(core: kubernetes.client.CoreV1Api, five: str) -> None:
    first = core.list_namespaced_config_map("default", limit=2)
    assert _names(first) == ["a", "b"]
    assert first.metadata.remaining_item_count == 3
    core.create_namespaced_config_map("default", {"metadata": {"name": "bb"}})  # after the snapshot
    core.delete_namespaced_config_map("d", "default")
    second = core.list_namespaced_config_map("default", limit=2, _continue=first.metadata._continue)
    third = core.list_namespaced_config_map("default", limit=2, _continue=second.metadata._continue)
    assert _names(second) + _names(third) == ["c", "d", "e"]
    assert third.metadata._continue is None
    assert second.metadata.resource_version == first.metadata.resource_version


def test_a_continue_token_older_than_the_compaction_is_410(
    apiserver: ApiServerHandle, core: kubernetes.client.CoreV1Api, five: str
) -> None:
    first = core.list_namespaced_config_map("default", limit=2)
    core.create_namespaced_config_map("default", {"metadata": {"name": "zz"}})
    apiserver.compact()
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_config_map("default", limit=2, _continue=first.metadata._continue)
    assert caught.value.status == 410


def test_an_exact_list_shows_the_past(core: kubernetes.client.CoreV1Api, five: str) -> None:
    core.delete_namespaced_config_map("a", "default")
    core.patch_namespaced_config_map("b", "default", {"data": {"k": "v"}})
    past = core.list_namespaced_config_map(
        "default", resource_version=five, resource_version_match="Exact"
    )
    assert _names(past) == list("abcde")
    assert past.items[1].data is None
    assert past.metadata.resource_version == five


def test_lists_from_a_compacted_or_future_version_fail(
    apiserver: ApiServerHandle, core: kubernetes.client.CoreV1Api, five: str
) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "late"}})
    apiserver.compact()
    with pytest.raises(ApiException) as gone:
        core.list_namespaced_config_map(
            "default", resource_version=five, resource_version_match="Exact"
        )
    assert gone.value.status == 410
    with pytest.raises(ApiException) as future:
        core.list_namespaced_config_map("default", resource_version=str(int(five) + 100))
    assert future.value.status == 504
    served = core.list_namespaced_config_map("default", resource_version="0")
    assert "late" in _names(served)


def test_cluster_wide_lists_span_namespaces(core: kubernetes.client.CoreV1Api) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "x"}})
    core.create_namespaced_config_map("kube-system", {"metadata": {"name": "x"}})
    listed = core.list_config_map_for_all_namespaces()
    assert [(i.metadata.namespace, i.metadata.name) for i in listed.items] == [
        ("default", "x"),
        ("kube-system", "x"),
    ]
    namespaces = [n.metadata.name for n in core.list_namespace().items]
    assert namespaces == ["default", "kube-node-lease", "kube-public", "kube-system"]
