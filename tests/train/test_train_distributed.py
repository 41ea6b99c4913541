"""Several processes training as one: the same weights as one process, rank 0 alone
writing, torchrun's restarts resuming from the checkpoint, two agents on one host."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import load_file

from nnstudio.errors import TrainingError
from nnstudio.train.placement import Placement, resolve_device
from nnstudio.train.resume import check_compatible

WORKER = Path(__file__).with_name("distributed_worker.py")
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = "1"
    env.update(extra)
    return env


def run_workers(out: Path, cases: list[str], world: int) -> dict[str, list[dict]]:
    """Start world worker processes as torchrun would, each training the cases in turn in
    one process group; wait for them; return each case's reports, rank order."""
    port = str(free_port())
    procs = [subprocess.Popen([sys.executable, str(WORKER), str(out), ",".join(cases)],
                              env=environment(RANK=str(r), LOCAL_RANK=str(r), WORLD_SIZE=str(world),
                                              MASTER_ADDR="127.0.0.1", MASTER_PORT=port),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for r in range(world)]
    for p in procs:
        output, _ = p.communicate(timeout=240)
        assert p.returncode == 0, output
    return {case: [json.loads((out / case / f"report-{r}.json").read_text()) for r in range(world)]
            for case in cases}


def max_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a)


# One launch of one process and one of two, each training every case (starting the
# processes and joining their group costs more than these trainings).
@pytest.fixture(scope="module")
def single(tmp_path_factory) -> tuple[Path, dict[str, list[dict]]]:
    out = tmp_path_factory.mktemp("one")
    return out, run_workers(out, ["whole", "float64"], 1)


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, dict[str, list[dict]]]:
    out = tmp_path_factory.mktemp("two")
    return out, run_workers(out, ["whole", "sharded", "float64"], 2)


@pytest.mark.parametrize("case", ["whole", "sharded"])
def test_two_processes_reach_the_weights_of_one(single, pair, case):
    # A CNN with batch normalization and dropout, 47 samples (uneven batches), uint8 codes;
    # "sharded": each process holds only its own rows of the data.
    one_dir, ones = single
    two_dir, twos = pair
    (one,), reports = ones["whole"], twos[case]
    reference = load_file(one_dir / "whole" / "weights-0.safetensors")
    for rank in (0, 1):
        assert max_difference(reference, load_file(two_dir / case / f"weights-{rank}.safetensors")) < 1e-4
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        for e1, e2 in zip(one["history"], reports[0]["history"]):
            assert e2[key] == pytest.approx(e1[key], abs=1e-5), key

    def figures(report: dict) -> list[dict]:
        return [{k: v for k, v in e.items() if k != "seconds"} for e in report["history"]]

    assert figures(reports[1]) == figures(reports[0])  # every process reports the same sums


def test_only_the_first_process_calls_callbacks_and_writes(pair):
    out, cases = pair
    reports = cases["whole"]
    assert reports[0]["began"] and reports[0]["epochs_seen"] == 3
    assert not reports[1]["began"] and reports[1]["epochs_seen"] == 0
    written = sorted(p.name for p in (out / "whole" / "checkpoint").iterdir())
    assert written == ["checkpoint.json", "metrics.jsonl", "state-0003.safetensors"]
    record = json.loads((out / "whole" / "checkpoint" / "checkpoint.json").read_text())
    assert record["data"]["processes"] == 2


def test_a_checkpoint_of_two_processes_refuses_a_resume_by_one(tmp_path):
    run = SimpleNamespace(train_ids=torch.arange(30), val_ids=torch.arange(6), placement=Placement.single("cpu"),
                          config=None)
    record = {"config": {}, "data": {"samples": 30, "validation_samples": 6, "processes": 2}}
    with pytest.raises(TrainingError, match=r"made by 2 training process\(es\), this run has 1.*--nproc 2"):
        check_compatible(run, record, tmp_path / "checkpoint.json")


def test_device_auto_is_cpu_without_a_gpu():
    from nnstudio.train import TrainConfig

    assert TrainConfig().device == "auto"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert Placement.from_environment("auto").world == 1


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnstudio", *args], cwd=cwd, env=env or environment(),
                          capture_output=True, text=True, timeout=timeout)


TRAIN = ("train", "--data", "shapes", "--batch-size", "8", "--quiet")


@pytest.fixture(scope="module")
def one_process(tmp_path_factory) -> Path:
    """The weights one process ends on, by the same train command (run in this process,
    where the runs below need separate ones): REF/2/ after 2 epochs, REF/12/ after 12."""
    from click.testing import CliRunner

    from nnstudio.cli import main

    root = tmp_path_factory.mktemp("one-process")
    for epochs in ("2", "12"):
        done = CliRunner().invoke(main, ["--threads", "1", *TRAIN, "--epochs", epochs, "--out", str(root / epochs)])
        assert done.exit_code == 0, done.output
    return root


