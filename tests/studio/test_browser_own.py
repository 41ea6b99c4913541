"""The studio page in Chromium, as a new user tries it: own data as a card per class
(draw, upload, rename, delete, train), samples after a reload, upload errors in plain
words, the network picture (a neuron's value on hover, a feature map enlarged), the
answer's classes most likely first, and the designer's undo and kept design.

Screenshots at 1024 and 1400 pixels wide go to build/screenshots/."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from test_browser import (  # noqa: F401 (browser, page, studio and shapes_model are fixtures)
    READY,
    Studio,
    browser,
    draw,
    open_studio,
    page,
    running_studio,
    shapes_model,
    snap,
    studio,
    visible_error,
)

DIGITS_CNN = "digits-cnn-browser"
BROKEN_SQUARE = ["11101", "10001", "10001", "00001", "11111"]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    """A studio on an empty workspace: no model, no dataset of one's own."""
    with running_studio(tmp_path_factory.mktemp("own-workspace")) as running:
        yield running


@pytest.fixture(scope="module")
def digits_cnn(studio: Studio) -> str:  # noqa: F811
    """A small CNN on 8x8 digits, one epoch on 20 per class (a second or two): its
    feature maps are what the picture shows, trained or not."""
    from nnstudio.workflows import train_model

    train_model("digits", out=studio.workspace / "models" / DIGITS_CNN, model="digits-cnn", epochs=1, per_class=20)
    return DIGITS_CNN


def card(page: Any, class_name: str) -> Any:  # noqa: F811
    return page.locator(f"[data-testid=class-card][data-class='{class_name}']")


