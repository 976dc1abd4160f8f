"""Posting Canary alerts to chat services (flagger-core §5), one module per service.

The reducer decides which alerts go out and to whom (``AlertDecided``); this package posts them
and returns ``EffectOutcome`` events. It never filters by severity (that is
``reducers.canary.alerts``) and never reads the environment (settings are passed in).

Public API:
    ``Notifier`` (Protocol: ``post(Message)``), ``Message``, ``NotifierConfig``, ``NullNotifier``;
    ``NOTIFIERS`` / ``make_notifier(type, config)`` — the registry (unknown types are errors);
    ``deliver_alert(alert, *, name, namespace, spec, providers, secrets, global_notifier,
    cluster_name, at)`` → outcomes; ``GlobalNotifierSettings`` / ``global_notifier(settings)``;
    payload builders ``slack_payload``, ``teams_payload``, ``gchat_payload``;
    errors ``NotifierError`` → ``NotifierConfigError``, ``DeliveryError``.
"""

from effects.notifiers.base import (
    DeliveryError,
    Message,
    Notifier,
    NotifierConfig,
    NotifierConfigError,
    NotifierError,
    NullNotifier,
)
from effects.notifiers.delivering import GLOBAL_RECIPIENT, deliver_alert, message_of
from effects.notifiers.gchat import gchat_payload
from effects.notifiers.msteams import teams_payload
from effects.notifiers.registry import NOTIFIERS, make_notifier
from effects.notifiers.settings import GlobalNotifierSettings, global_notifier
from effects.notifiers.slack import slack_payload

__all__ = [
    "GLOBAL_RECIPIENT",
    "NOTIFIERS",
    "DeliveryError",
    "GlobalNotifierSettings",
    "Message",
    "Notifier",
    "NotifierConfig",
    "NotifierConfigError",
    "NotifierError",
    "NullNotifier",
    "deliver_alert",
    "gchat_payload",
    "global_notifier",
    "make_notifier",
    "message_of",
    "slack_payload",
    "teams_payload",
]
