"""The `nnstudio` command: parse options, call one workflow, print the result.

The group and its error handling are in cli.root; each module beside it adds one family
of commands. This package is the only code that prints or exits.
"""

from nnstudio.cli import course, drawing, networks, studio, training
from nnstudio.cli.drawing import LESSON_NAMES
from nnstudio.cli.root import cli_help, main
from nnstudio.cli.training import ProgressBar

__all__ = ["LESSON_NAMES", "ProgressBar", "cli_help", "course", "drawing", "main", "networks", "studio", "training"]
