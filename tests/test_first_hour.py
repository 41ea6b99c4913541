"""A new user's first hour (issue 12): defaults fitted to small own data, a plan printed
before training, a CLI that explains itself, bad images reported together, pictures of
a test run."""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

import nnstudio
from nnstudio.cli import ProgressBar, cli_help, main
from nnstudio.workflows import plan_training, train_model

README = Path(__file__).resolve().parents[1] / "README.md"


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def draw(shape: str, rng: np.random.Generator) -> Image.Image:
    """A pen drawing of a circle, square or triangle at a random place and size."""
    img = Image.new("L", (48, 48), 255)
    size = rng.uniform(16, 36)
    cx, cy = rng.uniform(size / 2 + 1, 47 - size / 2, 2)
    if shape == "circle":
        points = [(cx + size / 2 * math.cos(t), cy + size / 2 * math.sin(t)) for t in np.linspace(0, 6.3, 30)]
    elif shape == "square":
        points = [(cx - size / 2, cy - size / 2), (cx + size / 2, cy - size / 2), (cx + size / 2, cy + size / 2),
                  (cx - size / 2, cy + size / 2), (cx - size / 2, cy - size / 2)]
    else:
        points = [(cx, cy - size / 2), (cx + size / 2, cy + size / 2), (cx - size / 2, cy + size / 2),
                  (cx, cy - size / 2)]
    ImageDraw.Draw(img).line(points, fill=0, width=int(rng.integers(2, 4)))
    return img


