"""Text of ``roost get`` and ``roost status``: plain functions from Canary documents to lines.

No I/O here, so what the commands print is tested without a cluster. Columns follow Flagger's
printer columns for ``kubectl get canaries`` (deploy/crds/canaries.yaml); ``PROGRESS`` is Roost's
(how far the run is: the weight reached of the weight that promotes, or the iteration).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from controller.operator.commands import COMMAND_ANNOTATION
from reducers.spec import Canary, Strategy

GET_COLUMNS = (
    "NAMESPACE",
    "NAME",
    "STATUS",
    "WEIGHT",
    "SUSPENDED",
    "FAILEDCHECKS",
    "INTERVAL",
    "MIRROR",
    "STEPWEIGHT",
    "STEPWEIGHTS",
    "MAXWEIGHT",
    "LASTTRANSITIONTIME",
    "PROGRESS",
)


def _text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def progress(doc: Mapping[str, Any]) -> str:
    """``weight 30/50`` or ``iteration 3/10`` (``-`` when the Canary cannot be read)."""
    status = doc.get("status") or {}
    try:
        analysis = Canary.model_validate(doc).spec.analysis
    except ValueError:
        return "-"
    if analysis.strategy() in (Strategy.AB_TESTING, Strategy.BLUE_GREEN):
        return f"iteration {status.get('iterations') or 0}/{analysis.iterations or 0}"
    top = min(100, analysis.effective_max_weight())
    return f"weight {status.get('canaryWeight') or 0}/{top}"


def get_row(doc: Mapping[str, Any]) -> tuple[str, ...]:
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    analysis = spec.get("analysis") or {}
    status = doc.get("status") or {}
    return (
        _text(meta.get("namespace")),
        _text(meta.get("name")),
        _text(status.get("phase")),
        _text(status.get("canaryWeight")),
        _text(spec.get("suspend")),
        _text(status.get("failedChecks")),
        _text(analysis.get("interval")),
        _text(analysis.get("mirror")),
        _text(analysis.get("stepWeight")),
        _text(analysis.get("stepWeights")),
        _text(analysis.get("maxWeight")),
        _text(status.get("lastTransitionTime")),
        progress(doc),
    )


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns three spaces apart, as kubectl prints them."""
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    return [
        "   ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in [header, *rows]
    ]


def pending_command(doc: Mapping[str, Any]) -> str:
    """The command waiting on the Canary, as one phrase ('' when none)."""
    text = ((doc.get("metadata") or {}).get("annotations") or {}).get(COMMAND_ANNOTATION)
    if not text:
        return ""
    try:
        data = json.loads(text)
        return f"{data['command']} by {data.get('by', '?')} at {data.get('at', '?')}"
    except (ValueError, TypeError, KeyError):
        return f"unreadable: {str(text)[:80]}"


def status_lines(doc: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> list[str]:
    """What ``roost status`` prints for one Canary and its latest events (oldest first)."""
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    status = doc.get("status") or {}
    threshold = (spec.get("analysis") or {}).get("threshold")
    weight = status.get("canaryWeight") or 0
    lines = [
        f"Canary:           {meta.get('namespace')}/{meta.get('name')}",
        f"Status:           {status.get('phase') or '(not yet reconciled)'}",
        f"Suspended:        {_text(bool(spec.get('suspend')))}",
        f"Weight:           canary {weight}, primary {100 - int(weight)}",
        f"Progress:         {progress(doc)}",
        f"Failed checks:    {status.get('failedChecks') or 0}/{_text(threshold) or '?'}",
        f"Last transition:  {status.get('lastTransitionTime') or '-'}",
        f"Pending command:  {pending_command(doc) or '-'}",
        "Conditions:",
    ]
    conditions = status.get("conditions") or []
    lines.extend(
        f"  {c.get('type')} {c.get('status')} {c.get('reason')}: {c.get('message')}"
        for c in conditions
    )
    if not conditions:
        lines.append("  -")
    lines.append("Events:")
    lines.extend(
        f"  {e.get('time') or '-'}  {e.get('type')}  {e.get('reason')}  {e.get('message')}"
        for e in events
    )
    if not events:
        lines.append("  -")
    return lines
