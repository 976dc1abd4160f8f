"""The Canary status projected from a folded state (what the operator patches on the status
subresource)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from reducers.canary.state import INITIAL, PromotedCondition, rfc3339, status_of
from reducers.spec import ConditionStatus, Phase

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_a_fresh_state_has_no_times_no_conditions_and_clears_cookies() -> None:
    status = status_of(INITIAL)
    assert status["phase"] == "" and status["canaryWeight"] == 0
    assert "lastTransitionTime" not in status and "conditions" not in status
    assert status["sessionAffinityCookie"] is None


def test_a_running_state() -> None:
    condition = PromotedCondition(
        status=ConditionStatus.UNKNOWN,
        reason="Progressing",
        message="New revision detected, progressing canary analysis.",
        last_update_time=AT,
        last_transition_time=AT - timedelta(minutes=1),
    )
    state = INITIAL.evolved(
        phase=Phase.PROGRESSING,
        canary_weight=20,
        last_transition_time=AT,
        condition=condition,
        session_affinity_cookie="flagger-cookie=abc",
    )
    status = status_of(state)
    assert status["phase"] == "Progressing" and status["canaryWeight"] == 20
    assert status["lastTransitionTime"] == "2026-01-01T12:00:00Z"
    assert status["conditions"] == [
        {
            "type": "Promoted",
            "status": "Unknown",
            "reason": "Progressing",
            "message": "New revision detected, progressing canary analysis.",
            "lastUpdateTime": "2026-01-01T12:00:00Z",
            "lastTransitionTime": "2026-01-01T11:59:00Z",
        }
    ]
    assert status["sessionAffinityCookie"] == "flagger-cookie=abc"


def test_rfc3339_is_utc_with_z() -> None:
    plus_two = datetime(2026, 1, 1, 14, 0, 0, 500, tzinfo=timezone(timedelta(hours=2)))
    assert rfc3339(plus_two) == "2026-01-01T12:00:00.000500Z"
