"""Watches resume from a version, bookmark, time out, expire with 410, and can be dropped.

Every watch here passes ``timeout_seconds``, so each stream ends by itself and a broken double
fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import kubernetes.client
import kubernetes.watch
import pytest
from kubernetes.client import ApiException

from tests.fixtures.apiserver import ApiServerHandle


def _events(lister: Any, *args: Any, **kwargs: Any) -> list[tuple[str, str, str]]:
    """(type, name, resourceVersion) of every event until the watch times out."""
    watch = kubernetes.watch.Watch()
    found = []
    for event in watch.stream(lister, *args, timeout_seconds=1, **kwargs):
        meta = event["raw_object"]["metadata"]
        found.append((event["type"], meta.get("name", ""), meta["resourceVersion"]))
    return found


def test_a_watch_from_a_version_sees_only_later_changes(
    core: kubernetes.client.CoreV1Api,
) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "before"}})
    listed = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_config_map("default", {"metadata": {"name": "after"}})
    core.patch_namespaced_config_map("after", "default", {"data": {"k": "v"}})
    core.delete_namespaced_config_map("before", "default")
    events = _events(core.list_namespaced_config_map, "default", resource_version=listed)
    assert [(kind, name) for kind, name, _ in events] == [
        ("ADDED", "after"),
        ("MODIFIED", "after"),
        ("DELETED", "before"),
    ]
    versions = [int(rv) for _, _, rv in events]
    assert versions == sorted(versions) and versions[0] > int(listed)


def test_a_watch_without_a_version_starts_with_the_current_state(
    core: kubernetes.client.CoreV1Api,
) -> None:
    for name in ("a", "b"):
        core.create_namespaced_config_map("default", {"metadata": {"name": name}})
    core.create_namespaced_config_map("kube-system", {"metadata": {"name": "other"}})
    events = _events(core.list_namespaced_config_map, "default")
    assert [(kind, name) for kind, name, _ in events] == [("ADDED", "a"), ("ADDED", "b")]


def test_bookmarks_carry_the_current_version(
    core: kubernetes.client.CoreV1Api, apps: kubernetes.client.AppsV1Api
) -> None:
    listed = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespace({"metadata": {"name": "elsewhere"}})  # moves the global version
    current = core.read_namespace("elsewhere").metadata.resource_version
    events = _events(
        core.list_namespaced_config_map,
        "default",
        resource_version=listed,
        allow_watch_bookmarks=True,
    )
    assert events == [("BOOKMARK", "", current)]
    assert _events(core.list_namespaced_config_map, "default", resource_version=listed) == []


def test_a_compacted_version_expires_with_410(
    apiserver: ApiServerHandle, core: kubernetes.client.CoreV1Api, client: Any
) -> None:
    listed = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    apiserver.compact()
    with pytest.raises(ApiException) as caught:
        _events(core.list_namespaced_config_map, "default", resource_version=listed)
    assert caught.value.status == 410
    # What goes over the wire: 200, then one ERROR event holding a 410 Status.
    raw = core.list_namespaced_config_map(
        "default",
        watch=True,
        resource_version=listed,
        timeout_seconds=1,
        _preload_content=False,
    )
    assert raw.status == 200
    [line] = [json.loads(line) for line in raw.data.decode().splitlines() if line]
    assert line["type"] == "ERROR"
    assert (line["object"]["kind"], line["object"]["code"]) == ("Status", 410)
    assert line["object"]["reason"] == "Expired"


def test_selectors_turn_label_changes_into_added_and_deleted(
    core: kubernetes.client.CoreV1Api,
) -> None:
    core.create_namespaced_config_map(
        "default", {"metadata": {"name": "c", "labels": {"app": "web"}}}
    )
    listed = core.list_namespaced_config_map("default").metadata.resource_version
    core.patch_namespaced_config_map("c", "default", {"metadata": {"labels": {"app": "db"}}})
    core.patch_namespaced_config_map("c", "default", {"data": {"ignored": "yes"}})
    core.patch_namespaced_config_map("c", "default", {"metadata": {"labels": {"app": "web"}}})
    events = _events(
        core.list_namespaced_config_map,
        "default",
        resource_version=listed,
        label_selector="app=web",
    )
    assert [kind for kind, _, _ in events] == ["DELETED", "ADDED"]


def test_a_field_selector_watches_one_object(core: kubernetes.client.CoreV1Api) -> None:
    listed = core.list_namespaced_config_map("default").metadata.resource_version
    for name in ("a", "b"):
        core.create_namespaced_config_map("default", {"metadata": {"name": name}})
    events = _events(
        core.list_namespaced_config_map,
        "default",
        resource_version=listed,
        field_selector="metadata.name=b",
    )
    assert [(kind, name) for kind, name, _ in events] == [("ADDED", "b")]


def test_send_initial_events_ends_with_a_marked_bookmark(
    core: kubernetes.client.CoreV1Api,
) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    watch = kubernetes.watch.Watch()
    events = list(
        watch.stream(
            core.list_namespaced_config_map,
            "default",
            timeout_seconds=1,
            send_initial_events=True,
            resource_version_match="NotOlderThan",
            allow_watch_bookmarks=True,
        )
    )
    assert [e["type"] for e in events][:2] == ["ADDED", "BOOKMARK"]
    marker = events[1]["raw_object"]["metadata"]["annotations"]
    assert marker == {"k8s.io/initial-events-end": "true"}


def test_dropping_watches_ends_open_streams(
    apiserver: ApiServerHandle, core: kubernetes.client.CoreV1Api
) -> None:
    seen: list[str] = []
    first_event = threading.Event()

    def consume() -> None:
        watch = kubernetes.watch.Watch()
        for event in watch.stream(core.list_namespaced_config_map, "default", timeout_seconds=60):
            seen.append(event["type"])
            first_event.set()

    core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    consumer = threading.Thread(target=consume, name="watch-consumer")
    consumer.start()
    assert first_event.wait(10)
    apiserver.drop_watches()
    consumer.join(30)
    assert not consumer.is_alive()
    assert seen == ["ADDED"]


def test_a_watch_on_a_name_and_the_legacy_watch_parameter(
    apiserver: ApiServerHandle,
    client: kubernetes.client.ApiClient,
    core: kubernetes.client.CoreV1Api,
) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    core.create_namespaced_config_map("default", {"metadata": {"name": "b"}})
    # kubernetes_asyncio sends watch=True; older clients watch a name through the path.
    for path in (
        "/api/v1/namespaces/default/configmaps?watch=True&timeoutSeconds=1"
        "&fieldSelector=metadata.name%3Db",
        "/api/v1/watch/namespaces/default/configmaps/b?timeoutSeconds=1",
    ):
        response: Any = client.call_api("GET", apiserver.url + path)
        response.read()
        events = [json.loads(line) for line in response.data.decode().splitlines() if line]
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "b")]


@pytest.mark.asyncio
async def test_the_asyncio_client_watches_too(apiserver: ApiServerHandle) -> None:
    import kubernetes.aio.client
    import kubernetes.aio.watch

    async with kubernetes.aio.client.ApiClient(apiserver.aio_configuration()) as client:
        core = kubernetes.aio.client.CoreV1Api(client)
        await core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
        watch = kubernetes.aio.watch.Watch()
        seen = [
            (event["type"], event["object"].metadata.name)
            async for event in watch.stream(
                core.list_namespaced_config_map, "default", timeout_seconds=1
            )
        ]
        await watch.close()
    assert seen == [("ADDED", "a")]
