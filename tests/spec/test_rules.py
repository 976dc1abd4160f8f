"""One test per validation rule: what is accepted, what is refused, and how the refusal reads."""

from __future__ import annotations

from typing import Any

import pytest

from reducers.spec import (
    AlertProvider,
    Canary,
    MetricTemplate,
    Problem,
    Provider,
    format_path,
    validate_document,
)


def problems(document: Any) -> set[tuple[str, str]]:
    result = validate_document(document)
    assert isinstance(result, list), "expected the document to be rejected"
    return {(problem.path, problem.message) for problem in result}


def paths(document: Any) -> set[str]:
    return {path for path, _ in problems(document)}


def only_problem(document: Any) -> tuple[str, str]:
    (found,) = problems(document)
    return found


def test_minimal_documents_are_valid(
    canary: dict[str, Any], template: dict[str, Any], alert_provider: dict[str, Any]
) -> None:
    assert isinstance(validate_document(canary), Canary)
    assert isinstance(validate_document(template), MetricTemplate)
    assert isinstance(validate_document(alert_provider), AlertProvider)


# ------------------------------------------------------------------ enums and unknown names


@pytest.mark.parametrize("provider", [p.value for p in Provider])
def test_every_crd_provider_is_accepted(canary: dict[str, Any], provider: str) -> None:
    canary["spec"]["provider"] = provider
    if provider == "knative":
        canary["spec"]["targetRef"] = {
            "apiVersion": "serving.knative.dev/v1",
            "kind": "Service",
            "name": "podinfo",
        }
    result = validate_document(canary)
    assert isinstance(result, Canary)
    assert result.spec.provider == Provider(provider)


@pytest.mark.parametrize("provider", ["ambassador", "Istio", "smi:v1alpha3:linkerd", "gloo:v2", ""])
def test_unknown_provider_is_rejected(canary: dict[str, Any], provider: str) -> None:
    canary["spec"]["provider"] = provider
    path, message = only_problem(canary)
    assert path == "spec.provider"
    assert message.startswith(f"unknown value {provider!r}; expected 'apisix'")
    assert "'gatewayapi:v1beta1'" in message
    assert "'appmesh:v1beta2'" in message


@pytest.mark.parametrize(
    ("location", "field", "value"),
    [
        (("spec", "targetRef"), "kind", "StatefulSet"),
        (("spec", "service"), "trafficDistribution", "PreferFar"),
        (("spec", "analysis"), "webhooks", [{"name": "h", "url": "http://h/", "type": "pre"}]),
        (
            ("spec", "analysis"),
            "alerts",
            [{"name": "a", "providerRef": {"name": "p"}, "severity": "fatal"}],
        ),
        (("spec", "analysis"), "sessionAffinity", {"cookieName": "c", "sameSite": "strict"}),
        (("spec",), "autoscalerRef", {"apiVersion": "v2", "kind": "VPA", "name": "x"}),
        (("spec",), "ingressRef", {"apiVersion": "v1", "kind": "HTTPProxy", "name": "x"}),
    ],
)
def test_unknown_enum_values_are_rejected(
    canary: dict[str, Any], location: tuple[str, ...], field: str, value: Any
) -> None:
    node = canary
    for key in location:
        node = node[key]
    node[field] = value
    path, message = only_problem(canary)
    assert path.startswith(".".join((*location, field)))
    assert message.startswith("unknown value")


def test_unknown_webhook_type_names_the_hook_index(canary: dict[str, Any]) -> None:
    canary["spec"]["analysis"]["webhooks"] = [
        {"name": "ok", "url": "http://loadtester/"},
        {"name": "bad", "url": "http://loadtester/", "type": "pre-deploy"},
    ]
    path, message = only_problem(canary)
    assert path == "spec.analysis.webhooks[1].type"
    assert "'pre-deploy'" in message
    assert "'confirm-traffic-increase'" in message


def test_unknown_metric_provider_type_is_rejected(template: dict[str, Any]) -> None:
    template["spec"]["provider"]["type"] = "victoriametrics"
    path, message = only_problem(template)
    assert path == "spec.provider.type"
    assert message.startswith("unknown value 'victoriametrics'; expected 'prometheus'")


def test_unknown_alert_provider_type_is_rejected(alert_provider: dict[str, Any]) -> None:
    alert_provider["spec"]["type"] = "pagerduty"
    path, message = only_problem(alert_provider)
    assert path == "spec.type"
    assert message.startswith("unknown value 'pagerduty'; expected 'slack'")


