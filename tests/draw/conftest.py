"""Helpers for the drawing tests: parse SVG text and pick elements by their class."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

SVG_NS = "{http://www.w3.org/2000/svg}"


class Picture:
    """A parsed SVG picture."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.root = ET.fromstring(text.encode("utf-8"))

    def all(self, cls: str, **data: object) -> list[ET.Element]:
        """Return elements whose class is `cls` and whose data-* attributes match `data`."""
        found = []
        for element in self.root.iter():
            if element.get("class") != cls:
                continue
            if all(element.get("data-" + key.replace("_", "-")) == str(value)
                   for key, value in data.items()):
                found.append(element)
        return found

    def texts(self, cls: str) -> list[str]:
        """Return the text content of every element of class `cls`."""
        return [element.text or "" for element in self.all(cls)]


@pytest.fixture
def parse():
    """Return a function that parses SVG text into a Picture."""
    return Picture
