"""Query templates render the §3.3 functions and reject what they cannot render, by name."""

from __future__ import annotations

import pytest

from effects.metrics import QueryContext, RenderError, render

CONTEXT = QueryContext(
    name="podinfo",
    namespace="test",
    target="podinfo-target",
    service="podinfo-svc",
    ingress="podinfo-ing",
    route="podinfo-route",
    interval="2m",
    variables={"direction": "inbound", "code": "5.."},
)


def test_every_function_renders() -> None:
    text = render(
        "{{ name }}|{{namespace}}|{{ target }}|{{ service }}|{{ ingress }}|{{ route }}|"
        "{{ interval }}|{{ variables.direction }}",
        CONTEXT,
    )

    assert text == "podinfo|test|podinfo-target|podinfo-svc|podinfo-ing|podinfo-route|2m|inbound"


def test_trim_markers_remove_surrounding_whitespace() -> None:
    assert render("a   {{- namespace -}}   b", CONTEXT) == "atestb"
    assert render("a\n  {{- target }} b", CONTEXT) == "apodinfo-target b"


def test_a_missing_variable_is_an_error_naming_it() -> None:
    with pytest.raises(RenderError, match="'status'"):
        render('rate(x{code="{{ variables.status }}"}[1m])', CONTEXT)


def test_an_unknown_action_is_an_error() -> None:
    with pytest.raises(RenderError, match="unsupported template action"):
        render("{{ printf '%s' namespace }}", CONTEXT)


def test_an_unclosed_action_is_an_error() -> None:
    with pytest.raises(RenderError, match="unclosed"):
        render("sum(x{ns='{{ namespace'})", CONTEXT)


def test_text_without_actions_is_unchanged() -> None:
    assert render('sum(rate(x{a="b"}[1m]))', CONTEXT) == 'sum(rate(x{a="b"}[1m]))'
