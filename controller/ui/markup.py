"""Building HTML where every value is escaped unless it is already markup.

The one rule of the dashboard's HTML: text from the ledger or the cluster (names, messages,
queries, YAML) only reaches a page through ``esc`` or ``tag``, which escape it; only ``Html``
values, which these functions produce, pass through unchanged. There is no template engine and
no way to mark an arbitrary string safe except by building it here.
"""

from __future__ import annotations

import html
from collections.abc import Iterable


class Html(str):
    """A string of markup that has already been escaped (or built from escaped parts)."""

    __slots__ = ()


def esc(value: object) -> Html:
    """``value`` as text safe in element content and in quoted attribute values."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def _flatten(children: Iterable[object]) -> Iterable[object]:
    for child in children:
        if child is None:
            continue
        if isinstance(child, str | int | float):
            yield child
        elif isinstance(child, Iterable):
            yield from _flatten(child)
        else:
            yield child


def join(children: Iterable[object]) -> Html:
    """Children concatenated, each escaped unless it is ``Html``; ``None`` is skipped."""
    return Html("".join(esc(c) for c in _flatten(children)))


def tag(name: str, *children: object, **attrs: object) -> Html:
    """An element. Attribute names drop one trailing underscore (``class_``) and turn ``_`` into
    ``-``; ``None`` or ``False`` leaves an attribute out, ``True`` writes it bare."""
    parts = [name]
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        attr = key.removesuffix("_").replace("_", "-")
        parts.append(attr if value is True else f'{attr}="{esc(value)}"')
    opening = "<" + " ".join(parts) + ">"
    if name in _VOID:
        return Html(opening)
    return Html(f"{opening}{join(children)}</{name}>")


_VOID = frozenset({"br", "hr", "img", "input", "meta", "link"})
