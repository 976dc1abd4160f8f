"""Revision identity: a fingerprint of what a target runs, and when it counts as a change.

Roost's fingerprint is SHA-256 over canonical JSON (sorted keys, no whitespace, empty values
dropped) of the pod template together with the checksums of the ConfigMaps and Secrets it tracks —
Flagger keeps these two apart (``lastAppliedSpec`` and ``trackedConfigs``); one value covers both
here. Only equality matters, so the shell and the simulated world compute it the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from reducers.canary.state import CanaryState


def _prune(value: Any) -> Any:
    if isinstance(value, Mapping):
        pruned = {str(k): _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, {}, [], "")}
    if isinstance(value, list | tuple):
        return [_prune(v) for v in value]
    return value


def revision_of(pod_template: Mapping[str, Any], config_checksums: Mapping[str, str]) -> str:
    """Fingerprint of a pod template plus tracked config checksums (hex, 16 characters)."""
    canonical = orjson.dumps(
        {"template": _prune(pod_template), "configs": _prune(dict(config_checksums))},
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(canonical).hexdigest()[:16]


def has_changed(state: CanaryState, revision: str) -> bool:
    """Whether ``revision`` should start (or restart) a run (flagger-core §2.2.1).

    Going back to the promoted revision is never a change — not even mid-run (kept quirk 17).
    """
    if not state.last_applied_spec:
        return True
    if revision == state.last_promoted_spec:
        return False
    return revision != state.last_applied_spec
