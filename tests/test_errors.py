"""The error types' fields and the one template their messages are written in."""

import math
import pickle

import pytest

from nnstudio.errors import (
    DivergenceError,
    NnstudioError,
    SpecError,
    TrainingError,
    Where,
    error_fields,
    format_message,
    jsonable,
)
from nnstudio.spec import load_spec


def test_where_reads_as_the_messages_name_places():
    assert str(Where(file="net.json", layer=3, layer_type="Conv2D", field="strides")) == \
        "net.json: layer 3 (Conv2D), field 'strides'"
    assert str(Where(layer=0)) == "layer 0"
    assert str(Where(file="net.json", line=4, column=7)) == "net.json:4:7"
    assert str(Where(subject="spec", field="layers")) == "spec field 'layers'"
    assert str(Where(subject="spec", field="training", option="lr")) == "spec field 'training', option 'lr'"
    assert str(Where()) == ""
    assert Where(layer=1).at(field="units") == Where(layer=1, field="units")


def test_one_template_for_every_message():
    where = Where(layer=2, layer_type="Dense", field="units")
    assert format_message("missing required field", where, "an integer >= 1") == \
        "layer 2 (Dense), field 'units': missing required field; allowed: an integer >= 1"
    # A phrase gets its hint in parentheses; a sentence is followed by it.
    assert format_message("too big", None, None, "shrink it") == "too big (help: shrink it)"
    assert format_message("It is too big.", None, None, "shrink it.") == "It is too big. help: shrink it."
    error = TrainingError("holds a model already.", where=Where(file="out"), hint="choose another folder.")
    assert str(error) == "out: holds a model already. help: choose another folder."
    assert error.with_hint("use --overwrite.") == "out: holds a model already. help: use --overwrite."


def test_what_the_problem_words_itself_stays_out_of_the_text():
    error = TrainingError("The 'batch_size' option is 1.", where=Where(option="batch_size"), worded=True,
                          given=1, allowed="2 or more", hint="use batch_size 2.")
    assert str(error) == "The 'batch_size' option is 1. help: use batch_size 2."
    assert (error.where.option, error.given, error.allowed) == ("batch_size", 1, "2 or more")


def test_the_trainers_words_for_data_that_do_not_fit():
    from nnstudio.data import load_dataset
    from nnstudio.spec import get_preset
    from nnstudio.train.tensors import check_classes

    with pytest.raises(TrainingError) as caught:
        check_classes(get_preset("letters-mlp"), load_dataset("shapes", per_class=2))
    assert str(caught.value) == ("The data 'shapes' has 5 classes (square, rhombus, plus, x, line) but the last "
                                 "Dense layer of spec 'letters-mlp' has 26 units. help: give the network's last "
                                 "Dense layer 5 units, one per class.")
    assert caught.value.where.field == "units" and caught.value.given == 26 and caught.value.allowed == "5 units"


def test_a_whole_message_is_kept_and_has_no_fields():
    error = NnstudioError("dataset 'x': no such dataset. help: GET /api/datasets lists them")
    assert str(error) == "dataset 'x': no such dataset. help: GET /api/datasets lists them"
    assert error.where == Where() and not error.has_given and error.hint is None
    assert error_fields(error)["given"] is None


def test_spec_errors_carry_layer_field_given_and_allowed():
    with pytest.raises(SpecError) as caught:
        load_spec({"input_shape": [4], "layers": [{"type": "Dense", "units": 3, "activation": "relux"}]})
    error = caught.value
    assert (error.where.layer, error.where.layer_type, error.where.field) == (0, "Dense", "activation")
    assert error.given == "relux" and "relu" in error.allowed and error.hint == "did you mean 'relu'?"
    assert str(error) == ("layer 0 (Dense), field 'activation': unknown value 'relux'; "
                          f"allowed: {error.allowed} (help: did you mean 'relu'?)")


def test_malformed_json_names_line_and_column(tmp_path):
    path = tmp_path / "net.json"
    path.write_text('{"input_shape": [4],\n  "layers": [}\n')
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    where = caught.value.where
    assert (where.file, where.line, where.column) == (str(path), 2, 14)
    assert str(caught.value).startswith(f"{path}:2:14: malformed JSON")


