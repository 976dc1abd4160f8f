"""Structured JSON logs: one object per line, with ``canary`` (``name.namespace``), ``run`` and
``tick`` when a record carries them (``log.info(..., extra={"canary": ..., "tick": ...})``)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from reducers.canary.state import rfc3339

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING}
LEVELS |= {"warning": logging.WARNING, "error": logging.ERROR}
CONTEXT = ("canary", "run", "tick")


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": rfc3339(datetime.fromtimestamp(record.created, UTC)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in CONTEXT:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    """JSON lines on stderr at ``level`` (Flagger's -log-level names)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(LEVELS.get(level.lower(), logging.INFO))
    # the scheduler narrates every job run at info; our own tick lines say what matters
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
