"""Every `$ nnstudio ...` command shown in docs/guide.md runs.

The commands run for real, in the guide's own words, in a temporary folder. The few that
train for minutes run with a cheap substitute (fewer epochs or samples, listed in CHEAP),
and the few that cannot run in a test are listed in SKIPPED with the reason. Where a
command's output does not depend on a trained model, the lines the guide shows for it must
be what the command prints today.

The guide's generated parts (each experiment's block, the marked outputs) are what
docs/update_guide.py writes: the experiment blocks equal the committed runs in
docs/experiments/, and the script puts a stale block back. Every link and picture resolves.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from PIL import Image

from nnstudio.cli import main
from nnstudio.data import BROKEN_SQUARE
from nnstudio.experiments import EXPERIMENTS

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDE = DOCS / "guide.md"

# Commands (as shown, comment removed) that a test cannot afford, and why.
SKIPPED = {
    # Full experiments take 10 to 60 s each on 2 cores; tests/test_experiments.py runs
    # every experiment with --quick and checks its table.
    **{f"experiment {name}": "full experiment run (minutes in all)" for name in (
        "optimizers", "overfitting", "vanishing-gradient", "lr-decay", "dropout",
        "activations", "mlp-vs-cnn", "stride-and-channels", "batchnorm")},
    "experiment dropout --quick": "covered by tests/test_experiments.py (--quick, each experiment)",
    "experiment dropout --seed 7 --out my-results": "a full experiment run, with another seed",
    "experiment rnn-memory": "full experiment run (minutes in all)",
}

# Commands that need the built-in `sequences` data set: they run as soon as nnstudio has it.
NEEDS_SEQUENCES = {"train --data sequences --out runs/seq", 'predict runs/seq "2 4 6 8"'}
HAS_SEQUENCES = importlib.util.find_spec("nnstudio.data.sequences") is not None

# Commands that take long as shown, and the cheap command run in their place. The shapes
# path still trains and predicts for real; the letters commands read 5 generated letters per
# class (a folder the test writes first) instead of generating the 13,000 of `letters`, and
# the letters MLP and CNN train for 1 epoch: enough for the pictures drawn from them.
LETTERS = "--data letters-small"
CHEAP = {
    "train --data shapes.dat --out runs/shapes": "train --data shapes.dat --out runs/shapes --epochs 3",
    "train --data letters --out runs/letters": f"train {LETTERS} --model letters-cnn --out runs/letters --epochs 1",
    "draw-lesson conv-zoom --model runs/letters --data letters --out conv-zoom.png":
        f"draw-lesson conv-zoom --model runs/letters {LETTERS} --out conv-zoom.png",
    "draw-lesson batchnorm --model runs/letters --data letters --out batchnorm.png":
        f"draw-lesson batchnorm --model runs/letters {LETTERS} --out batchnorm.png",
    "test runs/letters --data letters": f"test runs/letters {LETTERS}",
    "train --data letters --model letters-mlp --out runs/letters-mlp":
        f"train {LETTERS} --model letters-mlp --out runs/letters-mlp --epochs 1",
    "test runs/letters-mlp --data letters": f"test runs/letters-mlp {LETTERS}",
    "train --data sequences --out runs/seq": "train --data sequences --out runs/seq --epochs 2",
}


def shown_commands() -> list[tuple[str, list[str]]]:
    """Each `$ nnstudio` line of the guide (without `nnstudio` and any comment), with the
    output lines shown under it."""
    commands: list[tuple[str, list[str]]] = []
    in_block = False
    current: list[str] | None = None
    for line in GUIDE.read_text().splitlines():
        if line.startswith("```"):
            in_block = not in_block
            current = None
            continue
        if not in_block:
            continue
        if line.startswith("$ "):
            current = None
            if line.startswith("$ nnstudio "):
                command = line[len("$ nnstudio "):].split("  #")[0].strip()
                current = []
                commands.append((command, current))
        elif current is not None:
            current.append(line.rstrip())
    return commands


def write_broken_square(folder: Path) -> None:
    """broken.txt as the guide's `echo` line writes it, broken.png as the same square."""
    echo = re.search(r'^\$ echo "([01 ]+)" > broken\.txt$', GUIDE.read_text(), re.MULTILINE)
    assert echo, "the guide writes broken.txt with an echo line"
    pixels = [float(v) for v in echo.group(1).split()]
    assert pixels == np.asarray(BROKEN_SQUARE).ravel().tolist()  # the course's broken square
    (folder / "broken.txt").write_text(echo.group(1) + "\n")
    Image.fromarray((np.asarray(BROKEN_SQUARE) * 255).astype("uint8")).save(folder / "broken.png")


def run(command: str) -> str:
    args = shlex.split(CHEAP.get(command, command))
    result = CliRunner().invoke(main, ["--threads", "1", *args], catch_exceptions=False)
    assert result.exit_code == 0, f"nnstudio {command}\n{result.output}"
    return result.output


def test_the_guide_lists_what_it_skips_and_shortens_only_for_commands_it_shows():
    shown = {command for command, _ in shown_commands()}
    assert len(shown) > 25
    assert set(SKIPPED) <= shown, set(SKIPPED) - shown
    assert set(CHEAP) <= shown, set(CHEAP) - shown
    assert NEEDS_SEQUENCES <= shown, NEEDS_SEQUENCES - shown