def test_empty_string_members_of_crd_enums_are_accepted(canary: dict[str, Any]) -> None:
    canary["spec"]["analysis"]["webhooks"] = [{"name": "h", "url": "http://h/", "type": ""}]
    canary["spec"]["analysis"]["alerts"] = [
        {"name": "a", "providerRef": {"name": "p"}, "severity": ""}
    ]
    canary["status"] = {"phase": ""}
    assert isinstance(validate_document(canary), Canary)


# ------------------------------------------------------------------ durations


@pytest.mark.parametrize("interval", ["1m", "30s", "1m30s", "500ms", "10s", "2m0s"])
def test_durations_flagger_admits_are_accepted(canary: dict[str, Any], interval: str) -> None:
    canary["spec"]["analysis"]["interval"] = interval
    assert isinstance(validate_document(canary), Canary)


@pytest.mark.parametrize("interval", ["1h", "1h30m", "1.5m", "5mfoo", "60", "", "m", " 1m"])
def test_durations_flagger_refuses_or_misreads_are_rejected(
    canary: dict[str, Any], interval: str
) -> None:
    canary["spec"]["analysis"]["interval"] = interval
    path, message = only_problem(canary)
    assert path == "spec.analysis.interval"
    assert message.startswith(f"invalid duration {interval!r}")


def test_metric_interval_and_webhook_timeout_are_durations(canary: dict[str, Any]) -> None:
    canary["spec"]["analysis"]["metrics"] = [{"name": "request-duration", "interval": "1h"}]
    canary["spec"]["analysis"]["webhooks"] = [{"name": "h", "url": "http://h/", "timeout": "1d"}]
    assert paths(canary) == {
        "spec.analysis.metrics[0].interval",
        "spec.analysis.webhooks[0].timeout",
    }


# ------------------------------------------------------------------ oneOf


@pytest.mark.parametrize(
    ("modes", "blamed"),
    [
        ({"iterations": 10, "stepWeight": 5}, "stepWeight"),
        ({"stepWeight": 5, "stepWeights": [10, 20]}, "stepWeights"),
        ({"iterations": 10, "stepWeights": [10, 20]}, "stepWeights"),
        ({"iterations": 10, "stepWeight": 5, "stepWeights": [10]}, "stepWeights"),
    ],
)
def test_analysis_modes_are_mutually_exclusive(
    canary: dict[str, Any], modes: dict[str, Any], blamed: str
) -> None:
    analysis = canary["spec"]["analysis"]
    del analysis["stepWeight"]
    analysis.update(modes)
    path, message = only_problem(canary)
    assert path == f"spec.analysis.{blamed}"
    assert "are mutually exclusive" in message
    for mode in modes:
        assert mode in message


def test_analysis_needs_one_mode(canary: dict[str, Any]) -> None:
    del canary["spec"]["analysis"]["stepWeight"]
    assert only_problem(canary) == (
        "spec.analysis",
        "one of iterations, stepWeight or stepWeights is required",
    )


def test_a_zero_mode_still_counts_as_given(canary: dict[str, Any]) -> None:
    # JSON Schema `required` is about presence, so `iterations: 0` picks the iterations branch.
    canary["spec"]["analysis"]["iterations"] = 0
    assert "spec.analysis.stepWeight" in paths(canary)


def test_analysis_interval_and_threshold_are_required(canary: dict[str, Any]) -> None:
    del canary["spec"]["analysis"]["interval"]
    del canary["spec"]["analysis"]["threshold"]
    assert problems(canary) == {
        ("spec.analysis.interval", "required field is missing"),
        ("spec.analysis.threshold", "required field is missing"),
    }


def test_alert_provider_needs_address_or_secret(alert_provider: dict[str, Any]) -> None:
    del alert_provider["spec"]["address"]
    assert only_problem(alert_provider) == ("spec", "one of address or secretRef is required")
    alert_provider["spec"]["secretRef"] = {"name": "slack-url"}
    assert isinstance(validate_document(alert_provider), AlertProvider)


def test_alert_provider_rejects_address_with_secret(alert_provider: dict[str, Any]) -> None:
    alert_provider["spec"]["secretRef"] = {"name": "slack-url"}
    path, message = only_problem(alert_provider)
    assert path == "spec.secretRef"
    assert "address" in message
    assert "secretRef" in message


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ({"exact": "a"}, True),
        ({"suffix": "a"}, True),
        ({"regex": ".*"}, True),
        ({}, False),
        ({"exact": "a", "prefix": "b"}, False),
    ],
)
def test_header_match_needs_exactly_one_operator(
    canary: dict[str, Any], header: dict[str, str], ok: bool
) -> None:
    canary["spec"]["analysis"]["match"] = [{"headers": {"x-canary": header}}]
    result = validate_document(canary)
    if ok:
        assert isinstance(result, Canary)
    else:
        path, message = only_problem(canary)
        assert path == 'spec.analysis.match[0].headers["x-canary"]'
        assert message.startswith("set exactly one of exact, prefix, suffix or regex")


