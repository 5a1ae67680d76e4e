"""Stage 4, render: the indexed site -> pages (path and bytes), through Jinja2.

The only module that builds a Jinja2 environment. The project's own
``templates/`` folder comes before the theme's in one loader, so a site
overrides any template by giving a file the same name. Rendering returns data;
it never writes (that is the write stage's job).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
from jinja2 import nodes
from markupsafe import Markup, escape

from .config import theme_dir
from .highlight import stylesheet
from .index import Appearance, Related, SiteIndex
from .model import ENTITY_TYPES, Article, Config, Entity, Page

TYPE_LABELS = {"person": "People", "place": "Places", "organization": "Organizations",
               "event": "Events", "work": "Works", "thing": "Other"}
ARTICLE = "article.html"
"""The template of an article's page."""
CARDS = "entities/cards.js"
"""Every entity's preview card (see ``entity_cards``)."""
HOME_LIMIT = 20
FEED_LIMIT = 50
UNDATED = "Undated"
MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


class _Environment(jinja2.Environment):
    """Each template's globals in one plain dict, not Jinja's ChainMap over the environment's:
    every page copies them into its context and every import compares their keys, and a
    ChainMap does each of those a key at a time in Python. The globals are all set before
    the first template is loaded (a ChainMap would show later changes; nothing makes any)."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


class _Compiled(jinja2.FileSystemBytecodeCache):
    """Templates compiled by earlier builds (compiling the theme's took a tenth of a second
    a build, in every process that renders). Jinja checks each against its template's
    source; site-builder's own code is not in the key, but the pipeline deletes its whole
    cache folder when that changes. Never a reason for a build to fail: a file that
    cannot be read or written is compiled again."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def make_environment(config: Config, compiled: Path | None = None) -> jinja2.Environment:
    """The Jinja environment of the site's templates; ``compiled``: a folder to keep them
    compiled in, from one build to the next."""
    loader = jinja2.FileSystemLoader([str(config.root / "templates"), str(theme_dir(config) / "templates")])
    if compiled is not None:
        try:
            compiled.mkdir(parents=True, exist_ok=True)
        except OSError:
            compiled = None
    # auto_reload off: templates do not change during a build, and checking costs a stat per page.
    # cache_size -1: loaded templates in a plain dict, never dropped (a theme has a dozen), not in
    # Jinja's LRU cache, which takes a lock and reorders a deque in Python three times a page.
    env = _Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, auto_reload=False,
                       cache_size=-1, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                       bytecode_cache=_Compiled(str(compiled)) if compiled is not None else None)
    env.filters["longdate"] = _longdate
    env.filters["plural"] = _plural
    env.filters["xref"] = _xref
    env.filters["appearance_items"] = _appearance_items
    env.filters["xref_items"] = _xref_items
    env.filters["related_items"] = _related_items
    env.filters["dated_items"] = _dated_items
    env.filters["feed_entries"] = _feed_entries
    env.filters["json_ld"] = _json_ld
    env.filters["atomdate"] = _atomdate
    env.globals["month_names"] = MONTHS
    env.globals["article_ld"] = article_ld
    env.globals["timeline"] = timeline
    env.globals["entity_cards"] = entity_cards
    env.globals["entity_ld"] = entity_ld
    env.globals["type_labels"] = TYPE_LABELS
    return env


@functools.lru_cache(maxsize=4096)
def _plural(n: int, word: str, words: str | None = None) -> Markup:
    """``3|plural("mention")`` -> '3 mentions'; a filter, as macros are slow in long loops."""
    return Markup(f"{n} {escape(word if n == 1 else words or word + 's')}")


def _text(text: str) -> str:
    """``escape(text)`` as a plain string, for the filters that build a list's HTML: twice as
    fast, as it makes no Markup of each piece (the replacements are markupsafe's own)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;").replace('"', "&#34;")


def _xref(entity: Entity, root: str) -> Markup:
    """``entity|xref(root)``: a link to the entity's page (a filter: sidebars call it thousands of times)."""
    return _entity_link(entity.id, entity.type, entity.name, root)


@functools.lru_cache(maxsize=16384)
def _entity_link(id: str, type: str, name: str, root: str) -> Markup:
    """The link ``_xref`` makes, once per entity and root: each entity is linked from many pages."""
    return Markup(f'<a class="xref type-{escape(type)}" data-entity="{escape(id)}" '
                  f'href="{escape(root)}entities/{escape(id)}.html">{escape(name)}</a>')


