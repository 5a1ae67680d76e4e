"""Cross-references on real text: BBC News articles with a small registry.

The article counts on entity pages must equal an independent count: the
articles whose body contains one of the entity's full names as a whole word.
Short names ("Blair") do not change that count, because they only count after
a full mention in the same article. Skipped when ../shared/corpora is absent.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from site_builder.pipeline import build

from .conftest import SHARED

BBC = SHARED / "corpora" / "bbc"
REGISTRY = {
    "tony-blair": ("Tony Blair", "person", [], ["Blair", "Mr Blair"]),
    "gordon-brown": ("Gordon Brown", "person", [], ["Brown", "Mr Brown"]),
    "michael-howard": ("Michael Howard", "person", [], ["Howard", "Mr Howard"]),
    "charles-kennedy": ("Charles Kennedy", "person", [], ["Kennedy", "Mr Kennedy"]),
    "microsoft": ("Microsoft", "organization", [], []),
    "sony": ("Sony", "organization", [], []),
    "apple": ("Apple", "organization", [], []),
    "google": ("Google", "organization", [], []),
    "labour": ("Labour Party", "organization", ["Labour"], []),
    "european-union": ("European Union", "organization", ["EU"], []),
}

pytestmark = pytest.mark.skipif(not BBC.is_dir(), reason="shared BBC corpus not present")


def _body(path: Path) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    title = re.search(r'^title: "(.*)"$', front, re.M).group(1)  # type: ignore[union-attr]
    return title.replace('\\"', '"'), body


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    project = tmp_path_factory.mktemp("bbc")
    articles = project / "content" / "articles"
    articles.mkdir(parents=True)
    bodies = {}
    files = sorted((BBC / "politics").glob("*.md")) + sorted((BBC / "tech").glob("*.md"))
    for i, path in enumerate(files):
        title, body = _body(path)
        slug = f"{path.parent.name}-{path.stem}"
        date = dt.date(2005, 1, 1) + dt.timedelta(days=i % 365)
        front = f'---\ntitle: "{title.replace(chr(34), chr(39))}"\ndate: {date}\n---\n'
        (articles / f"{slug}.md").write_text(front + body, encoding="utf-8")
        bodies[slug] = body
    entities = project / "content" / "entities"
    entities.mkdir()
    for entity_id, (name, kind, aliases, short) in REGISTRY.items():
        (entities / f"{entity_id}.md").write_text(
            f"---\nname: {name}\ntype: {kind}\naliases: {aliases}\nshort_names: {short}\n---\n", encoding="utf-8")
    out = build(project).out
    return out, bodies


def independent_count(bodies: dict[str, str], entity_id: str) -> set[str]:
    name, _, aliases, _ = REGISTRY[entity_id]
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in [name, *aliases]))
    return {slug for slug, body in bodies.items() if pattern.search(body)}


@pytest.mark.parametrize("entity_id", sorted(REGISTRY))
def test_entity_page_counts_match_an_independent_count(corpus: tuple[Path, dict[str, str]], entity_id: str) -> None:
    out, bodies = corpus
    expected = independent_count(bodies, entity_id)
    soup = BeautifulSoup((out / "entities" / f"{entity_id}.html").read_text(encoding="utf-8"), "html.parser")
    listed = {a["href"].removeprefix("../articles/").removesuffix(".html") for a in soup.select(".appearances li > a")}
    assert listed == expected
    heading = soup.select_one("#mentions-heading").get_text()
    assert heading.startswith(f"Mentioned in {len(expected)} article")
    assert len(expected) > 0


def test_sidebars_agree_with_entity_pages(corpus: tuple[Path, dict[str, str]]) -> None:
    out, bodies = corpus
    expected = independent_count(bodies, "tony-blair")
    for slug in sorted(bodies)[:120]:
        soup = BeautifulSoup((out / "articles" / f"{slug}.html").read_text(encoding="utf-8"), "html.parser")
        in_sidebar = "Tony Blair" in [a.get_text() for a in soup.select("aside .xref-group a")]
        assert in_sidebar == (slug in expected), slug


def test_news_text_annotated_without_markdown_it_is_what_markdown_it_makes_of_it() -> None:
    """Real articles are mostly paragraphs of plain text, which annotation reads without
    markdown-it (``_plain_blocks``): every one is annotated as markdown-it parses it."""
    import site_builder.annotate as module
    from site_builder.model import Document
    from site_builder.names import NameTable

    from .conftest import entity
    from .test_annotate import _same_either_way
    names = NameTable(entity(i, name, type=kind, aliases=a, short_names=s) for i, (name, kind, a, s) in REGISTRY.items())
    docs = [Document(path, _body(path)[1], 4) for folder in ("politics", "tech", "business")
            for path in sorted((BBC / folder).glob("*.md"))]
    # and the same articles hard-wrapped, as text editors save them: names cross line breaks
    docs += [Document(d.path, "\n\n".join(textwrap.fill(p.strip(), 60) for p in d.body.split("\n\n")), 4) for d in docs]
    for d in docs:
        _same_either_way(names, d.body, False)
    plain = sum(module._plain_blocks(d.body) is not None for d in docs)
    assert plain > len(docs) / 2, f"{plain} of {len(docs)}"
