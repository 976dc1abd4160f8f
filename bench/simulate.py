"""Decider throughput: ``decide`` + ``evolve`` ticks per second, printed (target >= 10,000/s).

A simulated run (stepWeight 1 up to 100: ~105 ticks with two metrics and a rollout hook) is
recorded once; the benchmark then re-decides every tick from its recorded observations and folds
observations and decisions, as replay and the operator's tick do. The world model and the ledger
are outside the timed loop: this measures the pure core only.

Run: ``.venv/bin/python bench/simulate.py [--seconds N]``.
"""

from __future__ import annotations

import argparse
import time

from controller.simulation import simulate
from reducers.base import Event
from reducers.canary import INITIAL, CanaryState, decide, fold
from reducers.canary.replaying import split_ticks
from reducers.events import DECIDE_INPUTS
from reducers.spec import Canary, validate_document

TARGET = 10_000

CANARY = {
    "apiVersion": "flagger.app/v1beta1",
    "kind": "Canary",
    "metadata": {"name": "podinfo", "namespace": "bench"},
    "spec": {
        "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
        "service": {"port": 9898},
        "analysis": {
            "interval": "1m",
            "threshold": 5,
            "stepWeight": 1,
            "maxWeight": 100,
            "metrics": [
                {"name": "request-success-rate", "thresholdRange": {"min": 99}, "interval": "1m"},
                {"name": "request-duration", "thresholdRange": {"max": 500}, "interval": "1m"},
            ],
            "webhooks": [{"name": "load-test", "url": "http://flagger-loadtester.test/"}],
        },
    },
}


def recorded_ticks() -> list[tuple[CanaryState, list[Event], list[Event]]]:
    model = validate_document(CANARY)
    assert isinstance(model, Canary)
    events = [e for report in simulate(model) for e in report.recorded]
    ticks = []
    state = INITIAL
    for group in split_ticks(events):
        observations = [e for e in group if isinstance(e, DECIDE_INPUTS)]
        ticks.append((state, observations, group))
        state = fold(group, state)
    return ticks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    ticks = recorded_ticks()
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        for state, observations, group in ticks:
            decision = decide(state, observations)
            assert decision.complete
            fold(group, state)
        done += len(ticks)
    elapsed = time.perf_counter() - start
    rate = done / elapsed
    verdict = "ok" if rate >= TARGET else f"BELOW TARGET {TARGET:,}/s"
    print(f"decide+evolve: {done:,} ticks in {elapsed:.2f}s = {rate:,.0f} ticks/s ({verdict})")
    per_tick = sum(len(group) for _, _, group in ticks) / len(ticks)
    print(f"(a run of {len(ticks)} ticks, {per_tick:.1f} events per tick)")


if __name__ == "__main__":
    main()
