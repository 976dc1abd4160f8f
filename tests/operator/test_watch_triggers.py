"""What canaries reference prompts their ticks: ConfigMaps, Secrets, autoscalers, templates.

``roost run``'s process runs in-process against the API double with a 60 s floor and a 1 m
analysis interval, so within a test only prompt ticks happen. A change that must not prompt is
checked without waiting on the clock: a later write to another object of the same kind is the
barrier (one informer delivers in order), after which the canary's job must still be due at the
very time it was before and the ledger must hold no new tick.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import kubernetes.client
import pytest

from controller.operator.process import Process, RunConfig
from controller.operator.references import References, change_digest
from controller.operator.running import stream_of
from controller.operator.watching import Watched, served, watched
from controller.operator.world import OperatorSettings
from tests.fixtures.apiserver import ApiServerHandle
from tests.operator.test_ticks import NS, _canary, _deployment

WAIT = 30.0
GROUP, VERSION = "flagger.app", "v1beta1"


def eventually(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def _template(name: str, query: str = "sum(rate(x[1m]))") -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "MetricTemplate",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"provider": {"type": "prometheus", "address": "http://p:9090"}, "query": query},
    }


def _config_map(name: str, value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name},
        "data": {"k": value},
    }


class Cluster:
    """The test's writes to the double, and what it reads of the process."""

    def __init__(self, apiserver: ApiServerHandle, process: Process) -> None:
        client = apiserver.api_client()
        self.core = kubernetes.client.CoreV1Api(client)
        self.custom = kubernetes.client.CustomObjectsApi(client)
        self.process = process

    def ticks(self) -> int:
        stream = stream_of(NS, "podinfo")
        return sum(
            1 for e in self.process.ledger.read_stream(stream) if e.type == "canary.tick-started"
        )

    def due(self) -> datetime:
        scheduler = self.process.operator.scheduler
        assert scheduler is not None
        job = scheduler.get_job(f"{NS}/podinfo")
        assert job is not None
        when: datetime = job.next_run_time
        return when

    def patch_config_map(self, name: str, body: dict[str, Any]) -> None:
        self.core.patch_namespaced_config_map(name, NS, body)

    def patch_template(self, name: str, body: dict[str, Any], status: bool = False) -> None:
        patch = (
            self.custom.patch_namespaced_custom_object_status
            if status
            else self.custom.patch_namespaced_custom_object
        )
        patch(GROUP, VERSION, NS, "metrictemplates", name, body)

    def seen(self, kind: str, name: str) -> str | None:
        return self.process.seen.get(("ref", kind, NS, name))

    def barrier(self, kind: str, name: str, write: Callable[[], None]) -> None:
        """Write to ``name`` (of ``kind``, referenced by nobody) and wait until the process has
        recorded its new digest: every earlier event of that informer was handled by then."""
        before = self.seen(kind, name)
        write()
        eventually(lambda: self.seen(kind, name) not in (None, before), f"{kind} {name} seen")

    def assert_not_prompted(self, ticks: int, due: datetime) -> None:
        assert self.due() == due, "the canary's tick was moved forward"
        assert self.ticks() == ticks

    def wait_tick(self, count: int) -> None:
        eventually(lambda: self.ticks() >= count, f"tick {count}")
        assert self.ticks() == count


@pytest.fixture
def cluster(apiserver: ApiServerHandle, tmp_path: Path) -> Iterator[Cluster]:
    client = apiserver.api_client()
    apps = kubernetes.client.AppsV1Api(client)
    deployment = _deployment("p:1")
    pod = deployment["spec"]["template"]["spec"]
    pod["volumes"] = [{"name": "config", "configMap": {"name": "podinfo-config"}}]
    core = kubernetes.client.CoreV1Api(client)
    for name in ("podinfo-config", "unrelated", "barrier"):
        core.create_namespaced_config_map(NS, _config_map(name, "v1"))
    custom = kubernetes.client.CustomObjectsApi(client)
    for name in ("latency", "other-template", "barrier-template"):
        custom.create_namespaced_custom_object(
            GROUP, VERSION, NS, "metrictemplates", _template(name)
        )
    apps.create_namespaced_deployment(NS, deployment)
    canary = _canary(
        metrics=[
            {"name": "latency", "templateRef": {"name": "latency"}, "thresholdRange": {"max": 1}}
        ]
    )
    custom.create_namespaced_custom_object(GROUP, VERSION, NS, "canaries", canary)
    config = RunConfig(
        ledger=str(tmp_path / "ledger.db"),
        settings=OperatorSettings(min_interval=timedelta(seconds=60)),
        port=0,
        host="127.0.0.1",
        workers=2,
    )
    process = Process(config, client)
    process.start()
    try:
        found = Cluster(apiserver, process)
        eventually(lambda: found.ticks() >= 1, "the first tick")
        runner = process.operator.runners[(NS, "podinfo")]
        eventually(lambda: runner.last is not None and not runner.lock.locked(), "tick done")
        kinds = {informer.watched.kind for informer in process.informers}
        assert {"ConfigMap", "Secret", "MetricTemplate", "ScaledObject"} <= kinds
        eventually(lambda: all(i.synced for i in process.informers), "informers synced")
        yield found
    finally:
        process.stop()


