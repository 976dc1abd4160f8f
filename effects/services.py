"""The three ClusterIP Services every Deployment/DaemonSet canary gets: apex, primary, canary.

Pure renderer (flagger-objects §2). Given the live Service (if any) it renders what Roost wants
that Service to become: a new Service in full; an existing one reduced to what Roost reconciles —
ports (keeping the live node ports) and selector, plus metadata only when this Canary controls
it (the user's own Service, taken over, keeps its metadata and gets the Flux opt-out keys only).
:func:`metadata_is_exclusive` tells the applier when foreign labels/annotations go.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from effects.settings import WorkloadSettings
from effects.workloads.metadata import (
    CANARY_SUFFIX,
    FLUX_OPT_OUT,
    PRIMARY_SUFFIX,
    has_canary_controller,
    is_controlled_by,
    owner_reference,
    selector_label,
)
from effects.workloads.service_targets import LAST_APPLIED
from reducers.spec import Canary, CanaryService
from reducers.spec.service import ServiceMetadata

SIDECARS = frozenset({"istio-proxy", "envoy"})


class ServiceRole(StrEnum):
    """Which of the three Services."""

    APEX = "apex"
    PRIMARY = "primary"
    CANARY = "canary"


def discover_ports(pod_template: Mapping[str, Any], service: CanaryService) -> list[dict[str, Any]]:
    """Extra Service ports for every container port but the main one and sidecars' ports.

    Unnamed ports are named ``tcp-<container>-<index>`` so each Service port has a name.
    """
    target_port = service.target_port
    ports: list[dict[str, Any]] = []
    for container in (pod_template.get("spec") or {}).get("containers") or []:
        if container.get("name") in SIDECARS:
            continue
        for index, port in enumerate(container.get("ports") or []):
            number, name = port.get("containerPort"), port.get("name")
            if target_port is None and number == service.port:
                continue
            if target_port is not None and target_port in (number, name):
                continue
            ports.append(
                {
                    "name": name or f"tcp-{container.get('name')}-{index}",
                    "protocol": "TCP",
                    "port": number,
                    "targetPort": number,
                }
            )
    return ports


def _ports(service: CanaryService, target: Mapping[str, Any]) -> list[dict[str, Any]]:
    main: dict[str, Any] = {
        "name": service.effective_port_name(),
        "protocol": "TCP",
        "port": service.port,
        "targetPort": service.effective_target_port(),
    }
    if service.app_protocol:
        main["appProtocol"] = service.app_protocol
    ports = [main]
    if service.port_discovery:
        template = (target.get("spec") or {}).get("template") or {}
        ports.extend(discover_ports(template, service))
    return ports


def _custom(service: CanaryService, role: ServiceRole) -> ServiceMetadata | None:
    return {
        ServiceRole.APEX: service.apex,
        ServiceRole.PRIMARY: service.primary,
        ServiceRole.CANARY: service.canary,
    }[role]


def _unmanaged(
    live_values: Mapping[str, str] | None, keys: tuple[str, ...] | None
) -> dict[str, str]:
    return {k: v for k, v in (live_values or {}).items() if k in (keys or ())}


def metadata_is_exclusive(live: Mapping[str, Any] | None, canary: Canary) -> bool:
    """Whether foreign labels and annotations on ``live`` are removed (only on owned Services)."""
    return live is not None and is_controlled_by(live, canary.metadata.name)


def render_service(
    role: ServiceRole,
    canary: Canary,
    target: Mapping[str, Any],
    settings: WorkloadSettings,
    live: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Desired apex, primary or canary Service."""
    service = canary.spec.service
    if service is None:
        raise ValueError("a Deployment or DaemonSet canary always has spec.service")
    label, value = selector_label(target, settings.selector_labels)
    apex = canary.spec.effective_service_name()
    name = {
        ServiceRole.APEX: apex,
        ServiceRole.PRIMARY: f"{apex}{PRIMARY_SUFFIX}",
        ServiceRole.CANARY: f"{apex}{CANARY_SUFFIX}",
    }[role]
    selected = value if role is ServiceRole.CANARY else f"{value}{PRIMARY_SUFFIX}"
    custom = _custom(service, role)
    labels = {**((custom.labels if custom else None) or {}), label: name}
    annotations = {**((custom.annotations if custom else None) or {}), **FLUX_OPT_OUT}
    ports = _ports(service, target)
    namespace = canary.metadata.namespace or "default"
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    spec: dict[str, Any] = {"selector": {label: selected}, "ports": ports}
    if live is None:
        metadata.update(
            labels=labels, annotations=annotations, ownerReferences=[owner_reference(canary)]
        )
        spec["type"] = "ClusterIP"
        if service.headless:
            spec["clusterIP"] = "None"
        if service.traffic_distribution is not None:
            spec["trafficDistribution"] = str(service.traffic_distribution)
    else:
        live_meta = live.get("metadata") or {}
        node_ports = {
            p.get("name"): p["nodePort"]
            for p in (live.get("spec") or {}).get("ports") or []
            if p.get("nodePort")
        }
        for port in ports:
            if port["name"] in node_ports:
                port["nodePort"] = node_ports[port["name"]]
        if metadata_is_exclusive(live, canary):
            unmanaged = service.unmanaged_metadata
            metadata["labels"] = {
                **labels,
                **_unmanaged(live_meta.get("labels"), unmanaged.labels if unmanaged else None),
            }
            keys = unmanaged.annotations if unmanaged else None
            metadata["annotations"] = {
                **annotations,
                **_unmanaged(live_meta.get("annotations"), keys),
            }
            metadata["ownerReferences"] = live_meta.get("ownerReferences")
        else:
            metadata["annotations"] = dict(FLUX_OPT_OUT)
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec}


def render_services(
    canary: Canary,
    target: Mapping[str, Any],
    settings: WorkloadSettings,
    live: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Canary, primary and apex Services (in Flagger's order), given live Services by name."""
    apex = canary.spec.effective_service_name()
    names = {
        ServiceRole.CANARY: f"{apex}{CANARY_SUFFIX}",
        ServiceRole.PRIMARY: f"{apex}{PRIMARY_SUFFIX}",
        ServiceRole.APEX: apex,
    }
    found = live or {}
    return [
        render_service(role, canary, target, settings, found.get(name))
        for role, name in names.items()
    ]


def apex_revert_selector(
    apex_live: Mapping[str, Any] | None, target: Mapping[str, Any], settings: WorkloadSettings
) -> dict[str, str] | None:
    """Selector the apex Service gets back when the Canary is deleted with revertOnDeletion.

    ``None`` when there is nothing to revert: no apex, or one a Canary owns (it goes with it).
    The user's last applied selector wins; otherwise the apex selects the user's pods again.
    """
    if apex_live is None or has_canary_controller(apex_live):
        return None
    annotations = (apex_live.get("metadata") or {}).get("annotations") or {}
    raw = annotations.get(LAST_APPLIED)
    if raw:
        try:
            selector = (json.loads(raw).get("spec") or {}).get("selector")
        except (ValueError, AttributeError):
            selector = None
        if isinstance(selector, dict) and selector:
            return {str(k): str(v) for k, v in selector.items()}
    label, value = selector_label(target, settings.selector_labels)
    return {label: value}
