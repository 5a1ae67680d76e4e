"""The plain data every stage passes along: no behaviour, no I/O.

load -> (Config, Article, Entity)  ->  annotate -> Annotated  ->  index -> SiteIndex
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import Diagnostic

ENTITY_TYPES = ("person", "place", "organization", "event", "work", "thing")
LINK_MODES = ("first", "all")


@dataclass(frozen=True)
class Config:
    """The settings of one site, from ``site.toml``."""

    root: Path
    """The project folder: holds site.toml, content/ and optionally templates/."""
    title: str = "Annotated articles"
    """Shown in the header of every page and in the <title>."""
    description: str = ""
    """One line about the site, shown on the home page."""
    language: str = "en"
    """BCP 47 language tag written into <html lang>."""
    theme: str = "default"
    """Name of a folder under themes/ (the project's own, then the built-in ones)."""
    link: str = "first"
    """``first``: link the first mention of each entity per document; ``all``: every mention."""
    allow_raw_html: bool = False
    """Keep raw HTML in Markdown as written; by default it is sanitized (no scripts,
    event handlers, javascript: URLs, frames or forms)."""
    discover: bool = False
    """Link the names the detector is confident of, with generated, unreviewed entity pages."""
    base_url: str = ""
    """Where the site is published, ending in '/'. Only when set: canonical links, feeds,
    sitemap.xml and robots.txt; without it no absolute URL appears (the site relocates)."""

    @property
    def content_dir(self) -> Path:
        return self.root / "content"


@dataclass(frozen=True)
class Document:
    """Markdown with its origin, so errors in it can name file and line."""

    path: Path
    """The source file."""
    body: str
    """The Markdown after the front matter."""
    body_line: int
    """1-based line of the file on which ``body`` starts."""

    def __reduce__(self) -> tuple[Callable[[str, str, int], Document], tuple[str, str, int]]:
        """Pickled with its path as text: a rebuild unpickles every document (13,000 at 10,000
        articles), and a Path made from text takes half the time of one unpickled (0.1 s)."""
        return _document, (str(self.path), self.body, self.body_line)


def _document(path: str, body: str, body_line: int) -> Document:
    return Document(Path(path), body, body_line)


@dataclass(frozen=True)
class Article:
    """One article from ``content/articles/``."""

    slug: str
    """File name without ``.md``; the page is ``articles/<slug>.html``."""
    title: str
    doc: Document
    date: dt.date | None = None
    author: str = ""
    publication: str = ""
    source: str = ""
    """URL of the original publication."""
    summary: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entity:
    """One entity from ``content/entities/``: a person, place, organisation..."""

    id: str
    """File name without ``.md``; the page is ``entities/<id>.html``."""
    name: str
    doc: Document
    type: str = "thing"
    aliases: tuple[str, ...] = ()
    """Other names, matched anywhere."""
    short_names: tuple[str, ...] = ()
    """Names matched only after a full mention (name or alias) in the same document."""
    description: str = ""
    links: tuple[tuple[str, str], ...] = ()
    """(label, URL) pairs, in the order written."""
    match_case: bool = True
    draft: bool = False
    """Found by the detector and not yet reviewed: its page says so."""


@dataclass(frozen=True)
class Mention:
    """One place where a document names an entity."""

    entity_id: str
    text: str
    """The words as written, e.g. ``Kim`` for Kim Jong Un."""
    sentence: str
    """The sentence around the mention, as plain text; only for an entity's first
    mention in a document (entity pages quote it), '' for the others."""
    linked: bool
    """Whether this mention became a link (see Config.link)."""


@dataclass(frozen=True)
class Annotated:
    """A document rendered to HTML, and what it mentions, in reading order."""

    html: str
    mentions: tuple[Mention, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    """Problems found while annotating, such as an unknown [[Name]]."""


@dataclass(frozen=True)
class Page:
    """One output file."""

    path: str
    """Relative to the output folder, '/'-separated."""
    content: bytes


@dataclass(frozen=True)
class BuildResult:
    out: Path
    pages: int
    """Pages written: new or changed."""
    warnings: tuple[Diagnostic, ...]
    seconds: float
    unchanged: int
    """Pages left as they were."""
    stages: dict[str, float]
    """Seconds spent in each stage, in order."""

    def summary(self) -> str:
        """The line every build ends with."""
        return f"{self.pages} pages written, {self.unchanged} unchanged, in {self.seconds:.2f} s: {self.out}"
