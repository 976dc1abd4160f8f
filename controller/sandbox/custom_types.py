"""Custom resources served from the start: Flagger's own and those of every router it drives.

A real cluster serves these only once their CRDs are installed; the double pre-registers them so
tests of any router can write their objects at once. Creating a CRD for the same group and plural
replaces the definition here (``roost sandbox`` does that with ``deploy/crds``). Names, scopes and
subresources follow each project's published CRDs.
"""

from __future__ import annotations

from controller.sandbox.catalog import ResourceType, sort_versions


def _cr(
    group: str,
    versions: tuple[str, ...],
    plural: str,
    kind: str,
    *,
    short: tuple[str, ...] = (),
    status: bool = True,
    namespaced: bool = True,
    categories: tuple[str, ...] = (),
) -> ResourceType:
    return ResourceType(
        group=group,
        plural=plural,
        kind=kind,
        versions=sort_versions(versions),
        namespaced=namespaced,
        singular=kind.lower(),
        short_names=short,
        categories=categories,
        status=status,
    )


_ISTIO = ("v1alpha3", "v1beta1", "v1")
_APPMESH = ("v1beta1", "v1beta2")

CUSTOM_TYPES: tuple[ResourceType, ...] = (
    _cr("flagger.app", ("v1beta1",), "canaries", "Canary", categories=("all",)),
    _cr("flagger.app", ("v1beta1",), "metrictemplates", "MetricTemplate", categories=("all",)),
    _cr("flagger.app", ("v1beta1",), "alertproviders", "AlertProvider", categories=("all",)),
    _cr("networking.istio.io", _ISTIO, "virtualservices", "VirtualService", short=("vs",)),
    _cr("networking.istio.io", _ISTIO, "destinationrules", "DestinationRule", short=("dr",)),
    _cr(
        "split.smi-spec.io",
        ("v1alpha1", "v1alpha2", "v1alpha3"),
        "trafficsplits",
        "TrafficSplit",
        short=("ts",),
        status=False,
    ),
    _cr("gateway.networking.k8s.io", ("v1", "v1beta1"), "httproutes", "HTTPRoute"),
    _cr("projectcontour.io", ("v1",), "httpproxies", "HTTPProxy", short=("proxy", "proxies")),
    _cr("traefik.io", ("v1alpha1",), "traefikservices", "TraefikService", status=False),
    _cr("traefik.containo.us", ("v1alpha1",), "traefikservices", "TraefikService", status=False),
    _cr("gateway.solo.io", ("v1",), "routetables", "RouteTable", short=("rt",)),
    _cr("gloo.solo.io", ("v1",), "upstreams", "Upstream", short=("us",)),
    _cr("apisix.apache.org", ("v2",), "apisixroutes", "ApisixRoute", short=("ar",)),
    _cr("appmesh.k8s.aws", _APPMESH, "virtualnodes", "VirtualNode"),
    _cr("appmesh.k8s.aws", _APPMESH, "virtualrouters", "VirtualRouter"),
    _cr("appmesh.k8s.aws", _APPMESH, "virtualservices", "VirtualService"),
    _cr("kuma.io", ("v1alpha1",), "trafficroutes", "TrafficRoute", namespaced=False, status=False),
    _cr("serving.knative.dev", ("v1",), "services", "Service", short=("kservice", "ksvc")),
    _cr("serving.knative.dev", ("v1",), "revisions", "Revision", short=("rev",)),
    _cr("keda.sh", ("v1alpha1",), "scaledobjects", "ScaledObject", short=("so",)),
)
"""Custom resources a Flagger-compatible operator reads or writes."""
