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
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from studio_helpers import studio_client, wait_for

from nnstudio.studio.jobs import pid_alive


@dataclass
class Started:
    """A studio process and what it printed: its address (with ?token=) and that token."""

    process: subprocess.Popen
    printed: str  # the address as printed, to open in a browser
    url: str  # the same address without the token: http://127.0.0.1:PORT/
    token: str | None

    def client(self) -> httpx.Client:
        """Return a client of this studio that sends its token as a bearer header."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@pytest.fixture
def start_studio(tmp_path: Path) -> Iterator:
    """start_studio(workspace, *options) -> Started; every server started is ended after the test."""
    started: list[subprocess.Popen] = []

    def start(workspace: Path, *options: str, env: dict[str, str] | None = None) -> Started:
        process = subprocess.Popen([sys.executable, "-m", "nnstudio", "studio", "--workspace", str(workspace),
                                    "--port", "0", "--no-browser", *options],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env={**os.environ, **(env or {})})
        started.append(process)
        assert process.stdout is not None and process.stderr is not None  # both are pipes
        stdout, stderr = process.stdout, process.stderr
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            first = lines.get(timeout=60)
        except queue.Empty:
            raise AssertionError("the studio printed no URL within 60 s") from None
        found = re.search(r"(http://127\.0\.0\.1:\d+/)(\?token=([\w.~-]+))?(?=\s)", first)
        assert found, f"no URL in {first!r}; stderr: {stderr.read() if process.poll() is not None else ''}"
        return Started(process, found.group(0), found.group(1), found.group(3))

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_the_studio_command_prints_its_url_serves_and_stops_on_ctrl_c(start_studio, tmp_path: Path) -> None:
    studio = start_studio(tmp_path / "workspace")
    process, url = studio.process, studio.url
    assert studio.token and len(studio.token) >= 40  # a random token, printed in the address
    with studio.client() as client:
        page = client.get("/")
        assert page.status_code == 200 and "<html" in page.text.lower()
        presets = client.get("/api/presets")
        assert presets.status_code == 200 and "shapes-mlp" in [p["name"] for p in presets.json()]
        assert client.get("/api/presets", headers={"Host": "evil.example"}).status_code == 403
    assert httpx.get(url + "api/presets", timeout=10).status_code == 401
    # A browser that opens the printed address gets the cookie and the address without the token.
    with httpx.Client(timeout=10) as browser:
        opened = browser.get(studio.printed, headers={"Accept": "text/html"}, follow_redirects=True)
        assert opened.status_code == 200 and "<html" in opened.text.lower()
        assert str(opened.url) == url and browser.get(url + "api/presets").status_code == 200
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    errors = process.stderr.read()
    assert "Traceback" not in errors, errors
    assert "'Authorization: Bearer TOKEN'" in process.stdout.read()  # how scripts send it
    assert (tmp_path / "workspace" / "models").is_dir() and (tmp_path / "workspace" / "runs").is_dir()


def test_a_chosen_token_and_no_token_on_loopback(start_studio, tmp_path: Path) -> None:
    chosen = start_studio(tmp_path / "one", "--token", "my-own.token~1")
    assert chosen.token == "my-own.token~1" and chosen.printed == chosen.url + "?token=my-own.token~1"
    assert httpx.get(chosen.url + "api/presets", headers={"Authorization": "Bearer my-own.token~1"},
                     timeout=10).status_code == 200
    assert httpx.get(chosen.url + "api/presets", headers={"Authorization": "Bearer my-own.token~2"},
                     timeout=10).status_code == 401
    # A token from the environment, where the process list (ps) does not show it.
    hidden = start_studio(tmp_path / "three", env={"NNSTUDIO_TOKEN": "kept-in-env.7"})
    assert hidden.token == "kept-in-env.7"
    assert "kept-in-env.7" not in Path(f"/proc/{hidden.process.pid}/cmdline").read_text()
    assert httpx.get(hidden.url + "api/presets", headers={"Authorization": "Bearer kept-in-env.7"},
                     timeout=10).status_code == 200
    open_one = start_studio(tmp_path / "two", "--no-token")
    assert open_one.token is None and open_one.printed == open_one.url
    assert httpx.get(open_one.url + "api/presets", timeout=10).status_code == 200


@pytest.mark.parametrize(("options", "said"), [
    (["--no-token", "--host", "0.0.0.0"], "--no-token with --host 0.0.0.0"),
    (["--no-token", "--token", "abc"], "--token and --no-token"),
    (["--token", "a b"], "--token 'a b'"),
])
def test_the_studio_refuses_no_token_off_loopback_and_bad_tokens(tmp_path: Path, options: list[str], said: str) -> None:
    done = subprocess.run([sys.executable, "-m", "nnstudio", "studio", "--workspace", str(tmp_path / "w"),
                           "--port", "0", "--no-browser", *options], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and said in lines[0], done.stderr
    assert not (tmp_path / "w").exists()  # refused before anything was made


@pytest.mark.slow
def test_a_run_outlives_its_event_stream_and_resumes_after_its_server_is_killed(start_studio, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    studio = start_studio(workspace)
    server, api = studio.process, studio.client()
    epochs = 30
    run = api.post("api/runs", json={"data": "shapes", "model": "shapes-mlp", "name": "orphan",
                                     "options": {"epochs": epochs}}).json()
    run_dir = workspace / "runs" / run["id"]

    # Follow the run live, then leave the stream after the first epoch: the run goes on.
    seen = []
    with api.stream("GET", f"api/runs/{run['id']}/events", timeout=60) as stream:
        for line in stream.iter_lines():
            if line.startswith("event: "):
                seen.append(line[len("event: "):])
                if seen[-1] == "epoch":
                    break
    assert seen[:2] == ["plan", "begin"] and seen[-1] == "epoch"
    wait_for(lambda: len(api.get(f"api/runs/{run['id']}").json()["history"]) >= 2)
    api.close()

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
    with studio_client(workspace) as client:
        shown = client.get(f"/api/runs/{run['id']}").json()
        assert shown["status"] == "interrupted" and 2 <= len(shown["history"]) < epochs
        assert [r["status"] for r in client.get("/api/runs").json()] == ["interrupted"]
        client.post(f"/api/runs/{run['id']}/resume")
        done = wait_for(lambda: (r := client.get(f"/api/runs/{run['id']}").json())["status"] in
                        ("done", "failed", "stopped", "interrupted") and r, timeout=90)
        assert done["status"] == "done", done["error"]
        assert [row["epoch"] for row in done["history"]] == list(range(1, epochs + 1))
        assert client.get("/api/models/orphan").status_code == 200
