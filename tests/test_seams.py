"""The contracts between modules: import directions, one input path, file modes,
reproducible files, and the training record that real runs write."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

import nnstudio
from nnstudio.predict import Model, load
from nnstudio.workflows import train_model

PACKAGE = Path(nnstudio.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(path: Path, modules: set[str]) -> set[str]:
    """nnstudio modules that path imports at module level (not inside functions)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        found |= {n for n in names if n in modules}
    return found


def test_no_import_cycle_among_top_level_imports():
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: top_level_imports(path, set(files)) - {name} for name, path in files.items()}
    # a package's __init__ importing its own submodules is not a cycle of concepts
    for name in graph:
        graph[name] = {m for m in graph[name] if not (m.startswith(name + ".") and files[name].name == "__init__.py")}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> bool:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle.extend(trail + [node, nxt])
                return True
            if state.get(nxt) is None and visit(nxt, trail + [node]):
                return True
        state[node] = 2
        return False

    assert not any(visit(n, []) for n in sorted(graph) if n not in state), f"import cycle: {' -> '.join(cycle)}"


def imported_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_store_does_not_load_training_and_spec_does_not_load_torch():
    assert not any(m.startswith("nnstudio.train") for m in imported_after("import nnstudio.store"))
    assert "torch" not in imported_after("import nnstudio.spec")
    assert not any(m.startswith("nnstudio.train") for m in imported_after("import nnstudio.predict"))


def test_saved_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        model = train_model("shapes", out=tmp_path / "m", epochs=1, per_class=4)
        nnstudio.data.write_training_file(tmp_path / "s.dat", nnstudio.load_dataset("shapes"))
        import nnstudio.draw as draw

        draw.save(draw.draw_network("shapes-mlp"), tmp_path / "n.svg")
    finally:
        os.umask(old)
    for path in [tmp_path / "m" / "model.json", tmp_path / "m" / "weights.safetensors", tmp_path / "s.dat",
                 tmp_path / "n.svg"]:
        assert oct(path.stat().st_mode & 0o777) == "0o644", path
    assert model.path == tmp_path / "m"


def test_same_seed_gives_byte_identical_weights_and_model_json_but_for_timings(tmp_path):
    for name in ("a", "b"):
        train_model("shapes", out=tmp_path / name, epochs=3, per_class=6, seed=4, validation=0.25)
    a, b = (tmp_path / n for n in ("a", "b"))
    assert (a / "weights.safetensors").read_bytes() == (b / "weights.safetensors").read_bytes()

    def without_timings(folder):
        record = json.loads((folder / "model.json").read_text())
        for epoch in record["training"]["history"]:
            epoch.pop("seconds")
        return record

    assert without_timings(a) == without_timings(b)


def test_model_json_from_a_real_run_says_how_training_ended(tmp_path):
    train_model("shapes", out=tmp_path / "m", epochs=30, per_class=6, validation=0.3, patience=2, lr=0.05,
                optimizer="sgd", batch_size=4)
    training = json.loads((tmp_path / "m" / "model.json").read_text())["training"]
    assert {"best_epoch", "stopped_early", "config", "history", "data", "samples"} <= set(training)
    assert isinstance(training["stopped_early"], bool)
    losses = [e["val_loss"] for e in training["history"]]
    assert training["best_epoch"] == int(np.argmin(losses)) + 1
    assert not (tmp_path / "m.checkpoint").exists()  # a finished run leaves no checkpoint


def test_prediction_and_drawing_prepare_inputs_alike_without_a_saved_preparation(tmp_path):
    from nnstudio.draw.adapter import input_array

    model = load(train_model("shapes", out=tmp_path / "m", epochs=1, per_class=4).path)
    bare = Model(spec=model.spec, network=model.network, class_names=model.class_names, preparation=None)
    picture = tmp_path / "plus.png"
    grid = nnstudio.data.SHAPE_BITMAPS["plus"]
    Image.fromarray(((1 - grid) * 255).astype(np.uint8)).save(picture)
    prepared = bare.prepare([picture])
    assert prepared.shape == (1, 25)
    assert np.array_equal(input_array(bare, picture), prepared[0])
    assert np.array_equal(prepared[0], grid.reshape(25).astype(np.float32))


def test_activations_are_json_ready_with_names_and_shapes(tmp_path):
    model = load(train_model("shapes", out=tmp_path / "m", epochs=1, per_class=4).path)
    result = model.activations(nnstudio.data.BROKEN_SQUARE.tolist())
    json.dumps(result)
    assert result["input"]["shape"] == [25]
    assert [layer["index"] for layer in result["layers"]] == list(range(len(model.spec.layers)))
    assert all(layer["name"].endswith(layer["type"]) for layer in result["layers"])
    assert result["layers"][0]["shape"] == [25] and len(result["probabilities"]) == 5
    assert abs(sum(result["probabilities"]) - 1) < 1e-5
    assert result["class_names"] == model.class_names