def _xref_items(entries: Iterable[tuple[Entity, int]], root: str, word: str) -> Markup:
    """``entries|xref_items(root, "mention")``: an <li> for each (entity, count), its link and
    '3 mentions', each after a newline. Every article page has a dozen: in a template loop
    they cost twice as much."""
    return Markup("".join(f'\n      <li>{_xref(e, root)} <span class="count">{_plural(n, word)}</span></li>'
                          for e, n in entries))


def _related_items(related: Iterable[Related], entities: Mapping[str, Entity]) -> Markup:
    """``related|related_items(entities)``: an <li> for each related article, each after a
    newline: its link and the first four entities it shares (``entities``: by id)."""
    items = []
    for rel in related:
        names = ", ".join([_text(entities[i].name) for i in rel.shared[:4]])
        more = f" and {len(rel.shared) - 4} more" if len(rel.shared) > 4 else ""
        items.append(f'\n    <li><a href="{_text(rel.article.slug)}.html">{_text(rel.article.title)}</a>\n'
                     f'      <span class="shared">Shares {names}{more}</span></li>')
    return Markup("".join(items))


@functools.lru_cache(maxsize=65536)
def _time(date: dt.date) -> str:
    """A <time> element: the date in full, for machines as ISO 8601."""
    return f'<time datetime="{date.isoformat()}">{_longdate(date)}</time>'


def _dated_items(articles: Iterable[Article], prefix: str) -> Markup:
    """``articles|dated_items(prefix)``: an <li> for each article, its date and its link
    (``prefix`` + slug + '.html'), each after a newline. Tag, archive and index pages list
    each article five times in all: in a template loop the rows cost twice as much."""
    prefix = _text(prefix)
    items = []
    for a in articles:
        dated = _time(a.date) if a.date else ""
        items.append(f'\n    <li>{dated}\n      <a href="{prefix}{_text(a.slug)}.html">{_text(a.title)}</a></li>')
    return Markup("".join(items))


def _appearance_items(appearances: Iterable[Appearance]) -> Markup:
    """``appearances|appearance_items``: an <li> for each article that mentions an entity, each
    after a newline (spaced as the template's loop once made them). Made here, not by a loop in
    the template: at 10,000 articles the entity pages list 135,000 appearances, and a loop of a
    dozen template expressions costs three times more."""
    items = []
    for ap in appearances:
        quote = f"<blockquote><p>{_text(ap.sentence)}</p></blockquote>" if ap.sentence else ""
        head = _appearance_head(ap.article.slug, ap.article.title, ap.article.date)
        items.append(f"\n{head}{_plural(ap.count, 'mention')}</span>\n{quote}      </li>")
    return Markup("".join(items))


@functools.lru_cache(maxsize=65536)
def _appearance_head(slug: str, title: str, date: dt.date | None) -> str:
    """The start of an appearance's <li>: the article's link and date, made once per article
    (each is listed on the pages of all the entities it mentions)."""
    dated = f"{_time(date)} · " if date else ""
    return f'      <li>\n        <a href="../articles/{_text(slug)}.html">{_text(title)}</a>\n        <span class="meta">{dated}'


def _feed_entries(appearances: Iterable[Appearance], config: Config) -> Markup:
    """``appearances|feed_entries(site)``: an Atom <entry> for each article that mentions an
    entity, each ending in a newline; its summary is the sentence of the first mention. Not a
    template loop: with a base_url every entity has a feed, 59,000 entries in all at 10,000
    articles, and each article's part of its entry is made once per process."""
    items = []
    for ap in appearances:
        a = ap.article
        head = _feed_entry_head(a.slug, a.title, a.date, a.author or a.publication or config.title, config.base_url)
        items.append(f"{head}    <summary>{_text(ap.sentence or a.summary or a.title)}</summary>\n  </entry>\n")
    return Markup("".join(items))


@functools.lru_cache(maxsize=65536)
def _feed_entry_head(slug: str, title: str, date: dt.date | None, author: str, base_url: str) -> str:
    """An article's Atom <entry> up to its summary."""
    url, day = f"{_text(base_url)}articles/{_text(slug)}.html", _atomdate(date)
    return (f"  <entry>\n    <title>{_text(title)}</title>\n    <id>{url}</id>\n"
            f'    <link rel="alternate" type="text/html" href="{url}"/>\n'
            f"    <published>{day}</published>\n    <updated>{day}</updated>\n"
            f"    <author><name>{_text(author)}</name></author>\n")


