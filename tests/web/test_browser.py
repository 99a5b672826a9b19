"""The dashboards in headless Chromium (Playwright driving /usr/bin/chromium) over a real
server on loopback: the home page searches and sorts, percentile and dimension controls redraw
the charts, a shared URL gives the same view, and the planted GC regression carries a
detection marker on its day, a click on which opens the metric's alerts."""

from __future__ import annotations

import dataclasses
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from opwatch.alerts.store import AlertStore
from opwatch.config import load_project
from opwatch.demo import demo_project_path
from opwatch.demo.telemetry import GeneratedData
from opwatch.engines import create_engine
from opwatch.pipeline.detection import DetectionStep
from opwatch.pipeline.metadata import PROJECTS_COLUMNS, PROJECTS_TABLE, project_row
from opwatch.web import create_app
from tests.alerts.samples import sample_alert
from tests.conftest import FOUR_WEEKS, settings_for

CHROMIUM = Path("/usr/bin/chromium")
EMPTY_SLUG = "zz-empty"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make test)"),
]


@pytest.fixture(scope="module")
def server(
    four_weeks: GeneratedData,
    four_weeks_results: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """The app over a copy of the four weeks' results with detections, alerts of gc_ms and
    uri_count at the planted change, and a second project that has no results yet (for the
    home page's sorting), on a free port."""
    results = tmp_path_factory.mktemp("browser") / "results"
    shutil.copytree(four_weeks_results, results)
    settings = settings_for(four_weeks, results)
    engine = create_engine(settings)
    demo = load_project(demo_project_path())
    DetectionStep(engine).run(demo)
    empty = dataclasses.replace(demo, slug=EMPTY_SLUG, name="An empty project")
    engine.results.replace_table(PROJECTS_TABLE, [project_row(empty)], "slug", PROJECTS_COLUMNS)
    engine.close()
    store = AlertStore.in_folder(results)
    planted = FOUR_WEEKS.regression_start.isoformat()
    uri_count = sample_alert(metric="uri_count", statistic="mean", parameter=None, position=planted)
    store.add([sample_alert(position=planted), uri_count])
    store.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not web.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    web.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    opened = browser.new_page(viewport={"width": 1300, "height": 1600})
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    opened.close()
    assert not errors, errors


def drawn(page: Page, times: int = 1) -> None:
    """Wait until the page has drawn its charts ``times`` times. Polled from here: the app's
    content security policy forbids the string evaluation ``wait_for_function`` does."""
    deadline = time.monotonic() + 30
    count = "() => Number(document.body.dataset.drawn || 0)"
    while page.evaluate(count) < times:
        assert time.monotonic() < deadline, f"the charts were not drawn {times} times in 30 s"
        time.sleep(0.05)


def gc_chart_points(page: Page) -> list[list[float]]:
    """The y values of the GC percentile chart's lines, per trace drawn as lines+markers."""
    return page.evaluate(
        """() => document.querySelector('figure[data-metric="gc_ms"] .plot').data
            .filter(t => t.mode === 'lines+markers').map(t => t.y)"""
    )


def listed(page: Page) -> list[str]:
    """The slugs of the home page's visible rows, top to bottom."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#projects tbody tr')]
            .filter(row => !row.hidden).map(row => row.querySelector('.slug').textContent)"""
    )


def test_the_home_page_searches_and_sorts_the_projects(page: Page, server: str) -> None:
    page.goto(server)
    assert listed(page) == ["opwatch-demo", EMPTY_SLUG]  # by slug
    page.click("#projects th[data-key=name]")
    assert listed(page) == [EMPTY_SLUG, "opwatch-demo"]  # "An empty project" first
    page.click("#projects th[data-key=name]")
    assert listed(page) == ["opwatch-demo", EMPTY_SLUG]
    page.click("#projects th[data-key=open]")  # 0 open detections before the demo's
    assert listed(page) == [EMPTY_SLUG, "opwatch-demo"]
    demo = page.locator("#projects tbody tr", has_text="opwatch demo")
    assert int(demo.locator("td.number").inner_text()) > 0
    page.fill("#search", "demo")
    assert listed(page) == ["opwatch-demo"]
    page.fill("#search", "nothing like it")
    assert listed(page) == []


def test_percentile_and_dimension_controls_redraw_the_charts(page: Page, server: str) -> None:
    page.goto(f"{server}/projects/opwatch-demo")
    drawn(page)
    median = gc_chart_points(page)
    page.select_option("select[name=percentile]", "95")
    drawn(page, 2)
    high = gc_chart_points(page)
    assert len(median) == len(high) == 2 and median != high
    assert min(high[0]) > max(median[0]) * 0.9  # p95 sits well above the median
    page.select_option("select[name=os]", "Linux")
    drawn(page, 3)
    assert gc_chart_points(page) != high
    assert "percentile=95" in page.url and "os=Linux" in page.url


def test_a_shared_url_opens_the_same_view(page: Page, server: str, browser: Browser) -> None:
    page.goto(f"{server}/projects/opwatch-demo")
    drawn(page)
    page.select_option("select[name=percentile]", "75")
    page.select_option("select[name=os]", "Mac")
    drawn(page, 3)
    shared, points = page.url, gc_chart_points(page)
    other = browser.new_page()
    other.goto(shared)
    drawn(other)
    assert other.input_value("select[name=percentile]") == "75"
    assert other.input_value("select[name=os]") == "Mac"
    assert gc_chart_points(other) == points
    other.close()


def test_the_planted_regression_has_a_marker_on_its_day(page: Page, server: str) -> None:
    page.goto(f"{server}/projects/opwatch-demo?percentile=95&os=Windows")
    drawn(page)
    markers = page.evaluate(
        """() => document.querySelector('figure[data-metric="gc_ms"] .plot').data
            .filter(t => t.meta === 'detection').map(t => [t.x[0], t.hovertemplate])"""
    )
    planted = FOUR_WEEKS.regression_start.isoformat()
    assert [x for x, _ in markers] == [planted, planted]  # the histogram and the p95 series
    assert all("regression on treatment" in text for _, text in markers)


def test_a_detection_marker_opens_the_alerts_of_its_metric(page: Page, server: str) -> None:
    page.goto(f"{server}/projects/opwatch-demo?percentile=95&os=Windows")
    drawn(page)
    x, y = page.evaluate(
        """() => {
            const plot = document.querySelector('figure[data-metric="gc_ms"] .plot');
            plot.scrollIntoView({ block: 'center' });
            const marker = plot.data.find(t => t.meta === 'detection');
            const layout = plot._fullLayout, box = plot.getBoundingClientRect();
            return [box.left + layout._size.l + layout.xaxis.d2p(marker.x[0]),
                    box.top + layout._size.t + layout.yaxis.d2p(marker.y[0])];
        }"""
    )
    page.mouse.move(x, y)
    with page.expect_navigation():
        page.mouse.click(x, y)
    assert page.url == f"{server}/alerts?project=opwatch-demo&metric=gc_ms"
    rows = page.locator("#alerts tbody tr")
    assert rows.count() == 1 and "gc_ms, percentile 95, treatment" in rows.inner_text()
    assert page.input_value("input[name=metric]") == "gc_ms"
    page.goto(f"{server}/projects/opwatch-demo")
    page.click('figure[data-metric="uri_count"] a.alerts')  # the chart's link: the same page
    page.wait_for_url(f"{server}/alerts?project=opwatch-demo&metric=uri_count")
    assert "uri_count, mean" in page.locator("#alerts tbody tr").inner_text()
