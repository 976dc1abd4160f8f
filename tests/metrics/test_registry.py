"""The registry knows every MetricTemplate provider type and rejects anything else."""

from __future__ import annotations

import pytest

from effects.metrics import PROVIDERS, ProviderConfigError, make_provider
from reducers.spec import MetricProviderType
from tests.metrics.conftest import config


def test_every_provider_type_has_a_factory() -> None:
    assert set(PROVIDERS) == {t.value for t in MetricProviderType}


def test_an_unknown_type_is_an_error() -> None:
    with pytest.raises(ProviderConfigError, match="'victoriametrics' is not supported"):
        make_provider("victoriametrics", config("prometheus", "http://prom:9090"))


@pytest.mark.parametrize(
    ("kind", "address", "message"),
    [
        ("datadog", None, "datadog_api_key, datadog_application_key"),
        ("newrelic", None, "newrelic_account_id, newrelic_query_key"),
        ("dynatrace", "https://dt.example", "dynatrace_token"),
        ("splunk", "https://api.us1.signalfx.com", "sf_token_key"),
        ("influxdb", None, "token and org"),
        ("stackdriver", None, "project"),
        ("externalmetrics", None, "Kubernetes client"),
        ("keptn", None, "Kubernetes client"),
    ],
)
def test_a_provider_missing_credentials_is_an_error(
    kind: str, address: str | None, message: str
) -> None:
    with pytest.raises(ProviderConfigError, match=message):
        make_provider(kind, config(kind, address))


def test_cloudwatch_needs_its_keys() -> None:
    with pytest.raises(ProviderConfigError, match="aws_access_key_id"):
        make_provider("cloudwatch", config("cloudwatch", credentials={}, region="eu-west-1"))


def test_prometheus_with_a_secret_needs_token_or_both_basic_credentials() -> None:
    with pytest.raises(ProviderConfigError, match="username and password"):
        make_provider("prometheus", config("prometheus", "http://p:9090", {"username": "u"}))


def test_stackdriver_with_a_broken_key_file_is_an_error() -> None:
    creds = {"project": "p", "serviceAccountKey": "{not json"}
    with pytest.raises(ProviderConfigError, match="serviceAccountKey is not JSON"):
        make_provider("stackdriver", config("stackdriver", credentials=creds))
