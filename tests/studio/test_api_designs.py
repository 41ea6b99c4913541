"""Presets, the layer vocabulary, training options, and checking and drawing a design."""

from __future__ import annotations

from fastapi.testclient import TestClient

from nnstudio.spec import count_params, get_preset, preset_names


def test_presets_list_every_preset_with_its_summary(client: TestClient) -> None:
    presets = client.get("/api/presets").json()
    assert [p["name"] for p in presets] == list(preset_names())
    for preset in presets:
        assert preset["spec"] == get_preset(preset["name"]).to_dict()
        assert preset["total_params"] == count_params(get_preset(preset["name"]))
        assert len(preset["layers"]) == len(preset["spec"]["layers"])
    cnn = next(p for p in presets if p["name"] == "letters-cnn")
    assert cnn["input_shape"] == [1, 50, 50] and cnn["layers"][0]["output_shape"] == [16, 25, 25]


def test_layers_and_options_describe_the_vocabulary(client: TestClient) -> None:
    layers = client.get("/api/layers").json()
    assert {"Dense", "Conv2D", "MaxPooling2D", "Dropout", "BatchNormalization"} <= set(layers["types"])
    units = layers["types"]["Dense"]["units"]
    assert units["kind"] and units["low"] == 1
    assert "relu" in layers["activations"] and "same" in layers["paddings"]
    assert {"SimpleRNN", "LSTM", "GRU"} <= set(layers["types"])
    assert layers["types"]["SimpleRNN"]["activation"]["choices"] == ["tanh", "relu"]
    assert layers["types"]["GRU"]["return_sequences"] == {"kind": "bool", "default": False, "required": False,
                                                          "low": None, "high": None, "choices": None}
    options = {o["name"]: o for o in client.get("/api/options").json()}
    assert options["epochs"]["default"] == 10 and options["epochs"]["low"] == 1
    assert "sgd" in options["optimizer"]["choices"] and "adam" in options["optimizer"]["choices"]


def test_a_valid_design_gets_shapes_and_parameters(client: TestClient) -> None:
    spec = get_preset("digits-cnn").to_dict()
    answer = client.post("/api/specs/check", json=spec).json()
    assert answer["ok"] is True
    assert answer["total_params"] == count_params(get_preset("digits-cnn"))
    assert [layer["output_shape"] for layer in answer["layers"]][-1] == [10]


def test_an_invalid_design_names_its_layer_and_field(client: TestClient) -> None:
    spec = get_preset("shapes-mlp").to_dict()
    spec["layers"][2]["units"] = -3
    answer = client.post("/api/specs/check", json=spec).json()
    assert {k: answer[k] for k in ("ok", "layer", "field", "given")} == {"ok": False, "layer": 2, "field": "units",
                                                                          "given": -3}
    assert answer["where"] == {"file": None, "line": None, "column": None, "layer": 2, "layer_type": "Dense",
                               "field": "units", "option": None}
    assert answer["allowed"] == "an integer >= 1 and <= 100000" and answer["allowed"] in answer["error"]
    assert "-3" in answer["error"]
    cnn = get_preset("digits-cnn").to_dict()
    cnn["layers"][3].update(kernel_size=[20, 20], padding="valid")  # larger than its 8x8 input
    answer = client.post("/api/specs/check", json=cnn).json()
    assert answer["ok"] is False and answer["layer"] == 3 and answer["field"] == "kernel_size"
    drawn = client.post("/api/specs/drawing.svg", json=cnn)
    body = drawn.json()
    assert drawn.status_code == 422 and "layer 3" in body["error"]
    assert body["where"]["layer"] == 3 and body["where"]["field"] == "kernel_size" and body["given"] == [20, 20]
    assert body["hint"] == "use padding 'same' or a smaller kernel" and f"(help: {body['hint']})" in body["error"]


def test_a_design_is_drawn_as_svg(client: TestClient) -> None:
    for name in ("shapes-mlp", "digits-cnn"):
        answer = client.post("/api/specs/drawing.svg", json=get_preset(name).to_dict())
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("image/svg+xml")
        assert answer.text.lstrip().startswith("<?xml") and "<svg" in answer.text and name in answer.text
