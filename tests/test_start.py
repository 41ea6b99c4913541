"""Commands that train nothing start without the heavy libraries, and every public name
still loads (the packages hand them out on first use)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import nnstudio
import nnstudio.train
import nnstudio.workflows

# Libraries that each take a tenth of a second or more to import; none is needed to
# show help, list presets or summarize a spec.
HEAVY = ("torch", "numpy", "PIL", "matplotlib", "sklearn", "fastapi", "uvicorn", "rich", "safetensors")

# Runs one command in a fresh interpreter, as `nnstudio ARGS` does, and prints its exit
# code and the heavy libraries it imported as JSON on the last line.
CHILD = """
import contextlib, io, json, sys
from nnstudio.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main(sys.argv[1:], prog_name="nnstudio")
        code = 0
    except SystemExit as stop:
        code = stop.code or 0
heavy = sorted(name for name in sys.modules if name.split(".")[0] in {heavy!r})
print(json.dumps({{"code": code, "heavy": heavy, "printed": out.getvalue()}}))
"""


def run_fresh(*args: str) -> dict:
    code = CHILD.format(heavy=set(HEAVY))
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("args", "shows"), [
    (("--help",), "Start with:"),
    (("presets",), "letters-cnn"),
    (("presets", "--details"), "--optimizer"),
    (("summary", "letters-cnn"), "total parameters:"),
    (("summary", "shapes-mlp", "--json"), '"total_params"'),
    (("train", "--help"), "--augment [none|distort]"),
])
def test_command_that_trains_nothing_imports_no_heavy_library(args: tuple[str, ...], shows: str) -> None:
    result = run_fresh(*args)
    assert result["code"] == 0
    assert shows in result["printed"]  # the command did its work, not just start
    assert result["heavy"] == [], f"nnstudio {' '.join(args)} imported {result['heavy']}"


def test_a_mistake_is_reported_without_heavy_libraries() -> None:
    result = run_fresh("summary", "leters-cnn")
    assert result["code"] == 2 and result["heavy"] == []


def test_training_command_loads_torch_when_it_trains(tmp_path) -> None:
    result = run_fresh("train", "--data", "shapes", "--out", str(tmp_path / "m"), "--epochs", "1", "--quiet")
    assert result["code"] == 0 and "torch" in result["heavy"]
    assert (tmp_path / "m" / "model.json").is_file()


def test_every_public_name_of_nnstudio_train_loads() -> None:
    sources = {name for names in nnstudio.train._SOURCES.values() for name in names}
    assert sorted(nnstudio.train.__all__) == sorted(sources)
    for name in nnstudio.train.__all__:
        value = getattr(nnstudio.train, name)
        module = nnstudio.train._LAZY[name]
        assert value is getattr(sys.modules[module], name), name
    assert set(nnstudio.train.__all__) <= set(dir(nnstudio.train))
    with pytest.raises(AttributeError, match="no attribute 'fitt'"):
        nnstudio.train.fitt  # noqa: B018


def test_every_public_name_of_nnstudio_and_workflows_loads() -> None:
    for name in nnstudio.__all__:
        assert getattr(nnstudio, name) is not None, name
    sources = {name for names in nnstudio.workflows._SOURCES.values() for name in names}
    assert sorted(nnstudio.workflows.__all__) == sorted(sources | {"NnstudioError"})
    for name in nnstudio.workflows.__all__:
        assert getattr(nnstudio.workflows, name) is not None, name


def test_evaluate_stays_the_function_once_its_module_is_imported() -> None:
    # Importing nnstudio.train.evaluate (the loop does) sets the package's attribute of
    # that name; `from nnstudio.train import evaluate` must still give the function.
    code = ("import nnstudio.train.loop, nnstudio.train.evaluate\n"
            "from nnstudio.train import evaluate\n"
            "import nnstudio\n"
            "print(callable(evaluate), evaluate.__name__, nnstudio.evaluate is evaluate)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.split() == ["True", "evaluate", "True"]


def test_augmentation_names_match_the_augmentations() -> None:
    from nnstudio.train.augment import AUGMENTATIONS
    from nnstudio.train.augment_names import AUGMENTATION_NAMES
    from nnstudio.train.config import option_specs

    assert tuple(AUGMENTATIONS) == AUGMENTATION_NAMES
    (augment,) = [spec for spec in option_specs() if spec.name == "augment"]
    assert augment.choices == AUGMENTATION_NAMES