def shape_folder(root: Path, per_class: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    for shape in ("circle", "square", "triangle"):
        (root / shape).mkdir(parents=True)
        for i in range(per_class):
            draw(shape, rng).save(root / shape / f"{i}.png")
    return root


# ----------------------------------------------------------------------------- defaults and plan


@pytest.mark.slow
def test_a_small_own_folder_gets_a_confident_model_by_default(tmp_path):
    data = shape_folder(tmp_path / "mine", 20, seed=0)
    result = run("train", "--data", data, "--out", tmp_path / "m")
    assert result.exit_code == 0, result.output
    plan = result.stdout.splitlines()
    for key in ("network", "input", "data", "hold-out", "epochs", "batch", "optimizer"):
        assert any(line.startswith(key) for line in plan), (key, result.stdout)
    assert "small-cnn" in result.stdout and "60 samples, 3 classes, 20 per class" in result.stdout
    new = shape_folder(tmp_path / "new", 10, seed=1)
    model = nnstudio.load(tmp_path / "m")
    paths = sorted(new.rglob("*.png"))
    answers = model.predict([str(p) for p in paths])
    right = [a.confidence for a, p in zip(answers, paths) if a.class_name == p.parent.name]
    assert len(right) >= 0.9 * len(paths)
    assert np.mean(right) >= 0.85


def test_the_plan_says_what_was_chosen_and_why(tmp_path):
    data = shape_folder(tmp_path / "mine", 12, seed=0)
    plan, _ = plan_training(data, measure=False)
    assert plan.spec.name == "small-cnn" and plan.config.batch_size < 36  # several steps per epoch
    assert plan.steps >= 500 and plan.held_out == 0
    text = "\n".join(plan.lines())
    assert "1x32x32" in text and "cropped to the ink" in text and "12 per class" in text
    assert "about 600 optimizer steps" in text and "learning rate 0.002" in text

    given, _ = plan_training(data, measure=False, epochs=2, batch_size=36)
    assert given.config.epochs == 2 and "your option" in "\n".join(given.lines())
    assert any(line.startswith("note") and "--epochs" in line for line in given.lines())  # 2 steps


def test_a_chosen_network_that_cannot_train_on_the_data_is_refused_before_any_plan(tmp_path):
    data = shape_folder(tmp_path / "mine", 2, seed=0)
    result = run("train", "--data", data, "--model", "letters-cnn", "--out", tmp_path / "m")
    assert result.exit_code == 2 and "has 26 units" in result.stderr
    assert "network" not in result.stdout


def test_presets_keep_their_own_tuned_options(tmp_path):
    plan, _ = plan_training("shapes", measure=False)
    assert plan.config.epochs == 80 and plan.config.batch_size == 1
    assert "the network's own" in "\n".join(plan.lines())


# ----------------------------------------------------------------------------- bad images


def test_bad_images_are_all_named_and_skip_bad_trains_without_them(tmp_path):
    data = shape_folder(tmp_path / "mine", 4, seed=0)
    (data / "circle" / "broken.png").write_bytes(b"not a png")
    Image.new("L", (48, 48), 255).save(data / "square" / "blank.png")
    refused = run("train", "--data", data, "--out", tmp_path / "m", "--epochs", "1")
    assert refused.exit_code == 2
    assert "2 of 14 images cannot be used" in refused.stderr and "--skip-bad" in refused.stderr
    assert "circle/broken.png" in refused.stderr and "square/blank.png" in refused.stderr
    result = run("train", "--data", data, "--out", tmp_path / "m", "--epochs", "1", "--skip-bad")
    assert result.exit_code == 0, result.output
    assert "2 bad images left out" in result.stdout  # in the plan
    assert "2 bad image(s) left out" in result.stdout.splitlines()[-1]  # and the summary
    assert len(nnstudio.load(tmp_path / "m").training["skipped"]) == 2


# ----------------------------------------------------------------------------- the CLI explains itself


def test_presets_details_and_summary_show_training_options():
    details = run("presets", "--details").stdout
    assert re.search(r"letters-cnn .*\n +--optimizer adam --lr [\d.]+ --epochs \d+ --batch-size \d+", details)
    summary = run("summary", "shapes-mlp").stdout
    assert "training: --optimizer sgd --lr 0.01 --epochs 80 --batch-size 1" in summary


def test_summary_spec_is_a_spec_file_to_start_from(tmp_path):
    text = run("summary", "digits-cnn", "--spec").stdout
    spec = json.loads(text)
    assert spec["name"] == "digits-cnn" and spec["training"]["epochs"] == 40
    (tmp_path / "my.json").write_text(text)
    again = run("summary", tmp_path / "my.json", "--json")
    assert json.loads(again.stdout)["total_params"] == json.loads(run("summary", "digits-cnn", "--json").stdout)[
        "total_params"]


def test_momentum_and_weight_decay_are_cli_options():
    help_text = run("train", "--help").stdout
    assert "--momentum" in help_text and "--weight-decay" in help_text
    assert "fitted to the data" in help_text


def test_debug_is_accepted_after_the_verb():
    result = CliRunner().invoke(main, ["summary", "no-such-preset", "--debug"])
    assert result.exit_code != 2 and result.exception is not None  # the traceback, not one line
    assert "No such option" not in result.output


@pytest.mark.parametrize("args, hint", [
    (["summary", "shapes-mpl"], "did you mean 'shapes-mlp'?"),
    (["train", "--data", "shapez", "--out", "{tmp}/m"], "did you mean 'shapes'?"),
    (["data", "digts", "--out", "{tmp}/d"], "did you mean 'digits'?"),
])
def test_did_you_mean(tmp_path, args, hint):
    result = run(*[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2 and hint in result.stderr, result.stderr


def test_did_you_mean_a_neighbouring_folder(tmp_path, monkeypatch):
    (tmp_path / "my_images").mkdir()
    monkeypatch.chdir(tmp_path)
    result = run("train", "--data", "my_imagse", "--out", "m")
    assert "did you mean 'my_images'?" in result.stderr


def test_a_learning_rate_that_is_not_a_number_says_so(tmp_path):
    result = run("train", "--data", "shapes", "--out", tmp_path / "m", "--lr", "abc")
    assert result.exit_code == 2
    assert "'abc' is not a number; it must be a float in the range (0.0, inf)." in result.stderr
    assert "None" not in result.stderr


def test_a_diverging_run_is_warned_about_naming_the_learning_rate(tmp_path):
    result = run("train", "--data", "shapes", "--out", tmp_path / "m", "--lr", "50", "--epochs", "2",
                 "--per-class", "10", "--quiet")
    assert result.exit_code == 0, result.output
    assert "warning: epoch 1: the loss is" in result.stderr and "lr is 50" in result.stderr


def test_help_in_errors_names_cli_options():
    assert cli_help("use batch_size 2 or more.") == "use batch_size (--batch-size) 2 or more."
    assert cli_help("lower the learning rate (lr is 50) or set clip_norm.") == \
        "lower the learning rate (lr (--lr) is 50) or set clip_norm (--clip-norm)."
    kept = "resume it (resume, --resume) or start over (restart, --restart)."
    assert cli_help(kept) == kept


def test_the_cli_names_options_in_an_errors_hint_only(tmp_path):
    # The hint field gets the flags; the rest of the message ("The 'batch_size' option") is left as written.
    from nnstudio.cli.root import _one_line
    from nnstudio.errors import TrainingError, Where

    error = TrainingError("The 'batch_size' option is 1.", where=Where(option="batch_size"), worded=True,
                          given=1, hint="use batch_size 2 or more.")
    assert _one_line(error) == "The 'batch_size' option is 1. help: use batch_size (--batch-size) 2 or more."
    assert str(error) == "The 'batch_size' option is 1. help: use batch_size 2 or more."
    result = run("train", "--data", "shapes", "--out", tmp_path / "m", "--resume", "--restart")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: resume and restart exclude each other. help: choose one "
                                     "(--resume or --restart).")


def test_progress_bar_keeps_the_time_left_at_80_columns():
    from rich.console import Console

    out = io.StringIO()
    bar = ProgressBar(Console(file=out, width=80, force_terminal=False))
    bar.on_train_begin({"epochs": 100, "start_epoch": 1, "start_batch": 0,  # type: ignore[typeddict-item]
                        "batches_per_epoch": 4})
    bar.on_epoch_end(3, {"epoch": 3, "loss": 0.1234, "accuracy": 0.9876, "val_loss": 0.2345,  # type: ignore
                         "val_accuracy": 0.95})
    bar._progress.console.print(bar._progress.get_renderable())
    bar.close()
    text = out.getvalue()
    assert re.search(r"epoch +3/100 .* (-|\d+):(--|\d\d):(--|\d\d) loss 0.1234", text), text  # whole
    assert "val_accuracy 0.9500" in text and "…" not in text
    assert all(len(line) <= 80 for line in text.splitlines())


# ----------------------------------------------------------------------------- pictures, gallery, demo


def test_test_plot_draws_the_confusion_matrix_and_the_mistakes(tmp_path):
    train_model("shapes", out=tmp_path / "m", epochs=1, per_class=5)
    out = tmp_path / "test.svg"
    result = run("test", tmp_path / "m", "--data", "shapes", "--plot", out)
    assert result.exit_code == 0, result.output
    svg = out.read_text()
    assert svg.count('class="confusion-cell"') == 25
    wrong = int(round((1 - float(re.search(r"accuracy +([\d.]+)", result.stdout).group(1))) * 100))
    assert svg.count('class="mistake"') == min(wrong, 48) and wrong > 0
    assert re.search(r'class="mistake"[^>]*data-predicted="\w+"[^>]*data-true="\w+"', svg)
    assert "did you mean 'letters'?" in run("test", tmp_path / "m", "--data", "leters").stderr


def test_draw_package_stays_free_of_torch():
    import ast

    source = (Path(nnstudio.__file__).parent / "draw" / "evaluation.py").read_text()
    imported = {alias.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)}
    assert not any(name and name.startswith("torch") for name in imported)


def test_mosaic_title_counts_the_samples_drawn():
    from nnstudio.data import Dataset
    from nnstudio.draw.data import draw_mosaic

    data = Dataset(np.random.default_rng(0).random((30, 1, 5, 5)), np.repeat([0, 1], 15), ["a", "b"], name="mine")
    assert "mine: 15 samples per class" in draw_mosaic(data, per_class=25)
    uneven = data.subset(np.arange(25))
    assert "mine: 10-15 samples per class" in draw_mosaic(uneven, per_class=25)


def test_gallery_writes_to_a_folder_of_the_user_by_default(tmp_path, monkeypatch):
    import nnstudio.gallery

    seen = []
    monkeypatch.setattr(nnstudio.gallery, "build_gallery", lambda out, **kw: seen.append(Path(out)) or [])
    monkeypatch.chdir(tmp_path)
    assert run("gallery").exit_code == 0
    assert seen == [Path("nnstudio-gallery")]
    makefile = (README.parent / "Makefile").read_text()
    assert "nnstudio gallery docs/gallery" in makefile


def test_demo_explains_a_right_answer_given_with_little_confidence():
    from nnstudio.demo import UNSURE_NOTE, verdict

    assert verdict("A", 0.97, "A") == "ok" and verdict("B", 0.97, "A") == "WRONG"
    assert verdict("A", 0.62, "A") == "ok, unsure*" and "less than 80% confidence" in UNSURE_NOTE


def test_demo_ends_with_where_its_models_are_and_what_next():
    from nnstudio.demo import next_steps

    lines = list(next_steps(Path("runs"), ".venv/bin/nnstudio"))
    text = "\n".join(lines)
    assert "runs/shapes (shapes MLP) and runs/letters (letters CNN)" in text
    assert ".venv/bin/nnstudio test runs/shapes --data shapes" in text and "source .venv/bin/activate" in text
    # The tour in the README uses the same folders.
    readme = README.read_text()
    assert "--out runs/shapes" in readme and "runs/letters" in readme


# ----------------------------------------------------------------------------- README


def test_readme_presets_table_is_what_nnstudio_presets_prints():
    readme = README.read_text()
    block = readme.split("$ nnstudio presets\n", 1)[1].split("\n\n", 1)[0]
    assert block.strip() == run("presets").stdout.strip()


def test_readme_says_how_to_run_nnstudio_after_make_demo():
    readme = README.read_text()
    assert ".venv/bin/nnstudio" in readme and "source .venv/bin/activate" in readme


# ----------------------------------------------------------------------------- checked from before


def test_ctrl_c_says_where_the_checkpoint_is_and_exits_130(tmp_path, monkeypatch):
    import nnstudio.workflows

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(nnstudio.workflows, "train_model", interrupted)
    result = CliRunner().invoke(main, ["train", "--data", "shapes", "--out", str(tmp_path / "m"), "--quiet"])
    assert result.exit_code == 130
    assert f"{tmp_path / 'm.checkpoint'}" in result.stderr and "--resume" in result.stderr


def test_predict_takes_a_folder_and_pictures_for_a_model_trained_on_numbers(tmp_path):
    from nnstudio.data import SHAPE_BITMAPS

    run("data", "shapes", "--out", tmp_path / "shapes.dat")
    assert run("train", "--data", tmp_path / "shapes.dat", "--out", tmp_path / "m", "--epochs", "1",
               "--quiet").exit_code == 0
    folder = tmp_path / "drawn"
    folder.mkdir()
    for name in ("plus", "line", "x"):
        Image.fromarray(((1 - SHAPE_BITMAPS[name]) * 255).astype(np.uint8)).save(folder / f"{name}.png")
    answers = json.loads(run("predict", tmp_path / "m", folder, "--json").stdout)
    assert [Path(a["input"]).name for a in answers] == ["line.png", "plus.png", "x.png"]
    lines = run("predict", tmp_path / "m", tmp_path / "shapes.dat").stdout.splitlines()
    assert lines[0].startswith(f"{tmp_path / 'shapes.dat'}:line 1: ")


def test_python_dash_m_nnstudio_is_the_nnstudio_command():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "nnstudio", "presets"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == run("presets").stdout


@pytest.mark.slow
def test_an_interrupted_run_with_fitted_options_resumes_with_the_same_ones(tmp_path, monkeypatch):
    import nnstudio.train.loop as loop
    from nnstudio.train import Callback

    class StopSoon(Callback):
        def on_batch_end(self, step, logs):
            self.stop_training = True

    class Plans(Callback):
        plans: list = []

        def on_plan(self, plan):
            self.plans.append(plan)

    import nnstudio.train.budget as budget

    monkeypatch.setattr(loop, "BATCH_REPORT_SECONDS", 0.0)
    monkeypatch.setattr(budget, "STEP_BUDGET", 40)  # a short run will do
    data = shape_folder(tmp_path / "mine", 4, seed=0)
    train_model(data, out=tmp_path / "m", callbacks=[StopSoon(), Plans()])
    model = train_model(data, out=tmp_path / "m", resume=True, callbacks=[Plans()])
    first, resumed = Plans.plans
    assert resumed.config.epochs == first.config.epochs and resumed.config.batch_size == first.config.batch_size
    assert "as the interrupted run began" in "\n".join(resumed.lines())
    assert len(model.history) == first.config.epochs
