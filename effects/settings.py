"""Operator-wide settings the renderers read: selector labels, label prefixes, config tracking.

Flagger takes these as command-line flags (``-selector-labels``, ``-include-label-prefix``,
``-enable-config-tracking``); Roost passes them explicitly as one frozen value so renderers stay
pure functions of their arguments. Defaults live here, next to the model.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_SELECTOR_LABELS: tuple[str, ...] = ("app", "name", "app.kubernetes.io/name")


@dataclass(frozen=True)
class WorkloadSettings:
    """How primary workloads, config copies and Services are derived from the target."""

    selector_labels: tuple[str, ...] = DEFAULT_SELECTOR_LABELS
    """Candidate selector label keys, in order; the first one the target selects on is used."""
    include_label_prefixes: tuple[str, ...] = ("",)
    """Label/annotation key prefixes copied to primaries; ``*`` copies all, ``""`` matches none."""
    config_tracking: bool = True
    """Copy referenced ConfigMaps/Secrets to ``-primary`` copies and fold their checksums."""

    @classmethod
    def from_flags(
        cls, selector_labels: str = "", include_label_prefix: str = "", config_tracking: bool = True
    ) -> WorkloadSettings:
        """Settings from comma-separated flag values, as Flagger's flags are written."""
        labels = tuple(s.strip() for s in selector_labels.split(",") if s.strip())
        prefixes = tuple(s.strip() for s in include_label_prefix.split(","))
        return cls(
            selector_labels=labels or DEFAULT_SELECTOR_LABELS,
            include_label_prefixes=prefixes,
            config_tracking=config_tracking,
        )
