"""Turning whatever names a network (preset name, JSON file, dict, Spec) into a Spec."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from nnstudio.errors import Where
from nnstudio.spec.netspec import Spec
from nnstudio.spec.presets import PRESETS, get_preset, preset_names
from nnstudio.spec.schema import describe, spec_error, suggest


def load_spec(ref: str | Path | Mapping | Spec) -> Spec:
    """Return the Spec named by `ref`: a Spec, a dict, a preset name, or a path to a .json file.

    A .json file may hold a spec, or a saved model's model.json (its "spec" entry); a folder
    is read as the model.json inside it. Errors from a file start with its path.
    """
    if isinstance(ref, Spec):
        return ref
    if isinstance(ref, Mapping):
        return Spec.from_dict(ref)
    if isinstance(ref, str) and ref in PRESETS:
        return get_preset(ref)
    if isinstance(ref, (str, Path)):
        path = Path(ref)
        if path.is_dir() and (path / "model.json").is_file():
            path = path / "model.json"
        if path.is_file():
            return read_spec_file(path)
        hint = suggest(str(ref), preset_names())
        raise spec_error(
            str(ref),
            "no such preset or .json file",
            f"a preset ({', '.join(preset_names())}) or a path to a spec .json file",
            f"did you mean {hint!r}?" if hint else None,
            given=str(ref),
        )
    raise spec_error(
        "spec", f"cannot read a spec from {describe(ref)}", "a preset name, a .json path, a dict or a Spec"
    )


def read_spec_file(path: str | Path) -> Spec:
    """Return the Spec in the JSON file at `path`; SpecError with path:line:col for malformed JSON."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise spec_error(str(path), f"not a UTF-8 text file ({error.reason} at byte {error.start})",
                         "a JSON text file") from None
    except OSError as error:
        raise spec_error(str(path), f"cannot read the file ({error.strerror or error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise spec_error(Where(file=str(path), line=error.lineno, column=error.colno),
                         f"malformed JSON: {error.msg}") from None
    if isinstance(data, dict) and "layers" not in data and isinstance(data.get("spec"), dict):
        data = data["spec"]  # a saved model's model.json
    if isinstance(data, dict) and "name" not in data:
        data = {**data, "name": path.stem}
    return Spec.from_dict(data, source=str(path))
