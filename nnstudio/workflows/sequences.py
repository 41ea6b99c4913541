"""Sequence jobs: train a network on the built-in `sequences` set, predict next terms.

    >>> from nnstudio.workflows.sequences import train_sequences, predict_next_terms
    >>> model = train_sequences(out="runs/seq", epochs=30)
    >>> predict_next_terms("runs/seq", ["2 4 6 8"])[0]["value"]
    10
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.data.sequence_prep import SequencePreparation
from nnstudio.data.sequences import load_sequences, parse_sequence, read_sequence_file
from nnstudio.errors import DataError, ModelFileError, TrainingError
from nnstudio.model import build_model
from nnstudio.predict import Model, load
from nnstudio.spec import Spec, load_spec
from nnstudio.store import save_model, training_record
from nnstudio.train import TrainConfig
from nnstudio.train.sequences import fit_sequences, predict_next

DEFAULT_NETWORK = "sequence-lstm"


def output_names(prep: SequencePreparation) -> list[str]:
    """Names of the network's outputs: the weights of the newest differences d1, d2, ..."""
    return [f"d{k}" for k in range(1, prep.order + 1)]


def train_sequences(*, out: str | Path, model: str | Path | dict | Spec | None = None, samples: int | None = None,
                    overwrite: bool = False, callbacks: Sequence[Any] = (), **options: Any) -> Model:
    """Train a network (default: the sequence-lstm preset) on the built-in sequences
    (60,000 by default, or `samples`) and save it in the folder `out`; return the Model."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise TrainingError(f"{out}: exists already. help: add --overwrite to replace it, or choose another --out")
    spec = load_spec(model if model is not None else DEFAULT_NETWORK)
    prep = SequencePreparation()
    config = TrainConfig.from_options(spec.training, **{k: v for k, v in options.items() if v is not None})
    data = load_sequences("train", count=samples, seed=config.seed)
    network = build_model(spec, seed=config.seed)
    history = fit_sequences(network, data, prep, config, list(callbacks))
    record = training_record(config, history, data="sequences")
    save_model(out, network, class_names=output_names(prep), preparation=prep, training=record)
    return load(out)


def sequence_preparation(model: Model) -> SequencePreparation:
    """Return the model's sequence preparation; ModelFileError for a model of another kind."""
    if not isinstance(model.preparation, SequencePreparation):
        raise ModelFileError(f"{model.path or model.spec.name}: not a sequence model (it was trained on images or "
                             "numbers); help: train one with: nnstudio train --data sequences --out MODEL")
    return model.preparation


def read_sequence_inputs(inputs: Sequence[str]) -> list[tuple[str, list[int]]]:
    """Return (label, terms) for each input: a text file of one sequence a line, or a sequence as text."""
    rows: list[tuple[str, list[int]]] = []
    for number, item in enumerate(inputs, 1):
        if Path(item).is_file():
            rows.extend(read_sequence_file(item))
        else:
            rows.append((item, parse_sequence(item, f"input {number}")))
    if not rows:
        raise DataError("no sequence given; allowed: sequences such as \"2 4 6 8\" or text files of one a line")
    return rows


def predict_next_terms(model: str | Path | Model, inputs: Sequence[str]) -> list[dict[str, Any]]:
    """Return {"input": terms, "value": next term (rounded)} for each sequence in inputs."""
    loaded = model if isinstance(model, Model) else load(model)
    prep = sequence_preparation(loaded)
    rows = read_sequence_inputs(inputs)
    for where, terms in rows:
        if len(terms) > prep.steps:
            raise DataError(f"{where}: {len(terms)} terms; allowed: at most {prep.steps} for this model")
    values = predict_next(loaded.network, prep, [terms for _, terms in rows])
    return [{"input": terms, "value": int(np.rint(value))} for (_, terms), value in zip(rows, values)]
