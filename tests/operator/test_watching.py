"""Informers against the API double: list, watch, resume, relist on 410, back off, stop.

Every wait polls a condition with a generous bound; nothing asserts how long anything took.
Backoff is made tiny so retries happen at once, and recorded so tests can see them.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import kmock
import kubernetes.client
import pytest

from controller.operator.watching import Informer, Watched, capped_backoff, watched
from controller.sandbox.serving import ApiServerThread
from effects.kubeapi import KubeApi, ObjectRef, UnknownKindError
from tests.fixtures.apiserver import ApiServerHandle

WAIT = 30.0
_markers = itertools.count(1)


class Recorder:
    """An ``on_event`` callback that keeps what it was given and lets a test wait for it."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._changed = threading.Condition()
        self._fail_on = fail_on

    def __call__(self, kind: str, obj: dict[str, Any]) -> None:
        with self._changed:
            self.events.append((kind, obj))
            self._changed.notify_all()
        if obj["metadata"]["name"] == self._fail_on:
            raise RuntimeError("a consumer bug")

    def seen(self) -> list[tuple[str, str]]:
        with self._changed:
            return [(kind, obj["metadata"]["name"]) for kind, obj in self.events]

    def wait_for(self, predicate: Callable[[list[tuple[str, str]]], bool]) -> None:
        with self._changed:
            ok = self._changed.wait_for(lambda: predicate(self.seen()), WAIT)
        assert ok, f"gave up waiting; events so far: {self.seen()}"

    def wait_count(self, count: int) -> None:
        self.wait_for(lambda seen: len(seen) >= count)


class Backoff:
    """A backoff that answers at once and remembers the failure counts it was asked about."""

    def __init__(self, seconds: float = 0.01) -> None:
        self.calls: list[int] = []
        self.seconds = seconds
        self._lock = threading.Lock()

    def __call__(self, failures: int) -> float:
        with self._lock:
            self.calls.append(failures)
        return self.seconds


Start = Callable[..., tuple[Informer, Recorder]]


def eventually(predicate: Callable[[], bool], what: str) -> None:
    """Poll ``predicate`` until it holds; fail the test after ``WAIT`` seconds."""
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


@pytest.fixture
def start(apiserver: ApiServerHandle) -> Iterator[Start]:
    """Start informers on the per-test double; each is stopped (and must end) after the test."""
    started: list[Informer] = []

    def make(
        api_version: str = "v1",
        kind: str = "ConfigMap",
        namespace: str | None = "default",
        recorder: Recorder | None = None,
        **options: Any,
    ) -> tuple[Informer, Recorder]:
        recorder = recorder or Recorder()
        options.setdefault("backoff", Backoff())
        informer = Informer(
            apiserver.api_client(),
            watched(api_version, kind, namespace),
            on_event=recorder,
            **options,
        )
        started.append(informer)
        informer.start()
        return informer, recorder

    yield make
    for informer in started:
        informer.stop(timeout=WAIT)
        assert not informer.is_alive()


@pytest.fixture
def kube(apiserver: ApiServerHandle) -> KubeApi:
    return KubeApi(apiserver.api_client())


