"""The operator's metrics and its health endpoints, served over HTTP.

:class:`Telemetry` owns a private ``CollectorRegistry`` holding Flagger's metrics, under Flagger's
names, types and labels so that Flagger's dashboards and alerts keep working, and Roost's own
(ledger append latency, tick lag, API errors, ticks, run duration). The operator reports facts to
it through small methods; nothing here reads the ledger, the cluster or the clock, and nothing
here decides. :class:`HealthServer` serves that registry on ``/metrics`` next to ``/healthz`` and
``/readyz``, on a daemon thread, with the standard library's WSGI server.

Flagger's metrics (flagger-core section 7.3), and how Roost fills them:

- ``flagger_info{version, mesh_provider}`` = 1;
- ``flagger_canary_total{namespace}``: canaries per namespace;
- ``flagger_canary_status{name, namespace}``: 0 Progressing, 2 Failed, 1 any other phase;
- ``flagger_canary_weight{workload, namespace}``: route weights of ``<target>-primary`` and
  ``<target>``;
- ``flagger_canary_duration_seconds{name, namespace}``: histogram of the duration of ticks that
  reach the analysis (Flagger's meaning: a tick's length, not a run's);
- ``flagger_canary_successes_total`` / ``flagger_canary_failures_total{name, namespace,
  deployment_strategy, analysis_status}``: promotions, and rollbacks or failed promotions;
- ``flagger_canary_metric_analysis{name, namespace, metric}``: the last value of each metric.

``name`` is the target's name in Flagger (``targetRef.name``), which is usually the Canary's.
prometheus_client's ``*_created`` series, which Flagger does not export, are left out.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

log = logging.getLogger("roost.operator.telemetry")

PROGRESSING, FAILED = "Progressing", "Failed"
STRATEGIES = frozenset({"canary", "blue-green", "ab-testing"})
ANALYSIS_STATUSES = frozenset({"completed", "skipped"})

M = TypeVar("M", bound=MetricWrapperBase)

_LEDGER_APPEND_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
_TICK_LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_RUN_BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0)


def roost_version() -> str:
    try:
        return importlib.metadata.version("roost")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def status_value(phase: str) -> int:
    """Flagger's ``flagger_canary_status``: 0 Progressing, 2 Failed, 1 any other phase."""
    return {PROGRESSING: 0, FAILED: 2}.get(phase, 1)  # a str-valued enum matches too


class _WithoutCreated(Collector):
    """Exposes a registry minus prometheus_client's ``*_created`` samples (Flagger has none)."""

    def __init__(self, inner: CollectorRegistry) -> None:
        self._inner = inner

    def collect(self) -> Iterable[Metric]:
        for family in self._inner.collect():
            family.samples = [s for s in family.samples if not s.name.endswith("_created")]
            yield family


