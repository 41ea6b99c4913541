"""The studio under load: a real server process, measured from outside as a user's browser
and scripts would see it.

- prediction through the API for one 50x50 letter (PNG body), 16 concurrent clients,
  while a letters-cnn training runs in the same studio: p50, p99, errors;
- from a report written by the training process to its arrival on the page's event
  stream (the chart draws what arrives);
- first page load in Chromium: navigation until the page says it is ready;
- training through the studio against `nnstudio train` with the same options, both
  timed as wholes (start to saved model), interleaved.

    .venv/bin/python bench/studio_speed.py [--clients 16] [--seconds 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from machine import machine_line, percentile

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TRAIN_OPTIONS = {"epochs": 2, "seed": 0}
TRAIN_PER_CLASS = 200


class Studio:
    """`nnstudio studio` as a child process on a free port of 127.0.0.1; url is its address
    without the access token, token the token it printed."""

    def __init__(self, workspace: Path, threads: int) -> None:
        command = [sys.executable, "-m", "nnstudio", "--threads", str(threads), "studio", "--workspace",
                   str(workspace), "--port", "0", "--no-browser"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline() if self.process.stdout else ""
        if "http://" not in line:
            raise RuntimeError(f"the studio did not start: {line!r}")
        printed = "http://" + line.split("http://", 1)[1].split()[0]
        address, _, self.token = printed.partition("/?token=")
        if not self.token:
            raise RuntimeError(f"the studio printed no token: {line!r}")
        self.url = address.rstrip("/")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def letter_pngs(n: int) -> list[bytes]:
    """Return n generated letters as PNG files (dark ink on white), as a canvas would send."""
    from nnstudio.data import load_dataset

    data = load_dataset("letters", part="test", per_class=max(1, -(-n // 26)))
    pngs = []
    for x in data.floats(slice(0, n)):
        out = io.BytesIO()
        Image.fromarray(((1.0 - x[0]) * 255).astype(np.uint8), "L").resize((280, 280)).save(out, "PNG")
        pngs.append(out.getvalue())
    return pngs


def wait_run(client: httpx.Client, run_id: str, timeout: float = 900.0) -> dict:
    """Poll the run until it is over; return its record."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = client.get(f"/api/runs/{run_id}").json()
        if record["status"] not in ("queued", "running"):
            return record
        time.sleep(0.2)
    raise TimeoutError(f"run {run_id} still training after {timeout} s")


def bearer(token: str) -> dict[str, str]:
    """Return the header a script sends the studio's access token in."""
    return {"Authorization": f"Bearer {token}"}


def follow_events(url: str, token: str, run_id: str, delays: list[float], stop: threading.Event) -> None:
    """Read the run's event stream; record how long each report took to arrive."""
    with httpx.Client(base_url=url, headers=bearer(token), timeout=None) as client:
        with client.stream("GET", f"/api/runs/{run_id}/events") as stream:
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    if event.get("kind") in ("batch", "epoch") and "time" in event:
                        delays.append(time.time() - float(event["time"]))
                if line.startswith("event: end") or stop.is_set():
                    return