def test_query_param_match_allows_at_most_one_operator(canary: dict[str, Any]) -> None:
    canary["spec"]["analysis"]["match"] = [{"queryParams": {"user": {}}}]
    assert isinstance(validate_document(canary), Canary)
    canary["spec"]["analysis"]["match"] = [{"queryParams": {"user": {"exact": "a", "regex": "b"}}}]
    assert only_problem(canary) == (
        "spec.analysis.match[0].queryParams.user",
        "set at most one of exact, prefix or regex (found: exact, regex)",
    )


# ------------------------------------------------------------------ types and ranges


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("port", "9898", "must be an integer"),
        ("port", 98.5, "must be an integer"),
        ("port", True, "must be an integer"),
        ("port", 0, "must be at least 1"),
        ("port", 70000, "must be at most 65535"),
        ("targetPort", 70000, "port number must be between 1 and 65535"),
        ("targetPort", False, "must be a port number or a port name"),
        ("headless", "true", "must be true or false"),
        ("hosts", "app.example.com", "must be a list"),
        ("name", 5, "must be a string"),
    ],
)
def test_service_field_types(canary: dict[str, Any], field: str, value: Any, message: str) -> None:
    canary["spec"]["service"][field] = value
    assert only_problem(canary) == (f"spec.service.{field}", message)


@pytest.mark.parametrize("target_port", [8080, "http"])
def test_target_port_is_int_or_string(canary: dict[str, Any], target_port: int | str) -> None:
    canary["spec"]["service"]["targetPort"] = target_port
    result = validate_document(canary)
    assert isinstance(result, Canary)
    assert result.spec.service is not None
    assert result.spec.service.target_port == target_port


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("threshold", "5", "must be an integer"),
        ("mirrorWeight", 101, "must be at most 100"),
        ("canaryReadyThreshold", -1, "must be at least 0"),
        ("stepWeight", -5, "must be at least 0"),
        ("stepWeightPromotion", 2.5, "must be an integer"),
        ("mirror", 1, "must be true or false"),
    ],
)
def test_analysis_field_types(canary: dict[str, Any], field: str, value: Any, message: str) -> None:
    canary["spec"]["analysis"][field] = value
    assert only_problem(canary) == (f"spec.analysis.{field}", message)


def test_step_weights_must_increase(canary: dict[str, Any]) -> None:
    analysis = canary["spec"]["analysis"]
    del analysis["stepWeight"]
    analysis["stepWeights"] = [10, 30, 30]
    assert only_problem(canary) == (
        "spec.analysis.stepWeights",
        "stepWeights must be strictly increasing",
    )
    analysis["stepWeights"] = []
    assert only_problem(canary) == ("spec.analysis.stepWeights", "must have at least 1 item(s)")


def test_metric_thresholds_take_any_number(canary: dict[str, Any]) -> None:
    canary["spec"]["analysis"]["metrics"] = [
        {"name": "request-duration", "threshold": 500, "thresholdRange": {"max": 0.5}},
    ]
    result = validate_document(canary)
    assert isinstance(result, Canary)
    assert result.to_document()["spec"]["analysis"]["metrics"][0]["threshold"] == 500
    canary["spec"]["analysis"]["metrics"][0]["threshold"] = "500"
    assert only_problem(canary) == ("spec.analysis.metrics[0].threshold", "must be a number")


# ------------------------------------------------------------------ unknown and open fields


@pytest.mark.parametrize(
    "location",
    [(), ("spec",), ("spec", "analysis"), ("spec", "service"), ("spec", "targetRef")],
)
def test_unknown_fields_are_rejected(canary: dict[str, Any], location: tuple[str, ...]) -> None:
    node = canary
    for key in location:
        node = node[key]
    node["surprise"] = 1
    assert only_problem(canary) == (".".join((*location, "surprise")), "unknown field")


def test_deprecated_canary_analysis_gets_a_hint(canary: dict[str, Any]) -> None:
    canary["spec"]["canaryAnalysis"] = canary["spec"]["analysis"]
    path, message = only_problem(canary)
    assert path == "spec.canaryAnalysis"
    assert message.startswith("unknown field (")
    assert "rename it to analysis" in message


