"""nnstudio: build, train, test, draw and explore small image-recognition networks.

>>> import nnstudio
>>> data = nnstudio.load_dataset("shapes")
>>> network = nnstudio.build_model(nnstudio.load_spec("shapes-mlp"), seed=0)
>>> history = nnstudio.fit(network, data, nnstudio.TrainConfig(epochs=3, batch_size=1))
>>> len(history)
3

The names below are imported on first use, so ``import nnstudio`` stays quick
(torch loads only when a function that needs it is called).
"""

from __future__ import annotations


from nnstudio.lazy import lazy_attributes

from nnstudio import errors
from nnstudio.errors import (
    DataError,
    DrawError,
    ModelFileError,
    NnstudioError,
    SpecError,
    TrainingError,
)

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "load": "nnstudio.predict",
    "Model": "nnstudio.predict",
    "Prediction": "nnstudio.predict",
    "save_model": "nnstudio.store",
    "load_model": "nnstudio.predict",
    "fit": "nnstudio.train",
    "evaluate": "nnstudio.train",
    "Evaluation": "nnstudio.train",
    "History": "nnstudio.train",
    "TrainConfig": "nnstudio.train",
    "load_dataset": "nnstudio.data",
    "Dataset": "nnstudio.data",
    "Preparation": "nnstudio.data",
    "prepare_image": "nnstudio.data",
    "load_spec": "nnstudio.spec",
    "Spec": "nnstudio.spec",
    "build_model": "nnstudio.model",
}

__all__ = [
    "DataError",
    "DrawError",
    "ModelFileError",
    "NnstudioError",
    "SpecError",
    "TrainingError",
    "__version__",
    "errors",
    *sorted(_LAZY),
]


__getattr__, __dir__ = lazy_attributes("nnstudio", globals(), _LAZY)