def test_a_referenced_config_map_prompts_a_tick_others_do_not(cluster: Cluster) -> None:
    ticks, due = cluster.ticks(), cluster.due()
    cluster.patch_config_map("unrelated", {"data": {"k": "v2"}})
    cluster.patch_config_map("podinfo-config", {"metadata": {"labels": {"touched": "yes"}}})
    cluster.barrier("ConfigMap", "barrier", lambda: cluster.patch_config_map(
        "barrier", {"data": {"k": "v2"}}
    ))  # fmt: skip
    cluster.assert_not_prompted(ticks, due)

    cluster.patch_config_map("podinfo-config", {"data": {"k": "v2"}})
    cluster.wait_tick(ticks + 1)


def test_a_referenced_metric_template_prompts_a_tick_status_does_not(cluster: Cluster) -> None:
    ticks, due = cluster.ticks(), cluster.due()
    cluster.patch_template("other-template", {"spec": {"query": "up"}})
    cluster.patch_template("latency", {"status": {"note": "observed"}}, status=True)
    cluster.patch_template("latency", {"metadata": {"annotations": {"touched": "yes"}}})
    cluster.barrier("MetricTemplate", "barrier-template", lambda: cluster.patch_template(
        "barrier-template", {"spec": {"query": "up"}}
    ))  # fmt: skip
    cluster.assert_not_prompted(ticks, due)

    cluster.patch_template("latency", {"spec": {"query": "sum(rate(y[1m]))"}})
    cluster.wait_tick(ticks + 1)


def test_a_deleted_config_map_prompts_a_tick(cluster: Cluster) -> None:
    runner = cluster.process.operator.runners[(NS, "podinfo")]
    cluster.core.delete_namespaced_config_map("podinfo-config", NS)
    # config tracking cannot compute a revision without it: the tick stops and says why
    eventually(
        lambda: runner.last is not None and "podinfo-config" in runner.last.error,
        "a tick that finds the ConfigMap gone",
    )


# -------------------------------------------------------------------- the parts


def test_a_kind_the_api_does_not_serve_is_not_watched(apiserver: ApiServerHandle) -> None:
    client = apiserver.api_client()
    keda = watched("keda.sh/v1alpha1", "ScaledObject", NS)
    assert served(client, keda)
    apiserver.call(lambda: apiserver.store.catalog.unregister("keda.sh", "scaledobjects"))
    assert not served(client, keda)
    assert not served(client, Watched("nothing.example/v1", "Thing", "things", NS))
    assert served(client, watched("v1", "Secret", NS))


def test_an_unserved_kind_gets_no_informer_and_the_process_is_ready(
    apiserver: ApiServerHandle, tmp_path: Path
) -> None:
    apiserver.call(lambda: apiserver.store.catalog.unregister("keda.sh", "scaledobjects"))
    config = RunConfig(ledger=str(tmp_path / "ledger.db"), port=0, host="127.0.0.1")
    process = Process(config, apiserver.api_client())
    process.start()
    try:
        kinds = [informer.watched.kind for informer in process.informers]
        assert "ScaledObject" not in kinds and "HorizontalPodAutoscaler" in kinds
        eventually(process._ready, "readiness")
    finally:
        process.stop()


def test_references_map_each_object_to_the_canaries_that_read_it() -> None:
    refs = References()
    canary = _canary(
        metrics=[{"name": "m", "templateRef": {"name": "t", "namespace": "shared"}}],
        alerts=[{"name": "a", "providerRef": {"name": "slack"}}],
    )
    canary["spec"]["autoscalerRef"] = {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "name": "podinfo",
    }  # fmt: skip
    refs.note_canary(canary)
    deployment = copy.deepcopy(_deployment("p:1"))
    pod = deployment["spec"]["template"]["spec"]
    pod["containers"][0]["envFrom"] = [{"secretRef": {"name": "creds"}}]
    refs.note_target({**deployment, "kind": "Deployment"})
    me = {(NS, "podinfo")}
    assert refs.canaries_of(("Secret", NS, "creds")) == me
    assert refs.canaries_of(("Secret", "elsewhere", "creds")) == set()
    assert refs.canaries_of(("MetricTemplate", "shared", "t")) == me
    assert refs.canaries_of(("MetricTemplate", NS, "t")) == set()
    assert refs.canaries_of(("AlertProvider", NS, "slack")) == me
    assert refs.canaries_of(("HorizontalPodAutoscaler", NS, "podinfo")) == me
    refs.note_target({**deployment, "kind": "Deployment"}, deleted=True)
    assert refs.canaries_of(("Secret", NS, "creds")) == set()
    refs.note_canary(canary, deleted=True)
    assert refs.canaries_of(("AlertProvider", NS, "slack")) == set()


def test_the_digest_is_of_data_or_spec_only() -> None:
    secret = {"kind": "Secret", "metadata": {"name": "s", "resourceVersion": "1"}, "data": {}}
    moved = {**secret, "metadata": {"name": "s", "resourceVersion": "2"}, "type": "Opaque"}
    assert change_digest(secret) == change_digest(moved)
    assert change_digest(secret) != change_digest({**secret, "data": {"k": "dg=="}})
    assert change_digest(secret) != change_digest({**secret, "binaryData": {"b": "AA=="}})
    hpa = {"kind": "HorizontalPodAutoscaler", "spec": {"maxReplicas": 2}, "status": {}}
    assert change_digest(hpa) == change_digest({**hpa, "status": {"currentReplicas": 3}})
    assert change_digest(hpa) != change_digest({**hpa, "spec": {"maxReplicas": 3}})
    assert "dg==" not in change_digest({**secret, "data": {"k": "dg=="}})
