"""Builtin metrics: ``request-success-rate`` and ``request-duration`` per traffic provider.

Owns the choice of observer from the metrics-provider string (flagger-core §3.1) and the PromQL
each observer runs (§3.6, Flagger's queries with its selectors). Success rates are percentages;
durations are milliseconds — the HTTP observer's query answers seconds and is scaled, as Flagger
does. Queries are built with Python formatting from a :class:`QueryContext`; nothing here talks
to Prometheus.
"""

from __future__ import annotations

from dataclasses import dataclass

from effects.metrics.rendering import QueryContext
from reducers.spec import Canary, Provider, TargetKind

SUCCESS_RATE = "request-success-rate"
DURATION = "request-duration"


@dataclass(frozen=True)
class Builtin:
    """One builtin query and the factor that turns its answer into the recorded unit."""

    query: str
    scale: float = 1.0


def _rate(series: str, selector: str, bad: str, c: QueryContext) -> str:
    ok = f"{selector},{bad}" if selector else bad
    return (
        f"sum(rate({series}{{{ok}}}[{c.interval}])) / "
        f"sum(rate({series}{{{selector}}}[{c.interval}])) * 100"
    )


def _p99(series: str, selector: str, c: QueryContext) -> str:
    return f"histogram_quantile(0.99, sum(rate({series}{{{selector}}}[{c.interval}])) by (le))"


def _mean_ms(prefix: str, selector: str, c: QueryContext) -> str:
    return (
        f"sum(rate({prefix}_sum{{{selector}}}[{c.interval}])) / "
        f"sum(rate({prefix}_count{{{selector}}}[{c.interval}])) * 1000"
    )


def _pods(c: QueryContext) -> str:
    return f'kubernetes_pod_name=~"{c.target}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"'


def _istio(metric: str, c: QueryContext) -> Builtin:
    sel = (
        f'reporter="destination",destination_workload_namespace="{c.namespace}",'
        f'destination_workload=~"{c.target}"'
    )
    if metric == SUCCESS_RATE:
        return Builtin(_rate("istio_requests_total", sel, 'response_code!~"5.*"', c))
    return Builtin(_p99("istio_request_duration_milliseconds_bucket", sel, c))


def _linkerd(metric: str, c: QueryContext) -> Builtin:
    sel = f'namespace="{c.namespace}",deployment=~"{c.target}",direction="inbound"'
    if metric == SUCCESS_RATE:
        return Builtin(_rate("response_total", sel, 'classification!="failure"', c))
    return Builtin(_p99("response_latency_ms_bucket", sel, c))


def _envoy(
    sel: str, metric: str, c: QueryContext, bad: str = 'envoy_response_code!~"5.*"'
) -> Builtin:
    if metric == SUCCESS_RATE:
        return Builtin(_rate("envoy_cluster_upstream_rq", sel, bad, c))
    return Builtin(_p99("envoy_cluster_upstream_rq_time_bucket", sel, c))


def _appmesh(metric: str, c: QueryContext) -> Builtin:
    return _envoy(f'kubernetes_namespace="{c.namespace}",{_pods(c)}', metric, c)


def _contour(metric: str, c: QueryContext) -> Builtin:
    sel = f'envoy_cluster_name=~"{c.namespace}_{c.service}-canary_[0-9a-zA-Z-]+"'
    return _envoy(sel, metric, c)


def _gloo(metric: str, c: QueryContext) -> Builtin:
    sel = (
        f'envoy_cluster_name=~"{c.namespace}-{c.target}-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+"'
    )
    return _envoy(sel, metric, c)


def _kuma(metric: str, c: QueryContext) -> Builtin:
    return _envoy(f'service=~"{c.target}-canary_{c.namespace}_svc_[0-9a-zA-Z-]+"', metric, c)


def _knative(metric: str, c: QueryContext) -> Builtin:
    return _envoy(f'envoy_cluster_name=~"{c.namespace}/{c.route}"', metric, c)


def _nginx(metric: str, c: QueryContext) -> Builtin:
    sel = f'namespace="{c.namespace}",ingress="{c.ingress}",canary!=""'
    if metric == SUCCESS_RATE:
        return Builtin(_rate("nginx_ingress_controller_requests", sel, 'status!~"5.*"', c))
    return Builtin(_mean_ms("nginx_ingress_controller_response_duration_seconds", sel, c))


