"""Metric answers for the operator's ticks: the provider of each metric and its query's result.

A builtin or inline metric queries the operator's (or the Canary's) Prometheus; a template metric
reads its MetricTemplate and the Secret it names (whose values go to the ledger's redactor before
anything could record them), honouring ``-no-cross-namespace-refs``. Every problem — template or
Secret missing, provider not buildable — becomes a failed ``MetricResult`` so ``explain`` shows it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from effects.errors import EffectsError
from effects.kubeapi import KubeApi, ObjectRef
from effects.metrics.base import MetricProvider, ProviderConfig, ProviderConfigError
from effects.metrics.evaluating import Subject, evaluate, failed, template_config
from effects.metrics.registry import make_provider
from reducers.base import Event
from reducers.canary.observing import MetricNeeded
from reducers.events import MetricProvidersChecked, MetricSource
from reducers.spec import Canary, MetricTemplate
from reducers.spec.metric_templates import MetricProvider as MetricProviderSpec

CANARY_API = "flagger.app/v1beta1"


def decode_secret(data: Mapping[str, Any] | None) -> dict[str, str]:
    """A Secret's ``data`` as text (undecodable values left out)."""
    out = {}
    for key, value in (data or {}).items():
        try:
            out[str(key)] = base64.b64decode(str(value)).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
    return out


class Measurer:
    """Answers the metric needs of one canary's tick."""

    def __init__(
        self,
        kube: KubeApi,
        canary: Canary,
        provider_name: str,
        *,
        metrics_server: str,
        no_cross_namespace_refs: bool,
        remember_secret: Callable[[Sequence[str]], None],
    ) -> None:
        self.kube = kube
        self.canary = canary
        self.namespace = canary.metadata.namespace or "default"
        self.provider_name = provider_name
        self.metrics_server = metrics_server
        self.no_cross_namespace_refs = no_cross_namespace_refs
        self.remember_secret = remember_secret

    def subject(self, need: MetricNeeded) -> tuple[Subject, MetricProvider]:
        metric = next(m for m in self.canary.spec.analysis.metrics or () if m.name == need.name)
        if need.source is MetricSource.TEMPLATE and metric.template_ref is not None:
            ns = metric.template_ref.namespace or self.namespace
            if self.no_cross_namespace_refs and ns != self.namespace:
                raise ProviderConfigError(
                    f"metric template {ns}/{metric.template_ref.name} is in another namespace "
                    "and -no-cross-namespace-refs is set"
                )
            doc = self.kube.get(
                ObjectRef(CANARY_API, "MetricTemplate", ns, metric.template_ref.name)
            )
            if doc is None:
                raise ProviderConfigError(
                    f"metric template {ns}/{metric.template_ref.name} not found"
                )
            template = MetricTemplate.model_validate(doc)
            subject = Subject(
                self.canary, metric, need.source, str(template.spec.provider.type), template
            )
            credentials: dict[str, str] = {}
            secret_ref = template.spec.provider.secret_ref
            if secret_ref is not None:
                secret = self.kube.get(ObjectRef("v1", "Secret", ns, secret_ref.name))
                if secret is None:
                    raise ProviderConfigError(f"secret {ns}/{secret_ref.name} not found")
                credentials = decode_secret(secret.get("data"))
                self.remember_secret(list(credentials.values()))
            config = template_config(subject, credentials, api_client=self.kube.api_client)
            return subject, make_provider(str(template.spec.provider.type), config)
        server = str(self.canary.spec.metrics_server or self.metrics_server)
        spec = MetricProviderSpec.model_validate({"type": "prometheus", "address": server})
        subject = Subject(self.canary, metric, need.source, self.provider_name)
        interval = metric.effective_interval(from_template=False)
        return subject, make_provider("prometheus", ProviderConfig(spec=spec, interval=interval))

    def measure(self, need: MetricNeeded, at: datetime) -> Event:
        try:
            subject, provider = self.subject(need)
        except (ProviderConfigError, EffectsError, ValueError) as e:
            metric = next(m for m in self.canary.spec.analysis.metrics or () if m.name == need.name)
            subject = Subject(self.canary, metric, need.source, self.provider_name)
            return failed(subject, str(e), at=at)
        return evaluate(subject, provider, at=at)

    def check_providers(self, at: datetime) -> Event:
        problems = []
        for metric in self.canary.spec.analysis.metrics or ():
            source = (
                MetricSource.TEMPLATE
                if metric.template_ref is not None
                else MetricSource.INLINE
                if metric.query
                else MetricSource.BUILTIN
            )
            try:
                _, provider = self.subject(MetricNeeded(metric.name, source))
            except (ProviderConfigError, EffectsError, ValueError) as e:
                problems.append(str(e))
                continue
            offline = provider.is_online(at=at)
            if offline is not None:
                problems.append(f"{metric.name}: {offline}")
        return MetricProvidersChecked(at=at, ok=not problems, error="; ".join(problems))