class Telemetry:
    """The operator's metrics, in ``registry`` (served by :class:`HealthServer`)."""

    def __init__(self, *, version: str | None = None, mesh_provider: str = "istio") -> None:
        self._metrics = CollectorRegistry(auto_describe=True)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_WithoutCreated(self._metrics))
        r = self._metrics
        self._info = Gauge(
            "flagger_info",
            "Flagger version and mesh provider information",
            ["version", "mesh_provider"],
            registry=r,
        )
        self._info.labels(version or roost_version(), mesh_provider).set(1)
        self._total = Gauge(
            "flagger_canary_total", "Total number of canary object", ["namespace"], registry=r
        )
        self._status = Gauge(
            "flagger_canary_status",
            "Last canary analysis result: 0 progressing, 1 other phase, 2 failed",
            ["name", "namespace"],
            registry=r,
        )
        self._weight = Gauge(
            "flagger_canary_weight",
            "The virtual service destination weight current value",
            ["workload", "namespace"],
            registry=r,
        )
        self._duration = Histogram(
            "flagger_canary_duration_seconds",
            "Seconds spent performing canary analysis.",
            ["name", "namespace"],
            registry=r,
        )
        outcome_labels = ["name", "namespace", "deployment_strategy", "analysis_status"]
        self._successes = Counter(
            "flagger_canary_successes",
            "Total number of canary successes",
            outcome_labels,
            registry=r,
        )
        self._failures = Counter(
            "flagger_canary_failures",
            "Total number of canary failures",
            outcome_labels,
            registry=r,
        )
        self._analysis = Gauge(
            "flagger_canary_metric_analysis",
            "Last canary analysis result per metric",
            ["name", "namespace", "metric"],
            registry=r,
        )
        self._run_duration = Histogram(
            "roost_canary_run_duration_seconds",
            "Seconds from the start of a canary run to its promotion or rollback.",
            ["name", "namespace"],
            buckets=_RUN_BUCKETS,
            registry=r,
        )
        self._ledger_append = Histogram(
            "roost_ledger_append_seconds",
            "Seconds one append of a batch of events to the ledger took.",
            buckets=_LEDGER_APPEND_BUCKETS,
            registry=r,
        )
        self._tick_lag = Histogram(
            "roost_tick_lag_seconds",
            "Seconds between the time a tick was due and the time it started.",
            buckets=_TICK_LAG_BUCKETS,
            registry=r,
        )
        self._api_errors = Counter(
            "roost_api_errors",
            "Failed Kubernetes API calls, by verb, kind and reason.",
            ["verb", "kind", "reason"],
            registry=r,
        )
        self._ticks = Counter("roost_ticks", "Ticks run, by result.", ["result"], registry=r)
        # Which labelled series each canary owns, so ``forget`` can remove exactly those.
        self._owned: dict[tuple[str, str], set[tuple[MetricWrapperBase, tuple[str, ...]]]] = {}
        self._lock = threading.Lock()

    def _own(self, name: str, namespace: str, metric: M, *labels: str) -> M:
        with self._lock:
            self._owned.setdefault((name, namespace), set()).add((metric, labels))
        return metric.labels(*labels)

    # ------------------------------------------------------------------ Flagger's

    def canary_total(self, namespace: str, count: int) -> None:
        self._total.labels(namespace).set(count)

    def canary_status(self, name: str, namespace: str, phase: str) -> None:
        self._own(name, namespace, self._status, name, namespace).set(status_value(phase))

    def canary_weight(self, name: str, namespace: str, primary: int, canary: int) -> None:
        self._own(name, namespace, self._weight, f"{name}-primary", namespace).set(primary)
        self._own(name, namespace, self._weight, name, namespace).set(canary)

    def analysis_duration(self, name: str, namespace: str, seconds: float) -> None:
        """One tick that reached the analysis took ``seconds`` (Flagger's duration metric)."""
        self._own(name, namespace, self._duration, name, namespace).observe(seconds)

    def metric_analysis(self, name: str, namespace: str, metric: str, value: float) -> None:
        self._own(name, namespace, self._analysis, name, namespace, metric).set(value)

    def run_finished(
        self,
        name: str,
        namespace: str,
        succeeded: bool,
        duration_seconds: float | None,
        *,
        strategy: str = "canary",
        analysis_status: str = "completed",
    ) -> None:
        """A run ended: promoted (``succeeded``) or rolled back / failed to promote.

        ``strategy`` is ``canary``, ``blue-green`` or ``ab-testing``; ``analysis_status`` is
        ``completed``, or ``skipped`` for a promotion that skipped the analysis.
        """
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown deployment strategy {strategy!r}")
        if analysis_status not in ANALYSIS_STATUSES:
            raise ValueError(f"unknown analysis status {analysis_status!r}")
        counter = self._successes if succeeded else self._failures
        self._own(name, namespace, counter, name, namespace, strategy, analysis_status).inc()
        if duration_seconds is not None:  # unknown when the run began before a restart
            run_duration = self._own(name, namespace, self._run_duration, name, namespace)
            run_duration.observe(duration_seconds)

    def forget(self, name: str, namespace: str) -> None:
        """Remove every series of a deleted canary (it would otherwise be exported forever)."""
        with self._lock:
            owned = self._owned.pop((name, namespace), set())
        for metric, labels in owned:
            with contextlib.suppress(KeyError):  # never set, or removed already
                metric.remove(*labels)

    # ------------------------------------------------------------------ Roost's own

    def ledger_append(self, seconds: float) -> None:
        self._ledger_append.observe(seconds)

    def tick_lag(self, seconds: float) -> None:
        self._tick_lag.observe(max(0.0, seconds))

    def api_error(self, verb: str, kind: str, reason: str) -> None:
        self._api_errors.labels(verb, kind, reason).inc()

    def tick(self, result: str) -> None:
        self._ticks.labels(result).inc()


# ---------------------------------------------------------------------- HTTP


_POLL_SECONDS = 0.1  # how often serve_forever looks for shutdown(): bounds how long stop() takes


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow scraper must not hold up stop()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # a line per scrape and probe would drown the operator's own logs


class HealthServer:
    """``/metrics``, ``/healthz`` and ``/readyz`` on one port, served from a daemon thread."""

    def __init__(
        self,
        telemetry: Telemetry,
        *,
        host: str = "0.0.0.0",
        port: int = 8080,
        ready: Callable[[], bool],
        healthy: Callable[[], bool],
    ) -> None:
        self.host = host
        self._requested_port = port
        self._ready, self._healthy = ready, healthy
        self._metrics_app = make_wsgi_app(telemetry.registry)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (the one the OS chose when 0 was asked for), once started."""
        if self._server is None:
            return self._requested_port
        return int(self._server.server_port)

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the health server was already started")
        self._server = make_server(
            self.host,
            self._requested_port,
            self._app,
            server_class=_Server,
            handler_class=_QuietHandler,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name="roost-http",
            daemon=True,
        )
        self._thread.start()
        log.info("serving /metrics, /healthz and /readyz on %s:%d", self.host, self.port)

    def stop(self) -> None:
        """Stop serving and close the socket, so the port is free again on return."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(10.0)
            self._thread = None

    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "GET":
            return _plain(start_response, "405 Method Not Allowed", "method not allowed\n")
        if path == "/metrics":
            metrics: Iterable[bytes] = self._metrics_app(environ, start_response)
            return metrics
        if path == "/healthz":
            return _probe(start_response, self._healthy)
        if path == "/readyz":
            return _probe(start_response, self._ready)
        return _plain(start_response, "404 Not Found", "not found\n")


def _probe(start_response: StartResponse, check: Callable[[], bool]) -> list[bytes]:
    try:
        ok = check()
    except Exception:  # a failing check means "not ok", never a broken endpoint
        log.exception("a health check raised")
        ok = False
    if ok:
        return _plain(start_response, "200 OK", "OK")  # Flagger's /healthz body
    return _plain(start_response, "503 Service Unavailable", "not ok")


def _plain(start_response: StartResponse, status: str, body: str) -> list[bytes]:
    data = body.encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    )
    return [data]