def _http(metric: str, c: QueryContext) -> Builtin:
    sel = f'kubernetes_namespace="{c.namespace}",{_pods(c)}'
    if metric == SUCCESS_RATE:
        return Builtin(_rate("http_request_duration_seconds_count", sel, 'status!~"5.*"', c))
    return Builtin(_p99("http_request_duration_seconds_bucket", sel, c), scale=1000.0)


def _skipper(metric: str, c: QueryContext) -> Builtin:
    route = f"kube(ew)?_{c.namespace}__{c.ingress}_canary__.*__{c.service}_canary(_[0-9]+)?"
    if metric == SUCCESS_RATE:
        sel = f'route=~"{route}",le="+Inf"'
        return Builtin(_rate("skipper_response_duration_seconds_bucket", sel, 'code!~"5.."', c))
    return Builtin(_mean_ms("skipper_serve_route_duration_seconds", f'route=~"{route}"', c))


def _traefik(metric: str, c: QueryContext) -> Builtin:
    svc = f'service=~"{c.namespace}-{c.target}-canary-[0-9a-zA-Z-]+@kubernetescrd"'
    series = "traefik_service_request_duration_seconds_bucket"
    if metric == SUCCESS_RATE:
        return Builtin(_rate(series, f'{svc},le="+Inf"', 'code!~"5.."', c))
    return Builtin(_p99(series, svc, c), scale=1000.0)


def _osm(metric: str, c: QueryContext) -> Builtin:
    sel = (
        f'destination_namespace="{c.namespace}",destination_kind="Deployment",'
        f'destination_name="{c.target}"'
    )
    if metric == SUCCESS_RATE:
        return Builtin(_rate("osm_request_total", sel, 'response_code!~"5.*"', c))
    return Builtin(_p99("osm_request_duration_ms_bucket", sel, c))


def _apisix(metric: str, c: QueryContext) -> Builtin:
    sel = f'route=~"{c.namespace}_{c.route}-{c.target}-canary_.+"'
    if metric == SUCCESS_RATE:
        return Builtin(_rate("apisix_http_status", sel, 'code!~"5.."', c))
    return Builtin(_p99("apisix_http_latency_bucket", f'type=~"request",{sel}', c))


_OBSERVERS = {
    "appmesh": _appmesh,
    "linkerd": _linkerd,
    "istio": _istio,
    "contour": _contour,
    "gloo": _gloo,
    "nginx": _nginx,
    "kubernetes": _http,
    "gatewayapi": _http,
    "skipper": _skipper,
    "traefik": _traefik,
    "osm": _osm,
    "kuma": _kuma,
    "apisix": _apisix,
    "knative": _knative,
}
_PREFIXED = ("appmesh", "gloo", "gatewayapi")


def metrics_provider(canary: Canary, operator_provider: str) -> str:
    """The metrics-provider string of flagger-core §3.1 (also the ``{provider}`` of messages)."""
    base = "crossover" if "crossover" in operator_provider else operator_provider
    spec = canary.spec
    if spec.provider is not None:
        base = "linkerd" if "linkerd" in operator_provider else str(spec.provider)
    if spec.target_ref.kind is TargetKind.SERVICE and not spec.target_ref.is_knative:
        base += ":service"
    return base


def observer_name(provider: str) -> str:
    """The observer for a metrics-provider string; anything unmatched is Istio, as in Flagger."""
    for prefix in _PREFIXED:
        if provider.startswith(prefix):
            return prefix
    if provider in _OBSERVERS:
        return provider
    return Provider.ISTIO.value


def builtin_query(metric: str, provider: str, context: QueryContext) -> Builtin:
    """The query of builtin ``metric`` for the metrics-provider string ``provider``."""
    if metric not in (SUCCESS_RATE, DURATION):
        raise ValueError(f"{metric!r} is not a builtin metric")
    return _OBSERVERS[observer_name(provider)](metric, context)


def metrics_server(canary: Canary, operator_default: str) -> str:
    """The Prometheus of builtin and inline metrics: ``spec.metricsServer`` or the flag's."""
    return canary.spec.metrics_server or operator_default
