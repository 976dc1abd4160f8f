"""End to end in headless Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright: click
from the list to a canary and to its run, read the pages as a user sees them, and check full-page
screenshots for content (a PNG, not blank, the chart region drawn)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from playwright.sync_api import Browser, Page, sync_playwright

from controller.ui.serving import DashboardServer

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module, closed with Playwright's driver after it. Playwright gives
    each launch a fresh, empty temporary profile (``--user-data-dir``) and removes it on close."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    opened = browser.new_page()
    try:
        yield opened
    finally:
        opened.close()


def _check_png(data: bytes, path: Path) -> Image.Image:
    path.write_bytes(data)
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
    image = Image.open(io.BytesIO(data)).convert("L")
    assert image.width >= 800 and image.height >= 400
    return image


def _variance(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    return float(ImageStat.Stat(image.crop(box)).var[0])


def test_click_through_from_the_list_to_a_failed_run(
    server: DashboardServer, page: Page, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server.url + "/")
    table = page.locator("#canaries")
    assert "Canaries" in page.title()
    row = table.locator("tr", has=page.locator("a", has_text="podinfo-failing"))
    assert "Failed" in row.inner_text() and "failed" in row.inner_text()
    frontend = table.locator("tr", has=page.locator("a", has_text="frontend")).inner_text()
    assert "Progressing" in frontend and "running" in frontend
    index = _check_png(page.screenshot(full_page=True), tmp_path / "index.png")
    assert _variance(index, (0, 0, index.width, 200)) > 100  # header and table, not blank

    page.get_by_role("link", name="podinfo-failing").click()
    page.wait_for_url("**/canary/test/podinfo-failing")
    assert page.locator("h1").inner_text() == "test/podinfo-failing"
    assert "Failed" in page.locator("#summary").inner_text()
    runs = page.locator("#runs").inner_text()
    assert "failed" in runs and "4m30s" in runs
    assert "Rolling back podinfo-failing.test" in page.locator("#events").inner_text()
    assert "run 1 of 1: failed" in page.locator("#explain").inner_text()
    assert "kind: Canary" in page.locator("#yaml").inner_text()
    _check_png(page.screenshot(full_page=True), tmp_path / "canary.png")

    page.locator("#runs a.run-link").first.click()
    page.wait_for_url("**/canary/test/podinfo-failing/run/1")
    summary = page.locator("#run-summary").inner_text()
    assert "failed" in summary and "10 ticks" in summary
    charts = page.locator("#charts svg")
    assert charts.count() == 3
    halts = page.locator("#charts g.marker-halt")
    assert halts.count() == 15 and page.locator("#charts g.marker-rollback").count() == 3
    assert "metric-failed" in (halts.first.locator("title").text_content() or "")
    shot = _check_png(page.screenshot(full_page=True), tmp_path / "run.png")
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 200
    chart = (int(box["x"]), int(box["y"]), int(box["x"] + box["width"]),
             int(box["y"] + box["height"]))  # fmt: skip
    # The chart region is drawn (lines, text) and not a flat fill; an empty area of the page
    # below the content, by contrast, is flat.
    assert _variance(shot, chart) > 200
    weight_line = charts.first.locator("polyline")
    assert weight_line.count() == 1
    assert len((weight_line.get_attribute("points") or "").split()) == 10


def test_an_unknown_run_is_a_readable_404(server: DashboardServer, page: Page) -> None:
    answer = page.goto(server.url + "/canary/test/podinfo/run/5")
    assert answer is not None and answer.status == 404
    assert "no run 5 (runs 1-1)" in page.locator("main").inner_text()
    assert "Traceback" not in page.content()


def test_a_hostile_name_renders_as_text_and_runs_no_script(
    server: DashboardServer, page: Page
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server.url + "/")
    page.locator("a.canary-link", has_text="<script>").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == 'edge/<script>alert("x")</script>&<b>'
    assert page.locator("main script").count() == 0 and not dialogs
