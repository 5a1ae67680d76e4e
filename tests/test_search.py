"""The search index: script files, sharded by the first letters of each word."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from site_builder.pipeline import build
from site_builder.search import fold, plain_text, shard_of, words

from .test_pipeline import ARTICLE, copy_example


def load(out: Path, name: str) -> object:
    text = (out / "search" / f"{name}.js").read_text(encoding="utf-8")
    match = re.fullmatch(r'siteSearch\.add\("([^"]+)",(.*)\);\n', text, re.S)
    assert match and match[1] == name
    return json.loads(match[2])


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_example(tmp_path_factory.mktemp("search"))
    (project / "content" / "articles" / "zurich.md").write_text(
        "---\ntitle: Zürich talks\ndate: 2024-07-01\n---\nVladimir Putin did not go to <b>Zürich</b>.\n",
        encoding="utf-8")
    return build(project).out


def test_words_are_folded_and_split_at_blocks_not_links() -> None:
    counts, opening = words('<p>Déjà <a href="x">Pyong</a>yang.</p><p>Next next</p>')
    assert counts == "deja 1 pyongyang 1 next 2"
    assert opening == "Déjà Pyongyang. Next next"
    assert plain_text("<p>a &amp; b</p><li>c</li>") == "a & b c"
    assert fold("Zürich") == "zurich" and shard_of("zurich") == "zu" and shard_of("é") == "__"


def test_each_word_is_in_its_shard_with_its_articles(out: Path) -> None:
    index = load(out, "index")
    articles = load(out, "articles-0")
    assert index["articles"] == len(articles) == 2
    order = [row[1] for row in articles]
    assert set(order) == {"zurich", "russia-north-korea-pact"}
    assert set(index["shards"]) == {p.stem.removeprefix("terms-") for p in (out / "search").glob("terms-*.js")}
    zurich = load(out, "terms-zu")["zurich"]
    assert zurich == [order.index("zurich"), 1 + 3]  # once in the text, and the title counts triple
    putin = load(out, "terms-pu")["putin"]
    assert sorted(putin[::2]) == [0, 1]
    for name in index["shards"]:
        for word in load(out, f"terms-{name}"):
            assert shard_of(word) == name and word == fold(word)


def test_entities_are_listed_with_their_type_and_count(out: Path) -> None:
    entities = {row[0]: row for row in load(out, "entities")}
    assert entities["vladimir-putin"][1:] == ["Vladimir Putin", [], "person", 2]
    assert "U.N. Security Council" in entities["un-security-council"][2]


def test_pages_carry_a_search_box_that_needs_its_script(out: Path) -> None:
    html = (out / ARTICLE).read_text(encoding="utf-8")
    assert '<form class="site-search" role="search" data-root="../" hidden>' in html
    assert '<input type="search" id="search-box"' in html
    assert '<script src="../static/search.js" defer></script>' in html