def entity_cards(entities: Iterable[Entity], reach: Mapping[str, int]) -> Markup:
    """The data of every entity's preview card (name, type, description, how many articles
    mention it), as a JSON object by id, for ``entities/cards.js``. One file, fetched by the
    first page that shows a card (a script, which file:// allows), not a copy in each page:
    a new article or a new description then changes that file, not every page that shows
    one of its entities (9,563 pages for a new article naming three common entities at
    10,000 articles)."""
    encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder, one escaping: 3,000 dumps took 0.025 s
    return _script_safe("{" + ",\n".join(f"{encode(e.id)}: " + encode({
        "name": e.name, "type": e.type, "description": e.description, "articles": reach.get(e.id, 0)})
        for e in entities) + "}")


def _script_safe(text: str) -> Markup:
    """JSON text that can sit inside <script> (no '<', '>' or '&')."""
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _safe_json(data: Any) -> Markup:
    """JSON that can sit inside <script> (no '<', '>' or '&')."""
    return _script_safe(json.dumps(data, ensure_ascii=False))


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
    """(year, articles) in the given (newest first) order; undated articles under UNDATED."""
    groups: dict[int | None, list[Article]] = {}
    for article in articles:
        groups.setdefault(article.date.year if article.date else None, []).append(article)
    return [(str(year) if year is not None else UNDATED, listed) for year, listed in groups.items()]


def _atomdate(value: dt.date | None) -> str:
    """RFC 3339 timestamp for Atom: the day at midnight UTC (1970 when undated, never the clock)."""
    return f"{(value or dt.date(1970, 1, 1)).isoformat()}T00:00:00Z"


class PagePlan(NamedTuple):
    """One page to render: everything it shows is in ``context`` or ``body``. (A tuple: a site
    plans its 14,000 pages at every build, and a frozen dataclass took three times as long.)"""

    path: str
    """Relative to the output folder, '/'-separated."""
    template: str
    data: Callable[[], dict[str, Any]]
    """Makes exactly the data the template gets (besides ``site``, ``root`` and ``body``),
    so that a digest of it tells whether the page can have changed. Made when asked for,
    by the worker rendering the page, and not at all by a rebuild that knows it unchanged."""
    body: tuple[str, str] | None = None
    """('articles', slug) or ('entities', id): the annotated document shown as ``body``,
    looked up only when the page is rendered."""