def test_every_command_in_the_guide_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_broken_square(tmp_path)
    run("data letters --out letters-small --per-class 5")
    waiting = set() if HAS_SEQUENCES else NEEDS_SEQUENCES
    commands = [(c, out) for c, out in shown_commands() if c not in SKIPPED and c not in waiting]
    # data files, then models, as later commands read them (the guide draws the letters
    # CNN's first layer before the section that trains it); then the rest in its order
    def stage(item: tuple[str, list[str]]) -> int:
        return 0 if item[0].startswith("data ") else 1 if item[0].startswith("train ") else 2

    ordered = sorted(commands, key=stage)  # stable: the guide's order within a stage
    assert any(c.startswith("predict runs/shapes ") for c, _ in ordered)
    ran = 0
    for command, shown in ordered:
        output = run(command)
        ran += 1
        if command in CHEAP or "runs/" in command:
            continue  # its numbers come from a model trained here, not the guide's
        printed = {line.rstrip() for line in output.splitlines()}
        for line in shown:
            if line.strip() not in ("", "...") and not line.startswith("$"):
                assert line in printed, f"nnstudio {command}: the guide shows {line!r}"
    assert ran == len(commands)
    assert "square" in run("predict runs/shapes broken.txt --top 3")
    for picture in re.findall(r"--out (\S+\.png)", GUIDE.read_text()):
        assert (tmp_path / picture).stat().st_size > 1000, picture


def load_update_guide():
    """docs/update_guide.py, the script `make guide` runs, as a module."""
    spec = importlib.util.spec_from_file_location("update_guide", DOCS / "update_guide.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_guide_shows_each_experiment_as_its_committed_run():
    text = GUIDE.read_text()
    assert sorted(re.findall(r"<!-- experiment:(\S+) -->", text)) == sorted(EXPERIMENTS)
    assert text.count("<!-- /experiment -->") == len(EXPERIMENTS)
    # what make guide would write from docs/experiments/ is what the guide says today
    assert load_update_guide().fill_experiments(text, DOCS / "experiments", GUIDE) == text


def test_update_guide_puts_a_stale_experiment_block_back(tmp_path):
    (tmp_path / "experiments").symlink_to(DOCS / "experiments")
    guide = tmp_path / "guide.md"
    today = GUIDE.read_text()
    start = today.index("<!-- experiment:optimizers -->")
    row = today.index("| Adam |", start)
    stale = today[:row] + "| Adam | lr 0.001 | 1.0 | 0.01 | 99.9% | 0.001 |" + today[today.index("\n", row):]
    stale = stale.replace("![dropout](experiments/dropout.png)\n", "")
    assert stale != today
    guide.write_text(stale)
    load_update_guide().main(["--guide", str(guide), "--experiments", str(tmp_path / "experiments")])
    assert guide.read_text() == today
    assert sorted(p.name for p in tmp_path.iterdir()) == ["experiments", "guide.md"]  # no temporary left


def test_update_guide_runs_marked_commands_and_keeps_the_shape_shown(tmp_path):
    stale = "```\n$ nnstudio summary shapes-mlp\nstale\n```\n"
    guide = tmp_path / "guide.md"
    guide.write_text("<!-- output -->\n```\n$ nnstudio summary shapes-mlp  # the preset\nstale first\n  ...\n"
                     "stale last\n$ echo hello > hello.txt\n$ head -1 hello.txt\nstale\n```\n\n" + stale)
    load_update_guide().main(["--guide", str(guide), "--experiments", str(tmp_path), "--run", str(tmp_path / "work")])
    summary = run("summary shapes-mlp").splitlines()
    assert len(summary) > 3
    assert guide.read_text() == ("<!-- output -->\n```\n$ nnstudio summary shapes-mlp  # the preset\n"
                                 f"{summary[0]}\n  ...\n{summary[-1]}\n$ echo hello > hello.txt\n"
                                 "$ head -1 hello.txt\nhello\n```\n\n" + stale)  # unmarked: left alone


def github_anchor(heading: str) -> str:
    """The #anchor GitHub gives a markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_and_picture_in_the_guide_resolves():
    text = GUIDE.read_text()
    anchors = {github_anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    pictures = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)
    assert len(pictures) >= 19 + len(EXPERIMENTS)
    for link in links:
        if link.startswith("#"):
            assert link[1:] in anchors, link
        elif not link.startswith("http"):
            target = GUIDE.parent / link
            assert target.is_dir() if link.endswith("/") else target.is_file(), link
    for picture in pictures:
        assert picture.endswith(".png") and Image.open(GUIDE.parent / picture).width > 100, picture


def test_every_output_of_a_trained_model_is_in_a_block_make_guide_reruns():
    unmarked, marked, in_block, previous = [], 0, False, ""
    for line in GUIDE.read_text().splitlines():
        if line.startswith("```"):
            in_block = not in_block
            rerun = in_block and previous.strip() == "<!-- output -->"
        elif in_block and re.match(r"\$ nnstudio (train|test|predict) ", line):
            marked += rerun
            if not rerun:
                unmarked.append(line)
        previous = line
    assert marked >= 6 and not unmarked, unmarked
