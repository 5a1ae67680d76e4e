"""``site-builder new``: start an article or an entity file with the right front matter."""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from pathlib import Path

import yaml

from .errors import SiteError
from .model import ENTITY_TYPES


def slugify(text: str) -> str:
    """A file name for a title or name: lower case words joined by '-', accents dropped
    where the letter has a plain form ('Zürich' -> 'zurich'), other scripts kept."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[^\w]+", "-", plain.casefold()).strip("-_")[:80].strip("-_")


def today() -> dt.date:
    """The date for a new article: SOURCE_DATE_EPOCH when set (reproducible), else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return moment.date()


def write_content(path: Path, front: dict[str, object], body: str = "", force: bool = False, hint: str = "") -> Path:
    """Write a content file: front matter, then ``body``. An existing file is an error (ending in
    ``hint``) unless ``force``; without it, a file made meanwhile is not replaced either."""
    if path.exists() and not force:
        raise SiteError(f"{path} already exists; not overwriting it{hint}")
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000)
    with open(path, "w" if force else "x", encoding="utf-8") as file:
        file.write(f"---\n{text}---\n{body}")
    return path


def new_article(root: Path, title: str) -> Path:
    """Write content/articles/<slug>.md with the title and today's date; returns its path."""
    if not title.strip() or not (slug := slugify(title)):
        raise SiteError(f"cannot make a file name from the title {title!r}")
    return write_content(root / "content" / "articles" / f"{slug}.md", {"title": title.strip(), "date": today()})


def new_entity(root: Path, name: str, kind: str) -> Path:
    """Write content/entities/<id>.md with the name and type; returns its path."""
    if kind not in ENTITY_TYPES:
        raise SiteError(f"unknown entity type '{kind}'; one of: {', '.join(ENTITY_TYPES)}")
    if not name.strip() or not (slug := slugify(name)):
        raise SiteError(f"cannot make a file name from the name {name!r}")
    return write_content(root / "content" / "entities" / f"{slug}.md", {"name": name.strip(), "type": kind})
