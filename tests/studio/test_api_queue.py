"""The run queue: one training at a time by default, started in order, stoppable and
deletable while waiting, picked up again by a restarted studio; --parallel-runs.

Each run is a spawned child process that imports torch (2-3 s), so the runs here are
the shortest that train: shapes-mlp for one or two epochs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from studio_helpers import AUTH, BASE_URL, TOKEN, studio_client, wait_for

from nnstudio.cli import main
from nnstudio.studio.app import create_app
from nnstudio.studio.jobs import read_events
from nnstudio.studio.runner import default_parallel_runs
from nnstudio.studio.state import StudioState, training_threads

FINISHED = ("done", "failed", "stopped", "interrupted")
SHORT = {"data": "shapes", "model": "shapes-mlp", "options": {"epochs": 1}}
LONG = {"data": "shapes", "model": "shapes-mlp", "options": {"epochs": 200}}


class StatusWatch:
    """Polls GET /api/runs in a thread and keeps every answer, to check what ran at once."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.seen: list[dict[str, str]] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.poll, daemon=True)

    def poll(self) -> None:
        while not self.done.is_set():
            self.seen.append({r["id"]: r["status"] for r in self.client.get("/api/runs").json()})
            time.sleep(0.05)

    def __enter__(self) -> StatusWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.done.set()
        self.thread.join()

    def most_running(self) -> int:
        return max(sum(status == "running" for status in seen.values()) for seen in self.seen)


def wait_all(client: TestClient, ids: list[str], timeout: float = 120.0) -> list[dict[str, Any]]:
    def check() -> list[dict[str, Any]] | None:
        runs = [client.get(f"/api/runs/{i}").json() for i in ids]
        return runs if all(r["status"] in FINISHED for r in runs) else None

    return wait_for(check, timeout=timeout)


def span(workspace: Path, run_id: str) -> tuple[float, float]:
    """Return (time of the run's plan report, time of its final status report)."""
    events = read_events(workspace / "runs" / run_id)[0]
    first = min(e["time"] for e in events if e["kind"] == "plan")
    last = max(e["time"] for e in events if e["kind"] == "status")
    return first, last


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with studio_client(tmp_path / "workspace") as test_client:
        yield test_client


def test_runs_train_one_at_a_time_in_creation_order(client: TestClient, tmp_path: Path) -> None:
    with StatusWatch(client) as watch:
        ids = []
        for epochs in (2, 1, 1):
            answer = client.post("/api/runs", json={**SHORT, "options": {"epochs": epochs}})
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["id"])
        waiting = {r["id"]: r for r in client.get("/api/runs").json()}
        assert [waiting[i]["status"] for i in ids[1:]] == ["queued", "queued"]
        assert [waiting[i]["queue_position"] for i in ids[1:]] == [1, 2]
        runs = wait_all(client, ids)
    assert [r["status"] for r in runs] == ["done"] * 3, [r["error"] for r in runs]
    assert watch.most_running() == 1  # never two at once
    assert any(seen.get(ids[2]) == "queued" and seen.get(ids[0]) == "running" for seen in watch.seen)
    spans = [span(tmp_path / "workspace", i) for i in ids]
    assert spans[0][1] <= spans[1][0] and spans[1][1] <= spans[2][0], spans  # one after the other, in order
    names = [r["model"] for r in runs]
    assert names == ["shapes-shapes-mlp-1", "shapes-shapes-mlp-2", "shapes-shapes-mlp-3"]
    assert [r["model_name"] for r in runs] == names  # unique from the start, not only once saved


