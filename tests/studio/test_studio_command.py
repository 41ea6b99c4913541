"""`nnstudio studio` as a user starts it: a real server process, its URL on stdout,
Ctrl-C to stop it, and a run that survives its server being killed."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from studio_helpers import BASE_URL, wait_for

from nnstudio.studio.app import create_app
from nnstudio.studio.jobs import pid_alive


@pytest.fixture
def start_studio(tmp_path: Path) -> Iterator:
    """start_studio(workspace) -> (process, url); every server started is ended after the test."""
    started: list[subprocess.Popen] = []

    def start(workspace: Path) -> tuple[subprocess.Popen, str]:
        process = subprocess.Popen([sys.executable, "-m", "nnstudio", "studio", "--workspace", str(workspace),
                                    "--port", "0", "--no-browser"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(process)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
        try:
            first = lines.get(timeout=60)
        except queue.Empty:
            raise AssertionError("the studio printed no URL within 60 s") from None
        found = re.search(r"http://127\.0\.0\.1:\d+/", first)
        assert found, f"no URL in {first!r}; stderr: {process.stderr.read() if process.poll() is not None else ''}"
        return process, found.group(0)

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_the_studio_command_prints_its_url_serves_and_stops_on_ctrl_c(start_studio, tmp_path: Path) -> None:
    process, url = start_studio(tmp_path / "workspace")
    page = httpx.get(url, timeout=10)
    assert page.status_code == 200 and "<html" in page.text.lower()
    presets = httpx.get(url + "api/presets", timeout=10)
    assert presets.status_code == 200 and "shapes-mlp" in [p["name"] for p in presets.json()]
    assert httpx.get(url + "api/presets", headers={"Host": "evil.example"}, timeout=10).status_code == 403
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    errors = process.stderr.read()
    assert "Traceback" not in errors, errors
    assert (tmp_path / "workspace" / "models").is_dir() and (tmp_path / "workspace" / "runs").is_dir()


@pytest.mark.slow
def test_a_run_outlives_its_event_stream_and_resumes_after_its_server_is_killed(start_studio, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    server, url = start_studio(workspace)
    epochs = 30
    run = httpx.post(url + "api/runs", json={"data": "shapes", "model": "shapes-mlp", "name": "orphan",
                                             "options": {"epochs": epochs}}, timeout=30).json()
    run_dir = workspace / "runs" / run["id"]

    # Follow the run live, then leave the stream after the first epoch: the run goes on.
    seen = []
    with httpx.stream("GET", url + f"api/runs/{run['id']}/events", timeout=60) as stream:
        for line in stream.iter_lines():
            if line.startswith("event: "):
                seen.append(line[len("event: "):])
                if seen[-1] == "epoch":
                    break
    assert seen[:2] == ["plan", "begin"] and seen[-1] == "epoch"
    wait_for(lambda: len(httpx.get(url + f"api/runs/{run['id']}", timeout=10).json()["history"]) >= 2)

    # The server dies without a word; the training process sees it and stops with a checkpoint.
    child = json.loads((run_dir / "run.json").read_text())["pid"]
    server.kill()
    server.wait(10)
    try:
        record = wait_for(lambda: (r := json.loads((run_dir / "run.json").read_text()))["status"] != "running"
                          and not pid_alive(child) and r, timeout=60)
    finally:
        if pid_alive(child):
            os.kill(child, signal.SIGKILL)
    assert record["status"] == "interrupted"
    assert (run_dir / "model.checkpoint").is_dir() and not (workspace / "models" / "orphan").exists()

    # A new server shows the run as interrupted, and resuming it finishes every epoch once.
    with TestClient(create_app(workspace), base_url=BASE_URL) as client:
        shown = client.get(f"/api/runs/{run['id']}").json()
        assert shown["status"] == "interrupted" and 2 <= len(shown["history"]) < epochs
        assert [r["status"] for r in client.get("/api/runs").json()] == ["interrupted"]
        client.post(f"/api/runs/{run['id']}/resume")
        done = wait_for(lambda: (r := client.get(f"/api/runs/{run['id']}").json())["status"] in
                        ("done", "failed", "stopped", "interrupted") and r, timeout=90)
        assert done["status"] == "done", done["error"]
        assert [row["epoch"] for row in done["history"]] == list(range(1, epochs + 1))
        assert client.get("/api/models/orphan").status_code == 200