def test_fields_survive_pickling():
    # A training's child process sends its error back to the studio pickled.
    error = DivergenceError("epoch 1: loss is nan.", where=Where(option="lr"), worded=True, given=50.0,
                            hint="lower the learning rate.")
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is DivergenceError and str(back) == str(error)
    assert (back.where, back.given, back.hint, back.worded) == (Where(option="lr"), 50.0,
                                                                          "lower the learning rate.", True)
    unknown = pickle.loads(pickle.dumps(SpecError("bad", where=Where(layer=1))))
    assert not unknown.has_given and unknown.where.layer == 1


def test_error_fields_are_json_ready():
    fields = error_fields(SpecError("out of range", where=Where(layer=1, field="rate"), given=math.inf,
                                    allowed="a number >= 0"))
    assert fields == {"error": "layer 1, field 'rate': out of range; allowed: a number >= 0",
                      "where": {"file": None, "line": None, "column": None, "layer": 1, "layer_type": None,
                                "field": "rate", "option": None},
                      "given": "inf", "allowed": "a number >= 0", "hint": None}
    assert error_fields(ValueError("plain"))["where"]["layer"] is None


def test_jsonable_keeps_data_and_writes_the_rest_as_text():
    import numpy as np

    assert jsonable({"a": (1, 2.5, None, True)}) == {"a": [1, 2.5, None, True]}
    assert jsonable(np.int64(3)) == 3 and jsonable(float("nan")) == "nan"
    assert jsonable(object).startswith("<class")


def test_a_bad_training_option_is_named_in_the_fields():
    from nnstudio.train import TrainConfig

    with pytest.raises(TrainingError) as caught:
        TrainConfig.from_options(None, optimizer="sgdd")
    error = caught.value
    assert str(error) == "The 'optimizer' option must be one of {'sgd', 'adam'}. Got 'sgdd' instead."
    assert (error.where.option, error.given, error.allowed) == ("optimizer", "sgdd", "one of {'sgd', 'adam'}")


def test_a_damaged_model_file_is_named_with_its_line(tmp_path):
    from nnstudio.errors import ModelFileError
    from nnstudio.store import read_model_folder

    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.json").write_text('{"format_version": 1,\n "spec": }\n')
    with pytest.raises(ModelFileError) as caught:
        read_model_folder(folder)
    where = caught.value.where
    assert (where.file, where.line, where.column) == (str(folder / "model.json"), 2, 10)
    assert str(caught.value) == f"{folder / 'model.json'}:2:10: not valid JSON (Expecting value)."


def test_reason_leaves_out_the_place_unless_the_words_hold_it():
    from nnstudio.errors import DataError, Where

    placed = DataError("cannot read the image (truncated)", where=Where(file="a/b.png"), hint="fix it")
    assert str(placed) == "a/b.png: cannot read the image (truncated) (help: fix it)"
    assert placed.reason() == "cannot read the image (truncated) (help: fix it)"
    worded = DataError("a/b.png is not an image", where=Where(file="a/b.png"), worded=True)
    assert worded.reason() == str(worded) == "a/b.png is not an image"


def test_an_unreadable_image_in_a_folder_is_listed_by_its_path_once(tmp_path):
    from nnstudio.data.folders import load_folder
    from nnstudio.errors import DataError

    for name in ("A", "B"):
        (tmp_path / name).mkdir()
    from PIL import Image

    inked = Image.new("L", (8, 8), 255)
    inked.paste(0, (2, 2, 6, 6))
    inked.save(tmp_path / "A" / "good.png")
    inked.save(tmp_path / "B" / "good.png")
    (tmp_path / "B" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(DataError) as caught:
        load_folder(tmp_path)
    message = str(caught.value)
    assert "1 of 3 images cannot be used: B/bad.png (not an image (PNG, JPEG, GIF or BMP))" in message
    assert message.count("bad.png") == 1, message