def test_istio_pass_through_values_stay_open(canary: dict[str, Any]) -> None:
    service = canary["spec"]["service"]
    service["trafficPolicy"] = {"tls": {"mode": "ISTIO_MUTUAL"}, "tunnel": {"protocol": "X"}}
    service["corsPolicy"] = {"allowOrigins": [{"exact": "https://a"}], "unheardOf": True}
    service["headers"] = {"request": {"add": {"x-a": "b"}}}
    service["match"] = [{"uri": {"prefix": "/api"}, "ignoreUriCase": True}]
    result = validate_document(canary)
    assert isinstance(result, Canary)
    assert result.to_document() == canary


def test_metadata_keeps_kubernetes_fields_it_does_not_model(canary: dict[str, Any]) -> None:
    canary["metadata"]["uid"] = "1234"
    canary["metadata"]["finalizers"] = ["finalizer.flagger.app"]
    result = validate_document(canary)
    assert isinstance(result, Canary)
    assert result.to_document()["metadata"]["finalizers"] == ["finalizer.flagger.app"]


# ------------------------------------------------------------------ rules Flagger finds only later


def test_knative_target_needs_knative_provider(canary: dict[str, Any]) -> None:
    canary["spec"]["targetRef"] = {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "name": "podinfo",
    }
    assert isinstance(validate_document(canary), Canary)  # the operator-wide provider decides
    canary["spec"]["provider"] = "istio"
    assert only_problem(canary) == (
        "spec.provider",
        "a Knative Service target needs provider knative, not istio",
    )
    canary["spec"]["provider"] = "knative"
    canary["spec"]["autoscalerRef"] = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "name": "podinfo",
    }
    assert only_problem(canary) == (
        "spec.autoscalerRef",
        "a Knative Service target cannot have an autoscaler",
    )


def test_knative_provider_needs_knative_target(canary: dict[str, Any]) -> None:
    canary["spec"]["provider"] = "knative"
    assert only_problem(canary) == (
        "spec.targetRef",
        "provider knative needs a serving.knative.dev/v1 Service target",
    )


def test_workload_targets_need_a_service(canary: dict[str, Any]) -> None:
    del canary["spec"]["service"]
    assert only_problem(canary) == ("spec.service", "required for a Deployment target")


def test_cookie_names_must_differ(canary: dict[str, Any]) -> None:
    canary["spec"]["analysis"]["sessionAffinity"] = {
        "cookieName": "c",
        "primaryCookieName": "c",
    }
    assert only_problem(canary) == (
        "spec.analysis.sessionAffinity.primaryCookieName",
        "primaryCookieName must differ from cookieName",
    )


def test_a_metric_must_be_evaluable(canary: dict[str, Any]) -> None:
    canary["spec"]["analysis"]["metrics"] = [
        {"name": "request-success-rate"},
        {"name": "error-rate", "query": "vector(0)"},
        {"name": "latency", "templateRef": {"name": "latency"}},
        {"name": "orphan"},
    ]
    assert only_problem(canary) == (
        "spec.analysis.metrics[3].templateRef",
        "metric 'orphan' is not builtin and has neither templateRef nor query",
    )


def test_threshold_range_must_be_ordered(canary: dict[str, Any]) -> None:
    canary["spec"]["analysis"]["metrics"] = [
        {"name": "request-success-rate", "thresholdRange": {"min": 99, "max": 90}}
    ]
    assert only_problem(canary) == (
        "spec.analysis.metrics[0].thresholdRange.min",
        "min (99) is greater than max (90)",
    )


def test_primary_scaler_replicas(canary: dict[str, Any]) -> None:
    canary["spec"]["autoscalerRef"] = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "name": "so",
        "primaryScalerReplicas": {"minReplicas": 0},
    }
    assert only_problem(canary) == (
        "spec.autoscalerRef.primaryScalerReplicas.minReplicas",
        "must be at least 1",
    )
    canary["spec"]["autoscalerRef"]["primaryScalerReplicas"] = {"minReplicas": 5, "maxReplicas": 2}
    assert only_problem(canary) == (
        "spec.autoscalerRef.primaryScalerReplicas.minReplicas",
        "minReplicas (5) exceeds maxReplicas (2)",
    )


def test_gateway_api_mirror_to_a_service_needs_a_port(canary: dict[str, Any]) -> None:
    canary["spec"]["service"]["mirror"] = [{"backendRef": {"name": "shadow"}}]
    assert only_problem(canary) == (
        "spec.service.mirror[0].backendRef.port",
        "a Service backend needs a port",
    )
    canary["spec"]["service"]["mirror"] = [{"backendRef": {"name": "shadow", "port": 80}}]
    assert isinstance(validate_document(canary), Canary)


