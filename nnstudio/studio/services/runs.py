"""Trainings in the workspace: check what to train and queue it, list and describe runs
(status, plan, history), stop, resume and delete them. Plain arguments in, plain data
out: no HTTP here; the training itself runs in jobs.py's child processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nnstudio.spec import Spec, fit_spec_to_data, get_preset, load_spec
from nnstudio.studio.jobs import FINAL, read_events
from nnstudio.studio.services.datasets import check_fits_data, data_sample, default_network
from nnstudio.studio.state import StudioState
from nnstudio.studio.workspace import RUN_JSON, Conflict, check_name, read_json
from nnstudio.train import TrainConfig


def start_run(state: StudioState, data: str, model: str | dict[str, Any] | None, options: dict[str, Any],
              name: str | None = None, per_class: int | None = None) -> dict[str, Any]:
    """Check the data, network and options, then queue the training (it starts when a
    slot is free: at once when no other run trains); return the run as `describe` shows it."""
    data_path = training_data(state, data)
    spec = network_for(state, model, data, per_class)
    TrainConfig.from_options(spec.training, **options)  # TrainingError before any process starts
    with state.jobs.lock:  # two requests at once never get the same model name
        saved_as = model_name(state, name, data, spec.name)
        record = state.jobs.create(data, data_path, spec.to_dict(), options, saved_as, threads=state.threads,
                                   per_class=per_class)
    return describe(state, record)


def training_data(state: StudioState, data: str) -> str:
    """Return what train_model reads for a built-in or workspace dataset."""
    if state.space.is_builtin(data):
        return data
    folder = state.space.dataset_dir(data)
    from nnstudio.data.folders import find_images

    find_images(folder)  # DataError when a class has no sample yet
    return str(folder)


def network_for(state: StudioState, model: str | dict[str, Any] | None, data: str,
                per_class: int | None = None) -> Spec:
    """Return the network to train: the data's default network (spec.fitting's choice, as
    `nnstudio train` makes it), a preset fitted to the data, or a spec the user designed,
    checked as it is. A network that cannot train on the data is refused here, in the
    trainer's words (a TrainingError), before any process starts."""
    if model is None:
        return default_network(state, data, per_class).spec
    if isinstance(model, str):
        preset = get_preset(model)  # SpecError with the list of presets and a hint, before the data is read
        sample = data_sample(state, data, None)
        spec = fit_spec_to_data(preset, sample.input_shape, sample.num_classes)
    else:
        spec = load_spec(model)
    check_fits_data(state, data, spec)
    return spec


def model_name(state: StudioState, wanted: str | None, data: str, network: str) -> str:
    """Return the model's name: wanted (Conflict when taken), else the first free data-network-N.
    A name is taken by a model in models/ or by a run that may still save under it."""
    held = names_held(state)
    if wanted is not None:
        if state.space.model_dir(wanted, must_exist=False).exists():
            raise Conflict(f"model name {wanted!r} is taken. help: choose another or delete that model")
        if wanted in held:
            raise Conflict(f"model name {wanted!r} is taken by run {held[wanted]}, which saves its model under "
                           "that name. help: choose another name, or delete that run")
        return check_name(wanted, "model")
    for n in range(1, 10_000):
        name = f"{data}-{network}-{n}"
        if name not in held and not state.space.model_dir(name, must_exist=False).exists():
            return check_name(name, "model")
    raise Conflict("no free model name")


def names_held(state: StudioState) -> dict[str, str]:
    """Return model name -> run id for every run that has not saved its model yet (it
    may: a queued, running or resumable run), so two runs never show the same name."""
    held = {}
    for path in state.space.runs.glob(f"*/{RUN_JSON}"):
        record = read_json(path)
        if record.get("id") and not record.get("model") and record.get("model_name"):
            held[record["model_name"]] = record["id"]
    return held


