"""nnstudio's error types, and the one template their messages are written in.

Every problem a user can cause (a bad file, a bad spec, a bad option) raises one of
these. An error carries its parts as fields: `where` (file, line, layer index, field),
`given` (the value at fault), `allowed` (what would have been accepted) and `hint` (what
to do). `format_message` writes the one-line message from them, so code that needs a
part (the studio pointing at a layer, the CLI naming an option's flag) reads the field
instead of parsing the text. The CLI prints the message as one line; the studio answers
HTTP 422 with the message and the fields (`error_fields`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Where:
    """Where a problem is: a file (or a named thing such as ``spec 'tiny'``), its line and
    column, a layer's index and type, a field, a training option. Any part may be None."""

    file: str | None = None  # a path, or a name when the problem is not in a file ("spec 'tiny'", "dataset 'x'")
    line: int | None = None  # 1-based, as editors count
    column: int | None = None
    layer: int | None = None  # index in the spec's "layers" list
    layer_type: str | None = None
    field: str | None = None  # a layer's field, or a top-level key of a spec
    option: str | None = None  # a training option's name
    subject: str | None = None  # what the field belongs to when there is no file: "spec" in "spec field 'x'"

    def at(self, **parts: Any) -> Where:
        """Return a copy with `parts` (any of the fields above) set."""
        return replace(self, **parts)

    def __str__(self) -> str:
        text = self.file or ""
        if text and self.line is not None:
            text += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        if self.layer is not None:
            text = f"{text}: layer {self.layer}" if text else f"layer {self.layer}"
            if self.layer_type:
                text += f" ({self.layer_type})"
        if self.field is not None:
            if text:
                text += f", field '{self.field}'"
            else:
                text = f"{self.subject} field '{self.field}'" if self.subject else f"field '{self.field}'"
        elif not text and self.subject:
            text = self.subject
        if self.option is not None:
            text = f"{text}, option '{self.option}'" if text else f"option '{self.option}'"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Return the parts as a JSON-ready dict (every key present, None where unknown)."""
        return {"file": self.file, "line": self.line, "column": self.column, "layer": self.layer,
                "layer_type": self.layer_type, "field": self.field, "option": self.option}


NOWHERE = Where()
_UNSET: Any = object()  # `given` left out: the value at fault is not known or not meaningful


def format_message(problem: str, where: Where | None = None, allowed: str | None = None,
                   hint: str | None = None) -> str:
    """Return the one-line message: ``WHERE: PROBLEM; allowed: ALLOWED`` and the hint.

    A problem written as a sentence (ending in ".") is followed by ``help: HINT``; a
    short phrase gets its hint in parentheses: ``... (help: HINT)``."""
    place = str(where) if where is not None else ""
    message = f"{place}: {problem}" if place else problem
    if allowed:
        message += f"; allowed: {allowed}"
    if hint:
        message += f" help: {hint}" if message.endswith(".") else f" (help: {hint})"
    return message


def one_line(error: BaseException) -> str:
    """Return an error's message on one line, as the CLI and the studio show it (its
    type's name when it has no message)."""
    return " ".join(str(error).split()) or type(error).__name__


class NnstudioError(ValueError):
    """Base of every error caused by user input.

    Built from parts (``SpecError("missing required field", where=Where(...),
    allowed="...")``) its message is `format_message` of them. A message written out
    whole is kept as it is; its fields are then whatever the raise site passed. When the
    problem's own words say where and what is allowed (``"The data 'x' has 3 classes but
    the last Dense layer ... has 5 units."``), `worded` keeps `where` and `allowed` out of
    the text and in the fields only: only the hint is added."""

    def __init__(self, problem: str = "", *, where: Where | None = None, given: Any = _UNSET,
                 allowed: str | None = None, hint: str | None = None, worded: bool = False) -> None:
        self.problem = problem
        self.where = where if where is not None else NOWHERE
        self.given = given
        self.allowed = allowed
        self.hint = hint
        self.worded = worded
        super().__init__(self.with_hint(hint) if problem else "")

    def __reduce__(self) -> tuple[Any, ...]:
        # Keeps the fields across processes (a training's child sends its error back).
        if not self.problem:
            return (type(self), self.args)
        parts = {"where": self.where, "allowed": self.allowed, "hint": self.hint,
                 "worded": self.worded}
        if self.has_given:
            parts["given"] = self.given
        return (_rebuild, (type(self), self.problem, parts))

    @property
    def has_given(self) -> bool:
        """True when the raise site named the value at fault (it may be None itself)."""
        return self.given is not _UNSET

    def reason(self) -> str:
        """Return the message without its place: what is wrong, what is allowed and the
        hint, for a list that names each place itself (a folder's bad images)."""
        if self.worded or not self.problem:
            return str(self)
        return format_message(self.problem, None, self.allowed, self.hint)

    def with_hint(self, hint: str | None) -> str:
        """Return the message as it would read with another hint (the CLI names flags in it)."""
        if self.worded:
            return format_message(self.problem, None, None, hint)
        return format_message(self.problem, self.where, self.allowed, hint)


def _rebuild(cls: type[NnstudioError], problem: str, parts: dict[str, Any]) -> NnstudioError:
    return cls(problem, **parts)


def error_fields(error: BaseException) -> dict[str, Any]:
    """Return {"error": message, "where", "given", "allowed", "hint"} for a JSON answer.
    "where" has every part of Where (None where unknown); "given" is null when not known."""
    fields: dict[str, Any] = {"error": one_line(error)}
    if isinstance(error, NnstudioError):
        fields.update(where=error.where.to_dict(), given=jsonable(error.given) if error.has_given else None,
                      allowed=error.allowed, hint=error.hint)
    else:
        fields.update(where=NOWHERE.to_dict(), given=None, allowed=None, hint=None)
    return fields


def jsonable(value: Any) -> Any:
    """Return `value` as JSON can carry it: containers recursively, numbers that are not
    finite and anything else as its repr."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        return jsonable(value.item())  # a numpy or torch scalar
    return repr(value)


class DataError(NnstudioError):
    """A dataset, training file, image or image folder cannot be used."""


class SpecError(NnstudioError):
    """A network spec is malformed or inconsistent."""


class ModelFileError(NnstudioError):
    """A saved model folder is missing, damaged or unsafe."""


class TrainingError(NnstudioError):
    """Training cannot start or cannot go on (bad options, NaN loss, mismatched data)."""


class DivergenceError(TrainingError):
    """The loss became NaN or infinite: the weights diverged (the learning rate is too high, most often)."""


class DrawError(NnstudioError):
    """A picture cannot be drawn from what was given."""
