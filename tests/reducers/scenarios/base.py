"""Shared pieces of the scenario table: expectations, the FX-DEP canary builder, texts."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

LOADTESTER = "http://flagger-loadtester.test/"


@dataclass(frozen=True)
class Expect:
    """What one tick must show; ``None`` fields are not checked."""

    phase: str
    weight: int | None = None
    failed: int | None = None
    iterations: int | None = None
    routes: tuple[int, int, bool] | None = None
    events: tuple[str, ...] | None = None
    """The tick's Kubernetes event messages, exactly and in order."""
    contains: tuple[str, ...] = ()
    """Messages that must be among the tick's events."""
    alerts: tuple[tuple[str, str], ...] | None = None
    """(severity, message) of the tick's alerts, exactly."""


@dataclass(frozen=True)
class Scenario:
    id: str
    canary: dict[str, Any]
    script: list[dict[str, Any]]
    expect: dict[int, Expect]
    hooks: dict[str, list[str]] = field(default_factory=dict)
    """Per hook type, the payload phases of every call over the whole run."""


def canary(
    analysis: dict[str, Any] | None = None,
    *,
    namespace: str = "default",
    replace_analysis: bool = False,
    **spec: Any,
) -> dict[str, Any]:
    """FX-DEP of flagger-scenarios §0 (threshold 10, stepWeight 10, maxWeight 50), adjusted."""
    base: dict[str, Any] = {
        "interval": "1m",
        "threshold": 10,
        "stepWeight": 10,
        "maxWeight": 50,
        "metrics": [
            {"name": "request-success-rate", "threshold": 99, "interval": "1m"},
            {
                "name": "request-duration",
                "thresholdRange": {"min": 0, "max": 500000},
                "interval": "1m",
            },
        ],
    }
    doc: dict[str, Any] = {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": namespace},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898},
            "analysis": copy.deepcopy(analysis or {})
            if replace_analysis
            else {**base, **(analysis or {})},
            **spec,
        },
    }
    return doc


def hook(name: str, kind: str | None = None, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"name": name, "url": f"{LOADTESTER}{name}", **extra}
    if kind is not None:
        found["type"] = kind
    return found


FAIL_METRIC = {
    "name": "fail",
    "interval": "1m",
    "thresholdRange": {"min": 0, "max": 50},
    "query": "fail",
}

# FX-DEP start: primary not ready at T1, ready at T2, v2 at T3 (the run starts).
START = [
    {"primary": {"ready": False}},
    {"primary": {"ready": True}},
    {"target": {"revision": "v2"}},
]
PRIMARY_WAIT = "podinfo-primary.default not ready: waiting for rollout to finish: 0 out of 1 new "
PRIMARY_WAIT += "replicas have been updated"
PROVIDERS = "all the metrics providers are available!"
SCALING_UP = "New revision detected! Scaling up podinfo.default"
STARTING = "Starting canary analysis for podinfo.default"
COPYING = "Copying podinfo.default template spec to podinfo-primary.default"
SUCCEEDED = "Promotion completed! Scaling down podinfo.default"


def advance(weight: int, ns: str = "default") -> str:
    return f"Advance podinfo.{ns} canary weight {weight}"


def ladder(ticks: dict[int, int], ns: str = "default") -> dict[int, Expect]:
    return {
        t: Expect("Progressing", weight=w, routes=(100 - w, w, False), events=(advance(w, ns),))
        for t, w in ticks.items()
    }


TEST_START = [{}, {"target": {"revision": "v2"}}]


def in_test(text: str) -> str:
    return text.replace(".default", ".test")


def mismatches(scenario: Scenario, ticks: list[dict[str, Any]]) -> list[str]:
    """Every way the per-tick JSON of a run differs from the scenario's expectations."""
    found: list[str] = []
    for number, want in sorted(scenario.expect.items()):
        if number > len(ticks):
            found.append(f"T{number}: missing (the run has {len(ticks)} ticks)")
            continue
        tick = ticks[number - 1]
        routes = tick["routes"]
        got = {
            "phase": tick["phase"],
            "weight": tick["canaryWeight"],
            "failed": tick["failedChecks"],
            "iterations": tick["iterations"],
            "routes": (routes["primary"], routes["canary"], routes["mirrored"]),
            "events": tuple(tick["events"]),
            "alerts": tuple((a["severity"], a["message"]) for a in tick["alerts"]),
        }
        for key, value in got.items():
            expected = getattr(want, key)
            if expected is not None and expected != value:
                found.append(f"T{number} {key}: expected {expected!r}, got {value!r}")
        found.extend(
            f"T{number}: missing event {m!r} in {got['events']!r}"
            for m in want.contains
            if m not in got["events"]
        )
    calls: dict[str, list[str]] = {}
    for tick in ticks:
        for call in tick["webhooks"]:
            calls.setdefault(call["type"], []).append(call["phase"])
    for kind, phases in scenario.hooks.items():
        if calls.get(kind, []) != phases:
            found.append(f"{kind} hooks called with {calls.get(kind, [])!r}, expected {phases!r}")
    return found
