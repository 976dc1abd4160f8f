"""The workload simulator: the Deployment and DaemonSet controllers a real cluster would run.

An apiserver alone never makes a Deployment ready; kube-controller-manager does, by writing its
status. This is a small stand-in for it that talks to the API (the double, or anything else)
over HTTP with the official client, like any controller: it lists and watches Deployments and
DaemonSets and writes their ``/status`` as ``rollouts`` computes it. New pods become ready after
``ready_after``; an image matching a ``never_ready`` pattern, or a pod template annotated
``sandbox.roost.dev/never-ready: "true"``, never does (a crash loop, to exercise rollbacks);
``sandbox.roost.dev/ready-after-seconds`` sets the delay per workload.

``step(now)`` does one pass at a given time, for tests driving the clock themselves; ``start()``
runs passes in background threads whenever a watch event arrives and at least every second.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import kubernetes.client
import kubernetes.watch

from controller.sandbox.errors import Body
from controller.sandbox.rollouts import (
    Readiness,
    Rollout,
    advance,
    daemonset_status,
    deployment_status,
    fitting_nodes,
    template_hash,
)

NEVER_READY_ANNOTATION = "sandbox.roost.dev/never-ready"
READY_AFTER_ANNOTATION = "sandbox.roost.dev/ready-after-seconds"

_log = logging.getLogger(__name__)

_Key = tuple[str, str, str, str]  # plural, namespace, name, uid


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _node_labels(index: int) -> dict[str, str]:
    return {
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": f"sandbox-node-{index}",
    }


class WorkloadSimulator:
    """Writes Deployment and DaemonSet status as their controllers would; ``step(now)`` or run."""

    def __init__(
        self,
        api_client: kubernetes.client.ApiClient,
        *,
        ready_after: timedelta = timedelta(seconds=2),
        never_ready: Iterable[str] = (),
        nodes: int = 1,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._apps = kubernetes.client.AppsV1Api(api_client)
        self.ready_after = ready_after
        self.never_ready = tuple(never_ready)
        self.nodes = [_node_labels(i) for i in range(nodes)]
        self.clock = clock
        self._lock = threading.Lock()
        self._memory: dict[_Key, tuple[Rollout, Readiness]] = {}
        self._threads: list[threading.Thread] = []
        self._watches: list[kubernetes.watch.Watch] = []
        self._stopping = threading.Event()

    # ------------------------------------------------------------ one pass

    def readiness(self, template: Body) -> Readiness:
        """How the pods of this template behave, from annotations and ``never_ready``."""
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        images = [
            str(c.get("image", "")) for c in (template.get("spec") or {}).get("containers") or []
        ]
        never = annotations.get(NEVER_READY_ANNOTATION, "").lower() == "true" or any(
            fnmatch.fnmatchcase(image, pattern) for image in images for pattern in self.never_ready
        )
        after = self.ready_after
        if READY_AFTER_ANNOTATION in annotations:
            after = timedelta(seconds=float(annotations[READY_AFTER_ANNOTATION]))
        return Readiness(after=after, never=never)

    def step(self, now: datetime | None = None) -> int:
        """Bring every Deployment's and DaemonSet's status up to ``now``; returns the writes."""
        now = now or self.clock()
        with self._lock:
            seen: set[_Key] = set()
            writes = 0
            for plural in ("deployments", "daemonsets"):
                for item in self._list(plural):
                    meta = item["metadata"]
                    key = (plural, meta["namespace"], meta["name"], meta["uid"])
                    seen.add(key)
                    writes += self._sync(key, item, now)
            for key in set(self._memory) - seen:
                del self._memory[key]
            return writes

    def _list(self, plural: str) -> list[Body]:
        lister = (
            self._apps.list_deployment_for_all_namespaces
            if plural == "deployments"
            else self._apps.list_daemon_set_for_all_namespaces
        )
        # Raw JSON, not models: timestamps then compare exactly as the server wrote them.
        response: Any = lister(_preload_content=False)
        items: list[Body] = json.loads(response.data)["items"]
        return items

    def _sync(self, key: _Key, item: Body, now: datetime) -> int:
        spec = item.get("spec") or {}
        template = spec.get("template") or {}
        readiness = self.readiness(template)
        remembered = self._memory.get(key)
        if key[0] == "deployments":
            replicas = int(spec.get("replicas", 1))
        else:
            replicas = fitting_nodes(item, self.nodes)
        if remembered is not None and spec.get("paused"):
            rollout = remembered[0]  # a paused Deployment does not roll out a new template
        else:
            rollout = advance(
                remembered[0] if remembered else None,
                template_hash(template),
                replicas,
                remembered[1] if remembered else None,
                now,
            )
        self._memory[key] = (rollout, readiness)
        if key[0] == "deployments":
            status = deployment_status(item, rollout, readiness, now)
        else:
            status = daemonset_status(item, rollout, readiness, now)
        if status == item.get("status"):
            return 0
        patch = [{"op": "add", "path": "/status", "value": status}]
        writer = (
            self._apps.patch_namespaced_deployment_status
            if key[0] == "deployments"
            else self._apps.patch_namespaced_daemon_set_status
        )
        try:
            writer(key[2], key[1], patch, _preload_content=False)
        except kubernetes.client.ApiException as e:
            if e.status != 404:  # deleted meanwhile: nothing to report on
                raise
            return 0
        return 1

    # ------------------------------------------------------------ background runner

    def start(self, resync_seconds: int = 1) -> Self:
        """Run passes in daemon threads: on every watch event, and every ``resync_seconds``."""
        self._stopping.clear()
        for plural, lister in (
            ("deployments", self._apps.list_deployment_for_all_namespaces),
            ("daemonsets", self._apps.list_daemon_set_for_all_namespaces),
        ):
            thread = threading.Thread(
                target=self._run,
                args=(lister, resync_seconds),
                name=f"roost-workloads-{plural}",
                daemon=True,
            )
            self._threads.append(thread)
            thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        for watch in list(self._watches):
            watch.stop()  # type: ignore[no-untyped-call]
        for thread in self._threads:
            thread.join(timeout)
        alive = [t.name for t in self._threads if t.is_alive()]
        self._threads.clear()
        if alive:
            raise TimeoutError(f"workload simulator threads did not stop: {alive}")

    def _run(self, lister: Any, resync_seconds: int) -> None:
        resource_version: str | None = None
        while not self._stopping.is_set():
            watch = kubernetes.watch.Watch()  # type: ignore[no-untyped-call]
            self._watches.append(watch)
            try:
                if resource_version is None:
                    listed = json.loads(lister(_preload_content=False).data)
                    resource_version = str(listed["metadata"]["resourceVersion"])
                self.step()
                for event in watch.stream(  # type: ignore[no-untyped-call]
                    lister,
                    resource_version=resource_version,
                    timeout_seconds=resync_seconds,
                    allow_watch_bookmarks=True,
                ):
                    if self._stopping.is_set():
                        break
                    if event["type"] != "BOOKMARK":
                        self.step()
                resource_version = watch.resource_version or resource_version
            except Exception as e:  # unreachable or erring API: retry, as a controller does
                if isinstance(e, kubernetes.client.ApiException) and e.status == 410:
                    resource_version = None  # expired: list again, then watch from there
                    continue
                if not self._stopping.is_set():
                    _log.warning("workload simulator pass failed; retrying", exc_info=True)
                    self._stopping.wait(resync_seconds)
            finally:
                self._watches.remove(watch)
