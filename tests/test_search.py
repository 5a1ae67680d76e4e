"""The search index: script files, sharded by the first letters of each word."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from site_builder import pipeline, search
from site_builder.pipeline import build
from site_builder.search import (
    BLOCK,
    Row,
    block_count,
    block_of,
    fold,
    index_block,
    patch_block,
    plain_text,
    search_files,
    shard_of,
    update_files,
    words,
)

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
    assert counts == "deja pyongyang|next"
    assert opening == "Déjà Pyongyang. Next next"
    assert " ".join(plain_text("<p>a &amp; b</p><li>c</li>").split()) == "a & b c"
    assert fold("Zürich") == "zurich" and shard_of("zurich") == "zu" and shard_of("é") == "__"


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(max_codepoint=0x100)) | st.text())
def test_words_of_latin1_text_by_byte_table_are_the_regex_words(text: str) -> None:
    assert search._words(text) == re.findall(r"\w+", text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["word", "a", " ", "\n\n\n", " \t ", "x" * 300, " " * 700, "\u00a0"]), max_size=40)
       .map("".join))
@example("a" * 999 + " " * 251 + "b")  # the first 1.25 EXCERPT join to one character too few
def test_the_opening_read_from_the_start_is_the_opening_of_the_first_four_excerpts(text: str) -> None:
    assert search._opening(text) == " ".join(text[:search.EXCERPT * 4].split())[:search.EXCERPT]


def test_each_word_is_in_its_shard_with_its_articles(out: Path) -> None:
    index = load(out, "index")
    assert index["blocks"] == 1 and index["common"] == [[]]  # two articles: nothing is common
    (titles,) = load(out, "titles")
    order = [row[1] for row in titles]
    assert order == ["russia-north-korea-pact", "zurich"]  # by slug
    assert titles[1] == ["Zürich talks", "zurich", "2024-07-01"]
    assert load(out, "excerpts-0-0")[1] == "Vladimir Putin did not go to Zürich."
    assert set(index["shards"]) == {p.stem.removeprefix("terms-") for p in (out / "search").glob("terms-*.js")}
    zurich = load(out, "terms-zu")
    assert zurich == [{"zurich": [3 * order.index("zurich") + 2]}]  # in the title
    assert load(out, "terms-pu")[0]["putin"] == [3 * 0 + 1, 3 * 1 + 0]  # more than once in one, once in the other
    for name in index["shards"]:
        for word in load(out, f"terms-{name}")[0]:
            assert shard_of(word, len(name)) == name and word == fold(word)


def rows(*texts: str) -> list[Row]:
    return [Row(f"Title {i}", f"a{i}", "", words(f"<p>{text}</p>")[0], text[:10]) for i, text in enumerate(texts)]


def test_words_in_most_of_a_block_are_left_out_and_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "COMMON_FLOOR", 2)
    block = index_block(rows("the cat", "the dog", "the cat and the owl owl", "a title owl"))
    assert block.common == ["the", "title"]  # in 3 and 4 of 4 articles: more than half
    assert "the" not in block.terms
    assert json.loads("{" + block.terms["cat"] + "}") == {"cat": [0, 6]}
    assert json.loads("{" + block.terms["owl"] + "}") == {"owl": [3 * 2 + 1, 3 * 3]}  # twice in the third, once in the fourth
    assert json.loads(block.titles)[3] == ["Title 3", "a3", ""]
    assert json.loads(block.excerpts[0])[3] == "a title ow"


def test_blocks_are_stable_powers_of_two() -> None:
    assert [block_count(n) for n in (0, 1, BLOCK, BLOCK + 1, 4 * BLOCK, 4 * BLOCK + 1)] == [1, 1, 1, 2, 4, 8]
    assert all(block_of(f"s{i}", 8) == block_of(f"s{i}", 8) % 4 + 4 * (block_of(f"s{i}", 8) // 4)
               for i in range(50))
    assert len({block_of(f"s{i}", 8) for i in range(200)}) == 8  # the hash spreads them


def test_an_edit_patches_one_block_as_indexing_it_again_would(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "BLOCK", 1)  # eight blocks for the example's few articles
    project = copy_example(tmp_path)
    folder = project / "content" / "articles"
    for i in range(5):
        (folder / f"a{i}.md").write_text(f"---\ntitle: Article {i}\n---\nPutin spoke {i} times.\n", encoding="utf-8")
    indexed: list[list[str]] = []
    real, patch = pipeline.index_block, pipeline.patch_block
    monkeypatch.setattr(pipeline, "index_block", lambda rows: indexed.append([r.slug for r in rows]) or real(rows))
    patched: list[list[str]] = []
    monkeypatch.setattr(pipeline, "patch_block", lambda block, size, edits: patched.append(
        [new.slug for _, new in edits.values()]) or patch(block, size, edits))
    first = build(project, jobs=1).out
    assert load(first, "index")["blocks"] == 8 and sorted(s for block in indexed for s in block) == \
        sorted(["a0", "a1", "a2", "a3", "a4", "russia-north-korea-pact"])
    before = {p.name: p.read_bytes() for p in (first / "search").iterdir()}
    indexed.clear()
    (folder / "a3.md").write_text("---\ntitle: Article 3\n---\nPutin spoke of zebras.\n", encoding="utf-8")
    after = {p.name: p.read_bytes() for p in (build(project, jobs=1).out / "search").iterdir()}
    assert indexed == [] and patched == [["a3"]]
    clean = build(project, jobs=1, out=tmp_path / "clean", cache=False).out
    assert after == {p.name: p.read_bytes() for p in (clean / "search").iterdir()}
    block = search.block_of("a3", 8)
    changed = {name for name in after if before.get(name) != after[name]}
    # Its opening words, the new shard's name, and the words it lost or gained ("3" is still in its title).
    assert changed == {f"excerpts-{block}-0.js", "index.js", *(f"terms-{shard_of(w)}.js" for w in ("times", "of", "zebras"))}
    hits = load(first, "terms-ze")[block]["zebras"]
    assert load(first, "titles")[block][hits[0] // 3][1] == "a3"


def test_entities_are_listed_with_their_type_and_count(out: Path) -> None:
    entities = {row[0]: row for row in load(out, "entities")}
    assert entities["vladimir-putin"][1:] == ["Vladimir Putin", [], "person", 2]
    assert "U.N. Security Council" in entities["un-security-council"][2]


def test_pages_carry_a_search_box_that_needs_its_script(out: Path) -> None:
    html = (out / ARTICLE).read_text(encoding="utf-8")
    assert '<form class="site-search" role="search" data-root="../" hidden>' in html
    assert '<input type="search" id="search-box"' in html
    assert '<script src="../static/search.js" defer></script>' in html


def test_excerpts_are_forty_a_file_as_search_js_reads_them_and_hold_the_opening_words() -> None:
    block = index_block(rows(*(f"text {i}" for i in range(85))))
    assert [len(json.loads(part)) for part in block.excerpts] == [40, 40, 5]
    assert json.loads(block.excerpts[2])[0] == "text 80"
    script = (Path(search.__file__).parents[1] / "themes" / "default" / "static" / "search.js").read_text()
    assert re.search(r"var EXCERPTS_PER_FILE = (\d+);", script).group(1) == str(search.EXCERPTS_PER_FILE)  # type: ignore[union-attr]
    _, opening = words("<p>" + "word " * 400 + "</p>")
    assert len(opening) == search.EXCERPT and opening.startswith("word word")


def test_words_of_a_crowded_prefix_get_files_by_three_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "SPLIT", 40)
    blocks = [index_block(rows("con cone cook", "cat")), index_block(rows("cone dog", "co"))]
    files = {p.path.removeprefix("search/").removesuffix(".js"): p for p in search_files([], blocks)[0]}
    index = json.loads(files["index"].content.decode()[len('siteSearch.add("index",'):-3])
    assert index["shards"] == ["0_", "1_", "ca", "co_", "con", "coo", "do", "ti"]  # "co..." is too big for one file
    con = json.loads(files["terms-con"].content.decode()[len('siteSearch.add("terms-con",'):-3])
    assert con == [{"con": [0], "cone": [0]}, {"cone": [0]}]
    co = json.loads(files["terms-co_"].content.decode()[len('siteSearch.add("terms-co_",'):-3])
    assert co == [{}, {"co": [3]}]


ARTICLES = st.lists(st.tuples(st.text(max_size=6),  # a title (any characters: "]],[[" too)
                              st.lists(st.sampled_from(["cat", "cab", "co", "cone", "cook", "dog", "zebra", "über",
                                                        "éclair", "日本", "x1", "a_b"]), max_size=12).map(" ".join)),
                    max_size=4)


@settings(max_examples=300, deadline=None)
@given(st.lists(ARTICLES, min_size=1, max_size=4), st.data(), st.sampled_from([40, 100, search.SPLIT]))
def test_files_made_again_from_the_last_ones_are_those_made_whole(before: list[list[tuple[str, str]]],
                                                                   data: st.DataObject, split: int) -> None:
    drawn = [data.draw(st.none() | ARTICLES) for _ in before]
    after = [articles if articles is not None else last for articles, last in zip(drawn, before)]  # None: unchanged

    def indexed(b: int, articles: list[tuple[str, str]]) -> search.Block:
        return index_block([Row(title, f"s{b}-{i}", "", words(f"<p>{text}</p>")[0], text[:5])
                            for i, (title, text) in enumerate(articles)])

    listed: list[list[object]] = [["e", "E", [], "person", 1]]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "SPLIT", split)
        patch.setattr(search, "COMMON_FLOOR", 1)  # some words common, others not
        old, new = [indexed(*b) for b in enumerate(before)], [indexed(*b) for b in enumerate(after)]
        pages, layout = search_files(listed, old)
        live = {page.path: page.content for page in pages}
        changed = {b: (old[b], new[b]) for b in range(len(old)) if after[b] is not before[b]}
        done = update_files(listed, layout, changed, live.get)
        expected, expected_layout = search_files(listed, new)
        if done is None:  # only when the terms files are grouped otherwise
            assert search._terms_files(layout.sizes) != search._terms_files(expected_layout.sizes)
            return
        made, kept, new_layout = done
        assert len(made) + len(kept) == len(expected) and new_layout == expected_layout
        assert {**{path: live[path] for path in kept}, **{page.path: page.content for page in made}} == \
            {page.path: page.content for page in expected}
        if any(page.path in live and page.path.startswith(("search/terms-", "search/titles")) for page in made):
            # a file put together from the last one: a damaged one is noticed
            assert update_files(listed, layout, changed, lambda path: live[path][:len(live[path]) // 2]) is None


WORDS = st.lists(st.sampled_from(["cat", "cab", "co", "cone", "dog", "zebra", "über", "日本", "x1", "a_b", "said"]),
                 max_size=10).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "Cat", "Dog said", "Zebra cone"]), WORDS), min_size=1, max_size=9),
       st.data(), st.integers(1, 3))
def test_a_block_patched_after_an_edit_is_the_block_indexed_whole(articles: list[tuple[str, str]],
                                                                   data: st.DataObject, floor: int) -> None:
    def row(i: int, title: str, text: str) -> Row:
        return Row(title, f"s{i}", "", *words(f"<p>{text}</p>"))

    edited = data.draw(st.dictionaries(st.integers(0, len(articles) - 1), WORDS, min_size=1))
    before = [row(i, title, text) for i, (title, text) in enumerate(articles)]
    after = [row(i, title, edited.get(i, text)) for i, (title, text) in enumerate(articles)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "COMMON_FLOOR", floor)
        patch.setattr(search, "EXCERPTS_PER_FILE", 2)
        old, whole = index_block(before), index_block(after)
        patched = patch_block(old, len(after), {i: (before[i], after[i]) for i in edited})
    if patched is None:  # only when a word that was common is common no more
        assert set(old.common) - set(whole.common)
        return
    assert patched == whole and list(patched.terms) == list(whole.terms)
    assert patch_block(old, len(after), {0: (before[0]._replace(title="Other"), after[0])}) is None
