"""The training panel's runs in a real browser: queued runs shown in line and followed
live, the plan a run trains with, a diverging run, a reload mid-training, compared
runs' colours, and a page no wider than a 1024-pixel window.

Uses the server and browser fixtures of test_browser.py; screenshots go to
build/screenshots/ (runs_*.png) for a person to look at.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from test_browser import READY, Studio, browser, open_studio, page, running_studio, snap, visible_error

__all__ = ["browser", "page"]  # fixtures used here

ROW = "[data-testid=run-row]"


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    with running_studio(tmp_path_factory.mktemp("runs-workspace")) as running:
        yield running


def api(studio: Studio, path: str) -> Any:
    asked = urllib.request.Request(studio.url + path.lstrip("/"), headers={"Authorization": f"Bearer {studio.token}"})
    with urllib.request.urlopen(asked, timeout=30) as answer:
        return json.loads(answer.read())


def rows(page: Any) -> list[dict[str, str]]:
    """Every run row as {id, status, text, color}, newest first."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-testid=run-row]')].map((r) => ({
        id: r.dataset.runId, status: r.dataset.status, color: r.dataset.color || '',
        text: r.querySelector('[data-testid=run-status]').textContent,
        name: r.querySelector('.run-name').textContent }))""")


def overflow(page: Any) -> dict[str, Any]:
    """The page's width against the window's, and any element of the training panel that
    reaches past the panel or past its own scroll box."""
    return page.evaluate("""() => {
        const panel = document.querySelector('#train-panel').getBoundingClientRect();
        const wide = [...document.querySelectorAll('#train-panel *')].filter((e) => {
            const box = e.getBoundingClientRect();
            return box.width > 0 && (box.right > panel.right + 0.5 || box.left < panel.left - 0.5);
        }).map((e) => e.tagName + '.' + e.className + '#' + e.id);
        const runs = document.querySelector('#runs');
        return { page: document.documentElement.scrollWidth, window: window.innerWidth, wide,
                 runs: [runs.scrollWidth, runs.clientWidth] };
    }""")


def next_frame(page: Any) -> None:
    """Wait until the page has drawn its next animation frame: what it scheduled to draw
    (the chart) before this call is drawn then."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def overflow_after_resize(page: Any, width: int, seconds: float = 10.0) -> dict[str, Any]:
    """overflow(page) once the page fits a window width pixels wide, or as it is after
    seconds: the chart redraws on resize in an animation frame, not at once."""
    deadline = time.monotonic() + seconds
    while True:
        measured = overflow(page)
        fits = measured["page"] <= width and not measured["wide"] and measured["runs"][0] <= measured["runs"][1]
        if fits or time.monotonic() > deadline:
            return measured
        page.wait_for_timeout(50)


