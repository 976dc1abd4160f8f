"""RFC 7386 JSON merge patch, the one implementation every layer uses.

Pure and shared: the simulator patches a Canary spec with it, the applier predicts what a patch
will do to a live object, and the API-server double applies ``merge-patch+json`` requests. It
lives in ``reducers`` only because that is the one package all of them may import. (The PyPI
``json-merge-patch`` package mutates its first argument in place, which none of these callers can
allow.)
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """``target`` with ``patch`` merged in: objects merge key by key, ``null`` deletes a key,
    anything else (lists included) replaces whole. Neither argument is changed, and the result
    shares no mutable part with them."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result = copy.deepcopy(dict(target)) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result
