"""Shared test helpers: a small entity registry and paths to the shared corpora."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from site_builder.model import Document, Entity
from site_builder.names import NameTable

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
ENTITY_LINK = re.compile(r'<a class="entity" data-entity="([^"]+)" href="[^"]*">(.*?)</a>', re.S)


def entity(entity_id: str, name: str, **fields: object) -> Entity:
    """An Entity as if read from content/entities/<id>.md."""
    for key in ("aliases", "short_names"):
        if key in fields:
            fields[key] = tuple(fields[key])  # type: ignore[arg-type]
    return Entity(id=entity_id, name=name, doc=Document(Path(f"content/entities/{entity_id}.md"), "", 5),
                  **fields)  # type: ignore[arg-type]


REGISTRY = [
    entity("kim-jong-un", "Kim Jong Un", type="person", aliases=["Kim Jong-un"], short_names=["Kim"]),
    entity("to-lam", "To Lam", type="person", short_names=["Lam"]),
    entity("iphone", "iPhone", type="thing", match_case=False),
    entity("north-korea", "North Korea", type="place"),
    entity("korea", "Korea", type="place"),
    entity("united-states", "United States", type="place", aliases=["U.S."]),
    entity("united-nations", "United Nations", type="organization", aliases=["U.N."]),
    entity("un-security-council", "U.N. Security Council", type="organization"),
    entity("russia", "Russia", type="place"),
    entity("conan-obrien", "Conan O'Brien", type="person"),
    entity("georgia-country", "Georgia", type="place"),
    entity("georgia-state", "Georgia (U.S. state)", type="place", aliases=["Georgia"]),
    entity("tbilisi", "Tbilisi", type="place"),
]


@pytest.fixture(scope="session")
def names() -> NameTable:
    return NameTable(REGISTRY)


def compact(html: str) -> str:
    """Entity links written as {id|text}, so fixtures stay readable."""
    return ENTITY_LINK.sub(lambda m: "{%s|%s}" % (m.group(1), m.group(2)), html)


def read_cases(path: Path) -> list[tuple[str, list[str], str, str]]:
    """Fixture cases: title, options, input, expected; blocks separated by lines holding '.'."""
    lines = path.read_text(encoding="utf-8").split("\n")
    cases = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        title = lines[i]
        i += 1
        options = []
        while lines[i] != ".":
            options.append(lines[i].strip("[]"))
            i += 1
        parts = []
        for _ in range(2):
            i += 1
            start = i
            while lines[i] != ".":
                i += 1
            parts.append("\n".join(lines[start:i]))
        i += 1
        cases.append((title, options, parts[0] + "\n", parts[1]))
    return cases
