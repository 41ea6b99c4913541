import json
import os
import stat

import pytest
import torch

from nnstudio.errors import TrainingError
from nnstudio.model import build_model
from nnstudio.train import TrainConfig, fit, load_checkpoint
from nnstudio import files
from nnstudio.train import checkpoint as ckpt


def test_checkpoint_holds_everything_needed_and_no_pickle(tmp_path, tiny_net, tiny_data):
    fit(tiny_net, tiny_data, TrainConfig(epochs=2, validation=0.2, patience=5), checkpoint_dir=tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["checkpoint.json", "metrics.jsonl", "state-0002.safetensors"]  # no temp files
    record, tensors = load_checkpoint(tmp_path)
    assert record["epoch"] == 2 and record["batch"] == 0 and len(record["history"]) == 2
    assert [json.loads(line)["epoch"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()] == [1, 2]
    assert record["config"]["epochs"] == 2 and record["early_stopping"]["best_epoch"] in (1, 2)
    assert {"rng.shuffle", "rng.torch"} <= set(tensors)
    assert tensors["rng.shuffle"].dtype == torch.uint8
    assert any(k.startswith("optimizer.") for k in tensors) and any(k.startswith("best.") for k in tensors)
    assert set(k[len("model."):] for k in tensors if k.startswith("model.")) == set(tiny_net.state_dict())
    json.loads((tmp_path / "checkpoint.json").read_text())  # plain JSON


def crash_midway(monkeypatch, after_calls):
    """Make the (after_calls+1)-th file write of a checkpoint (tensors, metrics log,
    checkpoint.json) die after writing half of its bytes."""
    if after_calls == 1:
        def torn_append(path, data):
            with open(path, "ab") as handle:
                handle.write(data[: len(data) // 2])
            raise OSError("disk full (simulated)")

        monkeypatch.setattr(ckpt, "_append", torn_append)
        return
    real = files.os.fsync
    calls = {"n": 0}

    def fsync(fd):
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return real(fd)  # a folder's sync after a rename
        calls["n"] += 1
        if calls["n"] > after_calls:
            os.ftruncate(fd, os.fstat(fd).st_size // 2)
            raise OSError("disk full (simulated)")
        real(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)


@pytest.mark.parametrize("writes_before_crash", [0, 1, 2])  # crash writing the tensors / the log / the JSON
def test_crash_while_writing_leaves_previous_checkpoint_loadable(tmp_path, monkeypatch, tiny_spec, tiny_data,
                                                                 writes_before_crash):
    config = TrainConfig(epochs=3, batch_size=8)
    fit(build_model(tiny_spec, seed=0), tiny_data, TrainConfig(epochs=2, batch_size=8), checkpoint_dir=tmp_path)
    before, _ = load_checkpoint(tmp_path)
    crash_midway(monkeypatch, writes_before_crash)
    with pytest.raises(OSError, match="simulated"):
        fit(build_model(tiny_spec, seed=0), tiny_data, config, checkpoint_dir=tmp_path, resume=True)
    monkeypatch.undo()
    record, tensors = load_checkpoint(tmp_path)
    assert record == before and record["epoch"] == 2
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # temp files cleaned up
    net = build_model(tiny_spec)
    net.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    history = fit(net, tiny_data, config, checkpoint_dir=tmp_path, resume=True)  # and training goes on
    assert [e["epoch"] for e in history] == [1, 2, 3]


def test_damaged_checkpoint_is_reported(tmp_path, tiny_net, tiny_data):
    fit(tiny_net, tiny_data, TrainConfig(epochs=1), checkpoint_dir=tmp_path)
    state = tmp_path / "state-0001.safetensors"
    state.write_bytes(state.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(TrainingError, match="checksum"):
        load_checkpoint(tmp_path)
    (tmp_path / "checkpoint.json").write_text("{not json")
    with pytest.raises(TrainingError, match="checkpoint.json"):
        load_checkpoint(tmp_path)


def test_split_and_join_state_round_trip():
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters())
    net(torch.ones(1, 3)).sum().backward()
    opt.step()
    tensors, structure = ckpt.split_state(opt.state_dict(), "optimizer")
    json.dumps(structure)
    back = ckpt.join_state(json.loads(json.dumps(structure)), tensors)
    assert back["state"].keys() == {0, 1}
    assert torch.equal(back["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    assert back["param_groups"][0]["lr"] == 1e-3


def test_a_kept_state_shares_the_finished_epochs_rows_and_keeps_its_own_tensors():
    # Taken at every epoch's start: copying every row each time made many short epochs
    # quadratic in their number, so rows (never changed once written) are shared.
    from nnstudio.train.resume import RunState

    rows = [{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25}]
    weight = torch.zeros(3)
    state = RunState({"model.w": weight}, {"epoch": 2}, rows)  # type: ignore[typeddict-item]
    kept = state.cloned()
    rows.append({"epoch": 3, "loss": 0.125})
    weight += 1
    assert [r["epoch"] for r in kept.history] == [1, 2]
    assert all(a is b for a, b in zip(kept.history, rows))
    assert torch.equal(kept.tensors["model.w"], torch.zeros(3))