def configmap(name: str, namespace: str = "default", **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


def cm_ref(name: str, namespace: str = "default") -> ObjectRef:
    return ObjectRef("v1", "ConfigMap", namespace, name)


def flush(kube: KubeApi, recorder: Recorder) -> list[tuple[str, str]]:
    """Write a marker and wait for it: every event before it has then been delivered.

    Returns the events seen before the marker, so a test can assert on them exactly.
    """
    name = f"zz-marker-{next(_markers)}"
    kube.create(configmap(name))
    recorder.wait_for(lambda seen: ("ADDED", name) in seen)
    seen = recorder.seen()
    return seen[: seen.index(("ADDED", name))]


def watch_requests(apiserver: ApiServerHandle, plural: str) -> list[dict[str, str]]:
    """Query parameters of every watch request the double has served for ``plural``."""
    view = apiserver.kmock[kmock.action.WATCH, kmock.resource(plural)]
    return apiserver.call(lambda: [dict(request.params) for request in view])


# ---------------------------------------------------------------- naming what to watch


def test_watched_finds_plurals_and_drops_the_namespace_of_cluster_scoped_kinds() -> None:
    assert watched("flagger.app/v1beta1", "Canary", "prod") == Watched(
        "flagger.app/v1beta1", "Canary", "canaries", "prod"
    )
    assert watched("kuma.io/v1alpha1", "TrafficRoute", "prod").namespace is None
    assert watched("v1", "ConfigMap").collection() == "/api/v1/configmaps"
    assert (
        watched("coordination.k8s.io/v1", "Lease", "kube-system").collection()
        == "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"
    )
    with pytest.raises(UnknownKindError):
        watched("example.com/v1", "Widget")


def test_the_default_backoff_doubles_up_to_a_cap() -> None:
    assert [capped_backoff(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert capped_backoff(50) == 30.0


# ---------------------------------------------------------------- list, then watch


def test_the_first_list_is_delivered_before_synced(kube: KubeApi, start: Start) -> None:
    kube.create(configmap("a", k="1"))
    kube.create(configmap("b"))
    kube.create(configmap("elsewhere", namespace="kube-system"))
    informer, recorder = start()
    assert informer.wait_synced(WAIT)
    assert informer.synced
    assert recorder.seen() == [("ADDED", "a"), ("ADDED", "b")]
    listed = recorder.events[0][1]
    assert (listed["apiVersion"], listed["kind"], listed["data"]) == ("v1", "ConfigMap", {"k": "1"})
    assert set(informer.cache) == {("default", "a"), ("default", "b")}
    assert informer.lists == 1


def test_changes_arrive_in_order_and_a_deletion_carries_the_last_state(
    kube: KubeApi, start: Start
) -> None:
    informer, recorder = start()
    assert informer.wait_synced(WAIT)
    kube.create(configmap("web", level="info"))
    kube.patch(cm_ref("web"), {"data": {"level": "debug"}})
    kube.delete(cm_ref("web"))
    assert flush(kube, recorder) == [("ADDED", "web"), ("MODIFIED", "web"), ("DELETED", "web")]
    deleted = recorder.events[2][1]
    assert deleted["data"] == {"level": "debug"}
    assert ("default", "web") not in informer.cache
    versions = [int(obj["metadata"]["resourceVersion"]) for _, obj in recorder.events[:3]]
    assert versions == sorted(versions)


def test_a_label_selector_turns_relabelling_into_deleted_and_added(
    kube: KubeApi, start: Start
) -> None:
    labelled = configmap("c")
    labelled["metadata"]["labels"] = {"app": "web"}
    kube.create(labelled)
    informer, recorder = start(label_selector="app=web")
    assert informer.wait_synced(WAIT)
    kube.patch(cm_ref("c"), {"metadata": {"labels": {"app": "db"}}})
    kube.patch(cm_ref("c"), {"metadata": {"labels": {"app": "web"}}})
    recorder.wait_count(3)
    assert recorder.seen() == [("ADDED", "c"), ("DELETED", "c"), ("ADDED", "c")]


def test_one_namespace_or_all_of_them(kube: KubeApi, start: Start) -> None:
    kube.create(configmap("here"))
    kube.create(configmap("there", namespace="kube-system"))
    one, in_one = start(namespace="default")
    every, in_all = start(namespace=None)
    assert one.wait_synced(WAIT) and every.wait_synced(WAIT)
    kube.create(configmap("later", namespace="kube-system"))
    kube.create(configmap("later"))
    in_all.wait_count(4)
    assert set(every.cache) == {
        ("default", "here"),
        ("kube-system", "there"),
        ("kube-system", "later"),
        ("default", "later"),
    }
    assert flush(kube, in_one) == [("ADDED", "here"), ("ADDED", "later")]


def _deployment(name: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "podinfo:6.0.0"}]},
            },
        },
    }


def _canary(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898},
            "analysis": {"interval": "1m", "threshold": 5},
        },
    }


def _traffic_route(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "kuma.io/v1alpha1",
        "kind": "TrafficRoute",
        "metadata": {"name": name},
        "mesh": "default",
        "spec": {"conf": {"split": [{"weight": 100, "destination": {"service": "web"}}]}},
    }


@pytest.mark.parametrize(
    "manifest",
    [configmap, _deployment, _canary, _traffic_route],
    ids=["configmap", "deployment", "canary", "cluster-scoped-trafficroute"],
)
def test_built_in_custom_and_cluster_scoped_kinds(
    kube: KubeApi, start: Start, manifest: Callable[[str], dict[str, Any]]
) -> None:
    first, second = manifest("first"), manifest("second")
    api_version, kind = first["apiVersion"], first["kind"]
    kube.create(first)
    informer, recorder = start(api_version, kind, namespace="default")
    assert informer.wait_synced(WAIT)
    kube.create(second)
    ref = ObjectRef.of(first)
    kube.patch(ref, {"metadata": {"labels": {"touched": "yes"}}})
    kube.delete(ref)
    recorder.wait_count(4)
    assert recorder.seen() == [
        ("ADDED", "first"),
        ("ADDED", "second"),
        ("MODIFIED", "first"),
        ("DELETED", "first"),
    ]
    assert all(
        (obj["apiVersion"], obj["kind"]) == (api_version, kind) for _, obj in recorder.events
    )
    namespace = "default" if ref.namespaced else ""
    assert set(informer.cache) == {(namespace, "second")}


