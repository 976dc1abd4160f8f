"""Which router serves which provider."""

from __future__ import annotations

from effects.routing.apisix import ApisixRouter
from effects.routing.appmesh import V1BETA1, V1BETA2, AppMeshRouter
from effects.routing.base import Router
from effects.routing.contour import ContourRouter
from effects.routing.gatewayapi import V1 as GW_V1
from effects.routing.gatewayapi import V1BETA1 as GW_V1BETA1
from effects.routing.gatewayapi import GatewayApiRouter
from effects.routing.gloo import GlooRouter
from effects.routing.istio import IstioRouter
from effects.routing.knative import KnativeRouter
from effects.routing.kubernetes import KubernetesRouter
from effects.routing.kuma import KumaRouter
from effects.routing.nginx import NginxRouter
from effects.routing.skipper import SkipperRouter
from effects.routing.smi import SmiRouter
from effects.routing.traefik import TraefikRouter
from reducers.spec import Provider, ProviderChoice

_SMI = SmiRouter()

ROUTERS: dict[Provider, Router] = {
    Provider.APISIX: ApisixRouter(),
    Provider.APPMESH: AppMeshRouter(V1BETA1),
    Provider.APPMESH_V1BETA2: AppMeshRouter(V1BETA2),
    Provider.CONTOUR: ContourRouter(),
    Provider.GATEWAYAPI_V1: GatewayApiRouter(GW_V1),
    Provider.GATEWAYAPI_V1BETA1: GatewayApiRouter(GW_V1BETA1),
    Provider.GLOO: GlooRouter(),
    Provider.ISTIO: IstioRouter(),
    Provider.KNATIVE: KnativeRouter(),
    Provider.KUBERNETES: KubernetesRouter(),
    Provider.KUMA: KumaRouter(),
    Provider.LINKERD: _SMI,
    Provider.NGINX: NginxRouter(),
    Provider.OSM: _SMI,
    Provider.SKIPPER: SkipperRouter(),
    Provider.SMI_V1ALPHA1: _SMI,
    Provider.SMI_V1ALPHA2: _SMI,
    Provider.SMI_V1ALPHA3: _SMI,
    Provider.TRAEFIK: TraefikRouter(),
}
"""One router per provider; a provider module registers itself by a line here."""


def router_for(choice: ProviderChoice) -> Router:
    """The router of a provider; every provider Flagger admits has one."""
    try:
        return ROUTERS[choice.provider]
    except KeyError:
        raise NotImplementedError(f"no router for provider {choice}") from None
