"""A small server-side SVG line chart: axes with ticks, one polyline per series, and vertical
markers (halts, rollbacks) that carry a ``<title>`` tooltip.

Pure: values in, ``Html`` out, no JavaScript and no charting library. Every label goes through
``controller.ui.markup``, so a series or marker named by a hostile spec cannot inject markup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from controller.ui.markup import Html, tag

PALETTE = ("#2563eb", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d")
MARKER_COLOURS = {"halt": "#d97706", "rollback": "#dc2626", "success": "#16a34a"}


@dataclass(frozen=True, slots=True)
class Series:
    """A named line: points as (x, y), x ascending."""

    label: str
    points: tuple[tuple[float, float], ...]
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class Marker:
    """A vertical line at ``x``; ``kind`` picks its colour (halt, rollback, success)."""

    x: float
    kind: str
    title: str


@dataclass(frozen=True, slots=True)
class Frame:
    """The plot area inside the SVG and the value ranges it shows."""

    left: float
    top: float
    width: float
    height: float
    x0: float
    x1: float
    y0: float
    y1: float

    def sx(self, x: float) -> float:
        return self.left + (x - self.x0) / (self.x1 - self.x0) * self.width

    def sy(self, y: float) -> float:
        return self.top + self.height - (y - self.y0) / (self.y1 - self.y0) * self.height


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values (steps of 1, 2 or 5 times a power of ten) covering
    ``low..high``; a flat range is widened so there is always more than one tick."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"tick range must be finite, got {low}..{high}")
    if high < low:
        low, high = high, low
    if high == low:
        spread = abs(low) or 1.0
        low, high = low - spread / 2, high + spread / 2
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks: list[float] = []
    index = 0
    while True:
        value = round(first + index * step, 10)
        ticks.append(value)
        if value >= high - step * 1e-9:
            break
        index += 1
    return ticks


def _label(value: float) -> str:
    return f"{value:g}"


def line_chart(
    series: Sequence[Series],
    markers: Sequence[Marker] = (),
    *,
    title: str,
    x_label: str = "",
    y_label: str = "",
    width: int = 720,
    height: int = 240,
    x_format: Callable[[float], str] = _label,
    y_floor: float | None = None,
) -> Html:
    """An SVG chart of ``series`` with ``markers``. ``y_floor`` keeps the y axis from starting
    above it (0 for weights, so a flat line is not drawn at the bottom edge)."""
    xs = [x for s in series for x, _ in s.points] + [m.x for m in markers]
    ys = [y for s in series for _, y in s.points]
    if y_floor is not None:
        ys.append(y_floor)
    if not xs or not ys:
        return tag("p", f"{title}: no data recorded", class_="empty")
    xt = nice_ticks(min(xs), max(xs), 6)
    yt = nice_ticks(min(ys), max(ys), 4)
    frame = Frame(
        56.0, 28.0, width - 56.0 - 16.0, height - 28.0 - 40.0, xt[0], xt[-1], yt[0], yt[-1]
    )
    parts: list[Html] = [
        tag("title", title),
        tag("text", title, x=frame.left, y=16, class_="chart-title", font_size=13),
        _axes(frame, xt, yt, x_format),
    ]
    if x_label:
        parts.append(
            tag("text", x_label, x=frame.left + frame.width / 2, y=height - 4, font_size=11,
                text_anchor="middle")
        )  # fmt: skip
    if y_label:
        parts.append(tag("text", y_label, x=4, y=frame.top - 8, font_size=11))
    for index, s in enumerate(series):
        parts.append(_polyline(frame, s, PALETTE[index % len(PALETTE)]))
    for marker in markers:
        parts.append(_marker(frame, marker))
    parts.append(_legend(series, frame, width))
    return tag(
        "svg",
        parts,
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {width} {height}",
        width=width,
        height=height,
        role="img",
        class_="chart",
        font_family="sans-serif",
    )


def _axes(frame: Frame, xt: list[float], yt: list[float], fmt: Callable[[float], str]) -> Html:
    bottom = frame.top + frame.height
    parts: list[Html] = []
    for y in yt:
        py = f"{frame.sy(y):.1f}"
        parts.append(
            tag("line", x1=frame.left, y1=py, x2=frame.left + frame.width, y2=py, stroke="#e5e7eb")
        )
        parts.append(
            tag("text", _label(y), x=frame.left - 6, y=py, font_size=10, text_anchor="end",
                dominant_baseline="middle", class_="ytick")
        )  # fmt: skip
    for x in xt:
        px = f"{frame.sx(x):.1f}"
        parts.append(tag("line", x1=px, y1=bottom, x2=px, y2=bottom + 4, stroke="#374151"))
        parts.append(
            tag("text", fmt(x), x=px, y=bottom + 16, font_size=10, text_anchor="middle",
                class_="xtick")
        )  # fmt: skip
    parts.append(
        tag("line", x1=frame.left, y1=bottom, x2=frame.left + frame.width, y2=bottom,
            stroke="#374151", class_="axis")
    )  # fmt: skip
    parts.append(
        tag("line", x1=frame.left, y1=frame.top, x2=frame.left, y2=bottom, stroke="#374151",
            class_="axis")
    )  # fmt: skip
    return tag("g", parts, class_="axes")


def _polyline(frame: Frame, s: Series, colour: str) -> Html:
    points = " ".join(f"{frame.sx(x):.1f},{frame.sy(y):.1f}" for x, y in s.points)
    dots = [
        tag("circle", tag("title", f"{s.label}: {_label(y)}"), cx=f"{frame.sx(x):.1f}",
            cy=f"{frame.sy(y):.1f}", r=2.5, fill=colour)
        for x, y in s.points
    ]  # fmt: skip
    line = tag(
        "polyline",
        tag("title", s.label),
        points=points,
        fill="none",
        stroke=colour,
        stroke_width=2,
        stroke_dasharray="5 4" if s.dashed else None,
    )
    return tag("g", line, [] if s.dashed else dots, class_="series", data_label=s.label)


def _marker(frame: Frame, m: Marker) -> Html:
    x = f"{frame.sx(m.x):.1f}"
    colour = MARKER_COLOURS.get(m.kind, "#6b7280")
    return tag(
        "g",
        tag("title", m.title),
        tag("line", x1=x, y1=frame.top, x2=x, y2=frame.top + frame.height, stroke=colour,
            stroke_width=2 if m.kind == "rollback" else 1.5, stroke_dasharray="4 3"),
        tag("path", d=f"M{x} {frame.top} l-5 -8 h10 z", fill=colour),
        class_=f"marker marker-{m.kind}",
    )  # fmt: skip


def _legend(series: Sequence[Series], frame: Frame, width: int) -> Html:
    items: list[Html] = []
    x = width - 16.0
    for index in reversed(range(len(series))):
        label = series[index].label
        x -= 14 + 6.5 * len(label)
        colour = PALETTE[index % len(PALETTE)]
        items.append(tag("rect", x=f"{x:.1f}", y=8, width=10, height=10, fill=colour))
        items.append(tag("text", label, x=f"{x + 13:.1f}", y=17, font_size=11))
    return tag("g", items, class_="legend")