# ---------------------------------------------------------------- resuming and relisting


def test_a_watch_the_server_times_out_resumes_from_the_last_version(
    apiserver: ApiServerHandle, kube: KubeApi, start: Start
) -> None:
    kube.create(configmap("a"))
    informer, recorder = start(timeout_seconds=1)
    assert informer.wait_synced(WAIT)
    kube.create(configmap("b"))
    recorder.wait_count(2)
    # Wait until the server has closed at least two watches and the informer came back.
    eventually(lambda: len(watch_requests(apiserver, "configmaps")) >= 3, "two resumed watches")
    kube.create(configmap("c"))
    assert flush(kube, recorder) == [("ADDED", "a"), ("ADDED", "b"), ("ADDED", "c")]
    assert informer.lists == 1  # resumed every time, never listed again
    with_versions = watch_requests(apiserver, "configmaps")
    versions = [int(params["resourceVersion"]) for params in with_versions]
    assert all(params.get("allowWatchBookmarks") == "true" for params in with_versions)
    assert versions == sorted(versions) and versions[-1] > versions[0]


def test_bookmarks_move_the_resume_point_past_other_kinds_changes(
    apiserver: ApiServerHandle, kube: KubeApi, start: Start
) -> None:
    informer, recorder = start(timeout_seconds=1)
    assert informer.wait_synced(WAIT)
    listed = int(informer.resource_version)
    # Writes to other kinds move the global version without any event for this watch.
    for name in ("one", "two"):
        kube.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}})
    moved = int(apiserver.store.resource_version)
    assert moved > listed
    eventually(
        lambda: any(
            int(params["resourceVersion"]) >= moved
            for params in watch_requests(apiserver, "configmaps")
        ),
        "a watch resumed from the bookmarked version",
    )
    apiserver.compact()  # what was before the bookmark is gone; the informer no longer needs it
    kube.create(configmap("after"))
    assert flush(kube, recorder) == [("ADDED", "after")]
    assert informer.lists == 1


def test_a_dropped_watch_resumes_without_losing_or_repeating_events(
    apiserver: ApiServerHandle, kube: KubeApi, start: Start
) -> None:
    informer, recorder = start()
    assert informer.wait_synced(WAIT)
    kube.create(configmap("before"))
    recorder.wait_count(1)
    apiserver.drop_watches()
    kube.create(configmap("after"))
    kube.patch(cm_ref("before"), {"data": {"k": "v"}})
    assert flush(kube, recorder) == [
        ("ADDED", "before"),
        ("ADDED", "after"),
        ("MODIFIED", "before"),
    ]
    assert informer.lists == 1


class WatchGate:
    """Holds every new watch request on a resource until opened (kmock reaction on the loop)."""

    def __init__(self, apiserver: ApiServerHandle, plural: str) -> None:
        self.apiserver = apiserver
        self.held = threading.Event()
        self._open = asyncio.Event()

        async def gate(request: Any) -> None:
            self.held.set()
            await self._open.wait()
            raise NotImplementedError  # kmock's signal: now serve the request normally

        view = apiserver.kmock[kmock.action.WATCH, kmock.resource(plural)]
        apiserver.call(lambda: view << gate)

    def open(self) -> None:
        self.apiserver.call(self._open.set)


