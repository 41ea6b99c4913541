"""The studio page in a real browser (Playwright driving Debian's Chromium) against a
real server (`python -m nnstudio studio` on a temporary workspace).

Every step waits on <body data-ready="true"> (the page's own "idle" signal), never on
a sleep. Screenshots go to build/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
READY = "body[data-ready=true]"
LETTERS_MODEL = "letters-browser"
SHAPES_MODEL = "shapes-browser"
BROKEN_SQUARE = ["11101", "10001", "10001", "00001", "11111"]


# ----------------------------------------------------------------------------- server


@dataclass
class Studio:
    url: str  # the address without its token: http://127.0.0.1:PORT/
    workspace: Path
    output: list[str] = field(default_factory=list)
    token: str = ""  # the access token the studio printed in its address

    def opening(self, path: str = "") -> str:
        """Return the address of path with ?token=, as the printed address has it."""
        return f"{self.url}{path}?token={self.token}"


@contextmanager
def running_studio(workspace: Path) -> Iterator[Studio]:
    """Start `nnstudio studio` on a free port; yield its URL; stop it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "nnstudio", "studio", "--workspace", str(workspace), "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    studio = Studio("", workspace)
    found = threading.Event()

    def read_output() -> None:  # keeps the pipe drained, and finds the URL in the first line
        assert process.stdout is not None
        for line in process.stdout:
            studio.output.append(line.rstrip())
            match = re.search(r"(http://[\w.\[\]:]+/)\?token=([\w.~-]+)", line)
            if match and not studio.url:
                studio.url, studio.token = match.groups()
                found.set()
        found.set()

    threading.Thread(target=read_output, daemon=True).start()
    try:
        if not found.wait(60) or not studio.url:
            pytest.fail("the studio did not start:\n" + "\n".join(studio.output))
        wait_until_serving(studio, process)
        yield studio
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def wait_until_serving(studio: Studio, process: subprocess.Popen, seconds: float = 60) -> None:
    """The URL is printed once the port is bound; wait until the server answers on it."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    asked = urllib.request.Request(studio.url + "api/presets", headers={"Authorization": f"Bearer {studio.token}"})
    while True:
        try:
            with urllib.request.urlopen(asked, timeout=5):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the studio does not answer:\n" + "\n".join(studio.output))
            time.sleep(0.05)


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    """One server for the tests that share models (the models are trained when needed)."""
    with running_studio(tmp_path_factory.mktemp("studio-workspace")) as running:
        yield running


@pytest.fixture(scope="module")
def shapes_model(studio: Studio) -> str:
    """The course's shapes MLP trained into the workspace: 20 epochs of Adam in batches of
    8 (a second; 40 epochs in batches of 1 took several), which read the broken square as a
    square as the API tests' model does."""
    from nnstudio.workflows import train_model

    train_model("shapes", out=studio.workspace / "models" / SHAPES_MODEL, model="shapes-mlp", epochs=20,
                validation=0.2, batch_size=8, optimizer="adam", lr=0.01)
    return SHAPES_MODEL


@pytest.fixture(scope="module")
def letters_model(studio: Studio) -> str:
    """The letters CNN on 60 letters per class for 8 epochs (~15 s on 2 idle cores), without
    augmentation (it costs time per epoch): enough to read a drawn L, which the generated
    letters never came from."""
    from nnstudio.workflows import train_model

    train_model("letters", out=studio.workspace / "models" / LETTERS_MODEL, per_class=60, epochs=8, augment="none")
    return LETTERS_MODEL


