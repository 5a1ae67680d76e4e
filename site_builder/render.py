"""Stage 4, render: the indexed site -> pages (path and bytes), through Jinja2.

The only module that builds a Jinja2 environment. The project's own
``templates/`` folder comes before the theme's in one loader, so a site
overrides any template by giving a file the same name. Rendering returns data;
it never writes (that is the write stage's job).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from .errors import ContentError
from .highlight import stylesheet
from .index import SiteIndex
from .model import ENTITY_TYPES, Annotated, Article, Config, Entity

BUILTIN_THEMES = Path(__file__).resolve().parent / "themes"
TYPE_LABELS = {"person": "People", "place": "Places", "organization": "Organizations",
               "event": "Events", "work": "Works", "thing": "Other"}
HOME_LIMIT = 20


@dataclass(frozen=True)
class Page:
    """One output file."""

    path: str
    """Relative to the output folder, '/'-separated."""
    content: bytes


def _builtin_themes() -> Path:
    """Themes shipped with the package: site_builder/themes when installed, ./themes in a checkout."""
    if BUILTIN_THEMES.is_dir():
        return BUILTIN_THEMES
    return Path(__file__).resolve().parent.parent / "themes"


def theme_dir(config: Config) -> Path:
    """The folder of the configured theme: the project's own themes/ first, then the built-in ones."""
    for base in (config.root / "themes", _builtin_themes()):
        if (base / config.theme / "templates").is_dir():
            return base / config.theme
    available = sorted(p.name for base in (config.root / "themes", _builtin_themes()) if base.is_dir()
                       for p in base.iterdir() if (p / "templates").is_dir())
    raise ContentError(config.root / "site.toml", 1,
                       f"unknown theme '{config.theme}'; available: {', '.join(available) or 'none'}")


def make_environment(config: Config) -> jinja2.Environment:
    loader = jinja2.FileSystemLoader([str(config.root / "templates"), str(theme_dir(config) / "templates")])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["longdate"] = _longdate
    env.filters["plural"] = _plural
    env.filters["xref"] = _xref
    env.globals["type_labels"] = TYPE_LABELS
    return env


def _plural(n: int, word: str, words: str | None = None) -> str:
    """``3|plural("mention")`` -> '3 mentions'; a filter, as macros are slow in long loops."""
    return f"{n} {word if n == 1 else words or word + 's'}"


def _xref(entity: Entity, root: str) -> Markup:
    """``entity|xref(root)``: a link to the entity's page (a filter: sidebars call it thousands of times)."""
    return Markup(f'<a class="xref type-{escape(entity.type)}" href="{escape(root)}entities/'
                  f'{escape(entity.id)}.html">{escape(entity.name)}</a>')


def _longdate(value: dt.date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


def group_by_type(entities: list[tuple[Entity, int]]) -> list[tuple[str, list[tuple[Entity, int]]]]:
    """(type, entries) in the fixed type order, skipping empty types; entries keep their order."""
    return [(t, [(e, n) for e, n in entities if e.type == t]) for t in ENTITY_TYPES
            if any(e.type == t for e, _ in entities)]


def by_year(articles: tuple[Article, ...]) -> list[tuple[str, list[Article]]]:
    """(year, articles) in the given (newest first) order; undated articles under 'Undated'."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(str(article.date.year) if article.date else "Undated", []).append(article)
    return list(groups.items())


def render_site(config: Config, index: SiteIndex, articles: Mapping[str, Annotated],
                entities: Mapping[str, Annotated], part: int = 0, parts: int = 1) -> Iterator[Page]:
    """Every page of the site, and the theme's static files.

    With ``parts`` > 1, only every parts-th page starting at ``part``: the
    share of one of ``parts`` workers rendering the site together.
    """
    env = make_environment(config)
    ents = index.entities
    sequence = itertools.count()

    def page(path: str, template: str, **context: Any) -> Iterator[Page]:
        if next(sequence) % parts != part:
            return
        root = "../" * path.count("/")
        html = env.get_template(template).render(site=config, root=root, entities=ents, bylines=index.bylines,
                                                 **context)
        yield Page(path, html.encode("utf-8"))

    def top_entities(article: Article, limit: int | None = None) -> list[tuple[Entity, int]]:
        return [(ents[e], n) for e, n in index.mention_counts[article.slug][:limit]]

    yield from page("index.html", "index.html", articles=index.articles[:HOME_LIMIT],
               more=len(index.articles) > HOME_LIMIT, top_entities=lambda a: top_entities(a, 4))
    yield from page("articles/index.html", "articles_index.html", articles=index.articles,
               years=by_year(index.articles))
    for i, article in enumerate(index.articles):
        yield from page(f"articles/{article.slug}.html", "article.html", article=article,
                   body=Markup(articles[article.slug].html),
                   groups=group_by_type(top_entities(article)), related=index.related[article.slug],
                   newer=index.articles[i - 1] if i > 0 else None,
                   older=index.articles[i + 1] if i + 1 < len(index.articles) else None)
    counts = {e: len(a) for e, a in index.appearances.items()}
    alphabetical = sorted(ents.values(), key=lambda e: (e.name.casefold(), e.id))
    yield from page("entities/index.html", "entities_index.html",
               groups=group_by_type([(e, counts.get(e.id, 0)) for e in alphabetical]))
    for entity in alphabetical:
        yield from page(f"entities/{entity.id}.html", "entity.html", entity=entity,
                   body=Markup(entities[entity.id].html),
                   appearances=index.appearances.get(entity.id, ()), credits=index.credits.get(entity.id, ()),
                   cooccurring=[(ents[e], n) for e, n in index.cooccurring.get(entity.id, ())])
    if part != 0:
        return
    static = theme_dir(config) / "static"
    for path in sorted(static.rglob("*")) if static.is_dir() else []:
        if path.is_file():
            yield Page(f"static/{path.relative_to(static).as_posix()}", path.read_bytes())
    yield Page("static/pygments.css", stylesheet().encode("utf-8"))
