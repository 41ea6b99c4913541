"""Recurrent models in a real browser: the sequences panel answers the next term of typed
numbers, and a pen-path model reads the canvas's strokes.

Uses the browser fixtures of test_browser.py; screenshots go to build/screenshots/
(sequences_*.png) for a person to look at.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from studio_helpers import save_path_model, save_sequence_model
from test_browser import READY, Studio, browser, choose_model, draw, open_studio, page, running_studio, snap

__all__ = ["browser", "page"]  # fixtures used here

SEQ, PATH = "numbers-next", "pen-letters"


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    workspace = tmp_path_factory.mktemp("sequences-workspace")
    save_sequence_model(workspace / "models" / SEQ)
    save_path_model(workspace / "models" / PATH)
    with running_studio(workspace) as running:
        yield running


def api_post(studio: Studio, path: str, body: Any) -> Any:
    asked = urllib.request.Request(studio.url + path.lstrip("/"), data=json.dumps(body).encode(), method="POST",
                                   headers={"Authorization": f"Bearer {studio.token}",
                                            "Content-Type": "application/json"})
    with urllib.request.urlopen(asked, timeout=30) as answer:
        return json.loads(answer.read())


def type_numbers(page: Any, text: str) -> None:
    field = page.locator("[data-testid=sequence-input]")
    field.fill(text)
    field.press("Enter")
    page.wait_for_selector(READY)


def test_typed_numbers_get_their_next_term(page: Any, studio: Studio) -> None:
    open_studio(page, studio)
    choose_model(page, SEQ)
    assert page.locator("[data-testid=sequence-panel]").is_visible()
    assert not page.locator("canvas[data-testid=canvas]").is_visible()  # no drawing for numbers

    type_numbers(page, "2 4 6 8")
    assert page.inner_text("[data-testid=sequence-next]").strip() == "10"
    assert api_post(studio, f"/api/models/{SEQ}/predict", {"sequence": [2, 4, 6, 8]})["next"] == 10
    drawing = page.locator("[data-testid=network-drawing] svg")
    assert drawing.count() == 1 and "reading 2 4 6 8" in (drawing.get_attribute("aria-label") or "")
    page.locator("#sequence-panel").scroll_into_view_if_needed()
    snap(page, "sequences_next_term")

    type_numbers(page, "2 4 x 8")
    assert page.inner_text("[data-testid=sequence-next]").strip() == ""
    assert '"x" is not a whole number' in page.inner_text("[data-testid=sequence-error]")
    type_numbers(page, "1 2 3 40000")
    assert "between -10,000 and 10,000" in page.inner_text("[data-testid=sequence-error]")

    page.locator("[data-testid=sequence-input]").fill("")
    page.locator("[data-testid=sequence-input]").press_sequentially("3 6 9 12")  # answered when typing pauses
    page.wait_for_selector(READY)
    assert page.inner_text("[data-testid=sequence-next]").strip() == "15"
    assert not page.locator("[data-testid=sequence-error]").is_visible()
    # The models table offers ONNX for the pen-path model, not for the sequence model.
    onnx = page.locator("#models-rows a[href$='model.onnx']")
    assert [a.get_attribute("download") for a in onnx.all()] == [f"{PATH}.onnx"]


def test_a_pen_path_model_reads_the_drawn_strokes(page: Any, studio: Studio) -> None:
    sent: list[Any] = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.url.endswith(f"/{PATH}/predict") else None)
    open_studio(page, studio)
    choose_model(page, PATH)
    assert not page.locator("[data-testid=sequence-panel]").is_visible()
    draw(page, [[(60, 240), (140, 40), (220, 240)], [(90, 160), (190, 160)]])

    assert len(sent) == 2 and [len(s) for s in sent[-1]["strokes"]] == [21, 11]  # 2 x 10 moves, 10 moves
    expected = api_post(studio, f"/api/models/{PATH}/predict", sent[-1])
    assert page.inner_text("[data-testid=prediction-top]").strip() == expected["class"]
    assert page.locator("[data-testid=probabilities] .prob").count() == 26
    assert page.locator("[data-testid=network-drawing] svg").count() == 1
    # What the network receives is drawn as a path: two green dots where the strokes start.
    green = page.evaluate("""() => { const c = document.querySelector('[data-testid=prepared-input]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 1] > 120 && d[i] < 80 && d[i + 2] < 100) n++; return n; }""")
    assert green > 20
    page.locator("#test-panel").scroll_into_view_if_needed()
    snap(page, "sequences_pen_path")
