"""The simulation script format and its checks against the Canary it drives.

A script is a list of ticks; each item says what changes in the world before that tick (nothing,
a new target revision, readiness, metric values, webhook answers, a spec patch, deletion, an
operator command) or
repeats quiet ticks. Every problem is reported with its place (``ticks[3].metrics.latency``) so a
user can fix the file without guessing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
)

from reducers.events import Command
from reducers.spec import Canary


class ScriptError(ValueError):
    """A script that cannot drive this Canary; the message names the place."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class TargetChange(_Model):
    """The target's pod template changes to a named revision."""

    revision: str = Field(min_length=1)


class WorkloadChange(_Model):
    """Readiness of the primary or the canary from now on."""

    ready: StrictBool = True
    deadline_exceeded: StrictBool = Field(default=False, alias="deadlineExceeded")
    message: str | None = None


MetricValue = float | Literal["none", "error"] | None
"""A value from now on; ``none`` (or null): no values; ``error``: the query fails."""


class CommandStep(_Model):
    """An operator command (``roost promote`` and the like) found on the Canary this tick."""

    command: Command
    by: str = Field(default="someone", min_length=1)
    id: str | None = Field(default=None, min_length=1)
    """Defaults to a fresh id per command (``command-1``, ``command-2``, ...)."""


class Step(_Model):
    """What changes before one tick (or ``repeat``: that many quiet ticks)."""

    target: TargetChange | None = None
    canary: WorkloadChange | None = None
    primary: WorkloadChange | None = None
    metrics: dict[str, MetricValue] | None = None
    webhooks: dict[str, StrictInt] | None = None
    spec: dict[str, Any] | None = None
    """JSON merge patch applied to the Canary's spec."""
    delete: StrictBool = False
    """The Canary is deleted (gets a deletion timestamp) before this tick."""
    command: CommandStep | None = None
    """Observed from this tick until a tick handles it (as the operator removes it then)."""
    repeat: StrictInt | None = Field(default=None, ge=1)


class Script(_Model):
    """A whole script."""

    start: AwareDatetime | None = None
    ticks: tuple[Step, ...] = ()


def load_script(data: Any) -> Script:
    """Parse a decoded YAML document; raises :class:`ScriptError` naming the place."""
    if data is None:
        return Script()
    if isinstance(data, list):
        data = {"ticks": data}
    if isinstance(data, dict) and isinstance(data.get("start"), datetime):
        data = {**data, "start": data["start"].isoformat()}
    try:
        return Script.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        place = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in first["loc"]).replace(
            ".[", "["
        )
        raise ScriptError(f"script {place or '(top)'}: {first['msg']}") from e


def check_against(script: Script, canary: Canary) -> None:
    """Every metric and webhook the script names must exist on the Canary."""
    analysis = canary.spec.analysis
    metrics = {m.name for m in analysis.metrics or ()}
    hooks = {h.name for h in analysis.webhooks or ()}
    for index, step in enumerate(script.ticks):
        for name in step.metrics or {}:
            if name not in metrics:
                known = ", ".join(sorted(metrics)) or "none"
                raise ScriptError(
                    f"script ticks[{index}].metrics.{name}: the canary has no metric named "
                    f"{name!r} (it has: {known})"
                )
        for name in step.webhooks or {}:
            if name not in hooks:
                known = ", ".join(sorted(hooks)) or "none"
                raise ScriptError(
                    f"script ticks[{index}].webhooks.{name}: the canary has no webhook named "
                    f"{name!r} (it has: {known})"
                )
