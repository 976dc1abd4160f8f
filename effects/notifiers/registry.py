"""The registry of notifiers: AlertProvider type → factory. Unknown types are errors.

An empty address gives the no-op notifier (Flagger does the same), so a provider whose Secret
has not been filled yet posts nothing rather than failing every tick.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from effects.notifiers.base import Notifier, NotifierConfig, NotifierConfigError, NullNotifier
from effects.notifiers.gchat import GChatNotifier
from effects.notifiers.msteams import TeamsNotifier
from effects.notifiers.slack import make_discord, make_rocket, make_slack
from reducers.spec import AlertProviderType

Factory = Callable[[NotifierConfig], Notifier]

NOTIFIERS: Mapping[str, Factory] = MappingProxyType(
    {
        AlertProviderType.SLACK.value: make_slack,
        AlertProviderType.DISCORD.value: make_discord,
        AlertProviderType.ROCKET.value: make_rocket,
        AlertProviderType.MSTEAMS.value: TeamsNotifier,
        AlertProviderType.GCHAT.value: GChatNotifier,
    }
)


def make_notifier(kind: str, config: NotifierConfig) -> Notifier:
    """The notifier for ``kind``; raise :class:`NotifierConfigError` for unknown kinds."""
    factory = NOTIFIERS.get(str(kind))
    if factory is None:
        raise NotifierConfigError(f"provider {kind} not supported")
    if not config.address:
        return NullNotifier()
    return factory(config)