def plan_site(index: SiteIndex, config: Config) -> list[PagePlan]:
    """Every page of the site (not the static files), in a fixed order."""
    ents = index.entities
    articles = index.articles

    def sidebar(article: Article, limit: int | None = None) -> list[tuple[Entity, int]]:
        return [(ents[e], n) for e, n in index.mention_counts[article.slug][:limit]]

    def bylines(*shown: Article) -> dict[str, Mapping[str, str]]:
        return {a.slug: index.bylines[a.slug] for a in shown if a.slug in index.bylines}

    base = config.base_url
    home = articles[:HOME_LIMIT]
    tags = by_tag(articles)
    years = by_year(articles)

    def article_data(i: int) -> dict[str, Any]:
        article = articles[i]
        related = index.related[article.slug]
        mentioned = sidebar(article)
        return {
            "article": article, "bylines": bylines(article), "groups": group_by_type(mentioned),
            "related": related, "entities": {e: ents[e] for r in related for e in r.shared},
            "newer": articles[i - 1] if i > 0 else None,
            "older": articles[i + 1] if i + 1 < len(articles) else None,
            "tag_slugs": {tag: tag_slug(tag) for tag in article.tags},
            "credited": {role: ents[e] for role, e in index.bylines.get(article.slug, {}).items()}}

    def entity_data(entity: Entity) -> dict[str, Any]:
        return {"entity": entity, "appearances": index.appearances.get(entity.id, ()),
                "credits": index.credits.get(entity.id, ()),
                "cooccurring": [(ents[e], n) for e, n in index.cooccurring.get(entity.id, ())]}

    def feed_data(entity: Entity) -> dict[str, Any]:
        return {"entity": entity, "appearances": index.appearances.get(entity.id, ())[:FEED_LIMIT]}

    plans = [PagePlan("index.html", "index.html", _given({
        "articles": home, "more": len(articles) > HOME_LIMIT, "bylines": bylines(*home),
        "tops": {a.slug: sidebar(a, 4) for a in home}})),
        PagePlan("articles/index.html", "articles_index.html", _given({"articles": articles, "years": years}))]
    plans += [PagePlan(f"articles/{article.slug}.html", ARTICLE, functools.partial(article_data, i),
                       ("articles", article.slug)) for i, article in enumerate(articles)]
    for year, items in years:
        if year == UNDATED:
            continue
        months = by_month(items)
        plans.append(PagePlan(f"articles/{year}/index.html", "archive.html",
                              _given({"year": year, "month": None, "months": months})))
        plans += [PagePlan(f"articles/{year}/{month:02d}.html", "archive.html",
                           _given({"year": year, "month": month, "months": [(month, listed)]}))
                  for month, listed in months]
    plans.append(PagePlan("tags/index.html", "tags_index.html", _given({"tags": list(tags.items())})))  # in the menu
    plans += [PagePlan(f"tags/{slug}.html", "tag.html", _given({"tag": label, "articles": listed}))
              for slug, (label, listed) in tags.items()]
    counts = index.reach
    alphabetical = sorted(ents.values(), key=lambda e: (e.name.casefold(), e.id))
    plans.append(PagePlan("entities/index.html", "entities_index.html",
                          _given({"groups": group_by_type([(e, counts.get(e.id, 0)) for e in alphabetical])})))
    plans.append(PagePlan(CARDS, "entity_cards.js", _given({
        "entities": alphabetical, "reach": {e.id: counts.get(e.id, 0) for e in alphabetical}})))
    for entity in alphabetical:
        plans.append(PagePlan(f"entities/{entity.id}.html", "entity.html", functools.partial(entity_data, entity),
                              ("entities", entity.id)))
        if base:
            plans.append(PagePlan(f"entities/{entity.id}.xml", "entity_feed.xml", functools.partial(feed_data, entity)))
    if base:
        plans.append(PagePlan("feed.xml", "feed.xml", _given({"articles": articles[:FEED_LIMIT]})))
        dates = {f"articles/{a.slug}.html": a.date for a in articles}
        plans.append(PagePlan("sitemap.xml", "sitemap.xml", _given({"pages": [
            (page_url(config, p.path), dates.get(p.path)) for p in plans if p.path.endswith(".html")]})))
        plans.append(PagePlan("robots.txt", "robots.txt", _given({})))
    return plans


def pages_about(index: SiteIndex, config: Config, articles: Collection[str], entities: Collection[str],
                reach: Collection[str] = ()) -> set[str]:
    """The pages of ``plan_site`` whose data shows what the index says of these articles (what
    they mention, how often; their related articles) or of these entities (the articles that
    mention them; the entities they appear with), or how many articles mention the entities
    in ``reach``: their own pages and feeds, the home page if it lists one of the articles,
    and the entities' list and cards. Any other page shows of them only their cards."""
    paths = {f"articles/{slug}.html" for slug in articles} | {f"entities/{e}.html" for e in entities}
    if reach:
        paths.update(("entities/index.html", CARDS))
    if config.base_url:
        paths.update(f"entities/{e}.xml" for e in entities)
    if any(a.slug in articles for a in index.articles[:HOME_LIMIT]):
        paths.add("index.html")
    return paths


def pages_of_order(index: SiteIndex, config: Config, added: Collection[str]) -> set[str]:
    """The pages of ``plan_site`` whose data shows where the ``added`` articles come in the order
    of all, besides ``pages_about`` them: their neighbours' pages (newer, older), the pages of
    the entities credited with them, and the lists of articles they are in (home, all articles,
    their year and month, their tags, the tags, the feed and sitemap)."""
    if not added:
        return set()
    paths = {"index.html", "articles/index.html", "tags/index.html"}
    if config.base_url:
        paths.update(("feed.xml", "sitemap.xml"))
    articles = index.articles
    for i, article in enumerate(articles):
        if article.slug not in added:
            continue
        paths.update(f"articles/{a.slug}.html" for a in articles[max(i - 1, 0):i + 2])
        paths.update(f"entities/{e}.html" for e in index.bylines.get(article.slug, {}).values())
        paths.update(f"tags/{slug}.html" for tag in article.tags if (slug := tag_slug(tag)))
        if article.date:
            paths.update((f"articles/{article.date.year}/index.html",
                          f"articles/{article.date.year}/{article.date.month:02d}.html"))
    return paths


