"""Stage 4, render: the indexed site -> pages (path and bytes), through Jinja2.

The only module that builds a Jinja2 environment. The project's own
``templates/`` folder comes before the theme's in one loader, so a site
overrides any template by giving a file the same name. Rendering returns data;
it never writes (that is the write stage's job).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from .errors import ContentError
from .highlight import stylesheet
from .index import SiteIndex
from .model import ENTITY_TYPES, Article, Config, Entity

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
    # auto_reload off: templates do not change during a build, and checking costs a stat per page.
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, auto_reload=False,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["longdate"] = _longdate
    env.filters["plural"] = _plural
    env.filters["xref"] = _xref
    env.globals["type_labels"] = TYPE_LABELS
    return env


@functools.lru_cache(maxsize=4096)
def _plural(n: int, word: str, words: str | None = None) -> Markup:
    """``3|plural("mention")`` -> '3 mentions'; a filter, as macros are slow in long loops."""
    return Markup(f"{n} {escape(word if n == 1 else words or word + 's')}")


def _xref(entity: Entity, root: str) -> Markup:
    """``entity|xref(root)``: a link to the entity's page (a filter: sidebars call it thousands of times)."""
    return Markup(f'<a class="xref type-{escape(entity.type)}" href="{escape(root)}entities/'
                  f'{escape(entity.id)}.html">{escape(entity.name)}</a>')


@functools.lru_cache(maxsize=65536)
def _longdate(value: dt.date | None) -> Markup:
    """'20 June 2024'. Entity pages show thousands of dates, most of them repeated: cached."""
    return Markup(f"{value.day} {value:%B %Y}" if value else "")


def group_by_type(entities: list[tuple[Entity, int]]) -> list[tuple[str, list[tuple[Entity, int]]]]:
    """(type, entries) in the fixed type order, skipping empty types; entries keep their order."""
    groups: dict[str, list[tuple[Entity, int]]] = {}
    for entry in entities:
        groups.setdefault(entry[0].type, []).append(entry)
    return [(t, groups[t]) for t in ENTITY_TYPES if t in groups]


def by_year(articles: tuple[Article, ...]) -> list[tuple[str, list[Article]]]:
    """(year, articles) in the given (newest first) order; undated articles under 'Undated'."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(str(article.date.year) if article.date else "Undated", []).append(article)
    return list(groups.items())


@dataclass(frozen=True)
class PagePlan:
    """One page to render: everything it shows is in ``context`` or ``body``."""

    path: str
    """Relative to the output folder, '/'-separated."""
    template: str
    context: dict[str, Any]
    """Exactly the data the template gets (besides ``site``, ``root`` and ``body``),
    so that a digest of it tells whether the page can have changed."""
    body: tuple[str, str] | None = None
    """('articles', slug) or ('entities', id): the annotated document shown as ``body``,
    looked up only when the page is rendered."""


def plan_site(index: SiteIndex) -> list[PagePlan]:
    """Every page of the site (not the static files), in a fixed order."""
    ents = index.entities
    articles = index.articles

    def sidebar(article: Article, limit: int | None = None) -> list[tuple[Entity, int]]:
        return [(ents[e], n) for e, n in index.mention_counts[article.slug][:limit]]

    def bylines(*shown: Article) -> dict[str, Mapping[str, str]]:
        return {a.slug: index.bylines[a.slug] for a in shown if a.slug in index.bylines}

    home = articles[:HOME_LIMIT]
    plans = [PagePlan("index.html", "index.html", {
        "articles": home, "more": len(articles) > HOME_LIMIT, "bylines": bylines(*home),
        "tops": {a.slug: sidebar(a, 4) for a in home}}),
        PagePlan("articles/index.html", "articles_index.html", {"articles": articles, "years": by_year(articles)})]
    for i, article in enumerate(articles):
        related = index.related[article.slug]
        plans.append(PagePlan(f"articles/{article.slug}.html", "article.html", {
            "article": article, "bylines": bylines(article), "groups": group_by_type(sidebar(article)),
            "related": related, "entities": {e: ents[e] for r in related for e in r.shared},
            "newer": articles[i - 1] if i > 0 else None,
            "older": articles[i + 1] if i + 1 < len(articles) else None}, ("articles", article.slug)))
    counts = {e: len(a) for e, a in index.appearances.items()}
    alphabetical = sorted(ents.values(), key=lambda e: (e.name.casefold(), e.id))
    plans.append(PagePlan("entities/index.html", "entities_index.html",
                          {"groups": group_by_type([(e, counts.get(e.id, 0)) for e in alphabetical])}))
    for entity in alphabetical:
        plans.append(PagePlan(f"entities/{entity.id}.html", "entity.html", {
            "entity": entity, "appearances": index.appearances.get(entity.id, ()),
            "credits": index.credits.get(entity.id, ()),
            "cooccurring": [(ents[e], n) for e, n in index.cooccurring.get(entity.id, ())]}, ("entities", entity.id)))
    return plans


def render_page(env: jinja2.Environment, config: Config, plan: PagePlan, body: str = "") -> Page:
    """The page's bytes; ``body`` is the HTML of the document named by ``plan.body``."""
    html = env.get_template(plan.template).render(site=config, root="../" * plan.path.count("/"),
                                                  body=Markup(body), **plan.context)
    return Page(plan.path, html.encode("utf-8"))


def static_files(config: Config) -> list[Page]:
    """The theme's static files, and the code highlighting stylesheet."""
    static = theme_dir(config) / "static"
    pages = [Page(f"static/{path.relative_to(static).as_posix()}", path.read_bytes())
             for path in (sorted(static.rglob("*")) if static.is_dir() else []) if path.is_file()]
    return [*pages, Page("static/pygments.css", stylesheet().encode("utf-8"))]
