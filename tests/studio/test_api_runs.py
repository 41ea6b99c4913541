"""Trainings through the API: start, follow, stop, resume, crash, NaN, restart.

Each run is a spawned child process that imports torch (2-3 s), so the tests share
one finished run and start as few others as they can.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from studio_helpers import BROKEN_SQUARE, files_under, png_bytes, studio_client, wait_for

from nnstudio.predict import load
from nnstudio.spec import get_preset

FINISHED = ("done", "failed", "stopped", "interrupted")


def wait_run(client: TestClient, run_id: str, statuses: tuple[str, ...] = FINISHED,
             timeout: float = 60.0) -> dict[str, Any]:
    """Poll GET /api/runs/ID until its status is one of statuses; return the run."""
    def check() -> dict[str, Any] | None:
        run = client.get(f"/api/runs/{run_id}").json()
        return run if run["status"] in statuses else None

    return wait_for(check, timeout=timeout)


def events_of(client: TestClient, run_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Return the (event, data) pairs of a finished run's event stream."""
    pairs: list[tuple[str, dict[str, Any]]] = []
    name = ""
    with client.stream("GET", f"/api/runs/{run_id}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                pairs.append((name, json.loads(line[len("data: "):])))
    return pairs


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path, dict[str, Any]]]:
    """(client, workspace, finished run): shapes-mlp trained 3 epochs through the API."""
    workspace = tmp_path_factory.mktemp("runs") / "workspace"
    with studio_client(workspace) as client:
        started = client.post("/api/runs", json={"data": "shapes", "model": "shapes-mlp", "options": {"epochs": 3}})
        assert started.status_code == 201, started.text
        assert started.json()["status"] in ("queued", "running")
        run = wait_run(client, started.json()["id"])
        yield client, workspace, run