def _given(data: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """A page's data made already (pages few enough that making it when asked saves nothing)."""
    return lambda: data


def page_url(config: Config, path: str) -> str:
    """The absolute URL of a page (needs base_url); folders for index pages."""
    return config.base_url + path.removesuffix("index.html")


@functools.lru_cache(maxsize=4096)
def tag_slug(tag: str) -> str:
    """A tag's address (a site has few tags, used 25,000 times at 10,000 articles)."""
    return re.sub(r"[^\w]+", "-", tag.casefold()).strip("-")


def by_tag(articles: tuple[Article, ...]) -> dict[str, tuple[str, list[Article]]]:
    """tag slug -> (the tag as first written, its articles newest first), by slug."""
    tags: dict[str, tuple[str, list[Article]]] = {}
    for article in articles:
        for tag in article.tags:
            if (found := tags.get(slug := tag_slug(tag))) is None:
                if not slug:
                    continue
                found = tags[slug] = (tag, [])
            found[1].append(article)
    return dict(sorted(tags.items()))


def by_month(articles: list[Article]) -> list[tuple[int, list[Article]]]:
    """(month, articles) of dated articles, in the given (newest first) order."""
    months: dict[int, list[Article]] = {}
    for article in articles:
        if article.date:
            months.setdefault(article.date.month, []).append(article)
    return list(months.items())


def timeline(appearances: Iterable[Appearance], name: str) -> Markup:
    """An SVG bar chart of the articles mentioning an entity, month by month, drawn at build time
    ('' when fewer than two months have dated articles)."""
    months = Counter(a.article.date.year * 12 + a.article.date.month - 1 for a in appearances if a.article.date)
    if len(months) < 2:
        return Markup("")
    first, last = min(months), max(months)
    top = max(months.values())
    width, height = 600, 90
    step = width / max(last - first + 1, 12)  # a year's width at least: two months are not two slabs
    wide = f"{max(step - 1, 1):.2f}"
    bars = []
    for month, count in sorted(months.items()):
        tall = max(2.0, height * count / top)
        # No escaping: a month's name, numbers and 'article(s)'.
        bars.append(f'<rect x="{(month - first) * step:.2f}" y="{height - tall:.2f}" width="{wide}" '
                    f'height="{tall:.2f}"><title>{MONTHS[month % 12 + 1]} {month // 12}: '
                    f'{_plural(count, "article")}</title></rect>')
    start, end = f"{MONTHS[first % 12 + 1]} {first // 12}", f"{MONTHS[last % 12 + 1]} {last // 12}"
    summary = (f"Articles mentioning {name} per month, {start} to {end}; at most {_plural(top, 'article')} "
               "in a month")
    return Markup(
        f'<figure class="timeline"><svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(summary)}">'
        f'{"".join(bars)}</svg><figcaption>{escape(summary)}.</figcaption></figure>')


SCHEMA_TYPES = {"person": "Person", "place": "Place", "organization": "Organization", "event": "Event",
                "work": "CreativeWork", "thing": "Thing"}


def entity_ld(entity: Entity, config: Config, path: str | None = None, brief: bool = False) -> dict[str, Any]:
    """schema.org data for an entity: its type, names, description and sameAs links
    (``brief``: no aliases or description, for the entities an article mentions)."""
    data: dict[str, Any] = {"@type": SCHEMA_TYPES[entity.type], "name": entity.name}
    if entity.aliases and not brief:
        data["alternateName"] = list(entity.aliases)
    if entity.description and not brief:
        data["description"] = entity.description
    if entity.links:
        data["sameAs"] = [url for _, url in entity.links]
    if config.base_url and path:
        data["url"] = page_url(config, path)
    return data


def article_ld(article: Article, groups: list[tuple[str, list[tuple[Entity, int]]]],
               credited: Mapping[str, Entity], config: Config, path: str) -> dict[str, Any]:
    """schema.org data for an article: a NewsArticle when it names its publication.
    (Made while rendering, from the page's own data: kept in every plan, it would cost
    a gigabyte at 100,000 articles.)"""
    data: dict[str, Any] = {"@type": "NewsArticle" if article.publication else "Article",
                            "headline": article.title}
    if article.date:
        data["datePublished"] = article.date.isoformat()
    if article.summary:
        data["description"] = article.summary
    for role in ("author", "publication"):
        name = getattr(article, role)
        if not name:
            continue
        entity = credited.get(role)
        entry = entity_ld(entity, config, f"entities/{entity.id}.html", brief=True) if entity else {
            "@type": "Person" if role == "author" else "Organization", "name": name}
        data["author" if role == "author" else "publisher"] = entry
    if article.source:
        data["isBasedOn"] = article.source
    if article.tags:
        data["keywords"] = list(article.tags)
    if config.base_url:
        data["url"] = page_url(config, path)
    data["mentions"] = [entity_ld(e, config, f"entities/{e.id}.html", brief=True)
                        for _, entries in groups for e, _ in entries]
    return data


def _json_ld(data: Mapping[str, Any]) -> Markup:
    """``data|json_ld``: a JSON-LD object, safe inside <script>."""
    return _safe_json({"@context": "https://schema.org", **data})


def render_page(env: jinja2.Environment, config: Config, plan: PagePlan, body: str = "",
                data: dict[str, Any] | None = None) -> Page:
    """The page's bytes; ``body`` is the HTML of the document named by ``plan.body``;
    ``data`` is ``plan.data()`` if made already."""
    html = env.get_template(plan.template).render(
        site=config, root="../" * plan.path.count("/"), body=Markup(body), path=plan.path,
        url=page_url(config, plan.path) if config.base_url else "", **(plan.data() if data is None else data))
    return Page(plan.path, html.encode("utf-8"))


def shows_body_once(env: jinja2.Environment, name: str) -> bool:
    """Whether the template ``name`` outputs ``body`` once, as it is, and makes nothing else
    of it: then its page is the output of its other data with the body in between, and a
    new body can take the old one's place without rendering the page again. Checked on
    the syntax trees of the template, those it extends and those they include or import;
    whatever use of ``body`` this cannot prove so (a filter, a loop, a condition, a macro,
    a block overridden or called twice) says no."""
    found = _trees(env, name)
    if found is None:
        return False
    chain, trees = found
    uses = [(place, path) for place, tree in enumerate(trees) for path in _paths(tree, nodes.Name)
            if getattr(path[-1], "name", None) in ("body", "self", "super")]
    if any(not all(isinstance(n, (nodes.Template, nodes.Block)) for n in path[:-1])
           for tree in chain for path in _paths(tree, nodes.Block)):
        return False  # a block in a loop, a condition or a macro can be output any number of times
    if len(uses) != 1 or uses[0][0] >= len(chain):
        return False
    place, path = uses[0]
    used, output = path[-1], path[-2]
    if getattr(used, "name", None) != "body" or getattr(used, "ctx", None) != "load" or not isinstance(output, nodes.Output):
        return False
    if not all(isinstance(n, (nodes.Template, nodes.Block)) for n in path[:-2]):
        return False
    blocks = [n.name for n in path if isinstance(n, nodes.Block)]
    defined = [{b.name for b in tree.find_all(nodes.Block)} for tree in chain]
    if any(b in defined[j] for b in blocks for j in range(place)):
        return False  # overridden by a template that extends this one
    if place < len(chain) - 1:  # in a template that extends another: only its blocks are output
        return bool(blocks) and any(isinstance(n, nodes.Block) and n.name == blocks[0] for n in chain[-1].body)
    return True


def _trees(env: jinja2.Environment, name: str, parsed: dict[str, nodes.Template] | None = None
           ) -> tuple[list[nodes.Template], list[nodes.Template]] | None:
    """The syntax trees of the template ``name`` and those it extends, in order up, and of all
    those and of every template they include or import; None when a name is not a constant
    or a template cannot be read. ``parsed``: trees parsed already, by name (and those parsed now)."""
    parsed = {} if parsed is None else parsed

    def _parse(env: jinja2.Environment, name: str) -> nodes.Template:
        if name not in parsed:
            parsed[name] = _parsed(env, name)
        return parsed[name]

    try:
        chain = [_parse(env, name)]  # the template, the one it extends, and so on up
        while extends := [n for n in chain[-1].body if isinstance(n, nodes.Extends)]:
            parent = _constant(extends[0].template)
            if len(extends) > 1 or parent is None or len(chain) > 32:
                return None
            chain.append(_parse(env, parent))
        trees = [*chain]
        for place, tree in enumerate(trees):  # the list grows: what they include, import or extend
            for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
                target = _constant(getattr(node, "template", None))
                if target is None or len(trees) > 64 or (
                        isinstance(node, nodes.Extends) and all(node is not n for n in tree.body)):
                    return None
                if place >= len(chain) or not isinstance(node, nodes.Extends):
                    trees.append(_parse(env, target))
    except (jinja2.TemplateError, UnicodeError, OSError):  # not a template: rendering will tell, if a page uses it
        return None
    return chain, trees


def shown_descriptions(env: jinja2.Environment, name: str, parsed: dict[str, nodes.Template] | None = None
                       ) -> frozenset[str] | None:
    """Whose descriptions the template ``name`` (with those it extends, includes and imports)
    can show: the names of the variables of its data that it reads ``.description`` of, or
    passes to ``entity_ld`` (an entity's page: ``entity``); none for a template that never names
    ``description`` (but as ``site.description``); None (any entity's) when it names it
    otherwise (a loop's variable, an item, a string), calls ``entity_cards``, assigns one of
    those variables, or cannot be read. The pages of a template are keyed on the other
    entities without their descriptions, so that a new description makes again only the pages
    that show it (an article page shows its entities' names, not their descriptions)."""
    found = _trees(env, name, parsed)
    if found is None:
        return None
    names: set[str] = set()
    for tree in found[1]:
        calls = [call for call in tree.find_all(nodes.Call)
                 if isinstance(call.node, nodes.Name) and call.node.name == "entity_ld"]
        if any(not call.args or not isinstance(call.args[0], nodes.Name) for call in calls) or len(calls) != sum(
                1 for n in tree.find_all(nodes.Name) if n.name == "entity_ld"):
            return None  # entity_ld named otherwise than called on a variable: of whom, cannot tell
        names.update(call.args[0].name for call in calls)  # type: ignore[attr-defined]
        for node in tree.find_all((nodes.Getattr, nodes.Const, nodes.Name)):
            if isinstance(node, nodes.Getattr) and node.attr == "description":
                if not isinstance(node.node, nodes.Name):
                    return None
                if node.node.name != "site":
                    names.add(node.node.name)
            elif (isinstance(node, nodes.Const) and node.value == "description") or (
                    isinstance(node, nodes.Name) and node.name == "entity_cards"):
                return None
        stored = {n.name for n in tree.find_all(nodes.Name) if n.ctx != "load"}
        if names & (stored | {arg.name for macro in tree.find_all(nodes.Macro) for arg in macro.args}):
            return None  # a variable of the template's own, not of the page's data
    return frozenset(names)


def describing(config: Config) -> dict[str, frozenset[str] | None]:
    """``shown_descriptions`` of every template of the site (each parsed once: most extend
    base.html, which parsed for each took a tenth of a second in all)."""
    env = make_environment(config)
    parsed: dict[str, nodes.Template] = {}
    return {name: shown_descriptions(env, name, parsed) for name in env.list_templates()}


def _parsed(env: jinja2.Environment, name: str) -> nodes.Template:
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    return env.parse(source, name)


def _constant(expr: nodes.Expr | None) -> str | None:
    """A template's name given as a constant string, else None."""
    return expr.value if isinstance(expr, nodes.Const) and isinstance(expr.value, str) else None


def _paths(tree: nodes.Node, kind: type[nodes.Node]) -> list[list[nodes.Node]]:
    """The path from ``tree`` down to each node of ``kind`` in it (the node last)."""
    found: list[list[nodes.Node]] = []
    todo: list[list[nodes.Node]] = [[tree]]
    while todo:
        path = todo.pop()
        if isinstance(path[-1], kind) and len(path) > 1:
            found.append(path)
        todo += ([*path, child] for child in path[-1].iter_child_nodes())
    return found


def static_files(config: Config) -> list[Page]:
    """The theme's static files, and the code highlighting stylesheet."""
    static = theme_dir(config) / "static"
    pages = [Page(f"static/{path.relative_to(static).as_posix()}", path.read_bytes())
             for path in (sorted(static.rglob("*")) if static.is_dir() else []) if path.is_file()]
    return [*pages, Page("static/pygments.css", stylesheet().encode("utf-8"))]
