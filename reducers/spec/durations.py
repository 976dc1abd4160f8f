"""Flagger's duration strings: what the CRD admits and what Go's ``time.ParseDuration`` reads.

Flagger's CRD constrains ``analysis.interval``, ``metrics[].interval`` and ``webhooks[].timeout``
with the *prefix* pattern ``^[0-9]+(m|s)``: ``1m30s`` and ``500ms`` pass, ``1h`` and ``1.5m`` fail.
The Go code then parses the string with ``time.ParseDuration`` and silently substitutes a default
when that fails (``5mfoo`` passes the CRD and becomes 60s). Roost accepts the intersection of the
two — the prefix rule *and* a parsable Go duration — so a duration either means what it says or
is rejected. :data:`DURATION_PATTERN` expresses that intersection as one regular expression, valid
in Python, in Go's RE2 (the API server) and in ECMA-262; it is written into the generated CRD.

Pure: parsing only; no clock is read here.
"""

from __future__ import annotations

import re
from datetime import timedelta
from fractions import Fraction
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

from reducers.spec.errors import DurationError, InvalidValue

_UNIT_NANOS: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_UNITS = "ns|us|\u00b5s|\u03bcs|ms|s|m|h"
_NUMBER = r"([0-9]+(\.[0-9]*)?|\.[0-9]+)"

GO_DURATION_PATTERN = rf"^[-+]?({_NUMBER}({_UNITS}))+$"
"""Any string Go's ``time.ParseDuration`` accepts (besides the bare ``0``)."""

DURATION_PATTERN = rf"^[0-9]+(ms|m|s)({_NUMBER}({_UNITS}))*$"
"""Flagger's CRD prefix rule intersected with Go's duration grammar (see the module docstring)."""

_GO_COMPONENT = re.compile(rf"{_NUMBER}({_UNITS})")
_GO_DURATION = re.compile(GO_DURATION_PATTERN)
_DURATION = re.compile(DURATION_PATTERN)


def parse_go_duration(text: str) -> timedelta:
    """Read a Go duration (``1m30s``, ``500ms``, ``1.5h``, ``-2s``) as a ``timedelta``.

    Sub-microsecond parts are truncated, which no Flagger duration needs.
    """
    if text in ("0", "+0", "-0"):
        return timedelta(0)
    if not _GO_DURATION.match(text):
        raise DurationError(f"not a duration: {text!r}")
    sign = -1 if text.startswith("-") else 1
    total = Fraction(0)
    for match in _GO_COMPONENT.finditer(text.lstrip("+-")):
        total += Fraction(match.group(1)) * _UNIT_NANOS[match.group(3)]
    return timedelta(microseconds=sign * int(total / 1000))


def is_flagger_duration(text: str) -> bool:
    """True when the CRD prefix rule holds and the whole string is a Go duration."""
    return bool(_DURATION.match(text))


def _check_duration(text: str) -> str:
    if not is_flagger_duration(text):
        raise InvalidValue(
            f"invalid duration {text!r}: write a whole number of seconds or minutes first, "
            "optionally followed by more units (e.g. 30s, 1m, 1m30s, 500ms)"
        )
    return text


Duration = Annotated[
    str,
    AfterValidator(_check_duration),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN}),
]
"""A duration field as written in a spec; parse it with :func:`parse_go_duration`."""
