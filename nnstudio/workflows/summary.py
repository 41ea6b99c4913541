"""A network's summary: layers, output shapes, parameter counts and training options.

A preset or a spec file is summarized from the spec alone (no torch, so `nnstudio
summary PRESET` starts at once); a model folder is loaded, which checks its weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnstudio.errors import SpecError
from nnstudio.spec import LayerInfo, infer_shapes, load_spec, preset_names
from nnstudio.spec.schema import suggest
from nnstudio.train.config import TrainConfig


@dataclass
class Summary:
    """A network's layers with output shapes and parameter counts."""

    name: str
    input_shape: tuple[int, ...]
    layers: list[LayerInfo]
    class_names: list[str] | None = None
    training: dict[str, Any] = field(default_factory=dict)  # the network's options, or a model's as trained
    spec: dict[str, Any] = field(default_factory=dict)  # the network as spec JSON

    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "layers": [
                {
                    "index": layer.index,
                    "type": layer.type,
                    "output_shape": list(layer.output_shape),
                    "params": layer.params,
                }
                for layer in self.layers
            ],
            "total_params": self.total_params,
            "class_names": self.class_names,
            "training": self.training,
        }


def summarize(ref: str | Path) -> Summary:
    """Summary of a model folder, a spec JSON file or a preset name."""
    path = Path(ref)
    class_names = None
    if path.is_dir():
        from nnstudio.predict import load  # torch: for a trained model only

        model = load(path)
        spec, class_names = model.spec, list(model.class_names)
        config = (model.training or {}).get("config") or spec.training
        defaults = TrainConfig().to_dict()
        training = {k: v for k, v in config.items() if v is not None and k in _SHOWN_OPTIONS
                    and (k in _SHOWN_OPTIONS[:5] or v != defaults.get(k))}
    else:
        try:
            spec = load_spec(ref)
        except SpecError as error:
            if not path.exists() and str(ref) not in preset_names():
                hint = suggest(str(ref), preset_names())
                raise SpecError(
                    f"{ref}: not a model folder, a spec file or a preset; "
                    f"presets: {', '.join(preset_names())}" + (f". help: did you mean {hint!r}?" if hint else "")
                ) from error
            raise
        training = dict(spec.training)
    return Summary(spec.name, tuple(spec.input_shape), infer_shapes(spec), class_names, training, spec.to_dict())


# The options a trained model's summary shows (the rest are rarely changed).
_SHOWN_OPTIONS = ("optimizer", "lr", "epochs", "batch_size", "validation", "patience", "lr_decay", "momentum",
                  "weight_decay", "clip_norm", "label_smoothing", "augment")
