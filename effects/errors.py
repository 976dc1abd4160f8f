"""The effects layer's errors: a renderer refuses its input, or the world refused a write.

Renderers raise :class:`RenderError` (bad input: no selector label, a missing mandatory config,
a missing autoscaler); the applier never raises but turns API failures into ``EffectOutcome``
values (see :mod:`effects.applying`). Messages name the problem the way an operator reads it.
"""

from __future__ import annotations


class EffectsError(Exception):
    """Base of every error raised by ``effects``."""


class RenderError(EffectsError):
    """The objects cannot be rendered from these inputs; the message says why."""
