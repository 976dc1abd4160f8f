"""The decision scenarios of flagger-scenarios.md as data: canary, script, expected ticks.

One table, run twice: in process through ``reducers`` (tests/reducers) and through
``roost simulate --json`` (tests/simulate). Tick numbers are the reference's: the fixture scripts
hold the primary back one tick where the reference's unit-test fixture does. Where Roost fixes a
Flagger quirk the expectation says so (``# fix N`` = quirk N of flagger-core §2.11).
"""

from __future__ import annotations

from tests.reducers.scenarios.base import (
    FAIL_METRIC,
    Expect,
    Scenario,
    canary,
    hook,
    mismatches,
)
from tests.reducers.scenarios.commands import command_scenarios
from tests.reducers.scenarios.gated import scenarios_part_two
from tests.reducers.scenarios.lifecycle import scenarios_part_three
from tests.reducers.scenarios.progressive import scenarios_part_one


def all_scenarios() -> list[Scenario]:
    return [
        *scenarios_part_one(),
        *scenarios_part_two(),
        *scenarios_part_three(),
        *command_scenarios(),
    ]


__all__ = ["FAIL_METRIC", "Expect", "Scenario", "all_scenarios", "canary", "hook", "mismatches"]
