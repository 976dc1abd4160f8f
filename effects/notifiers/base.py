"""What every notifier is: a Protocol with one method, the message it posts, and its errors.

One small interface per outside party (STYLE.md): each chat service lives in its own module
behind ``Notifier`` and is found through :mod:`effects.notifiers.registry`. Nothing here talks to
the network; :mod:`effects.notifiers.posting` is the single place that does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from reducers.events import Severity


class NotifierError(Exception):
    """A notification could not be built or delivered."""

    retryable: bool = False


class NotifierConfigError(NotifierError):
    """An AlertProvider (or the global flags) cannot make a working notifier."""


class DeliveryError(NotifierError):
    """The chat service did not accept the message."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class Message:
    """One alert as a notifier sees it (Flagger's ``Post`` arguments)."""

    workload: str
    """The canary's name."""
    namespace: str
    text: str
    severity: Severity
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def subject(self) -> str:
        """``{name}.{namespace}``, how every payload names the canary."""
        return f"{self.workload}.{self.namespace}"


@dataclass(frozen=True, slots=True)
class NotifierConfig:
    """Everything a notifier needs, resolved from an AlertProvider and its Secret."""

    address: str
    channel: str = "general"
    username: str = "flagger"
    proxy: str | None = None
    token: str | None = None


class Notifier(Protocol):
    """A chat service that alerts are posted to."""

    def post(self, message: Message) -> None:
        """Deliver ``message``; raise :class:`NotifierError` when it was not accepted."""


class NullNotifier:
    """Posts nothing: what an empty address (or unset global flags) configures."""

    def post(self, message: Message) -> None:
        """Drop the message on purpose."""
