"""Go durations, Flagger's duration rule, and provider names given outside a Canary."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reducers.spec import (
    DurationError,
    Provider,
    ProviderChoice,
    UnknownProviderError,
    is_flagger_duration,
    parse_go_duration,
    parse_provider,
)

FLAGGER_CRD_PREFIX = re.compile(r"^[0-9]+(m|s)")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", timedelta(0)),
        ("30s", timedelta(seconds=30)),
        ("1m30s", timedelta(seconds=90)),
        ("1h", timedelta(hours=1)),
        ("1.5h", timedelta(minutes=90)),
        ("500ms", timedelta(milliseconds=500)),
        ("1us", timedelta(microseconds=1)),
        ("2\u00b5s", timedelta(microseconds=2)),
        (".5s", timedelta(milliseconds=500)),
        ("-2s", timedelta(seconds=-2)),
        ("1h2m3s4ms", timedelta(hours=1, minutes=2, seconds=3, milliseconds=4)),
    ],
)
def test_parse_go_duration(text: str, expected: timedelta) -> None:
    assert parse_go_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "1d", "s", "1 m", "1m ", "-", "1.s.5"])
def test_parse_go_duration_rejects(text: str) -> None:
    with pytest.raises(DurationError):
        parse_go_duration(text)


def _go_parses(text: str) -> bool:
    try:
        parse_go_duration(text)
    except DurationError:
        return False
    return True


@given(st.text(alphabet="0123456789.mshnu", max_size=7))
def test_flagger_duration_is_crd_prefix_and_go_duration(text: str) -> None:
    expected = bool(FLAGGER_CRD_PREFIX.match(text)) and _go_parses(text)
    assert is_flagger_duration(text) is expected


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("istio", ProviderChoice(Provider.ISTIO)),
        ("gatewayapi:v1beta1", ProviderChoice(Provider.GATEWAYAPI_V1BETA1)),
        ("appmesh:v1beta2", ProviderChoice(Provider.APPMESH_V1BETA2)),
        ("smi:v1alpha1", ProviderChoice(Provider.SMI_V1ALPHA1)),
        ("smi:v1alpha2:osm", ProviderChoice(Provider.SMI_V1ALPHA2, "osm")),
        ("smi:v1alpha3:linkerd", ProviderChoice(Provider.SMI_V1ALPHA3, "linkerd")),
    ],
)
def test_parse_provider(text: str, choice: ProviderChoice) -> None:
    assert parse_provider(text) == choice
    assert str(parse_provider(text)) == text


@pytest.mark.parametrize(
    "text", ["", "envoy", "ISTIO", "smi:v1alpha4:linkerd", "smi:v1alpha3:", "istio:mesh", "gloo:v1"]
)
def test_parse_provider_rejects_unknown_names(text: str) -> None:
    with pytest.raises(UnknownProviderError, match="unknown provider"):
        parse_provider(text)