def test_a_queued_run_can_be_stopped_deleted_and_resumed_without_starting(client: TestClient,
                                                                         tmp_path: Path) -> None:
    long_id = client.post("/api/runs", json=LONG).json()["id"]
    waiting = client.post("/api/runs", json=SHORT).json()["id"]
    doomed = client.post("/api/runs", json=SHORT).json()["id"]
    assert client.get(f"/api/runs/{doomed}").json()["queue_position"] == 2
    held = client.get(f"/api/runs/{waiting}").json()["model_name"]
    taken = client.post("/api/runs", json={**SHORT, "name": held})  # a waiting run will save under it
    assert taken.status_code == 409 and waiting in taken.json()["error"]

    stopped = client.post(f"/api/runs/{waiting}/stop").json()
    assert stopped["status"] == "stopped"
    run = client.get(f"/api/runs/{waiting}").json()
    assert run["status"] == "stopped" and run["history"] == [] and run["plan"] is None
    assert client.get(f"/api/runs/{doomed}").json()["queue_position"] == 1  # it moved up
    assert client.delete(f"/api/runs/{doomed}").json() == {"deleted": doomed}
    assert not (tmp_path / "workspace" / "runs" / doomed).exists()
    assert client.delete(f"/api/runs/{long_id}").status_code == 409  # training: stop it first

    # Resumed, the never-started run queues again behind the long one, and starts from
    # the beginning (it has no checkpoint) once that one is stopped.
    assert client.post(f"/api/runs/{waiting}/resume").json()["status"] == "queued"
    wait_for(lambda: client.get(f"/api/runs/{long_id}").json()["history"])
    assert client.get(f"/api/runs/{waiting}").json()["status"] == "queued"
    client.post(f"/api/runs/{long_id}/stop")
    first, second = wait_all(client, [long_id, waiting])
    assert first["status"] == "stopped" and second["status"] == "done", second["error"]
    assert [row["epoch"] for row in second["history"]] == [1]
    events = read_events(tmp_path / "workspace" / "runs" / waiting)[0]
    assert [e["kind"] for e in events if e["kind"] != "batch"] == ["status", "plan", "begin", "epoch", "end",
                                                                   "status"]


def test_a_restarted_studio_starts_the_runs_still_queued_in_order(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    with studio_client(workspace) as client:
        long_id = client.post("/api/runs", json=LONG).json()["id"]
        queued = [client.post("/api/runs", json=SHORT).json()["id"] for _ in range(2)]
        wait_for(lambda: client.get(f"/api/runs/{long_id}").json()["status"] == "running")
    # The server stopped: the training run stopped with it, the queued ones never began.
    for run_id in queued:
        assert not (workspace / "runs" / run_id / "events.jsonl").exists()

    with studio_client(workspace) as again:
        assert again.get(f"/api/runs/{long_id}").json()["status"] in ("stopped", "interrupted")
        runs = wait_all(again, queued)
    assert [r["status"] for r in runs] == ["done", "done"], [r["error"] for r in runs]
    first, second = (span(workspace, i) for i in queued)
    assert first[1] <= second[0]


def test_parallel_runs_train_side_by_side(tmp_path: Path) -> None:
    with studio_client(tmp_path / "workspace", parallel_runs=2) as client:
        with StatusWatch(client) as watch:
            ids = [client.post("/api/runs", json={**SHORT, "options": {"epochs": 3}}).json()["id"] for _ in range(3)]
            runs = wait_all(client, ids)
    assert [r["status"] for r in runs] == ["done"] * 3, [r["error"] for r in runs]
    assert watch.most_running() == 2


def test_the_default_is_one_run_per_gpu_else_one(tmp_path: Path) -> None:
    assert default_parallel_runs(gpus=0) == 1
    assert default_parallel_runs(gpus=4) == 4
    # Parallel runs share the cores one run would get; asked threads are kept.
    assert StudioState.open(tmp_path / "a", parallel_runs=2).threads == max(1, training_threads() // 2)
    assert StudioState.open(tmp_path / "b", threads=3, parallel_runs=2).threads == 3
    assert StudioState.open(tmp_path / "c").jobs.asked is None


def test_parallel_runs_option_is_in_the_help() -> None:
    shown = CliRunner().invoke(main, ["studio", "--help"])
    assert shown.exit_code == 0
    text = " ".join(shown.output.split())
    assert "--parallel-runs" in text and "default: (1 on a CPU machine, one per GPU" in text
    refused = CliRunner().invoke(main, ["studio", "--parallel-runs", "0", "--no-browser"])
    assert refused.exit_code == 2 and "parallel-runs" in refused.output


def test_runs_are_placed_on_their_own_gpu(tmp_path: Path) -> None:
    """Where GPUs are seen, each slot is one GPU: two runs go to cuda:0 and cuda:1 (here,
    without a GPU, the trainer then refuses the device; the placement is what is checked)."""
    app = create_app(tmp_path / "workspace", token=TOKEN)
    app.state.studio.jobs.gpus = 2  # as if torch saw two GPUs
    with TestClient(app, base_url=BASE_URL, headers=AUTH) as client:
        ids = [client.post("/api/runs", json=SHORT).json()["id"] for _ in range(2)]
        cpu = client.post("/api/runs", json={**SHORT, "options": {"epochs": 1, "device": "cpu"}}).json()["id"]
        runs = wait_all(client, [*ids, cpu])
    assert sorted(r["device"] for r in runs[:2]) == ["cuda:0", "cuda:1"]
    assert runs[2]["device"] is None and runs[2]["status"] == "done"  # asked for the CPU: stays there