def predict_load(url: str, token: str, model: str, pngs: list[bytes], clients: int, seconds: float,
                 every: float = 0.0) -> tuple[list[float], int]:
    """Return (latencies, errors) of `clients` connections posting letters for `seconds`:
    each one request every `every` seconds (a person drawing), or back to back when 0.

    The clients run in a process of their own, as browsers would, on asyncio streams:
    a client costs about 0.1 ms of CPU per request, so on a 2-core machine the clients
    take little from the server they measure (threads of this process, through httpx,
    cost more than the server's own work and queued behind one interpreter lock)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(load_process, (url, token, model, pngs, clients, seconds, every))


def load_process(url: str, token: str, model: str, pngs: list[bytes], clients: int, seconds: float,
                 every: float) -> tuple[list[float], int]:
    return asyncio.run(paced_clients(url, token, model, pngs, clients, seconds, every))


async def paced_clients(url: str, token: str, model: str, pngs: list[bytes], clients: int, seconds: float,
                        every: float) -> tuple[list[float], int]:
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    def request(png: bytes) -> bytes:
        head = (f"POST /api/models/{model}/predict HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: image/png\r\nContent-Length: {len(png)}\r\n\r\n")
        return head.encode("ascii") + png

    async def client(k: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        i = k
        await asyncio.sleep(every * k / clients)  # paced clients start spread over one interval
        while time.monotonic() < deadline:
            started = time.perf_counter()
            writer.write(request(pngs[i % len(pngs)]))
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            body = await reader.readexactly(length)
            took = time.perf_counter() - started
            if head.startswith(b"HTTP/1.1 200") and json.loads(body).get("predictions"):
                latencies.append(took)
            else:
                errors += 1
            i += clients
            if every:
                await asyncio.sleep(max(0.0, every - took))
        writer.close()

    await asyncio.gather(*(client(k) for k in range(clients)))
    return latencies, errors


def server_cpu_per_prediction(url: str, token: str, pid: int, pngs: list[bytes], n: int = 400) -> float:
    """Return the server process's CPU seconds per prediction: n requests one after the
    other on one connection, its user + system time read from /proc before and after
    (Linux). Unlike a latency, this does not depend on what else the machine runs."""
    import http.client
    import os

    def cpu_seconds() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    host, port = url.split("//", 1)[1].rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port))
    headers = {"content-type": "image/png", **bearer(token)}
    for i in range(n + 20):
        if i == 20:  # the first ones load the model and warm the caches
            before = cpu_seconds()
        connection.request("POST", "/api/models/letters/predict", body=pngs[i % len(pngs)], headers=headers)
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"prediction failed: {answer.status}")
    connection.close()
    return (cpu_seconds() - before) / n


def page_loads(url: str, token: str, repeats: int) -> list[float]:
    """Return seconds from navigation to data-ready="true", each in a fresh browser page
    (a fresh context: each one opens the printed address, token and redirect included)."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeats):
            page = browser.new_page()
            started = time.perf_counter()
            page.goto(f"{url}/?token={token}")
            page.wait_for_selector('body[data-ready="true"]', timeout=30_000)
            times.append(time.perf_counter() - started)
            page.close()
        browser.close()
    return times


def studio_training(client: httpx.Client, name: str) -> float:
    """Return the seconds from asking the studio for a letters-cnn run to its saved model."""
    started = time.perf_counter()
    run = client.post("/api/runs", json={"data": "letters", "model": "letters-cnn", "name": name,
                                         "per_class": TRAIN_PER_CLASS, "options": TRAIN_OPTIONS}).json()
    record = wait_run(client, run["id"])
    if record["status"] != "done":
        raise RuntimeError(f"studio run failed: {record.get('error')}")
    return time.perf_counter() - started


def cli_training(out: Path, threads: int) -> float:
    """Return the wall seconds of the same training through `nnstudio train`."""
    command = [sys.executable, "-m", "nnstudio", "--threads", str(threads), "train", "--data", "letters",
               "--model", "letters-cnn", "--per-class", str(TRAIN_PER_CLASS), "--out", str(out), "--quiet",
               *[f"--{k.replace('_', '-')}={v}" for k, v in TRAIN_OPTIONS.items()]]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--every", type=float, default=0.25,
                        help="seconds between one client's requests, as a person drawing sends them [0.25]")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of every training [1]")
    args = parser.parse_args()
    print("\n".join(table(args.clients, args.seconds, args.every, args.repeats, args.threads)))


def table(clients: int = 16, seconds: float = 20.0, every: float = 0.25, repeats: int = 3,
          threads: int = 1) -> list[str]:
    """Start a studio on a new workspace with a trained letters model, measure; return markdown lines."""
    import torch

    from nnstudio.workflows import train_model

    before = torch.get_num_threads()  # put back after: the sections measured later run on it
    torch.set_num_threads(threads)
    args = argparse.Namespace(clients=clients, seconds=seconds, every=every, repeats=repeats, threads=threads)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workspace = Path(tmp) / "workspace"
            train_model("letters", out=workspace / "models" / "letters", per_class=100, epochs=1)
            studio = Studio(workspace, threads)
            try:
                return measure(studio.url, studio.token, args, Path(tmp), studio.process.pid)
            finally:
                studio.close()
    finally:
        torch.set_num_threads(before)


