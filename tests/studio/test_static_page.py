"""The page's own files: every module the page imports is announced in index.html, so the
browser fetches them all in one round instead of one import level at a time."""

from __future__ import annotations

import re
from pathlib import Path

from nnstudio.studio.app import STATIC

IMPORT = re.compile(r'^import[^;]*?from\s+"\./([\w.-]+\.js)"', re.MULTILINE | re.DOTALL)


def imported_modules(entry: str) -> set[str]:
    """Return every module entry imports, directly or through others."""
    found: set[str] = set()
    todo = [entry]
    while todo:
        for name in IMPORT.findall((STATIC / todo.pop()).read_text(encoding="utf-8")):
            if name not in found:
                found.add(name)
                todo.append(name)
    return found


def test_index_preloads_every_module_the_page_imports() -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/static/([\w.-]+\.js)">', html))
    modules = imported_modules("main.js")
    assert {"api.js", "chart.js", "designer.js"} <= modules  # the import scan works
    assert preloaded == modules
    assert all((STATIC / name).is_file() for name in preloaded)


def test_static_files_load_nothing_from_elsewhere() -> None:
    for path in Path(STATIC).iterdir():
        outside = re.findall(r"(?:src|href)=\"(https?:)?//", path.read_text(encoding="utf-8"))
        assert outside == [], path.name
