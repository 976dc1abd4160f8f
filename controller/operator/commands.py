"""Operator commands as the Canary carries them: ``roost promote`` and the like write a JSON
annotation, and each tick turns it into a ``CommandObserved`` observation for the decider."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from reducers.base import Event
from reducers.events import CommandObserved

log = logging.getLogger("roost.operator")

COMMAND_ANNOTATION = "roost.dev/command"
"""Where ``roost promote`` and the like leave a command: JSON ``{command, id, by, at}``."""


def command_of(doc: Mapping[str, Any], at: datetime) -> list[Event]:
    """The command annotation as an observation (none, or ignored with a warning if malformed)."""
    text = ((doc.get("metadata") or {}).get("annotations") or {}).get(COMMAND_ANNOTATION)
    if not text:
        return []
    try:
        data = json.loads(text)
        return [
            CommandObserved(
                at=at,
                command=data["command"],
                id=data["id"],
                by=data.get("by") or "unknown",
                requested_at=data["at"],
            )
        ]
    except (ValueError, TypeError, KeyError, ValidationError) as e:
        log.warning("ignoring annotation %s: %s", COMMAND_ANNOTATION, str(e)[:300])
        return []
