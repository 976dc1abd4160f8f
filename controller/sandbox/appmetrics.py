"""Simulated application metrics: the request telemetry a mesh would report for sandbox pods.

Flagger's builtin checks read what Istio's sidecars report (``istio_requests_total`` and
``istio_request_duration_milliseconds``, flagger-core §3.6). The sandbox has no pods, proxies or
traffic, so this module makes those numbers up and serves them on ``/metrics`` for a real
Prometheus to scrape: every Deployment with ready replicas answers a steady stream of requests,
a share of them with a 500 and each taking a set time, as its pod template says — healthy by
default, faulty when annotated (``sandbox.roost.dev/error-rate``, ``sandbox.roost.dev/latency-ms``)
or when an image matches one of the ``faulty_images`` patterns.

Series carry exactly the labels the builtin Istio queries select on (``reporter``,
``destination_workload``, ``destination_workload_namespace``, ``response_code``). Counters
advance when scraped, by the time since the previous scrape, so no ticker thread is needed;
``step(now)`` does the same at a chosen time for tests. A workload without ready replicas
reports nothing, as its sidecars would be gone; its counters resume when it is ready again.

Reads Deployments (their status is the workload simulator's) and never writes to the API.
"""

from __future__ import annotations

import bisect
import fnmatch
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Self
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import kubernetes.client
import prometheus_client
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from controller.sandbox.errors import Body

ERROR_RATE_ANNOTATION = "sandbox.roost.dev/error-rate"
"""Share of requests, within [0, 1], that the pods of a template answer with a 500."""
LATENCY_ANNOTATION = "sandbox.roost.dev/latency-ms"
"""How long, in milliseconds, every request to the pods of a template takes."""

REQUESTS = "istio_requests_total"
DURATION = "istio_request_duration_milliseconds"
LABELS = ("reporter", "destination_workload", "destination_workload_namespace", "response_code")
BUCKETS_MS = (0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000)
"""Istio's default duration buckets (up to a minute), so quantiles interpolate as they would."""

_EPSILON = 1e-9  # a float sum of owed fractions can fall a hair short of a whole one
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Behaviour:
    """How the pods of one template answer."""

    error_rate: float = 0.0
    """Share of requests answered 500."""
    latency_ms: float = 50.0
    """Time every request takes."""


HEALTHY = Behaviour()
FAULTY = Behaviour(error_rate=0.3, latency_ms=900.0)
"""Pods of an image matching a ``faulty_images`` pattern, unless annotations say otherwise."""


class BehaviourError(ValueError):
    """An annotation of the simulated app cannot be read; the message names it."""


def behaviour(template: Body, faulty_images: Sequence[str] = ()) -> Behaviour:
    """How the pods of ``template`` answer; raise :class:`BehaviourError` for a bad annotation."""
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    images = [str(c.get("image", "")) for c in (template.get("spec") or {}).get("containers") or []]
    faulty = any(fnmatch.fnmatchcase(i, p) for i in images for p in faulty_images)
    base = FAULTY if faulty else HEALTHY
    error_rate = _annotated(annotations, ERROR_RATE_ANNOTATION, base.error_rate)
    latency_ms = _annotated(annotations, LATENCY_ANNOTATION, base.latency_ms)
    if not 0.0 <= error_rate <= 1.0:
        raise BehaviourError(f"{ERROR_RATE_ANNOTATION} must be within [0, 1], got {error_rate}")
    if latency_ms < 0:
        raise BehaviourError(f"{LATENCY_ANNOTATION} must not be negative, got {latency_ms}")
    return Behaviour(error_rate=error_rate, latency_ms=latency_ms)


def _annotated(annotations: dict[str, Any], key: str, default: float) -> float:
    if key not in annotations:
        return default
    try:
        value = float(annotations[key])
    except (TypeError, ValueError) as e:
        raise BehaviourError(f"{key} is not a number: {annotations[key]!r}") from e
    if math.isnan(value):
        raise BehaviourError(f"{key} is not a number: {annotations[key]!r}")
    return value


@dataclass
class _Histogram:
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS_MS) + 1))
    total: float = 0.0

    def observe(self, value: float, times: int) -> None:
        self.buckets[bisect.bisect_left(BUCKETS_MS, value)] += times
        self.total += value * times

    def cumulative(self) -> list[tuple[str, float]]:
        bounds = [repr(float(b)) for b in BUCKETS_MS] + ["+Inf"]
        counts, running = [], 0
        for count in self.buckets:
            running += count
            counts.append(float(running))
        return list(zip(bounds, counts, strict=True))


@dataclass
class _Traffic:
    """What one workload has answered so far; mutable, guarded by the exporter's lock."""

    ready_since: float | None = None
    """When the last step saw it ready (None: not ready then)."""
    answered: dict[str, int] = field(default_factory=lambda: {"200": 0, "500": 0})
    latency: dict[str, _Histogram] = field(
        default_factory=lambda: {"200": _Histogram(), "500": _Histogram()}
    )
    owed_requests: float = 0.0
    owed_failures: float = 0.0

    def serve(self, seconds: float, rate: float, how: Behaviour) -> None:
        """Answer the requests of ``seconds`` at ``rate`` per second; fractions carry over, so
        the share of failures converges on ``how.error_rate`` exactly."""
        self.owed_requests += seconds * rate
        requests = int(self.owed_requests + _EPSILON)
        self.owed_requests -= requests
        self.owed_failures += requests * how.error_rate
        failures = min(int(self.owed_failures + _EPSILON), requests)
        self.owed_failures -= failures
        for code, count in (("200", requests - failures), ("500", failures)):
            self.answered[code] += count
            self.latency[code].observe(how.latency_ms, count)


