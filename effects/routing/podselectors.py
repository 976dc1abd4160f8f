"""The pod selector of the primary or canary Service, for routers that repeat it (App Mesh, Gloo).

App Mesh VirtualNodes select the pods their envoy sidecars run in, and Gloo kube Upstreams
select the endpoints they balance over; both must select what the primary / canary Service
selects. Flagger reads the live Service (Gloo) or rebuilds the selector from the router's label
(App Mesh). A pure router cannot wait for the Service: in Roost the Services are rendered in the
same pass as the router objects, so on the first tick they do not exist yet. The rule here:

1. the live Service's ``spec.selector`` when the Service exists (exactly what it selects, built
   with the operator's ``-selector-labels``);
2. otherwise the rule :mod:`effects.services` applies — the first selector label the target
   selects on (from ``RouterSettings.selector_labels``, the operator's ``-selector-labels``),
   valued ``<value>-primary`` for the primary and ``<value>`` for the canary.

Not a provider: a helper module shared by :mod:`effects.routing.appmesh` and
:mod:`effects.routing.gloo`.
"""

from __future__ import annotations

from collections.abc import Mapping

from effects.errors import RenderError
from effects.kubeapi import ObjectRef
from effects.routing.base import RouterConfigError, RouterInput
from effects.workloads.metadata import PRIMARY_SUFFIX, selector_label


def service_refs(inp: RouterInput) -> list[ObjectRef]:
    """The primary and canary Services and the target, which :func:`service_selector` reads."""
    target = inp.canary.spec.target_ref
    return [
        inp.ref("v1", "Service", inp.primary_name),
        inp.ref("v1", "Service", inp.canary_name),
        inp.ref(target.api_version, target.kind, target.name),
    ]


def service_selector(inp: RouterInput, *, primary: bool) -> dict[str, str]:
    """What the primary (or canary) Service selects; see the module docstring for the rule."""
    name = inp.primary_name if primary else inp.canary_name
    live = inp.get("v1", "Service", name)
    found = ((live or {}).get("spec") or {}).get("selector")
    if isinstance(found, Mapping) and found:
        return {str(k): str(v) for k, v in found.items()}
    ref = inp.canary.spec.target_ref
    target = inp.get(ref.api_version, ref.kind, ref.name)
    if target is None:
        raise RouterConfigError(
            f"provider {inp.provider} needs Service {name} or the target {ref.kind} {ref.name} "
            "(spec.targetRef) to know which pods it routes to"
        )
    try:
        label, value = selector_label(target, inp.settings.selector_labels)
    except RenderError as e:
        raise RouterConfigError(f"spec.targetRef: {e}") from e
    return {label: f"{value}{PRIMARY_SUFFIX}" if primary else value}
