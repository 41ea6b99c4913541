"""A saved model as an ONNX file, for runtimes without Python or nnstudio.

The exported graph takes a float32 batch (N, *input_shape) named "input" (N may vary)
and returns "probabilities" (N, classes): softmax applied, exactly what
Model.probabilities gives. Inputs must be prepared first (Model.prepare); the
preparation and class names are stored in the file's metadata, so a user of the file
knows how to feed it and how to read its answer.
"""

from __future__ import annotations

import json
import contextlib
import logging
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from nnstudio.errors import ModelFileError
from nnstudio.files import write_atomically

log = logging.getLogger(__name__)

OPSET = 18
INPUT_NAME = "input"
OUTPUT_NAME = "probabilities"
EXPORT_LOCK = threading.Lock()  # the exporter traces through global state: one export at a time


class Probabilities(torch.nn.Module):
    """The network followed by softmax: (N, *input_shape) -> (N, classes)."""

    def __init__(self, network: torch.nn.Module) -> None:
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.network(x), dim=1)


def onnx_bytes(model: Any) -> bytes:
    """Return the ONNX file of a loaded nnstudio.predict.Model as bytes."""
    import copy

    # A copy on the CPU in eval mode: the loaded model may be answering predictions in
    # other threads, and export must not switch its modes under them.
    if getattr(model.preparation, "to_dict", None) and model.preparation.to_dict().get("kind") == "sequence":
        raise ModelFileError(f"model {model.spec.name!r}: a sequence model answers with weights of the last terms, "
                             "which the ONNX file's probabilities cannot express; export is for classifiers. "
                             "help: use nnstudio predict for sequences")
    network = copy.deepcopy(model.network).to("cpu").eval()
    wrapped = Probabilities(network).eval()
    example = torch.zeros((2, *model.spec.input_shape), dtype=torch.float32)  # (N, *input_shape)
    batch = torch.export.Dim("batch", min=1, max=1 << 20)
    try:
        with EXPORT_LOCK, quiet_exporter(), torch.no_grad():
            program = torch.onnx.export(wrapped, (example,), dynamo=True, opset_version=OPSET,
                                        input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                                        dynamic_shapes=({0: batch},), verbose=False)
            if program is None:  # pragma: no cover - the dynamo exporter always returns one
                raise ModelFileError("ONNX export returned nothing")
            proto = program.model_proto
    except ModelFileError:
        raise
    except Exception as error:  # noqa: BLE001 - the exporter raises many types
        log.debug("ONNX export failed", exc_info=True)
        raise ModelFileError(f"model {model.spec.name!r}: ONNX export failed ({' '.join(str(error).split())[:300]})") \
            from error
    metadata = {"nnstudio.spec": json.dumps(model.spec.to_dict()),
                "nnstudio.class_names": json.dumps(list(model.class_names)),
                "nnstudio.preparation": json.dumps(model.preparation.to_dict() if model.preparation else None)}
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    return proto.SerializeToString()


@contextlib.contextmanager
def quiet_exporter() -> Iterator[None]:
    """Silence the exporter's notes on its own internals (missing torchvision operators,
    tracing steps): they say nothing about the user's model. Errors still raise."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch._dynamo", "torch.export", "onnxscript")]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


def export_onnx(model: Any, path: str | Path) -> Path:
    """Write model (a loaded Model, or a model folder path) as an ONNX file at path,
    atomically (a reader sees no half-written file). Return the path."""
    if isinstance(model, (str, Path)):
        from nnstudio.predict import load

        model = load(model)
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"{path}: is a folder; give the ONNX file's name, e.g. {path / 'model.onnx'}")
    if not path.parent.is_dir():
        raise ModelFileError(f"{path}: folder {path.parent} does not exist")
    return write_atomically(path, onnx_bytes(model))
