"""The spec layer's small error hierarchy.

Validators raise :class:`InvalidValue` (a ``ValueError``, so pydantic collects it with every other
error of the document); :mod:`reducers.spec.problems` recognises it and uses its message verbatim,
narrowing the reported path by ``field`` when a rule on a model blames one of its fields.
Only the standard library is used, so the rules do not depend on pydantic's internals.
"""

from __future__ import annotations


class SpecError(ValueError):
    """Base of every error raised by ``reducers.spec``."""


class InvalidValue(SpecError):
    """A value or a combination of values that Roost refuses, with a message for the user."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class DurationError(SpecError):
    """The text is not a Go duration."""


class UnknownProviderError(SpecError):
    """The text names no provider Roost implements."""
