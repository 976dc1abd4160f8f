"""The registry of metric providers: MetricTemplate ``provider.type`` → factory.

An unknown type is an error (Flagger would quietly use Prometheus), and so is a provider that
cannot be built from its template and Secret; both surface as :class:`ProviderConfigError`, which
the caller records as the metric's error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from effects.metrics import (
    cloudwatch,
    datadog,
    dynatrace,
    externalmetrics,
    graphite,
    influxdb,
    keptn,
    newrelic,
    prometheus,
    splunk,
    stackdriver,
)
from effects.metrics.base import MetricProvider, ProviderConfig, ProviderConfigError
from reducers.spec import MetricProviderType as T

Factory = Callable[[ProviderConfig], MetricProvider]

PROVIDERS: Mapping[str, Factory] = MappingProxyType(
    {
        T.PROMETHEUS.value: prometheus.make,
        T.DATADOG.value: datadog.make,
        T.CLOUDWATCH.value: cloudwatch.make,
        T.NEWRELIC.value: newrelic.make,
        T.GRAPHITE.value: graphite.make,
        T.INFLUXDB.value: influxdb.make,
        T.STACKDRIVER.value: stackdriver.make,
        T.DYNATRACE.value: dynatrace.make,
        T.KEPTN.value: keptn.make,
        T.SPLUNK.value: splunk.make,
        T.EXTERNALMETRICS.value: externalmetrics.make,
    }
)


def make_provider(kind: str, config: ProviderConfig) -> MetricProvider:
    """The provider for ``kind``; raise :class:`ProviderConfigError` for unknown kinds."""
    factory = PROVIDERS.get(str(kind))
    if factory is None:
        raise ProviderConfigError(f"metric provider {kind!r} is not supported")
    return factory(config)
