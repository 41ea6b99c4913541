"""Package attributes loaded on first use, so that `import nnstudio` (and the commands
that train nothing) start without torch: one implementation for every package that
hands out names this way."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, namespace: dict[str, Any],
                    sources: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a package's module-level (__getattr__, __dir__): a name in sources (name ->
    module) is imported from its module when first asked for, then kept in namespace
    (the package's globals) so that later look-ups skip __getattr__."""

    def get(name: str) -> Any:
        module = sources.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def names() -> list[str]:
        return sorted(set(namespace) | set(sources))

    return get, names
