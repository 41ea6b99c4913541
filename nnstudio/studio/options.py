"""The studio's request models, generated from the training options' one declaration.

TrainConfig declares each option once (bounds, choices, default, help); the pydantic
model below is built from ``option_specs()``, so a bound or a choice is never written
here a second time. Every option may be left out: the network's own defaults apply.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from nnstudio.train.config import option_specs


def option_field(spec: Any) -> tuple[Any, Any]:
    """Return (type, Field) for one OptionSpec, with its bounds and help."""
    if spec.choices is not None:
        kind: Any = Literal[tuple(spec.choices)]
    else:
        kind = spec.kind
    bounds: dict[str, Any] = {}
    if spec.low is not None:
        bounds["gt" if spec.low_open else "ge"] = spec.low
    if spec.high is not None:
        bounds["lt" if spec.high_open else "le"] = spec.high
    return (kind | None, Field(None, description=f"{spec.help} Default: {spec.default!r}.", **bounds))


TrainOptions: Any = create_model(  # type: ignore[call-overload]  # fields built at run time
    "TrainOptions",
    __config__=ConfigDict(extra="forbid"),
    **{spec.name: option_field(spec) for spec in option_specs()},
)
TrainOptions.__doc__ = "Training options (TrainConfig's fields); those left out take the network's defaults."


class RunRequest(BaseModel):
    """POST /api/runs: what to train on, which network, how, and the model's name."""

    model_config = ConfigDict(extra="forbid")

    data: str = Field(..., description="A built-in dataset (shapes, letters, digits, mnist) or a workspace dataset.")
    model: str | dict[str, Any] | None = Field(None, description="A preset name or a spec object; default: "
                                                                "the data's own network.")
    options: TrainOptions = Field(default_factory=TrainOptions)
    name: str | None = Field(None, description="Name of the saved model (default: data-network-N).")
    per_class: int | None = Field(None, ge=1, le=100_000, description="Samples per class of a built-in dataset.")


def option_table() -> list[dict[str, Any]]:
    """Return every option as JSON for the training form."""
    table = []
    for spec in option_specs():
        table.append({"name": spec.name, "kind": spec.kind.__name__, "default": spec.default, "help": spec.help,
                      "choices": list(spec.choices) if spec.choices else None, "low": spec.low, "high": spec.high,
                      "low_open": spec.low_open, "high_open": spec.high_open, "optional": spec.optional,
                      "allowed": spec.allowed()})
    return table