def test_queued_runs_are_followed_live_in_line_with_their_plan(page: Any, studio: Studio) -> None:
    open_studio(page, studio)
    page.fill("#opt-epochs", "3")
    for _ in range(3):
        page.click("[data-testid=train-start]")
        page.wait_for_selector(READY)
        assert visible_error(page) == ""
    page.wait_for_function("document.querySelectorAll('[data-testid=run-row]').length === 3")
    shown = rows(page)
    assert len({row["name"] for row in shown}) == 3  # three names, none repeated
    # The newest waits behind the other queued one, and the page says so without a reload.
    # The texts are read in the same moment as the awaited one: the queue moves on as runs end.
    texts = page.wait_for_function("""() => {
        const texts = [...document.querySelectorAll('[data-testid=run-status]')].map((s) => s.textContent);
        return texts.includes('queued, 2nd in line') ? texts : null; }""", timeout=30_000).json_value()
    assert texts[:2] == ["queued, 2nd in line", "queued, 1st in line"], texts
    snap(page, "runs_queued_1400")

    # The rows follow the server to the end: every run done, no reload.
    page.wait_for_function("""[...document.querySelectorAll('[data-testid=run-row]')]
        .every((r) => r.dataset.status === 'done')""", timeout=180_000)
    runs = {run["id"]: run for run in api(studio, "/api/runs")}
    assert [runs[row["id"]]["status"] for row in rows(page)] == ["done"] * 3

    # The options it trained with: the 3 epochs asked for, the network's own batch of 1.
    followed = rows(page)[0]["id"]
    plan = api(studio, f"/api/runs/{followed}")["plan"]
    assert plan["epochs"] == 3 and plan["batch_size"] == 1
    options = page.locator("[data-testid=run-options]")
    expect(options).to_contain_text("3 epochs")  # shown once the run's plan has come down its stream
    assert f"batch {plan['batch_size']}" in options.inner_text()
    assert page.get_attribute("[data-testid=run-options] [data-option=epochs]", "title") == "your option"

    # Ticked to compare, each run gets its own colour, the same in its row and on the chart.
    for box in page.locator(f"{ROW} input[type=checkbox]").all():
        box.check()
        page.wait_for_selector(READY)
    next_frame(page)  # the chart redraws in the animation frame after the last run's history came
    colors = [row["color"] for row in rows(page)]
    assert len(set(colors)) == 3 and all(colors), colors
    strokes = set(page.evaluate("""() => [...document.querySelectorAll('[data-testid=chart] polyline')]
        .map((p) => p.getAttribute('stroke'))"""))
    assert set(colors) == strokes  # the followed run too: in its row's colour
    legend = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('[data-testid=chart] text.legend')]
        .map((t) => [t.textContent, t.previousElementSibling.getAttribute('stroke')]))""")
    assert legend == {row["name"]: row["color"] for row in rows(page)}  # the legend's colours are the rows'
    snap(page, "runs_compared_1400")

    page.set_viewport_size({"width": 1024, "height": 900})
    measured = overflow_after_resize(page, 1024)
    assert measured["page"] <= 1024 and measured["wide"] == [], measured
    assert measured["runs"][0] <= measured["runs"][1], measured  # the run table fits its box
    snap(page, "runs_compared_1024")


def test_a_diverging_run_says_so_on_its_row(page: Any, studio: Studio) -> None:
    open_studio(page, studio)
    page.fill("#opt-lr", "1000")
    page.fill("#opt-epochs", "20")
    page.fill("#opt-name", "too-fast")
    page.click("[data-testid=train-start]")
    row = page.locator(f"{ROW}:has-text('too-fast')")
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid=run-row]')]
        .some((r) => r.textContent.includes('too-fast') && r.dataset.status === 'failed')""", timeout=120_000)
    assert row.locator("[data-testid=run-status]").inner_text() == "failed: diverged"
    # The row follows the list of runs; the progress line and the error follow the run's own
    # event stream, which may reach the page a moment later.
    expect(page.locator("[data-testid=progress]")).to_contain_text("diverging", timeout=10_000)
    expect(page.locator("[data-testid=error]")).to_contain_text("diverging", timeout=10_000)
    assert not (studio.workspace / "models" / "too-fast").exists()
    snap(page, "runs_diverged_1400")


def test_a_reload_mid_training_shows_the_runs_dataset_options_and_progress(page: Any, tmp_path: Path) -> None:
    with running_studio(tmp_path / "workspace") as fresh:
        open_studio(page, fresh)
        page.select_option("[data-testid=dataset-select]", "digits")
        page.wait_for_selector(READY, timeout=60_000)
        page.fill("#opt-epochs", "400")
        page.fill("#opt-validation", "0.25")
        page.click("[data-testid=train-start]")
        page.wait_for_selector("[data-testid=progress][data-status=running]", timeout=60_000)
        page.wait_for_function("document.querySelector('#progress-text').textContent.startsWith('epoch')")
        # A design edited after the start is kept by the browser; the reloaded page shows
        # the run's own network, and undo brings the edited one back.
        page.fill("#design-name", "edited-after-start")
        page.wait_for_timeout(700)  # the designer keeps an edit once typing pauses

        page.reload()
        page.wait_for_selector(READY, timeout=60_000)
        trained = api(fresh, "/api/runs")[0]["network"]
        assert trained and trained != "edited-after-start"
        page.wait_for_function(f"document.querySelector('#design-name').value === {json.dumps(trained)}")
        assert "trains with" in page.inner_text("#design-note")
        page.click("#design-undo")
        assert page.input_value("#design-name") == "edited-after-start"
        assert page.input_value("[data-testid=dataset-select]") == "digits"
        assert page.input_value("#opt-epochs") == "400" and page.input_value("#opt-validation") == "0.25"
        assert page.get_attribute("[data-testid=progress]", "data-status") == "running"
        page.wait_for_function("document.querySelector('#progress-text').textContent.includes('/400')")
        assert "400 epochs" in page.inner_text("[data-testid=run-options]")
        assert "validation 25%" in page.inner_text("[data-testid=run-options]")
        snap(page, "runs_reloaded_1400")
        page.click("[data-testid=train-stop]")
        page.wait_for_selector("[data-testid=progress][data-status=stopped]", timeout=60_000)
        # The row follows the list of runs, read again within a second of the stream's end.
        page.wait_for_selector(f"{ROW}[data-status=stopped]", timeout=10_000)
        assert [row["status"] for row in rows(page)] == ["stopped"]
