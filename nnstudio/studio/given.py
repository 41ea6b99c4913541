"""What a JSON request body gives a model besides numbers: a pen drawing
{"strokes": [[[x, y], ...], ...]} or a sequence {"sequence": [2, 4, 6, 8]} (or the text
"2 4 6 8"). Both are checked here by the library's own readers, so a bad body gets the
same words as the CLI, with the field at fault named."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nnstudio.data.sequences import ALLOWED, parse_sequence
from nnstudio.data.strokefile import parse_strokes
from nnstudio.errors import DataError, Where

BODY = "JSON body"


@dataclass(frozen=True)
class Drawing:
    """A drawing as pen strokes, each a (k, 2) array of [x, y] canvas pixels."""

    strokes: list[np.ndarray]

    def as_input(self) -> dict[str, Any]:
        """Return the drawing as Model.prepare reads a drawing file's contents."""
        return {"strokes": [s.tolist() for s in self.strokes]}


@dataclass(frozen=True)
class Terms:
    """The given terms of an integer sequence, checked as the CLI checks them."""

    values: list[int]


def drawing_of(value: Any) -> Drawing:
    """Return the strokes of a {"strokes": [...]} body; DataError naming the stroke and point."""
    try:
        return Drawing(parse_strokes(value, BODY))
    except DataError as error:
        raise DataError(str(error), where=Where(file=BODY, field="strokes"), worded=True) from None


def terms_of(value: Any) -> Terms:
    """Return the terms of "sequence": a list of whole numbers or the text "2 4 6 8"."""
    where = Where(file=BODY, field="sequence")
    if isinstance(value, list):
        words = []
        for term in value:
            whole = isinstance(term, int) or (isinstance(term, float) and term.is_integer())
            if isinstance(term, bool) or not whole:
                raise DataError(f"{term!r} is not a whole number", where=where, given=value, allowed=ALLOWED,
                                hint="write a sequence such as 2 4 6 8")
            words.append(str(int(term)))
        text = " ".join(words)
    elif isinstance(value, str):
        text = value
    else:
        raise DataError("expected a list of whole numbers or the text of a sequence", where=where,
                        given=value, allowed=ALLOWED, hint='send {"sequence": [2, 4, 6, 8]}')
    try:
        return Terms(parse_sequence(text, f"{BODY}, field 'sequence'"))
    except DataError as error:
        raise DataError(str(error), where=where, given=value, allowed=ALLOWED, worded=True) from None
