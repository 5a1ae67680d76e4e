"""Publishing: feeds, sitemap, robots.txt, canonical links, structured data, tags and archives."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup
import jinja2
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from site_builder.config import load_config
from site_builder.pipeline import build
from site_builder.render import ARTICLE as ARTICLE_TEMPLATE
from site_builder.render import (
    SCHEMA_TYPES,
    _text,
    describing,
    make_environment,
    shown_descriptions,
    shows_body_once,
    tag_slug,
)

from .conftest import ROOT
from .test_pipeline import ARTICLE, copy_example

BASE = "https://news.example.org/archive/"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_example(tmp_path_factory.mktemp("published"))
    config = project / "site.toml"
    config.write_text(f'base_url = "{BASE.rstrip("/")}"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    return build(project).out


@pytest.fixture(scope="module")
def relocatable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(copy_example(tmp_path_factory.mktemp("relocatable"))).out


def soup(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path).read_text(encoding="utf-8"), "html.parser")


def json_ld(site: Path, path: str) -> dict:
    scripts = soup(site, path).find_all("script", type="application/ld+json")
    assert len(scripts) == 1, path
    data = json.loads(scripts[0].string)
    assert data["@context"] == "https://schema.org"
    return data


def test_site_feed_parses_and_links_every_article(published: Path) -> None:
    feed = feedparser.parse((published / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "Annotated News"
    assert feed.feed.link == BASE
    [entry] = feed.entries
    assert entry.link == BASE + ARTICLE
    assert entry.title.startswith("Russia and North Korea sign mutual aid agreement")
    assert entry.published_parsed[:3] == (2024, 6, 20)
    assert entry.author == "Jordan Strickler"
    assert {t.term for t in entry.tags} == {"russia", "north-korea", "diplomacy"}


def test_each_entity_has_a_feed_linked_from_its_page(published: Path) -> None:
    feed = feedparser.parse((published / "entities" / "vladimir-putin.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title.startswith("Vladimir Putin")
    [entry] = feed.entries
    assert entry.link == BASE + ARTICLE
    assert "Putin" in entry.summary  # the sentence of the first mention
    page = soup(published, "entities/vladimir-putin.html")
    feeds = [link["href"] for link in page.find_all("link", rel="alternate", type="application/atom+xml")]
    assert feeds == ["../feed.xml", "vladimir-putin.xml"]
    assert page.select_one(".follow a")["href"] == "vladimir-putin.xml"


def test_sitemap_lists_every_page_with_absolute_urls(published: Path) -> None:
    root = ET.parse(published / "sitemap.xml").getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [u.findtext("s:loc", namespaces=ns) for u in root.findall("s:url", ns)]
    pages = sorted(p.relative_to(published).as_posix() for p in published.rglob("*.html"))
    assert len(locs) == len(pages) == len(set(locs))
    assert BASE in locs and BASE + "articles/" in locs and BASE + ARTICLE in locs
    assert all(loc.startswith(BASE) for loc in locs)
    article = next(u for u in root.findall("s:url", ns) if u.findtext("s:loc", namespaces=ns) == BASE + ARTICLE)
    assert article.findtext("s:lastmod", namespaces=ns) == "2024-06-20"
    assert (published / "robots.txt").read_text(encoding="utf-8").splitlines()[-1] == f"Sitemap: {BASE}sitemap.xml"


def test_canonical_and_opengraph(published: Path) -> None:
    page = soup(published, ARTICLE)
    assert page.find("link", rel="canonical")["href"] == BASE + ARTICLE
    og = {m["property"]: m["content"] for m in page.find_all("meta", property=True)}
    assert og["og:url"] == BASE + ARTICLE and og["og:type"] == "article"
    assert og["og:title"].startswith("Russia and North Korea") and og["article:published_time"] == "2024-06-20"
    assert soup(published, "index.html").find("link", rel="canonical")["href"] == BASE


def test_every_page_has_opengraph(relocatable: Path) -> None:
    for path in relocatable.rglob("*.html"):
        og = {m["property"]: m["content"] for m in soup(relocatable, str(path.relative_to(relocatable)))
              .find_all("meta", property=True)}
        assert og.get("og:title") and og.get("og:type") and og["og:site_name"] == "Annotated News", path


def test_without_base_url_no_absolute_url_of_the_site_appears(relocatable: Path) -> None:
    for name in ("feed.xml", "sitemap.xml", "robots.txt", "entities/vladimir-putin.xml"):
        assert not (relocatable / name).exists()
    allowed = set()  # the links an author wrote: entity links and article sources
    for path in relocatable.rglob("*.html"):
        page = soup(relocatable, str(path.relative_to(relocatable)))
        allowed |= {a["href"] for a in page.select("ul.external a, a.source")}
    for path in relocatable.rglob("*.html"):
        page = soup(relocatable, str(path.relative_to(relocatable)))
        assert page.find("link", rel="canonical") is None and page.find("meta", property="og:url") is None
        for tag in page.find_all(href=True) + page.find_all(src=True):
            url = tag.get("href") or tag.get("src")
            assert not re.match(r"[a-z]+:", url) or url in allowed, (path, url)
        for script in page.find_all("script", type="application/ld+json"):
            assert '"url"' not in script.string, path


def test_article_structured_data(published: Path) -> None:
    data = json_ld(published, ARTICLE)
    assert data["@type"] == "NewsArticle"
    assert data["headline"].startswith("Russia and North Korea")
    assert data["datePublished"] == "2024-06-20"
    assert data["author"]["@type"] == "Person" and data["author"]["name"] == "Jordan Strickler"
    assert data["publisher"]["name"] == "Hooah"
    assert data["url"] == BASE + ARTICLE
    mentions = {m["name"]: m for m in data["mentions"]}
    assert mentions["Vladimir Putin"]["@type"] == "Person"
    assert mentions["Vladimir Putin"]["sameAs"] == ["https://en.wikipedia.org/wiki/Vladimir_Putin"]
    assert mentions["Vladimir Putin"]["url"] == BASE + "entities/vladimir-putin.html"
    assert mentions["Pyongyang"]["@type"] == "Place"
    assert mentions["United Nations Security Council"]["@type"] == "Organization"
    assert {m["@type"] for m in data["mentions"]} <= set(SCHEMA_TYPES.values())


def test_entity_structured_data_has_the_schema_type_of_each_entity(published: Path) -> None:
    for path in (published / "entities").glob("*.html"):
        if path.name == "index.html":
            continue
        data = json_ld(published, f"entities/{path.name}")
        kind = soup(published, f"entities/{path.name}").select_one(".entity-type")["class"][1].removeprefix("type-")
        assert data["@type"] == SCHEMA_TYPES[kind]
        assert data["url"] == BASE + f"entities/{path.name}"
    putin = json_ld(published, "entities/vladimir-putin.html")
    assert putin["name"] == "Vladimir Putin" and putin["sameAs"] and putin["description"].startswith("President")


def test_structured_data_is_safe_inside_its_script(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    path = project / "content" / "articles" / "russia-north-korea-pact.md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        'summary: "At', 'summary: "</script><script>alert(1)</script> At'), encoding="utf-8")
    out = build(project).out
    html = (out / ARTICLE).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html
    assert json_ld(out, ARTICLE)["description"].startswith("</script><script>alert(1)</script> At")


def test_every_entitys_preview_card_is_in_one_script_that_pages_point_to(tmp_path: Path) -> None:
    """entities/cards.js holds each entity's name, type, description and article count (a
    description that would close the script is escaped); article and entity pages name it and
    hold no card of their own, so a count or description that changes leaves them as they are."""
    project = copy_example(tmp_path)
    moscow = project / "content" / "entities" / "moscow.md"
    moscow.write_text(moscow.read_text(encoding="utf-8").replace(
        'description: "', 'description: "</script><script>alert(1)</script> '), encoding="utf-8")
    out = build(project).out
    script = (out / "entities" / "cards.js").read_text(encoding="utf-8")
    assert script.startswith("siteCards(") and script.endswith(");\n") and "</script>" not in script
    cards = json.loads(script.removeprefix("siteCards(").removesuffix(");\n"))
    entities = {p.stem for p in (project / "content" / "entities").glob("*.md")}
    assert cards.keys() == entities
    assert cards["vladimir-putin"]["name"] == "Vladimir Putin" and cards["vladimir-putin"]["type"] == "person"
    assert cards["vladimir-putin"]["description"].startswith("President") and cards["vladimir-putin"]["articles"] == 1
    assert cards["moscow"]["description"].startswith("</script><script>alert(1)</script>")
    for page in (ARTICLE, "entities/vladimir-putin.html"):
        holder = soup(out, page).select_one("[data-entity-cards]")
        assert holder is not None and holder["data-entity-cards"] == "../entities/cards.js"
    assert "a fifth presidential term" not in (out / ARTICLE).read_text(encoding="utf-8")  # Putin's description


def test_tag_pages_and_index(relocatable: Path) -> None:
    index = soup(relocatable, "tags/index.html")
    assert [a.get_text() for a in index.select("ul.tag-list a")] == ["diplomacy", "north-korea", "russia"]
    page = soup(relocatable, "tags/north-korea.html")
    assert [a["href"] for a in page.select("ul.date-list a")] == ["../" + ARTICLE]
    article = soup(relocatable, ARTICLE)
    assert [a["href"] for a in article.select("p.tags a")] == ["../tags/russia.html", "../tags/north-korea.html",
                                                              "../tags/diplomacy.html"]
    assert tag_slug("Human Rights & Law") == "human-rights-law"


def test_archive_by_year_and_month(relocatable: Path) -> None:
    year = soup(relocatable, "articles/2024/index.html")
    assert year.h1.get_text() == "Articles of 2024"
    assert year.select_one("#month-6 a")["href"] == "06.html"
    month = soup(relocatable, "articles/2024/06.html")
    assert month.h1.get_text() == "Articles of June 2024"
    assert [a["href"] for a in month.select("ul.date-list a")] == ["../../" + ARTICLE]
    assert soup(relocatable, "articles/index.html").select_one("#year-2024 a")["href"] == "2024/index.html"


def test_entity_pages_draw_a_timeline_of_mentions(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    for slug, date in (("may", "2024-05-02"), ("july-a", "2024-07-01"), ("july-b", "2024-07-30")):
        (project / "content" / "articles" / f"{slug}.md").write_text(
            f"---\ntitle: {slug}\ndate: {date}\n---\nVladimir Putin spoke.\n", encoding="utf-8")
    out = build(project).out
    figure = soup(out, "entities/vladimir-putin.html").select_one("figure.timeline")
    bars = {rect.title.get_text(): float(rect["height"]) for rect in figure.select("svg rect")}
    assert set(bars) == {"May 2024: 1 article", "June 2024: 1 article", "July 2024: 2 articles"}
    assert bars["July 2024: 2 articles"] == 2 * bars["May 2024: 1 article"]
    assert figure.svg["role"] == "img" and "May 2024 to July 2024" in figure.svg["aria-label"]
    assert figure.svg.find("script") is None and not figure.select("[href]")
    assert soup(out, "entities/to-lam.html").select_one("figure.timeline") is None  # one month only


def test_theme_toggle_and_print_styles_are_in_place(relocatable: Path) -> None:
    page = soup(relocatable, ARTICLE)
    button = page.select_one("header button.theme-toggle")
    assert button.has_attr("hidden") and button["aria-pressed"] == "false"  # shown by its script
    head_script = page.head.find("script", src=False, type=False)
    assert "site-builder-theme" in head_script.string  # the stored choice, applied before the first paint
    assert page.head.find("script", src="../static/site.js").has_attr("defer")
    script = (relocatable / "static" / "site.js").read_text(encoding="utf-8")
    assert "localStorage.setItem" in script and "aria-pressed" in script
    css = (relocatable / "static" / "style.css").read_text(encoding="utf-8")
    assert ':root[data-theme="dark"]' in css and ':root:not([data-theme="light"])' in css
    assert ':root[data-theme="dark"] .highlight' in (relocatable / "static" / "pygments.css").read_text(
        encoding="utf-8")
    printed = css[css.index("@media print"):]
    assert "Appendix: cross-references" in printed and 'a[href^="http"]::after' in printed
    assert ".theme-toggle" in printed and ".site-header nav" in printed


@given(st.text())
def test_the_lists_escape_text_as_markupsafe_does(text: str) -> None:
    assert _text(text) == str(escape(text))


def test_lists_made_by_filters_escape_titles_names_and_sentences(tmp_path: Path) -> None:
    """The lists that filters make in Python, not the templates (which escape on their own)."""
    project = copy_example(tmp_path)
    (project / "content" / "entities" / "att.md").write_text(
        '---\nname: "AT&T <i>Labs</i>"\ntype: organization\n---\n', encoding="utf-8")
    title = "<b>Putin</b> & 'friends' \"again\""
    quoted = title.replace("'", "''")  # in YAML's single quotes
    for slug in ("one", "two"):
        (project / "content" / "articles" / f"{slug}.md").write_text(
            f"---\ntitle: '{quoted} {slug}'\ndate: 2024-07-01\ntags: [russia]\n---\n"
            "Vladimir Putin met AT&T \\<i>Labs\\</i> & Kim Jong Un in Moscow.\n", encoding="utf-8")
    config = project / "site.toml"
    config.write_text(f'base_url = "{BASE}"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    out = build(project).out
    feed = feedparser.parse((out / "entities" / "vladimir-putin.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert f"{title} one" in [entry.title for entry in feed.entries]
    assert "Vladimir Putin met AT&T <i>Labs</i> & Kim Jong Un in Moscow." in [entry.summary for entry in feed.entries]
    pages = {path: soup(out, path) for path in ("entities/vladimir-putin.html", "entities/att.html",
                                                "articles/one.html", "tags/russia.html", "articles/2024/07.html",
                                                "articles/index.html")}
    for path, page in pages.items():
        assert not page.select("main b, main i"), path  # no markup from a title, name or sentence
    putin = pages["entities/vladimir-putin.html"]
    assert f"{title} one" in [a.get_text() for a in putin.select("ol.appearances li > a")]
    assert "Vladimir Putin met AT&T <i>Labs</i> & Kim Jong Un in Moscow." in [
        q.get_text() for q in putin.select("ol.appearances blockquote")]
    assert "AT&T <i>Labs</i>" in [a.get_text() for a in putin.select("ul.cooccurring a")]
    article = pages["articles/one.html"]
    assert "AT&T <i>Labs</i>" in [a.get_text() for a in article.select("aside .xref-group a")]
    related = {li.a.get_text(): li.select_one(".shared").get_text() for li in article.select("ol.related li")}
    assert "AT&T <i>Labs</i>" in related[f"{title} two"]
    for path in ("tags/russia.html", "articles/2024/07.html", "articles/index.html"):
        assert f"{title} one" in [a.get_text() for a in pages[path].select("ul.date-list a")], path


LAYOUT = "<main>{% block main %}{% endblock %}</main><p>{{ title }}</p>"
ONCE = {  # templates that show the body once, as it is
    "plain": {"t": "<h1>{{ title }}</h1>{{ body }}<p>{{ title|upper }}</p>"},
    "in a block of its own": {"t": "{% block b %}<div>{{ body }}</div>{% endblock %}"},
    "a child's block": {"t": '{% extends "base" %}{% block main %}<article>{{ body }}</article>{% endblock %}',
                        "base": LAYOUT},
    "a child's nested block": {"t": '{% extends "base" %}{% block main %}{% block inner %}{{ body }}{% endblock %}'
                                    '{% endblock %}', "base": LAYOUT},
    "with an include and an import": {"t": '{% from "m" import tag %}{% include "i" %}{{ body }}{{ tag(title) }}',
                                      "i": "<p>{{ title }}</p>", "m": "{% macro tag(x) %}<b>{{ x }}</b>{% endmacro %}"},
}
NOT_ONCE = {
    "twice": {"t": "{{ body }}{{ body }}"},
    "filtered": {"t": "{{ body|safe }}"},
    "made something of": {"t": "{{ body }}<p>{{ body|striptags|wordcount }} words</p>"},
    "in a condition": {"t": "{% if title %}{{ body }}{% endif %}"},
    "in a loop": {"t": "{% for x in [1] %}{{ body }}{% endfor %}"},
    "in a macro": {"t": "{% macro m() %}{{ body }}{% endmacro %}{{ m() }}"},
    "set": {"t": "{% set body = title %}{{ body }}"},
    "absent": {"t": "<p>{{ title }}</p>"},
    "in an include": {"t": '{% include "i" %}', "i": "{{ body }}"},
    "in what an include extends": {"t": '{{ body }}{% include "i" %}', "i": '{% extends "x" %}',
                                   "x": "{{ body|striptags }}"},
    "block overridden": {"t": '{% extends "base" %}{% block main %}x{% endblock %}',
                         "base": "{% block main %}{{ body }}{% endblock %}"},
    "block in a loop": {"t": '{% extends "base" %}{% block main %}{{ body }}{% endblock %}',
                        "base": "{% for i in [1, 2] %}{% block main %}{% endblock %}{% endfor %}"},
    "block called again": {"t": '{% extends "base" %}{% block main %}{{ body }}{% endblock %}',
                           "base": LAYOUT + "{{ self.main() }}"},
    "super": {"t": '{% extends "base" %}{% block main %}{{ super() }}{{ body }}{% endblock %}', "base": LAYOUT},
    "block the parent does not show": {"t": '{% extends "base" %}{% block other %}{{ body }}{% endblock %}',
                                       "base": LAYOUT},
    "outside the blocks of a child": {"t": '{% extends "base" %}{{ body }}', "base": LAYOUT},
    "extends a variable": {"t": "{% extends layout %}{% block main %}{{ body }}{% endblock %}", "base": LAYOUT},
    "extends in a condition": {"t": '{% if title %}{% extends "base" %}{% endif %}{% block main %}{{ body }}'
                                    '{% endblock %}', "base": LAYOUT},
    "includes itself": {"t": '{{ body }}{% include "t" %}'},
}


def environment(templates: dict[str, str]) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader(templates), autoescape=True, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True)


@pytest.mark.parametrize("case", ONCE)
def test_a_template_showing_the_body_once_as_it_is_gives_the_page_with_any_body_in_its_place(case: str) -> None:
    env = environment(ONCE[case])
    assert shows_body_once(env, "t")
    render = env.get_template("t").render
    old, new = "<p>Old & <b>bold</b></p>", "<p>New</p>\n<p>text</p>"
    page = render(title="A & B", body=Markup(old), layout="base")
    assert page.count(old) == 1
    assert page.replace(old, new) == render(title="A & B", body=Markup(new), layout="base")


@pytest.mark.parametrize("case", NOT_ONCE)
def test_any_other_use_of_the_body_is_not_taken_for_showing_it_once(case: str) -> None:
    assert not shows_body_once(environment(NOT_ONCE[case]), "t")


def test_the_default_article_template_shows_the_body_once() -> None:
    assert shows_body_once(make_environment(load_config(ROOT)), ARTICLE_TEMPLATE)


def test_templates_see_the_environments_globals_under_their_own(tmp_path: Path) -> None:
    """Template globals are one plain dict (see render._Environment): the environment's, with
    a template's own over them, as Jinja's ChainMap gives them; imported macros see them too."""
    from site_builder.model import Config
    from site_builder.render import TYPE_LABELS

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "m.html").write_text("{% macro m() %}{{ type_labels.person }}{% endmacro %}")
    (tmp_path / "templates" / "t.html").write_text(
        '{% from "m.html" import m %}{{ m() }} {{ type_labels.place }} {{ extra|default("none") }}')
    env = make_environment(Config(root=tmp_path))
    assert env.get_template("t.html").render() == f"{TYPE_LABELS['person']} {TYPE_LABELS['place']} none"
    overlaid = env.get_template("t.html", globals={"extra": "mine", "type_labels": {"person": "P", "place": "Q"}})
    assert overlaid.render() == f"{TYPE_LABELS['person']} Q mine"  # the macro keeps its own template's
    assert env.globals["type_labels"] is TYPE_LABELS  # the environment's own are left as they were


DESCRIPTIONS: dict[str, tuple[dict[str, str], frozenset[str] | None]] = {
    # case -> (templates, whose descriptions "t" can show: the variables named; None: anyone's)
    "names and types": ({"t": "{{ e.name }} {{ e.type }} {{ site.description }}"}, frozenset()),
    "a variable's": ({"t": "{{ entity.description }}{{ entity_ld(entity, site) }}"}, frozenset({"entity"})),
    "in what it extends": ({"t": '{% extends "b" %}', "b": "{{ other.description }}"}, frozenset({"other"})),
    "in an import": ({"t": '{% from "m" import f %}{{ f() }}', "m": "{% macro f() %}{{ e.description }}{% endmacro %}"},
                     frozenset({"e"})),
    "a loop's": ({"t": "{% for e in es %}{{ e.description }}{% endfor %}"}, None),
    "a macro's argument": ({"t": "{% macro f(e) %}{{ e.description }}{% endmacro %}{{ f(x) }}"}, None),
    "set": ({"t": "{% set e = es[0] %}{{ e.description }}"}, None),
    "an item's": ({"t": "{{ es[0].description }}"}, None),
    "by name": ({"t": '{{ e["description"] }}'}, None),
    "by attr": ({"t": '{{ e|attr("description") }}'}, None),
    "by map": ({"t": '{{ es|map(attribute="description")|join }}'}, None),
    "entity_ld of an item": ({"t": "{{ entity_ld(es[0], site) }}"}, None),
    "entity_ld passed on": ({"t": "{{ (entity_ld,)[0](e, site) }}"}, None),
    "all cards": ({"t": "{{ entity_cards(es, {}) }}"}, None),
    "not a template": ({"t": "{% if %}"}, None),
}


@pytest.mark.parametrize("case", DESCRIPTIONS)
def test_which_entities_descriptions_a_template_can_show(case: str) -> None:
    templates, expected = DESCRIPTIONS[case]
    assert shown_descriptions(environment(templates), "t") == expected


def test_of_the_default_templates_only_the_entities_own_pages_list_and_cards_show_descriptions() -> None:
    found = describing(load_config(ROOT))
    assert found["article.html"] == found["index.html"] == found["base.html"] == frozenset()
    assert found["entity.html"] == found["entity_feed.xml"] == frozenset({"entity"})
    assert found["entities_index.html"] is None and found["entity_cards.js"] is None


def test_articles_are_grouped_by_tag_slug_and_year_newest_first() -> None:
    import datetime as dt

    from site_builder.model import Article, Document
    from site_builder.render import UNDATED, by_tag, by_year

    def art(slug: str, date: str | None, *tags: str) -> Article:
        return Article(slug=slug, title=slug, doc=Document(Path(f"{slug}.md"), "", 1), tags=tags,
                       date=dt.date.fromisoformat(date) if date else None)

    articles = (art("c", "2024-03-01", "Human Rights", "!!"), art("b", "2023-05-01", "human rights", "Law"),
                art("a", None, "law"))
    assert {slug: (label, [a.slug for a in listed]) for slug, (label, listed) in by_tag(articles).items()} == {
        "human-rights": ("Human Rights", ["c", "b"]), "law": ("Law", ["b", "a"])}  # as first written; "!!" has no slug
    assert [(year, [a.slug for a in listed]) for year, listed in by_year(articles)] == [
        ("2024", ["c"]), ("2023", ["b"]), (UNDATED, ["a"])]