def test_nproc_two_trains_as_one_process_would(tmp_path, one_process):
    two = cli(*TRAIN, "--epochs", "2", "--out", "two", "--nproc", "2", cwd=tmp_path)
    assert two.returncode == 0, two.stderr
    assert two.stdout.count("saved two") == 1  # only the first process reports
    assert max_difference(load_file(one_process / "2/weights.safetensors"),
                          load_file(tmp_path / "two/weights.safetensors")) < 1e-4
    record = json.loads((tmp_path / "two/model.json").read_text())
    assert record["training"]["processes"] == 2
    assert not (tmp_path / "two.checkpoint").exists()


def workers_of(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the worker processes through /proc")
def test_workers_restarted_by_torchrun_resume_and_end_on_the_uninterrupted_weights(tmp_path, one_process):
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
               "--max-restarts", "1", "-m", "nnstudio", *TRAIN, "--epochs", "12", "--out", "el",
               "--checkpoint-seconds", "0"]
    agent = subprocess.Popen(command, cwd=tmp_path, env=environment(), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    checkpoint = tmp_path / "el.checkpoint" / "checkpoint.json"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if json.loads(checkpoint.read_text())["epoch"] >= 2:
                break
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    else:
        agent.kill()
        pytest.fail("no checkpoint of epoch 2 appeared")
    killed_at = json.loads(checkpoint.read_text())["epoch"]
    os.kill(max(workers_of(agent.pid)), signal.SIGKILL)
    output, _ = agent.communicate(timeout=240)
    assert agent.returncode == 0, output
    assert "exitcode: -9" in output  # torchrun saw the worker die, and restarted them
    assert killed_at < 12
    assert max_difference(load_file(one_process / "12/weights.safetensors"),
                          load_file(tmp_path / "el/weights.safetensors")) < 1e-4


def test_two_agents_on_one_host_train_as_two_nodes(tmp_path, one_process):
    port = str(free_port())
    agents = [subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--node-rank", str(n),
                                "--nproc-per-node", "1", "--master-addr", "127.0.0.1", "--master-port", port,
                                "-m", "nnstudio", *TRAIN, "--epochs", "2", "--out", "nodes"],
                               cwd=tmp_path, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
              for n in (0, 1)]
    outputs = [a.communicate(timeout=240)[0] for a in agents]
    assert [a.returncode for a in agents] == [0, 0], outputs
    assert sum(o.count("saved nodes") for o in outputs) == 1
    assert max_difference(load_file(one_process / "2/weights.safetensors"),
                          load_file(tmp_path / "nodes/weights.safetensors")) < 1e-4


def test_nproc_under_torchrun_is_refused(tmp_path):
    from click.testing import CliRunner

    from nnstudio.cli import main

    result = CliRunner().invoke(main, [*TRAIN, "--out", str(tmp_path / "x"), "--nproc", "2"], env={"WORLD_SIZE": "2"})
    assert result.exit_code == 2
    assert "already runs under torchrun" in result.stderr


def test_the_torchrun_command_repeats_the_options_given():
    import click

    from nnstudio.cli import main
    from nnstudio.cli.launch import torchrun_command

    with main.make_context("nnstudio", ["--threads", "1", "train", "--data", "shapes", "--out", "o", "--nproc", "2",
                                        "--lr", "0.05", "--quiet"]) as ctx:
        sub = ctx.command.get_command(ctx, "train")
        assert sub is not None
        args = ["--data", "shapes", "--out", "o", "--nproc", "2", "--lr", "0.05", "--quiet"]
        with sub.make_context("train", args, parent=ctx) as sub_ctx:
            command = torchrun_command(sub_ctx, 2)
    assert isinstance(sub, click.Command)
    tail = command[command.index("nnstudio"):]
    assert tail[:3] == ["nnstudio", "--threads", "1"]
    assert "--nproc" not in tail and "--nproc-per-node=2" in command
    assert tail[tail.index("--lr") + 1] == "0.05" and "--quiet" in tail and tail[tail.index("--data") + 1] == "shapes"


def test_in_float64_two_processes_part_from_one_only_by_rounding(single, pair):
    # A network and step size where float32 rounding alone moves two processes' weights
    # about 3e-3 from one process's (summation orders differ); with every value in
    # float64 the same training must agree to about 1e-11, which any real difference in
    # what the processes compute (a batch weighted wrongly, a mask or statistic of the
    # wrong rows) would exceed by far.
    (one_dir, ones), (two_dir, twos) = single, pair
    (one,), two = ones["float64"], twos["float64"]
    reference = load_file(one_dir / "float64" / "weights-0.safetensors")
    assert all(v.dtype == torch.float64 for v in reference.values() if v.is_floating_point())
    for rank in (0, 1):
        assert max_difference(reference, load_file(two_dir / "float64" / f"weights-{rank}.safetensors")) < 1e-9
    assert two[0]["history"][-1]["loss"] == pytest.approx(one["history"][-1]["loss"], rel=1e-9)
