"""Delivering one decided alert: resolve its recipients' providers and post, report outcomes.

The reducer has already decided who receives the alert (``AlertDecided.recipients`` names the
Canary's alert entries, ``global_notifier`` the operator-wide one); this module does not filter
by severity again. It resolves each entry's AlertProvider and Secret from what the caller read
(``Secret`` data decoded to strings), builds the notifier through the registry, posts, and
returns one ``EffectOutcome`` per recipient — failures included, classified retryable or not —
for the controller to append. It never raises for a delivery problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from effects.notifiers.base import Message, Notifier, NotifierConfig, NotifierError
from effects.notifiers.registry import make_notifier
from reducers.events import AlertDecided, EffectOutcome, EffectResult
from reducers.spec import AlertProviderSpec, CanaryAlert, CanarySpec

ObjectKey = tuple[str, str]
"""(namespace, name) of an AlertProvider or a Secret."""

GLOBAL_RECIPIENT = "global"


def message_of(
    alert: AlertDecided, *, name: str, namespace: str, cluster_name: str = ""
) -> Message:
    """The message notifiers post; ``cluster_name`` becomes the first field when set."""
    fields = alert.fields
    if cluster_name:
        fields = (("Cluster", cluster_name), *fields)
    return Message(
        workload=name,
        namespace=namespace,
        text=alert.message,
        severity=alert.severity,
        fields=fields,
    )


def config_of(
    provider: AlertProviderSpec, namespace: str, secrets: Mapping[ObjectKey, Mapping[str, str]]
) -> NotifierConfig:
    """Address, channel, user, proxy and token of a provider (its Secret's ``address`` wins)."""
    address = provider.address or ""
    token = None
    if provider.secret_ref is not None:
        data = secrets.get((namespace, provider.secret_ref.name))
        if data is None:
            raise NotifierError(f"secret {namespace}/{provider.secret_ref.name} not found")
        if not data.get("address"):
            raise NotifierError(
                f"secret {namespace}/{provider.secret_ref.name} has no key 'address'"
            )
        address, token = data["address"], data.get("token") or None
    return NotifierConfig(
        address=address,
        channel=provider.effective_channel(),
        username=provider.effective_username(),
        proxy=provider.proxy,
        token=token,
    )


def _notifier_for(
    entry: CanaryAlert,
    namespace: str,
    providers: Mapping[ObjectKey, AlertProviderSpec],
    secrets: Mapping[ObjectKey, Mapping[str, str]],
) -> Notifier:
    ref_ns = entry.provider_ref.namespace or namespace
    provider = providers.get((ref_ns, entry.provider_ref.name))
    if provider is None:
        raise NotifierError(f"alert provider {ref_ns}/{entry.provider_ref.name} not found")
    return make_notifier(provider.type.value, config_of(provider, ref_ns, secrets))


def _outcome(recipient: str, at: datetime, error: NotifierError | None) -> EffectOutcome:
    if error is None:
        return EffectOutcome(at=at, effect=f"alert/{recipient}", result=EffectResult.APPLIED)
    return EffectOutcome(
        at=at,
        effect=f"alert/{recipient}",
        result=EffectResult.ERROR,
        retryable=error.retryable,
        detail=str(error),
    )


def deliver_alert(
    alert: AlertDecided,
    *,
    name: str,
    namespace: str,
    spec: CanarySpec,
    providers: Mapping[ObjectKey, AlertProviderSpec],
    secrets: Mapping[ObjectKey, Mapping[str, str]],
    global_notifier: Notifier,
    cluster_name: str = "",
    at: datetime,
) -> tuple[EffectOutcome, ...]:
    """Post ``alert`` to every recipient the reducer chose; one outcome per recipient."""
    message = message_of(alert, name=name, namespace=namespace, cluster_name=cluster_name)
    outcomes = []
    if alert.global_notifier:
        outcomes.append(_post(global_notifier, message, GLOBAL_RECIPIENT, at))
    entries = {entry.name: entry for entry in spec.analysis.alerts or ()}
    for recipient in alert.recipients:
        entry = entries.get(recipient)
        if entry is None:
            missing = NotifierError(f"alert entry {recipient} not in the canary's spec")
            outcomes.append(_outcome(recipient, at, missing))
            continue
        try:
            notifier = _notifier_for(entry, namespace, providers, secrets)
        except NotifierError as e:
            outcomes.append(_outcome(recipient, at, e))
            continue
        outcomes.append(_post(notifier, message, recipient, at))
    return tuple(outcomes)


def _post(notifier: Notifier, message: Message, recipient: str, at: datetime) -> EffectOutcome:
    try:
        notifier.post(message)
    except NotifierError as e:
        return _outcome(recipient, at, e)
    return _outcome(recipient, at, None)
