"""nnstudio's error types.

Every problem a user can cause (a bad file, a bad spec, a bad option) raises one of
these. Messages say where (file:line, layer index, field), what was given and what is
allowed, so the CLI can print them as one line and the studio as an HTTP 422.
"""


def one_line(error: BaseException) -> str:
    """Return an error's message on one line, as the CLI and the studio show it (its
    type's name when it has no message)."""
    return " ".join(str(error).split()) or type(error).__name__


class NnstudioError(ValueError):
    """Base of every error caused by user input."""


class DataError(NnstudioError):
    """A dataset, training file, image or image folder cannot be used."""


class SpecError(NnstudioError):
    """A network spec is malformed or inconsistent."""


class ModelFileError(NnstudioError):
    """A saved model folder is missing, damaged or unsafe."""


class TrainingError(NnstudioError):
    """Training cannot start or cannot go on (bad options, NaN loss, mismatched data)."""


class DrawError(NnstudioError):
    """A picture cannot be drawn from what was given."""