# ----------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not at {CHROMIUM}: install it (apt-get install -y chromium); "
                    "the browser tests need it and `playwright install` cannot download one here")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page; its JavaScript errors fail the test; a full-page screenshot at the end."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    snap(opened, request.node.name)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def snap(page: Any, name: str) -> None:
    """Save a full-page screenshot now (the fixture saves one at the end of each test)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def open_studio(page: Any, studio: Studio) -> None:
    """Open the printed address (with its token) and wait until the page is ready."""
    page.goto(studio.opening())
    page.wait_for_selector(READY, timeout=60_000)


def choose_model(page: Any, name: str) -> None:
    page.select_option("[data-testid=model-select]", name)
    page.wait_for_selector(READY)


def draw(page: Any, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw mouse strokes on the canvas (points in canvas pixels, 280 a side), each
    ended by a mouse-up, waiting for the page's answer after each."""
    canvas = page.locator("canvas[data-testid=canvas]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=10)
        page.mouse.up()
        page.wait_for_selector(READY)


def visible_error(page: Any) -> str:
    box = page.locator("[data-testid=error]")
    return box.inner_text() if box.is_visible() else ""


# ----------------------------------------------------------------------------- tests


@pytest.mark.slow
def test_drawn_L_is_read_as_L(page: Any, studio: Studio, letters_model: str) -> None:
    open_studio(page, studio)
    choose_model(page, letters_model)
    draw(page, [[(95, 45), (95, 235)], [(95, 235), (205, 235)]])

    assert page.inner_text("[data-testid=prediction-top]").strip() == "L"
    assert page.locator("[data-testid=probabilities] .prob").count() == 26
    # The prepared input is drawn: some pixels are dark (ink), most are light (paper).
    shades = page.evaluate("""() => { const c = document.querySelector('[data-testid=prepared-input]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let dark = 0, light = 0; for (let i = 0; i < d.length; i += 4) { if (d[i+3] === 0) continue;
        if (d[i] < 80) dark++; else if (d[i] > 200) light++; } return [dark, light]; }""")
    assert shades[0] > 0 and shades[1] > shades[0]
    assert page.locator("[data-testid=network-drawing] svg").count() == 1
    assert visible_error(page) == ""


@pytest.mark.slow
def test_broken_square_on_the_grid_is_a_square(page: Any, studio: Studio, shapes_model: str) -> None:
    open_studio(page, studio)
    choose_model(page, shapes_model)
    grid = page.locator("[data-testid=canvas]")
    assert grid.locator("[data-row]").count() == 25
    for r, row in enumerate(BROKEN_SQUARE):
        for c, bit in enumerate(row):
            if bit == "1":
                grid.locator(f"[data-row='{r}'][data-col='{c}']").click()
                page.wait_for_selector(READY)

    assert page.inner_text("[data-testid=prediction-top]").strip() == "square"
    assert page.locator("[data-testid=probabilities] .prob").count() == 5
    assert page.locator("[data-testid=network-drawing] svg").count() == 1
    snap(page, "broken_square_answer")
    page.click("[data-testid=clear]")
    page.wait_for_selector(READY)
    assert page.inner_text("[data-testid=prediction-top]").strip() == ""


def test_invalid_design_is_shown_on_its_layer_and_cannot_train(page: Any, studio: Studio) -> None:
    open_studio(page, studio)
    rows = page.locator("[data-testid=layer-row]")
    assert rows.count() > 1  # the shapes MLP, the first dataset's network
    assert page.locator("[data-testid=train-start]").is_enabled()

    rows.nth(0).locator(".field[data-field=units] input").fill("0")
    page.wait_for_selector(READY)
    message = rows.nth(0).locator(".layer-error")
    assert message.is_visible() and "units" in message.inner_text()
    assert "units" in visible_error(page)
    assert page.locator("[data-testid=train-start]").is_disabled()
    assert rows.nth(1).locator(".layer-error").is_hidden()

    rows.nth(0).locator(".field[data-field=units] input").fill("25")
    page.wait_for_selector(READY)
    assert message.is_hidden() and visible_error(page) == ""
    assert page.locator("[data-testid=train-start]").is_enabled()

    # A CNN whose first kernel is bigger than its 8x8 input (without padding).
    page.select_option("[data-testid=preset-select]", "digits-cnn")
    page.wait_for_selector(READY)
    assert rows.last.locator(".field[data-field=units] input").input_value() == "5"  # one unit per shape
    rows.nth(0).locator(".field[data-field=padding] select").select_option("valid")
    page.wait_for_selector(READY)
    rows.nth(0).locator(".field[data-field=kernel_size] input").fill("12x12")
    page.wait_for_selector(READY)
    assert "kernel_size" in rows.nth(0).locator(".layer-error").inner_text()
    assert page.locator("[data-testid=train-start]").is_disabled()


def test_design_that_does_not_fit_the_data_is_shown_at_its_input(page: Any, studio: Studio) -> None:
    open_studio(page, studio)
    start = page.locator("[data-testid=train-start]")
    assert start.is_enabled() and page.locator("[data-testid=input-error]").is_hidden()
    page.fill("#input-shape", "24")  # shapes are 25 values: a valid design that cannot take them
    page.wait_for_selector(READY)
    message = page.locator("[data-testid=input-error]")
    assert message.is_visible()
    text = message.inner_text()
    assert "input_shape [24]" in text and "25 values" in text  # the field, what it has, what the data need
    assert start.is_disabled() and "input_shape" in visible_error(page)
    assert page.locator("[data-testid=layer-row] .shape").first.inner_text() != ""  # its shapes still shown
    snap(page, "design_input_mismatch")
    page.fill("#input-shape", "25")
    page.wait_for_selector(READY)
    assert message.is_hidden() and start.is_enabled() and visible_error(page) == ""

    # Another dataset: the edited design stays, and does not fit digits' 8x8 images.
    page.select_option("[data-testid=dataset-select]", "digits")
    page.wait_for_selector(READY, timeout=60_000)
    assert "64 values" in message.inner_text() and start.is_disabled()
    # An untouched design becomes the network the server reports for the dataset (a new
    # visitor: the page keeps an edited design across reloads).
    page.evaluate("localStorage.clear()")
    open_studio(page, studio)
    page.select_option("[data-testid=dataset-select]", "digits")
    page.wait_for_selector(READY)
    reported = page.evaluate("fetch('/api/datasets/digits').then((r) => r.json()).then((d) => d.network)")
    assert page.input_value("[data-testid=preset-select]") == reported["preset"]
    assert page.input_value("#input-shape") == "x".join(map(str, reported["input_shape"]))
    assert page.locator("[data-testid=layer-row]").count() == len(reported["spec"]["layers"])
    assert start.is_enabled()


def test_own_dataset_starts_from_the_network_fitted_to_it(page: Any, studio: Studio) -> None:
    folder = studio.workspace / "datasets" / "tiny-fit"
    for label, side in (("a", 10), ("b", 24)):
        (folder / label).mkdir(parents=True)
        for n in range(3):
            picture = np.full((40, 40), 255, np.uint8)
            picture[8:8 + side, 8 + n:8 + n + side // 2] = 0
            Image.fromarray(picture, "L").save(folder / label / f"{n}.png")
    try:
        open_studio(page, studio)
        page.select_option("[data-testid=dataset-select]", "tiny-fit")
        page.wait_for_selector(READY)
        reported = page.evaluate("fetch('/api/datasets/tiny-fit').then((r) => r.json()).then((d) => d.network)")
        assert reported["preset"] is None  # a small set: a network fitted to it, not a preset
        assert page.input_value("[data-testid=preset-select]") == "@data"
        assert reported["spec"]["name"] in page.inner_text("[data-testid=preset-select] option:checked")
        assert page.input_value("#input-shape") == "x".join(map(str, reported["input_shape"]))
        assert page.locator("[data-testid=layer-row]").count() == len(reported["spec"]["layers"])
        assert page.locator("[data-testid=train-start]").is_enabled()
        assert page.locator("[data-testid=input-error]").is_hidden()
    finally:
        shutil.rmtree(folder)


def test_api_docs_list_every_route_offline(page: Any, studio: Studio) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(studio.opening("docs"))
    page.wait_for_selector(READY)
    routes = page.locator("[data-testid=api-route]")
    assert routes.count() >= 20
    runs = routes.filter(has=page.locator("code.docs-path", has_text=re.compile(r"^/api/runs$")))
    assert runs.count() == 2  # GET and POST
    post = runs.filter(has_text="POST")
    post.locator("summary").click()
    assert "RunRequest" in post.inner_text() and "422" in post.inner_text()
    assert "/api/models/{name}/predict" in page.inner_text("[data-testid=api-routes]")
    assert asked and all(url.startswith(studio.url) for url in asked), asked
    post.scroll_into_view_if_needed()
    snap(page, "api_docs")


def test_overfitting_epoch_is_marked_on_the_chart(page: Any, studio: Studio) -> None:
    open_studio(page, studio)
    # The chart code of the page itself, fed a history whose validation loss is lowest at
    # epoch 3 and rises after it while the training loss keeps falling.
    marked = page.evaluate("""async () => {
        const { overfitMark } = await import('/static/training.js');
        const { drawChart } = await import('/static/chart.js');
        const history = [2.0, 1.5, 1.2, 1.3, 1.5].map((v, i) => ({ epoch: i + 1, loss: 2 - 0.4 * i, val_loss: v }));
        const mark = overfitMark(history);
        const falling = overfitMark(history.slice(0, 3));
        const holder = document.querySelector('[data-testid=chart]');
        drawChart(holder, { series: [{ label: 'validation', metric: 'loss', color: '#d9480f',
          points: history.map((e) => [e.epoch, e.val_loss]) }], markers: [mark] });
        return { mark, falling, lines: holder.querySelectorAll('line.marker').length,
                 label: holder.querySelector('.marker-label').textContent, points: holder.dataset.points };
    }""")
    assert marked["mark"]["x"] == 3 and marked["falling"] is None
    assert marked["lines"] == 2 and "epoch 3" in marked["label"]  # on the loss and the accuracy panel
    assert marked["points"] == "5"


@pytest.mark.slow
def test_training_letters_grows_the_chart(page: Any, studio: Studio) -> None:
    open_studio(page, studio)
    page.select_option("[data-testid=dataset-select]", "letters")
    page.wait_for_selector(READY, timeout=120_000)  # the first look at the letters generates them
    assert page.input_value("[data-testid=preset-select]") == "letters-cnn"
    page.fill("#opt-epochs", "3")
    page.fill("#opt-per_class", "10")
    page.fill("#opt-validation", "0.2")
    page.fill("#opt-name", "letters-from-page")
    # Record every count of plotted points the chart shows while the run trains.
    page.evaluate("""() => { window.chartPoints = []; const chart = document.querySelector('[data-testid=chart]');
        new MutationObserver(() => window.chartPoints.push(Number(chart.dataset.points)))
          .observe(chart, {attributes: true, attributeFilter: ['data-points']}); }""")
    page.click("[data-testid=train-start]")
    page.wait_for_selector("[data-testid=progress][data-status=running]", timeout=60_000)
    assert page.locator("[data-testid=train-stop]").is_enabled()
    page.wait_for_function("new Set(window.chartPoints.filter((n) => n > 0)).size >= 3", timeout=120_000)
    counts = page.evaluate("window.chartPoints")
    growth = [c for c in counts if c > 0]
    assert growth == sorted(growth) and growth[-1] > growth[0], counts  # the chart grew step by step

    # A reloaded page finds the run again and shows all of it, then follows it to its end.
    page.reload()
    page.wait_for_selector(READY, timeout=60_000)
    assert "letters-from-page" in page.inner_text("#run-title")
    page.wait_for_selector("[data-testid=progress][data-status=done]", timeout=120_000)
    # "done" may come from the list of runs before the run's stream has brought its last
    # epoch and the saved model: the chart, the progress line and the model list follow it.
    from playwright.sync_api import expect

    expect(page.locator("[data-testid=progress]")).to_contain_text("epoch 3", timeout=30_000)
    expect(page.locator("[data-testid=model-select]")).to_have_value("letters-from-page", timeout=30_000)
    page.wait_for_selector(READY)
    page.wait_for_function(f"Number(document.querySelector('[data-testid=chart]').dataset.points) >= {growth[-1]}",
                           timeout=10_000)
    assert page.locator("[data-testid=chart] polyline").count() >= 4  # loss and accuracy, training and validation
    assert (studio.workspace / "models" / "letters-from-page" / "model.json").is_file()


def test_the_printed_address_lets_the_browser_in_and_leaves_no_token_behind(page: Any, browser: Any,
                                                                            studio: Studio) -> None:
    open_studio(page, studio)
    assert page.url == studio.url and "token" not in page.evaluate("location.href")
    assert page.evaluate("document.cookie") == ""  # HttpOnly: the page's scripts cannot read it
    [cookie] = [c for c in page.context.cookies() if c["name"].startswith("nnstudio-token-")]
    assert cookie["value"] == studio.token and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.reload()
    page.wait_for_selector(READY)
    assert visible_error(page) == ""
    page.goto(studio.url + "docs")  # the cookie alone opens every page of the studio
    page.wait_for_selector(READY)
    assert page.locator("[data-testid=api-route]").count() >= 20

    stranger = browser.new_context(viewport={"width": 1024, "height": 700})
    try:
        locked = stranger.new_page()
        answer = locked.goto(studio.url)
        assert answer.status == 401
        text = " ".join(locked.inner_text("body").split())
        assert "open the address printed by nnstudio studio" in text.lower() and studio.token not in text
        snap(locked, "token_needed")
        assert locked.goto(studio.url + "?token=wrong").status == 401
        assert not stranger.cookies()
    finally:
        stranger.close()