def test_gateway_refs_follow_gateway_api_rules(canary: dict[str, Any]) -> None:
    canary["spec"]["service"]["gatewayRefs"] = [{"name": "gw", "namespace": "Istio_Ingress"}]
    path, message = only_problem(canary)
    assert path == "spec.service.gatewayRefs[0].namespace"
    assert message.startswith("must match the pattern")


@pytest.mark.parametrize(
    ("provider", "missing", "message"),
    [
        ({"type": "cloudwatch"}, "region", "the cloudwatch provider needs a region"),
        ({"type": "dynatrace"}, "address", "the dynatrace provider needs an address"),
        ({"type": "splunk"}, "address", "the splunk provider needs an address"),
    ],
)
def test_metric_providers_that_cannot_work(
    template: dict[str, Any], provider: dict[str, str], missing: str, message: str
) -> None:
    template["spec"]["provider"] = provider
    assert only_problem(template) == (f"spec.provider.{missing}", message)


@pytest.mark.parametrize("url", ["loadtester/", "ftp://host/", "http://", "http://a b/"])
def test_webhook_url_must_be_absolute_http(canary: dict[str, Any], url: str) -> None:
    canary["spec"]["analysis"]["webhooks"] = [{"name": "h", "url": url}]
    path, message = only_problem(canary)
    assert path == "spec.analysis.webhooks[0].url"
    assert message == f"must be an absolute http:// or https:// URL, got {url!r}"


# ------------------------------------------------------------------ documents, kinds, paths


def test_v1alpha1_is_read_like_v1beta1(template: dict[str, Any]) -> None:
    template["apiVersion"] = "flagger.app/v1alpha1"
    assert isinstance(validate_document(template), MetricTemplate)
    template["apiVersion"] = "flagger.app/v2"
    path, message = only_problem(template)
    assert path == "apiVersion"
    assert message.startswith("unknown value 'flagger.app/v2'")


def test_other_kinds_are_unsupported() -> None:
    result = validate_document(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    )
    assert result == [
        Problem(
            "Deployment",
            "web",
            "kind",
            "unsupported kind 'Deployment'; roost validates Canary, MetricTemplate, AlertProvider",
        )
    ]


def test_documents_without_kind_or_mapping() -> None:
    (no_kind,) = validate_document({"metadata": {"name": "x"}})
    assert str(no_kind) == (
        "<no kind>/x: kind: unsupported kind no kind; roost validates Canary, MetricTemplate, "
        "AlertProvider"
    )
    (scalar,) = validate_document(["not", "a", "mapping"])
    assert str(scalar) == "<no kind>/<unnamed>: (document): must be a mapping (a Kubernetes object)"


def test_every_problem_of_a_document_is_reported(canary: dict[str, Any]) -> None:
    canary["spec"]["service"]["port"] = "http"
    canary["spec"]["analysis"]["interval"] = "1h"
    canary["spec"]["provider"] = "envoy"
    assert paths(canary) == {"spec.service.port", "spec.analysis.interval", "spec.provider"}


def test_problem_renders_kind_name_path_message() -> None:
    problem = Problem("Canary", "podinfo", "spec.analysis.stepWeight", "must be an integer")
    assert str(problem) == "Canary/podinfo: spec.analysis.stepWeight: must be an integer"


@pytest.mark.parametrize(
    ("loc", "text"),
    [
        (("spec", "analysis", "metrics", 0, "interval"), "spec.analysis.metrics[0].interval"),
        (("metadata", "annotations", "kuma.io/mesh"), 'metadata.annotations["kuma.io/mesh"]'),
        (("spec", "analysis", "stepWeights", 2), "spec.analysis.stepWeights[2]"),
        ((), "(document)"),
    ],
)
def test_field_paths(loc: tuple[int | str, ...], text: str) -> None:
    assert format_path(loc) == text


def test_map_key_problems_are_marked(canary: dict[str, Any]) -> None:
    canary["metadata"]["labels"] = {1: "x"}
    assert only_problem(canary) == ("metadata.labels[1]", "map key: must be a string")


def test_missing_name_is_reported_with_a_placeholder(canary: dict[str, Any]) -> None:
    del canary["metadata"]["name"]
    (problem,) = validate_document(canary)
    assert str(problem) == "Canary/<unnamed>: metadata.name: required field is missing"
