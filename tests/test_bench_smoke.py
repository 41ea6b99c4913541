"""The benchmark pieces run at tiny sizes and produce numbers (no timing is asserted)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import time_to_accuracy as accuracy  # noqa: E402
import data_speed  # noqa: E402
import draw_speed  # noqa: E402
import layout  # noqa: E402
import limit  # noqa: E402
import memory  # noqa: E402
import machine  # noqa: E402
import predict_speed  # noqa: E402
import run_all  # noqa: E402
import train_speed  # noqa: E402

NUMBER = re.compile(r"\d[\d,]*(\.\d+)?")


def rows(lines: list[str]) -> list[list[str]]:
    """Return the cells of every markdown table row below a header separator."""
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines
            if line.startswith("|") and not line.startswith("|---")][1:]


def test_machine_line_names_cores_cpu_and_torch():
    import os

    import torch

    line = machine.machine_line()
    assert f"{os.cpu_count()} cores" in line and f"torch {torch.__version__}" in line
    assert f"{torch.get_num_threads()} torch threads" in line
    assert machine.percentile([3.0, 1.0, 2.0], 50) == 2.0


def test_overhead_measures_every_contender():
    data = train_speed.data_mod.load_dataset("shapes", per_class=4)
    rates = train_speed.measure("shapes-mlp", data, {"epochs": 1, "batch_size": 1}, repeats=1)
    assert set(rates) == {"bare", "bare-views", "fit"}
    assert all(len(v) == 1 and v[0] > 0 for v in rates.values())


def test_flop_count_follows_the_convention():
    spec = limit.spec_mod.get_preset("shapes-mlp")  # 25-25-20-15-10-5 Dense layers
    assert limit.forward_flops(spec) == 2 * (25 * 25 + 25 * 20 + 20 * 15 + 15 * 10 + 10 * 5)
    cnn = limit.spec_mod.get_preset("letters-cnn")  # first layer: 5x5, 1 -> 16 channels, 25x25 out
    assert limit.forward_flops(cnn) > 2 * 5 * 5 * 1 * 16 * 25 * 25


def test_limit_table_has_a_fraction_per_preset():
    lines = limit.table(seconds=0.02, repeats=1, presets=["shapes-mlp"], sizes=(64,))
    (row,) = rows(lines)
    assert row[0] == "shapes-mlp" and row[-1].endswith("%")


@pytest.mark.filterwarnings("ignore")
def test_convolution_times_cover_each_convolution_of_a_preset():
    times = limit.convolution_times("digits-cnn", repeats=1, steps=1)
    assert [index for index, _, _ in times] == [0, 3]  # Conv2D, BatchNorm, Activation, Conv2D
    assert all(ms > 0 and rate > 0 for _, ms, rate in times)
    (line,) = limit.step_budget("digits-cnn", peak=100.0)
    assert "at 70% of the peak may take" in line and "layer 3:" in line


def test_layout_table_compares_both_layouts_of_the_convolutional_presets():
    presets = layout.conv_presets()
    assert "letters-cnn" in presets and "letters-mlp" not in presets
    (row,) = rows(layout.table(seconds=0.02, repeats=1, presets=["digits-cnn"]))
    assert row[0] == "digits-cnn" and row[-1].endswith("x")
    assert float(row[1].replace(",", "")) > 0 and float(row[2].replace(",", "")) > 0
    assert layout.loop.training_layout is layout.training_layout  # put back after the turns


def test_a_rerun_keeps_the_sections_no_script_here_makes():
    earlier = "# old\n\n## 3. Limit\n\nold table\n\n## 12. Pen paths\n\nheld-out\n| a | b |\n"
    made = [("3. Limit, remeasured", ["new table"])]
    assert run_all.kept_sections(earlier, made) == [("12. Pen paths", ["held-out", "| a | b |"])]
    assert run_all.kept_sections("", made) == []


def test_accuracy_tables_report_numbers():
    lines, network, data = accuracy.letters_rows(per_class=2, target=0.99, cap=0.1, epochs=1)
    assert [r[0] for r in rows(lines)] == ["letters-cnn", "seed-cnn"]
    digits = rows(accuracy.digits_rows(epochs=1))
    assert len(digits) == 5 and all(NUMBER.fullmatch(r[1]) for r in digits)
    latency = rows(predict_speed.table(network, calls=3, batch=5, repeats=1))
    assert len(latency) == 5 and all(NUMBER.match(r[1]) for r in latency)


def test_data_table_reports_rates():
    table = rows(data_speed.table(letters=26, calls=2, repeats=1))
    assert len(table) == 3 and all(NUMBER.match(r[1]) for r in table)


def test_drawing_table_times_every_picture():
    table = rows(draw_speed.table(repeats=1, per_class=2))
    from nnstudio.spec import preset_names

    assert [row[0].split()[0] for row in table] == list(preset_names()) + [
        "letters-mlp", "letters-cnn", "letters-cnn"]
    for row in table:
        assert float(row[1]) > 0 and float(row[2]) > 0


def test_memory_folders_and_peaks(tmp_path):
    from nnstudio.data.folders import find_images

    names, items = find_images(memory.make_folder(tmp_path / "f", 10))
    assert names == sorted(memory.SHAPES) and len(items) == 10
    # A child that holds 64 MiB peaks above that; the parent's own memory does not count.
    hold = [sys.executable, "-c", "import numpy; a = numpy.ones(64 * 2**20, numpy.uint8); print(a.sum())"]
    assert memory.peak_kib(hold, memory.ROOT, tmp_path) > 64 * 1024
    assert memory.slope({2: 1000, 4: 1010}) == pytest.approx(10 * 1024 / (2 * 50 * 50))  # KiB over 2 images


def test_start_table_times_every_command_against_bare_python():
    import start_speed

    lines = start_speed.table(repeats=1)
    table = rows(lines)
    assert [row[0] for row in table] == [start_speed.BARE[0]] + [name for name, _ in start_speed.COMMANDS]
    assert all(NUMBER.fullmatch(row[1]) and row[2].endswith("x") for row in table)
    torch_column = {row[0]: row[4] for row in table}
    assert torch_column['python -c "import torch"'] == "yes"
    assert torch_column["nnstudio train --help"] == "no"


def test_start_section_replaces_its_old_text_only(tmp_path):
    import start_speed

    results = tmp_path / "RESULTS.md"
    results.write_text("# nnstudio benchmarks\n\n## 8. The studio\n\nkept\n")
    start_speed.write_section(results, ["| old |"])
    results.write_text(results.read_text() + "\n## 10. Later\n\nalso kept\n")
    start_speed.write_section(results, ["| new |"])
    text = results.read_text()
    assert "| old |" not in text and text.count(start_speed.SECTION) == 1
    assert text.index("kept") < text.index("| new |") < text.index("also kept")