def list_runs(state: StudioState) -> list[dict[str, Any]]:
    """Return every run in the workspace, newest first, with its status, queue place and last epoch."""
    records = [read_json(path) for path in state.space.runs.glob(f"*/{RUN_JSON}")]
    records = [r for r in records if r.get("id")]
    records.sort(key=lambda r: r.get("created", 0), reverse=True)
    places = state.jobs.positions()
    return [describe(state, r, full=False, places=places) for r in records]


def run_detail(state: StudioState, run_id: str) -> dict[str, Any]:
    """Return one run: status (and place in the queue), data, spec, the options asked for
    and the plan it trains with, history so far, progress, model, error and its short reason."""
    return describe(state, read_json(state.space.run_dir(run_id) / RUN_JSON))


def describe(state: StudioState, record: dict[str, Any], full: bool = True,
             places: dict[str, int] | None = None) -> dict[str, Any]:
    """Return the run as the API shows it, with the status as it is now. "plan" is the
    options the run trains with once the network's and the data-fitted defaults are
    applied, as train_model reported them (None before the run has started)."""
    run_dir = state.space.run_dir(record["id"], must_exist=False)
    events, _ = read_events(run_dir)
    history: dict[int, dict[str, Any]] = {}
    begin, last_batch, plan = None, None, None
    for event in events:
        if event["kind"] == "epoch":
            history[int(event["epoch"])] = strip(event)
        elif event["kind"] == "begin":
            begin = strip(event)
        elif event["kind"] == "batch":
            last_batch = strip(event)
        elif event["kind"] == "plan":
            plan = event
    rows = [history[k] for k in sorted(history)]
    status = state.jobs.status(record)
    if places is None:
        places = state.jobs.positions() if status == "queued" else {}
    answer = {"id": record["id"], "status": status, "data": record.get("data"),
              "network": (record.get("spec") or {}).get("name"), "options": record.get("options", {}),
              "plan": plan_of(plan, begin),
              "model": record.get("model"), "model_name": record.get("model_name"), "error": record.get("error"),
              "reason": record.get("reason") if status == "failed" else None,
              "queue_position": places.get(record["id"]) if status == "queued" else None,
              "device": record.get("device"), "created": record.get("created"),
              "epochs": (begin or {}).get("epochs"), "last": rows[-1] if rows else None}
    if full:
        answer.update(history=rows, spec=record.get("spec"), begin=begin, batch=last_batch,
                      per_class=record.get("per_class"), plan_reasons=(plan or {}).get("reasons", {}),
                      plan_lines=(plan or {}).get("lines", []))
    return answer


def plan_of(plan: dict[str, Any] | None, begin: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the options a run trains with: its plan report's, with the learning rate in
    force (the begin report's options for a run older than plan reports)."""
    if plan is not None:
        return {**plan["config"], "learning_rate": plan.get("learning_rate")}
    return (begin or {}).get("config")


def strip(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k != "kind"}


def run_status(state: StudioState, run_dir: Path) -> str:
    """Return the status of the run in run_dir as it is now."""
    return state.jobs.status(read_json(run_dir / RUN_JSON))


def stop_run(state: StudioState, run_id: str) -> dict[str, Any]:
    """Ask the run to stop at its next batch; it keeps a checkpoint and can be resumed. A
    queued run leaves the queue at once ("stopped"), never started. Conflict when it is over."""
    status = run_status(state, state.space.run_dir(run_id))
    if status in FINAL:
        raise Conflict(f"run {run_id!r} is {status}, not training")
    return {"id": run_id, "status": state.jobs.stop(run_id), "stop_requested": True}


def resume_run(state: StudioState, run_id: str) -> dict[str, Any]:
    """Queue a stopped, interrupted or failed run again (it continues from its checkpoint); return it."""
    state.jobs.resume(run_id)
    return run_detail(state, run_id)


def delete_run(state: StudioState, run_id: str) -> None:
    """Delete a finished or queued run's folder (its saved model stays)."""
    state.jobs.delete(run_id)