def test_an_expired_version_relists_and_reports_what_changed_meanwhile(
    apiserver: ApiServerHandle, kube: KubeApi, start: Start
) -> None:
    for name in ("change", "keep", "remove", "renew"):
        kube.create(configmap(name, v="1"))
    informer, recorder = start()
    assert informer.wait_synced(WAIT)
    gate = WatchGate(apiserver, "configmaps")
    apiserver.drop_watches()
    assert gate.held.wait(WAIT)  # the informer is now disconnected, waiting to watch again
    kube.patch(cm_ref("change"), {"data": {"v": "2"}})
    kube.delete(cm_ref("remove"))
    kube.create(configmap("new"))
    kube.delete(cm_ref("renew"))
    kube.create(configmap("renew", v="again"))  # same name, a different object
    apiserver.compact()  # the informer's version is gone: its watch must answer 410
    gate.open()
    recorder.wait_count(9)
    assert recorder.seen()[4:] == [
        ("MODIFIED", "change"),
        ("ADDED", "new"),
        ("DELETED", "renew"),
        ("ADDED", "renew"),
        ("DELETED", "remove"),
    ]
    assert flush(kube, recorder)[9:] == []  # nothing more than that difference
    by_name = {obj["metadata"]["name"]: (kind, obj) for kind, obj in recorder.events[4:]}
    assert by_name["remove"][1]["data"] == {"v": "1"}  # the last state it was seen in
    assert informer.lists == 2
    live = {
        (o["metadata"]["namespace"], o["metadata"]["name"]) for o in apiserver.objects("configmaps")
    }
    assert set(informer.cache) == live


# ---------------------------------------------------------------- failures and stopping


def test_server_errors_back_off_and_recover_without_losing_events(
    apiserver: ApiServerHandle, kube: KubeApi, start: Start
) -> None:
    kube.create(configmap("a"))
    backoff = Backoff()
    apiserver.fail("list", "configmaps", code=500, times=2)
    informer, recorder = start(backoff=backoff)
    assert informer.wait_synced(WAIT)
    assert backoff.calls == [1, 2]
    apiserver.fail("watch", "configmaps", code=503, times=3)
    apiserver.drop_watches()
    kube.create(configmap("b"))
    kube.patch(cm_ref("a"), {"data": {"k": "v"}})
    assert flush(kube, recorder) == [("ADDED", "a"), ("ADDED", "b"), ("MODIFIED", "a")]
    assert backoff.calls[-3:] == [1, 2, 3]  # counted afresh after the successful list
    assert informer.consecutive_failures == 0
    assert informer.lists == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_connection_refused_is_retried_until_the_server_comes_up() -> None:
    port = _free_port()
    configuration = kubernetes.client.Configuration(host=f"http://127.0.0.1:{port}")
    configuration.retries = 0
    client = kubernetes.client.ApiClient(configuration)
    backoff = Backoff()
    recorder = Recorder()
    informer = Informer(client, watched("v1", "ConfigMap"), on_event=recorder, backoff=backoff)
    server: ApiServerThread | None = None
    try:
        informer.start()
        eventually(lambda: len(backoff.calls) >= 3, "three refused connections")
        assert not informer.synced
        assert informer.consecutive_failures >= 3
        server = ApiServerThread(port=port, name="roost-apiserver-late", bookmark_interval=60.0)
        server.start()
        server.seed(configmap("a"))
        assert informer.wait_synced(WAIT)
        recorder.wait_count(1)  # listed or, if the list came before the seed, watched
        assert recorder.seen() == [("ADDED", "a")]
        assert informer.consecutive_failures == 0
    finally:
        informer.stop(timeout=WAIT)
        if server is not None:
            server.stop()
        client.close()
    assert not informer.is_alive()


def test_stop_ends_an_idle_watch_and_a_long_backoff(
    apiserver: ApiServerHandle, start: Start
) -> None:
    watching, _ = start(timeout_seconds=600)
    assert watching.wait_synced(WAIT)
    eventually(lambda: len(watch_requests(apiserver, "configmaps")) == 1, "the watch")
    apiserver.fail("list", "secrets", code=500, times=1)
    backoff = Backoff(seconds=3600.0)
    waiting, _ = start("v1", "Secret", backoff=backoff)
    eventually(lambda: bool(backoff.calls), "a failed list")
    watching.stop(timeout=WAIT)
    waiting.stop(timeout=WAIT)
    assert not watching.is_alive() and not waiting.is_alive()
    assert not waiting.synced


def test_a_failing_consumer_does_not_stop_delivery(
    kube: KubeApi, start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    kube.create(configmap("bad"))
    informer, recorder = start(recorder=Recorder(fail_on="bad"))
    assert informer.wait_synced(WAIT)
    kube.patch(cm_ref("bad"), {"data": {"again": "yes"}})
    kube.create(configmap("good"))
    assert flush(kube, recorder) == [("ADDED", "bad"), ("MODIFIED", "bad"), ("ADDED", "good")]
    failures = [r for r in caplog.records if r.name == "roost.operator.watching" and r.exc_info]
    assert len(failures) == 2 and "bad" in failures[0].getMessage()
    assert informer.is_alive()
