"""ConfigMap and Secret tracking: which configs a pod template uses, their checksums, copies.

Public API: :func:`discover_refs`, :func:`track`, :func:`checksum_of`, :func:`rename_refs`,
:func:`render_config_copy`, :class:`ConfigRef`, :class:`TrackedConfigs`. Secret values never
leave this package except as checksums: :class:`TrackedConfigs` keeps the objects only to render
their ``-primary`` copies, and only checksums reach events.
"""

from __future__ import annotations

from effects.configs.copies import render_config_copy
from effects.configs.tracking import (
    ConfigRef,
    TrackedConfigs,
    checksum_of,
    discover_refs,
    rename_refs,
    track,
)

__all__ = [
    "ConfigRef",
    "TrackedConfigs",
    "checksum_of",
    "discover_refs",
    "rename_refs",
    "render_config_copy",
    "track",
]