class AppMetrics:
    """A ``prometheus_client`` collector of the simulated series; ``step(now)`` advances them."""

    def __init__(
        self,
        api_client: kubernetes.client.ApiClient,
        *,
        faulty_images: Iterable[str] = (),
        requests_per_replica: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._apps = kubernetes.client.AppsV1Api(api_client)
        self.faulty_images = tuple(faulty_images)
        self.requests_per_replica = requests_per_replica
        self.clock = clock
        self._lock = threading.Lock()
        self._traffic: dict[tuple[str, str], _Traffic] = {}
        self._rejected: dict[tuple[str, str], str] = {}

    def step(self, now: float | None = None) -> None:
        """List the Deployments and answer the requests since the last step (``clock`` seconds)."""
        now = self.clock() if now is None else now
        # Raw JSON, not models: the simulator's status is read exactly as it was written.
        response: Any = self._apps.list_deployment_for_all_namespaces(_preload_content=False)
        items: list[Body] = json.loads(response.data)["items"]
        with self._lock:
            seen = set()
            for item in items:
                meta = item["metadata"]
                key = (str(meta["namespace"]), str(meta["name"]))
                seen.add(key)
                self._advance(key, item, now)
            for key in set(self._traffic) - seen:
                del self._traffic[key]

    def _advance(self, key: tuple[str, str], item: Body, now: float) -> None:
        traffic = self._traffic.setdefault(key, _Traffic())
        ready = int((item.get("status") or {}).get("readyReplicas") or 0)
        try:
            how = behaviour((item.get("spec") or {}).get("template") or {}, self.faulty_images)
        except BehaviourError as e:
            if self._rejected.get(key) != str(e):
                _log.warning("simulated app of %s/%s reports nothing: %s", *key, e)
            self._rejected[key] = str(e)
            traffic.ready_since = None  # a rejected template serves nothing, visibly
            return
        self._rejected.pop(key, None)
        if ready <= 0:
            traffic.ready_since = None
            return
        if traffic.ready_since is not None:
            elapsed = max(0.0, now - traffic.ready_since)
            traffic.serve(elapsed, self.requests_per_replica * ready, how)
        traffic.ready_since = now

    def describe(self) -> list[Metric]:
        return []  # names are not known up front; registering must not list Deployments

    def collect(self) -> Iterator[Metric]:
        """The series of every workload ready at the last step."""
        requests = CounterMetricFamily(REQUESTS, "Requests answered (simulated).", labels=LABELS)
        duration = HistogramMetricFamily(
            DURATION, "Request duration in milliseconds (simulated).", labels=LABELS
        )
        with self._lock:
            for (namespace, name), traffic in sorted(self._traffic.items()):
                if traffic.ready_since is None:
                    continue
                for code, count in traffic.answered.items():
                    labels = ["destination", name, namespace, code]
                    requests.add_metric(labels, float(count))
                    histogram = traffic.latency[code]
                    duration.add_metric(labels, histogram.cumulative(), histogram.total)
        yield requests
        yield duration


class _Scraped:
    """Steps the metrics on each scrape, then reports them; a failing API leaves them as they
    were (the next scrape catches up, since steps answer the whole elapsed time)."""

    def __init__(self, metrics: AppMetrics) -> None:
        self._metrics = metrics

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        try:
            self._metrics.step()
        except Exception:  # the API double stopping, or unreachable: report what we have
            _log.warning("simulated app metrics could not list Deployments", exc_info=True)
        yield from self._metrics.collect()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per scrape would drown everything else


class AppMetricsServer:
    """Serves ``/metrics`` of an :class:`AppMetrics` over HTTP; ``start()``, then ``stop()``."""

    def __init__(
        self,
        metrics: AppMetrics,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        thread_name: str = "roost-appmetrics",
    ) -> None:
        self.metrics = metrics
        self.registry = prometheus_client.CollectorRegistry(auto_describe=False)
        self.registry.register(_Scraped(metrics))
        self._host, self._port, self._thread_name = host, port, thread_name
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def target(self) -> str:
        """``host:port``, as a Prometheus scrape config names it."""
        if self._server is None:
            raise RuntimeError("the app metrics server is not running")
        return f"{self._host}:{self._server.server_port}"

    @property
    def url(self) -> str:
        return f"http://{self.target}/metrics"

    def start(self) -> Self:
        app = prometheus_client.make_wsgi_app(self.registry)
        self._server = make_server(self._host, self._port, app, handler_class=_QuietHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=self._thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        server, thread = self._server, self._thread
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                raise TimeoutError(f"app metrics thread {thread.name} did not stop")
        self._thread = None