def test_a_run_trains_saves_and_predicts(trained: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, workspace, run = trained
    assert run["status"] == "done", run["error"]
    assert run["options"] == {"epochs": 3} and run["data"] == "shapes" and run["network"] == "shapes-mlp"
    # The plan: what it trained with, the asked epochs and the network's own other options.
    own = get_preset("shapes-mlp").training
    assert run["plan"]["epochs"] == 3 and run["plan"]["batch_size"] == own["batch_size"] != 32
    assert run["plan"]["optimizer"] == own["optimizer"] and run["plan"]["lr"] == own["lr"]
    assert run["plan_reasons"] == {} and any(line.startswith("epochs") for line in run["plan_lines"])
    assert [row["epoch"] for row in run["history"]] == [1, 2, 3]
    assert all(0 <= row["accuracy"] <= 1 and row["loss"] > 0 for row in run["history"])
    assert run["model"] == "shapes-shapes-mlp-1" and run["error"] is None
    models = {m["name"]: m for m in client.get("/api/models").json()}
    assert models[run["model"]]["epochs"] == 3 and models[run["model"]]["data"] == "shapes"
    answer = client.post(f"/api/models/{run['model']}/predict", json={"input": BROKEN_SQUARE}).json()
    assert answer["class"] in models[run["model"]]["classes"]
    assert (workspace / "models" / run["model"] / "weights.safetensors").is_file()
    assert not (workspace / "runs" / run["id"] / "model.checkpoint").exists()  # a finished run keeps none
    listed = client.get("/api/runs").json()
    assert [r["id"] for r in listed] == [run["id"]] and listed[0]["status"] == "done"
    assert listed[0]["last"]["epoch"] == 3


def test_the_event_stream_replays_a_finished_run(trained: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, _, run = trained
    pairs = events_of(client, run["id"])
    names = [name for name, _ in pairs]
    assert names[:2] == ["plan", "begin"] and names.count("epoch") == 3
    assert pairs[0][1]["config"] == pairs[1][1]["config"]  # the plan is what the loop began with
    assert [data["epoch"] for name, data in pairs if name == "epoch"] == [1, 2, 3]
    assert ("status", "done") in [(name, data.get("status")) for name, data in pairs]
    assert names[-1] == "end" and pairs[-1][1] == {"status": "done"}


def test_a_restarted_server_shows_the_same_runs_and_models(trained: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, workspace, run = trained
    # A run that was training when its server and its process went away (a reboot):
    # run.json still says running, with the id of a process that no longer exists.
    gone = subprocess.Popen(["true"])
    gone.wait()
    copy = workspace / "runs" / "20000101-000000-dead"
    shutil.copytree(workspace / "runs" / run["id"], copy)
    record = json.loads((copy / "run.json").read_text())
    record.update(id=copy.name, status="running", pid=gone.pid, model=None)
    (copy / "run.json").write_text(json.dumps(record))
    try:
        with studio_client(workspace) as again:
            assert again.get("/api/models").json() == client.get("/api/models").json()
            runs = {r["id"]: r for r in again.get("/api/runs").json()}
            assert runs[run["id"]]["status"] == "done" and runs[run["id"]]["last"] == run["history"][-1]
            assert runs[copy.name]["status"] == "interrupted"
            assert again.get(f"/api/runs/{run['id']}").json()["history"] == run["history"]
    finally:
        shutil.rmtree(copy)


def test_runs_that_cannot_start_are_refused(trained: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, workspace, run = trained
    before = files_under(workspace)
    cases = [({"data": "nothing"}, 404, "nothing"),
             ({"data": "shapes", "model": "shapes-mpl"}, 422, "shapes-mlp"),
             ({"data": "shapes", "options": {"epochs": 0}}, 422, "epochs"),
             ({"data": "shapes", "options": {"optimiser": "sgd"}}, 422, "optimiser"),
             ({"data": "shapes", "options": {"optimizer": "sgdd"}}, 422, "optimizer"),
             ({"data": "shapes", "model": get_preset("digits-mlp").to_dict()}, 422, "last Dense layer"),
             ({"data": "shapes", "name": run["model"]}, 409, "taken")]
    for body, status, fragment in cases:
        answer = client.post("/api/runs", json=body)
        assert answer.status_code == status, (body, answer.text)
        assert fragment in answer.json()["error"], answer.json()["error"]
    client.post("/api/datasets", json={"name": "half", "classes": ["a", "b"]})
    client.post("/api/datasets/half/samples?class=a", content=png_bytes(BROKEN_SQUARE),
                headers={"content-type": "image/png"})
    before = files_under(workspace)
    answer = client.post("/api/runs", json={"data": "half"})
    assert answer.status_code == 422 and "'b' has no images" in answer.json()["error"]
    assert files_under(workspace) == before
    client.delete("/api/datasets/half")
    assert client.post(f"/api/runs/{run['id']}/stop").status_code == 409
    assert client.post(f"/api/runs/{run['id']}/resume").status_code == 409
    assert client.get("/api/runs/20990101-000000-none").status_code == 404
    assert client.get("/api/runs/20990101-000000-none/events").status_code == 404


def test_delete_a_finished_run_keeps_its_model(trained: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, workspace, run = trained
    copy = workspace / "runs" / "20000101-000000-copy"
    shutil.copytree(workspace / "runs" / run["id"], copy)
    record = json.loads((copy / "run.json").read_text())
    (copy / "run.json").write_text(json.dumps({**record, "id": copy.name}))
    assert client.delete(f"/api/runs/{copy.name}").json() == {"deleted": copy.name}
    assert not copy.exists() and (workspace / "models" / run["model"]).is_dir()
    assert client.delete(f"/api/runs/{copy.name}").status_code == 404


def test_a_nan_run_fails_with_the_library_message(trained: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, workspace, _ = trained
    started = client.post("/api/runs", json={"data": "shapes", "model": "shapes-mlp", "name": "diverged",
                                             "options": {"epochs": 2, "optimizer": "sgd", "lr": 1e30}})
    run = wait_run(client, started.json()["id"])
    assert run["status"] == "failed"
    assert "loss is nan" in run["error"] and "lower the learning rate" in run["error"]
    assert "\n" not in run["error"]
    failed = [data for name, data in events_of(client, run["id"]) if name == "status"]
    assert failed == [{"kind": "status", "time": failed[0]["time"], "status": "failed", "error": run["error"],
                       "reason": "diverged"}]
    assert run["reason"] == "diverged"
    assert not (workspace / "models" / "diverged").exists()


def test_a_diverging_run_fails_and_says_so(trained: tuple[TestClient, Path, dict[str, Any]]) -> None:
    """lr 1000 with clipped gradients: the loss stays finite but runs far above an untrained
    network's. The library's divergence watch warns; the run, still there at its end,
    fails and keeps no model (a spike a run recovers from does not fail it)."""
    client, workspace, _ = trained
    started = client.post("/api/runs", json={"data": "shapes", "model": "shapes-mlp", "name": "runaway",
                                             "options": {"epochs": 6, "lr": 1000}})
    run = wait_run(client, started.json()["id"])
    assert run["status"] == "failed" and run["reason"] == "diverged"
    assert "training is diverging" in run["error"] and "lr is 1000" in run["error"]
    assert "It ended at loss" in run["error"] and run["plan"]["lr"] == 1000
    assert not (workspace / "models" / "runaway").exists()
    assert [r["reason"] for r in client.get("/api/runs").json() if r["id"] == run["id"]] == ["diverged"]


@pytest.mark.slow
def test_stop_resume_crash_resume(trained: tuple[TestClient, Path, dict[str, Any]]) -> None:
    """Stop a run (it keeps a checkpoint), resume it, kill its process (the run fails with
    a message), resume again: it finishes with every epoch once."""
    client, workspace, finished = trained
    epochs = 30
    started = client.post("/api/runs", json={"data": "shapes", "model": "shapes-mlp", "name": "long",
                                             "options": {"epochs": epochs}}).json()
    run_id, run_dir = started["id"], workspace / "runs" / started["id"]
    wait_for(lambda: client.get(f"/api/runs/{run_id}").json()["history"])

    # While it trains, 16 clients at once get the answers the library gives.
    expected = load(workspace / "models" / finished["model"]).predict([np.ravel(BROKEN_SQUARE)])[0]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: client.post(f"/api/models/{finished['model']}/predict",
                                                      json={"input": BROKEN_SQUARE}), range(32)))
    assert client.get(f"/api/runs/{run_id}").json()["status"] == "running"
    for answer in answers:
        assert answer.status_code == 200
        got = {p["class"]: p["probability"] for p in answer.json()["predictions"]}
        assert got == pytest.approx(expected.probabilities, abs=1e-6)
    assert client.post(f"/api/runs/{run_id}/stop").json()["stop_requested"] is True
    stopped = wait_run(client, run_id)
    assert stopped["status"] == "stopped" and 1 <= len(stopped["history"]) < epochs
    assert (run_dir / "model.checkpoint").is_dir() and not (workspace / "models" / "long").exists()

    first_pid = json.loads((run_dir / "run.json").read_text())["pid"]
    assert client.post(f"/api/runs/{run_id}/resume").json()["status"] in ("queued", "running")
    done_before = len(stopped["history"])

    def resumed_child() -> int | None:
        record = json.loads((run_dir / "run.json").read_text())
        run = client.get(f"/api/runs/{run_id}").json()
        fresh = record.get("pid") not in (None, first_pid) and len(run["history"]) > done_before
        return record["pid"] if fresh and run["status"] == "running" else None

    pid = wait_for(resumed_child)
    os.kill(pid, signal.SIGKILL)
    crashed = wait_run(client, run_id)
    assert crashed["status"] == "failed"
    assert "ended unexpectedly" in crashed["error"] and "signal 9" in crashed["error"]

    client.post(f"/api/runs/{run_id}/resume")
    finished = wait_run(client, run_id, timeout=90)
    assert finished["status"] == "done", finished["error"]
    assert [row["epoch"] for row in finished["history"]] == list(range(1, epochs + 1))
    assert finished["model"] == "long" and (workspace / "models" / "long" / "model.json").is_file()
    assert json.loads((workspace / "models" / "long" / "model.json").read_text())["training"]["history"][-1][
        "epoch"] == epochs
