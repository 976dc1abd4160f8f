"""The escape-everything HTML helper and the SVG line chart, as pure functions."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from controller.ui.charts import Marker, Series, line_chart, nice_ticks
from controller.ui.markup import Html, esc, join, tag
from controller.ui.pages import canary_page, clock, duration, href, index_page
from controller.ui.views import CanaryRow

EVIL = "<script>alert(\"x\")</script>&<b onmouseover='y'>"
SVG = "{http://www.w3.org/2000/svg}"


def test_text_and_attributes_are_escaped() -> None:
    out = tag("a", EVIL, href=f'/x?"{EVIL}', title=EVIL)
    assert "<script>" not in out and "<b " not in out
    assert out.count("<") == 2  # the <a> and </a> of the element itself
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in out
    assert "&#x27;y&#x27;" in out


def test_markup_passes_through_once_and_is_never_double_escaped() -> None:
    inner = tag("b", "a&b")
    assert tag("p", inner) == "<p><b>a&amp;b</b></p>"
    assert esc(esc("&")) == "&amp;"
    assert join(["<", Html("<br>"), None, 3, ["x", ["<y>"]]]) == "&lt;<br>3x&lt;y&gt;"


def test_attribute_switches() -> None:
    assert tag("input", checked=True, disabled=False, data_x=None) == "<input checked>"
    assert tag("td", class_="c", font_size=1) == '<td class="c" font-size="1"></td>'


def test_links_quote_every_segment() -> None:
    assert href("canary", "ns", "a/b?c", "run", 2) == "/canary/ns/a%2Fb%3Fc/run/2"


def test_hostile_names_stay_text_on_the_pages() -> None:
    row = CanaryRow("ns", EVIL, EVIL, EVIL, EVIL, 10, EVIL, EVIL, 1)
    pages = [
        index_page([row], {("ns", EVIL): {"phase": EVIL, "weight": 5}}, EVIL),
        canary_page(row, [], [{"at": None, "type": EVIL, "phase": EVIL, "message": EVIL}],
                    None, EVIL, EVIL, EVIL),
    ]  # fmt: skip
    for page in pages:
        assert "<script>" not in page and "<b " not in page
        assert "&lt;script&gt;" in page


def test_nice_ticks_are_round_and_cover_the_range() -> None:
    assert nice_ticks(0, 100, 5) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(3, 47, 5) == [0, 10, 20, 30, 40, 50]
    assert nice_ticks(3, 47, 4) == [0, 20, 40, 60]
    ticks = nice_ticks(0.5, 0.5)
    assert len(ticks) > 1 and ticks[0] <= 0.5 <= ticks[-1]
    assert nice_ticks(90, 10)[0] <= 10
    with pytest.raises(ValueError):
        nice_ticks(0, float("inf"))


def _chart() -> ET.Element:
    svg = line_chart(
        [
            Series("weight", ((0, 0), (30, 10), (60, 20), (90, 0))),
            Series(EVIL, ((0, 5), (90, 5)), dashed=True),
        ],
        [Marker(60, "halt", f"halted: {EVIL}"), Marker(90, "rollback", "rolled back")],
        title=EVIL,
        x_label="seconds",
        x_format=clock,
        y_floor=0,
    )
    return ET.fromstring(svg)  # well-formed XML, or this raises


def test_chart_has_axes_ticks_one_polyline_per_series_and_titled_markers() -> None:
    root = _chart()
    assert root.tag == f"{SVG}svg"
    lines = root.findall(f".//{SVG}polyline")
    assert len(lines) == 2
    assert [line.find(f"{SVG}title").text for line in lines] == ["weight", EVIL]  # type: ignore[union-attr]
    points = [tuple(map(float, p.split(","))) for p in lines[0].attrib["points"].split()]
    assert len(points) == 4
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    assert xs == sorted(xs) and ys[2] < ys[1] < ys[0] == ys[3]  # up then down (SVG y grows down)
    markers = root.findall(f".//{SVG}g[@class='marker marker-halt']") + root.findall(
        f".//{SVG}g[@class='marker marker-rollback']"
    )
    titles = [m.find(f"{SVG}title").text for m in markers]  # type: ignore[union-attr]
    assert titles == [f"halted: {EVIL}", "rolled back"]
    xticks = [t.text for t in root.findall(f".//{SVG}text[@class='xtick']")]
    assert xticks[0] == "0:00" and xticks[-1] in ("1:40", "1:30")
    yticks = [float(t.text or "") for t in root.findall(f".//{SVG}text[@class='ytick']")]
    assert yticks[0] == 0 and yticks[-1] >= 20
    assert len(root.findall(f".//{SVG}line[@class='axis']")) == 2


def test_chart_without_data_says_so() -> None:
    assert "no data recorded" in line_chart([Series("w", ())], title="empty")


def test_durations_read_like_durations() -> None:
    assert [duration(None), duration(5), duration(65), duration(3725)] == [
        "-", "5s", "1m5s", "1h2m5s",
    ]  # fmt: skip
    assert clock(-30) == "-0:30" and clock(605) == "10:05"
