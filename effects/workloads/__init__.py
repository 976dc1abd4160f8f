"""Primary workloads: rendering the primary from the target, and scaling the target.

Public API: :func:`render_primary` (Deployment/DaemonSet, :class:`PrimaryShape` create/promote),
:func:`scale_to_zero_patch`, :func:`scale_up_patch`, :func:`scale_up_replicas`,
:func:`render_service_target_copies`, :func:`knative_pin_patch`, :func:`knative_promote_patch`,
:func:`selector_label`. Everything here is pure; :mod:`effects.applying` writes the results.
"""

from __future__ import annotations

from effects.workloads.metadata import owner_reference, selector_label
from effects.workloads.primaries import SCALE_TO_ZERO_NODE_SELECTOR, PrimaryShape, render_primary
from effects.workloads.scaling import scale_to_zero_patch, scale_up_patch, scale_up_replicas
from effects.workloads.service_targets import (
    knative_pin_patch,
    knative_promote_patch,
    render_service_target_copies,
)

__all__ = [
    "SCALE_TO_ZERO_NODE_SELECTOR",
    "PrimaryShape",
    "knative_pin_patch",
    "knative_promote_patch",
    "owner_reference",
    "render_primary",
    "render_service_target_copies",
    "scale_to_zero_patch",
    "scale_up_patch",
    "scale_up_replicas",
    "selector_label",
]