def draw_in(page: Any, locator: Any, strokes: list[list[tuple[float, float]]]) -> None:  # noqa: F811
    """Draw strokes (points in 0..1 of the canvas's side) on a card's canvas."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None
    for stroke in strokes:
        page.mouse.move(box["x"] + stroke[0][0] * box["width"], box["y"] + stroke[0][1] * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=8)
        page.mouse.up()


def png_of(side: int = 40) -> bytes:
    picture = np.full((side, side), 255, np.uint8)
    picture[8:32, 18:22] = 0
    out = io.BytesIO()
    Image.fromarray(picture, "L").save(out, format="PNG")
    return out.getvalue()


def make_dataset(workspace: Path, name: str, classes: dict[str, int]) -> Path:
    folder = workspace / "datasets" / name
    for label, count in classes.items():
        (folder / label).mkdir(parents=True)
        for n in range(count):
            (folder / label / f"{n}.png").write_bytes(png_of())
    return folder


def wide(page: Any, width: int) -> None:  # noqa: F811
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_selector(READY)
    widest = page.evaluate("document.documentElement.scrollWidth")
    assert widest <= width, f"the page is {widest} px wide in a {width} px window"


# ----------------------------------------------------------------------------- own data


def test_own_data_cards_draw_upload_rename_and_survive_a_reload(page: Any, fresh: Studio,  # noqa: F811
                                                                 tmp_path: Path) -> None:
    open_studio(page, fresh)
    assert page.locator("#new-dataset-box").evaluate("d => d.open")  # nothing of one's own yet: the form is open
    page.fill("#new-dataset-name", "doodles")
    page.fill("#new-dataset-classes", "ring, cross")
    page.click("#dataset-create")
    page.wait_for_selector(READY)
    assert visible_error(page) == ""
    assert page.locator("[data-testid=class-card]").count() == 2

    # A drawing into the cross card becomes a sample of cross, dark on light paper.
    draw_in(page, card(page, "cross").locator("[data-testid=card-canvas]"),
            [[(0.2, 0.2), (0.8, 0.8)], [(0.8, 0.2), (0.2, 0.8)]])
    card(page, "cross").locator("[data-testid=card-add]").click()
    page.wait_for_selector(READY)
    assert visible_error(page) == ""
    files = list((fresh.workspace / "datasets" / "doodles" / "cross").glob("*.png"))
    assert len(files) == 1
    grey = np.asarray(Image.open(files[0]).convert("L"))
    assert grey.min() < 64 and np.median(grey) > 192
    assert card(page, "cross").locator("[data-testid=sample]").count() == 1
    assert card(page, "cross").locator("[data-testid=class-count]").inner_text() == "1 sample"

    # Uploads: a text file is refused in the page's own words; two pictures go in.
    text = tmp_path / "cat.txt"
    text.write_text("not a picture")
    card(page, "ring").locator("[data-testid=card-upload]").set_input_files(str(text))
    page.wait_for_selector(READY)
    assert visible_error(page) == "the file 'cat.txt' is not an image (PNG, JPEG, GIF or BMP)"
    pictures = [tmp_path / "one.png", tmp_path / "two.png"]
    for path in pictures:
        path.write_bytes(png_of())
    card(page, "ring").locator("[data-testid=card-upload]").set_input_files([str(p) for p in pictures])
    page.wait_for_selector(READY)
    assert visible_error(page) == ""
    assert card(page, "ring").locator("[data-testid=sample]").count() == 2

    # The samples are there after a reload, without choosing anything.
    page.reload()
    page.wait_for_selector(READY)
    assert page.input_value("[data-testid=own-dataset]") == "doodles"
    assert card(page, "ring").locator("[data-testid=sample] img").count() == 2
    assert card(page, "cross").locator("[data-testid=sample] img").count() == 1
    assert page.evaluate("[...document.querySelectorAll('[data-testid=sample] img')].every(i => i.complete "
                         "&& i.naturalWidth > 0)")

    # Add a class; rename one (its samples move with it); a taken name is refused.
    page.fill("#new-class-name", "star")
    page.click("[data-testid=add-class]")
    page.wait_for_selector(READY)
    assert card(page, "star").count() == 1 and (fresh.workspace / "datasets" / "doodles" / "star").is_dir()
    page.once("dialog", lambda dialog: dialog.accept("circle"))
    card(page, "ring").locator("[data-testid=rename-class]").click()
    page.wait_for_selector(READY)
    assert visible_error(page) == ""
    assert card(page, "ring").count() == 0 and card(page, "circle").locator("[data-testid=sample]").count() == 2
    assert len(list((fresh.workspace / "datasets" / "doodles" / "circle").glob("*.png"))) == 2
    page.once("dialog", lambda dialog: dialog.accept("cross"))
    card(page, "circle").locator("[data-testid=rename-class]").click()
    page.wait_for_selector(READY)
    assert "'cross' exists already" in visible_error(page)
    assert card(page, "circle").count() == 1

    for width in (1024, 1400):
        wide(page, width)
        page.locator("#own-panel").screenshot(path=str(snap_path(f"own_data_cards_{width}")))

    # A sample's delete button works from the keyboard.
    delete = card(page, "cross").locator(".sample-delete")
    delete.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(READY)
    assert not files[0].exists() and card(page, "cross").locator("[data-testid=sample]").count() == 0
    assert card(page, "cross").locator("[data-testid=class-count]").inner_text() == "0 samples"
    assert page.input_value("[data-testid=own-dataset]") == "doodles"
    assert "(2 images)" in page.inner_text("[data-testid=dataset-select] option[value=doodles]")


def snap_path(name: str) -> Path:
    from test_browser import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def test_delete_dataset_asks_first(page: Any, fresh: Studio) -> None:  # noqa: F811
    folder = make_dataset(fresh.workspace, "to-delete", {"a": 1, "b": 1})
    open_studio(page, fresh)
    page.select_option("[data-testid=own-dataset]", "to-delete")
    page.wait_for_selector(READY)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("[data-testid=delete-dataset]")
    page.wait_for_selector(READY)
    assert folder.is_dir()
    messages: list[str] = []

    def accept(dialog: Any) -> None:
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.click("[data-testid=delete-dataset]")
    page.wait_for_selector(READY)
    assert "to-delete" in messages[0] and "2 images" in messages[0]
    assert not folder.exists() and visible_error(page) == ""
    assert page.locator("[data-testid=own-dataset] option[value=to-delete]").count() == 0
    assert page.locator("[data-testid=dataset-select] option[value=to-delete]").count() == 0


def test_train_on_this_dataset_starts_a_run_and_shows_it(page: Any, fresh: Studio) -> None:  # noqa: F811
    folder = make_dataset(fresh.workspace, "two-kinds", {"bar": 4, "dot": 4})
    (folder / "empty").mkdir()
    open_studio(page, fresh)
    page.select_option("[data-testid=own-dataset]", "two-kinds")
    page.wait_for_selector(READY)
    page.click("[data-testid=train-own]")  # a class without samples: said so, nothing starts
    page.wait_for_selector(READY)
    assert visible_error(page).startswith("dataset 'two-kinds': class 'empty' has no samples yet")
    assert page.evaluate("fetch('/api/runs').then((r) => r.json())") == []
    (folder / "empty").rmdir()
    page.reload()
    page.wait_for_selector(READY)
    page.select_option("[data-testid=own-dataset]", "two-kinds")
    page.wait_for_selector(READY)
    page.click("[data-testid=train-own]")
    page.wait_for_selector(READY)
    assert visible_error(page) == ""
    runs = page.evaluate("fetch('/api/runs').then((r) => r.json())")
    assert [r["data"] for r in runs] == ["two-kinds"]
    assert page.input_value("[data-testid=dataset-select]") == "two-kinds"
    assert "two-kinds" in page.inner_text("#run-title")
    # The training panel is brought into view: to the top, or as far as the page scrolls.
    in_view = ("(() => { const top = document.querySelector('#train-panel').getBoundingClientRect().top;"
               " const bottom = window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2;"
               " return top >= -1 && (top < 200 || (bottom && top < window.innerHeight / 2)); })()")
    try:
        page.wait_for_function(in_view, timeout=10_000)
    except Exception as err:  # say where the panel was, not only that the wait ran out
        where = page.evaluate("[document.querySelector('#train-panel').getBoundingClientRect().top, window.scrollY,"
                              " window.innerHeight, document.documentElement.scrollHeight]")
        raise AssertionError(f"training panel not in view: top, scrollY, innerHeight, scrollHeight = {where}") from err
    # It trains to its end on the network chosen for the data.
    page.wait_for_selector("[data-testid=progress][data-status=done]", timeout=120_000)
    reported = page.evaluate("fetch('/api/datasets/two-kinds').then((r) => r.json()).then((d) => d.network)")
    run = page.evaluate(f"fetch('/api/runs/{runs[0]['id']}').then((r) => r.json())")
    assert run["network"] == reported["spec"]["name"]


# ----------------------------------------------------------------------------- the answer and the picture


def test_probabilities_are_sorted_and_neurons_show_their_value(page: Any, studio: Studio,  # noqa: F811
                                                               shapes_model: str) -> None:  # noqa: F811
    open_studio(page, studio)
    page.select_option("[data-testid=model-select]", shapes_model)
    page.wait_for_selector(READY)
    grid = page.locator("[data-testid=canvas]")
    for r, row in enumerate(BROKEN_SQUARE):
        for c, bit in enumerate(row):
            if bit == "1":
                grid.locator(f"[data-row='{r}'][data-col='{c}']").click()
                page.wait_for_selector(READY)
    values = [float(t.rstrip("%")) for t in page.locator("[data-testid=probabilities] .prob-value").all_inner_texts()]
    assert len(values) == 5 and values == sorted(values, reverse=True)
    first = page.locator("[data-testid=probabilities] .prob").first
    assert first.locator(".prob-name").inner_text() == page.inner_text("[data-testid=prediction-top]").strip()

    neuron = page.locator("[data-testid=network-drawing] svg circle.neuron[data-layer='0']").first
    neuron.scroll_into_view_if_needed()
    neuron.hover()
    tip = page.locator("[data-testid=neuron-tip]")
    tip.wait_for(state="visible")
    value = neuron.get_attribute("data-value")
    assert tip.inner_text() == f"layer 1 (Dense) · unit 1 · value {value}"
    page.screenshot(path=str(snap_path("neuron_value_on_hover")))
    page.mouse.move(2, 2)
    tip.wait_for(state="hidden")
    # An output unit is named by its class too.
    output = page.locator("[data-testid=network-drawing] svg circle.neuron[data-value]").last
    output.hover()
    tip.wait_for(state="visible")
    assert re.fullmatch(r"layer \d+ \(Dense\) · unit \d \((square|rhombus|plus|x|line)\) · value [-\d.e]+",
                        tip.inner_text()), tip.inner_text()


def test_a_feature_map_is_enlarged_on_click(page: Any, studio: Studio, digits_cnn: str) -> None:  # noqa: F811
    open_studio(page, studio)
    page.select_option("[data-testid=model-select]", digits_cnn)
    page.wait_for_selector(READY)
    draw(page, [[(140, 40), (140, 240)]])
    maps = page.locator("[data-testid=network-drawing] svg image.feature-map[data-layer='0']")
    assert maps.count() >= 1
    target = maps.last  # drawn back to front: the last is the front plane, all of it seen
    layer, channel = target.get_attribute("data-layer"), target.get_attribute("data-channel")
    target.scroll_into_view_if_needed()
    target.click(force=True)  # the plane's frame lies over it: a click on either enlarges it
    zoom = page.locator("[data-testid=map-zoom]")
    zoom.wait_for(state="visible")
    assert zoom.locator(".zoom-title").inner_text() == f"layer {int(layer) + 1} (Conv2D) · channel {int(channel) + 1}"
    box = zoom.locator("img").bounding_box()
    assert box is not None and box["width"] >= 200
    assert zoom.locator("img").get_attribute("src") == target.get_attribute("href")
    page.screenshot(path=str(snap_path("feature_map_enlarged")))
    page.keyboard.press("Escape")
    zoom.wait_for(state="hidden")
    target.click(force=True)
    zoom.wait_for(state="visible")
    zoom.click()
    zoom.wait_for(state="hidden")


def test_an_upload_to_test_that_is_not_an_image_is_named(page: Any, studio: Studio, digits_cnn: str,  # noqa: F811
                                                         tmp_path: Path) -> None:
    open_studio(page, studio)
    page.select_option("[data-testid=model-select]", digits_cnn)
    page.wait_for_selector(READY)
    notes = tmp_path / "notes.txt"
    notes.write_text("a shopping list")
    page.set_input_files("#image-upload", str(notes))
    page.wait_for_selector(READY)
    assert visible_error(page) == "the file 'notes.txt' is not an image (PNG, JPEG, GIF or BMP)"
    picture = tmp_path / "one.png"
    picture.write_bytes(png_of())
    page.set_input_files("#image-upload", str(picture))
    page.wait_for_selector(READY)
    assert visible_error(page) == "" and page.inner_text("[data-testid=prediction-top]").strip() != ""


# ----------------------------------------------------------------------------- the designer


def layer_count(page: Any) -> int:  # noqa: F811
    return page.locator("[data-testid=layer-row]").count()


def test_designer_undo_and_the_design_kept_across_reloads(page: Any, studio: Studio) -> None:  # noqa: F811
    open_studio(page, studio)
    page.evaluate("localStorage.clear()")
    open_studio(page, studio)
    undo = page.locator("[data-testid=design-undo]")
    assert undo.is_disabled()
    rows = layer_count(page)
    units = page.locator("[data-testid=layer-row]").nth(0).locator(".field[data-field=units] input")
    first_units = units.input_value()
    units.fill("31")
    page.wait_for_selector(READY)
    page.click("#layer-add")
    page.wait_for_selector(READY)
    page.click("#layer-add")
    page.wait_for_selector(READY)
    assert layer_count(page) == rows + 2 and undo.is_enabled()

    # Kept across a reload, as edited.
    page.reload()
    page.wait_for_selector(READY)
    assert layer_count(page) == rows + 2
    assert units.input_value() == "31"
    assert "from your last visit" in page.inner_text("#design-note")
    for width in (1024, 1400):
        wide(page, width)
        page.locator("#design-panel").screenshot(path=str(snap_path(f"designer_kept_{width}")))

    # Several steps back: the new page's steps begin at the kept design, so add one more first.
    page.click("#layer-add")
    page.wait_for_selector(READY)
    page.click("h2")  # out of any field: Ctrl-Z is the designer's
    page.keyboard.press("Control+z")
    page.wait_for_selector(READY)
    assert layer_count(page) == rows + 2
    assert undo.is_disabled()
    page.select_option("[data-testid=preset-select]", "")  # the empty design
    page.wait_for_selector(READY)
    assert layer_count(page) == 0
    page.click("h2")
    page.keyboard.press("Control+z")
    page.wait_for_selector(READY)
    assert layer_count(page) == rows + 2 and visible_error(page) == ""

    # Start fresh: the data's own network again, and a reload no longer brings the edits back.
    page.click("#design-fresh")
    page.wait_for_selector(READY)
    assert layer_count(page) == rows
    assert units.input_value() == first_units
    page.reload()
    page.wait_for_selector(READY)
    assert layer_count(page) == rows and page.input_value("[data-testid=preset-select]") != ""
    page.evaluate("localStorage.clear()")


def test_undo_steps_through_typing_and_structure(page: Any, studio: Studio) -> None:  # noqa: F811
    open_studio(page, studio)
    page.evaluate("localStorage.clear()")
    open_studio(page, studio)
    rows = layer_count(page)
    units = page.locator("[data-testid=layer-row]").nth(0).locator(".field[data-field=units] input")
    before = units.input_value()
    units.fill("12")
    page.wait_for_selector(READY)
    page.click("#layer-add")
    page.wait_for_selector(READY)
    page.locator("[data-testid=layer-row]").nth(0).locator("button[title*=Remove], button[title*=remove]").first.click()
    page.wait_for_selector(READY)
    assert layer_count(page) == rows
    for expected_rows in (rows + 1, rows):
        page.click("[data-testid=design-undo]")
        page.wait_for_selector(READY)
        assert layer_count(page) == expected_rows
    assert units.input_value() == "12"
    page.click("[data-testid=design-undo]")
    page.wait_for_selector(READY)
    assert units.input_value() == before
    page.evaluate("localStorage.clear()")