def measure(url: str, token: str, args: argparse.Namespace, tmp: Path, pid: int) -> list[str]:
    """Run every measurement against the studio at url (process pid); return the markdown lines."""
    pngs = letter_pngs(64)
    cpu = server_cpu_per_prediction(url, token, pid, pngs)  # idle studio: no training yet
    with httpx.Client(base_url=url, headers=bearer(token), timeout=60.0) as client:
        run = client.post("/api/runs", json={"data": "letters", "model": "letters-cnn", "name": "busy",
                                             "options": {"epochs": 50}}).json()
        while not client.get(f"/api/runs/{run['id']}").json().get("batch"):
            time.sleep(0.2)  # the training is generating letters, then starts its batches
        delays: list[float] = []
        stop = threading.Event()
        follower = threading.Thread(target=follow_events, args=(url, token, run["id"], delays, stop), daemon=True)
        follower.start()
        latencies, errors = predict_load(url, token, "letters", pngs, args.clients, args.seconds, args.every)
        flat_out, flat_errors = predict_load(url, token, "letters", pngs, args.clients, args.seconds / 2)
        stop.set()
        client.post(f"/api/runs/{run['id']}/stop")
        wait_run(client, run["id"])
        loads = page_loads(url, token, args.repeats)
        studio_s, cli_s = [], []
        for k in range(args.repeats):
            studio_s.append(studio_training(client, f"timed-{k}"))
            cli_s.append(cli_training(tmp / f"cli-{k}", args.threads))
    ms = [t * 1000 for t in latencies]
    flat_ms = [t * 1000 for t in flat_out]
    ratio = statistics.median(studio_s) / statistics.median(cli_s)
    return [
        f"{machine_line()}; measured {time.strftime('%Y-%m-%d')} with "
        f"`python bench/studio_speed.py --clients {args.clients} --seconds {args.seconds:g} "
        f"--every {args.every:g} --repeats {args.repeats}`",
        "",
        "| measure | result | goal |",
        "|---|---:|---:|",
        f"| predict one 50x50 letter (PNG) through the API, {args.clients} clients each drawing a request "
        f"every {args.every:g} s, letters-cnn training meanwhile: p50 | {percentile(ms, 50):.1f} ms | ≤ 20 ms |",
        f"| same, p99 ({len(ms):,} requests, {errors} errors) | {percentile(ms, 99):.1f} ms | ≤ 60 ms |",
        f"| same {args.clients} clients back to back (the most the machine serves): p50 / p99, requests per "
        f"second, errors | {percentile(flat_ms, 50):.0f} / {percentile(flat_ms, 99):.0f} ms, "
        f"{len(flat_ms) / (args.seconds / 2):.0f}/s, {flat_errors} | |",
        f"| server CPU time per prediction (400 one after another, idle studio) | {cpu * 1000:.2f} ms | |",
        f"| training report to the page's event stream: median (max) over {len(delays)} reports | "
        f"{statistics.median(delays) * 1000:.0f} ms ({max(delays) * 1000:.0f} ms) | ≤ 1 s |",
        f"| first page load to ready, Chromium (median of {len(loads)}) | "
        f"{statistics.median(loads) * 1000:.0f} ms | ≤ 1 s |",
        f"| letters-cnn, {TRAIN_PER_CLASS} per class, {TRAIN_OPTIONS['epochs']} epochs: studio run / "
        f"`nnstudio train` (medians {statistics.median(studio_s):.1f} s / {statistics.median(cli_s):.1f} s) | "
        f"{ratio:.3f} | ≤ 1.05 |",
    ]


if __name__ == "__main__":
    main()
