"""Incremental builds: after any edit, the site equals a clean build's, and only
the pages whose bytes changed were written."""

from __future__ import annotations

import os
import random
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from site_builder import annotate as annotate_module
from site_builder import index, pipeline, search
from site_builder.cache import Cache
from site_builder.pipeline import CACHE, PageKeys, _load, _shard, _splice, _store, build

from .conftest import ROOT
from .test_pipeline import copy_example

ARTICLE = "articles/russia-north-korea-pact.html"


def snapshot(out: Path) -> dict[str, tuple[bytes, int]]:
    """Every file but the marker: its bytes and inode (a linked, unchanged file keeps its inode)."""
    return {p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_ino)
            for p in out.rglob("*") if p.is_file() and p.name != ".site-builder"}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def second_article(project: Path) -> None:
    (project / "content" / "articles" / "second.md").write_text(
        "---\ntitle: Second\ndate: 2024-07-01\n---\nPutin met Kim Jong Un in Pyongyang. Vietnam watched.\n",
        encoding="utf-8")


EDITS: dict[str, tuple[Callable[[Path], None], set[str] | None]] = {
    # name -> (the edit, the pages it must change; None: too many to list)
    "entity body": (lambda p: append(p / "content/entities/moscow.md", "\nMore about the city.\n"),
                    {"entities/moscow.html"}),
    "entity description": (lambda p: edit(p / "content/entities/moscow.md", "description: ", "description: Big. "),
                           {"entities/moscow.html", "entities/index.html", "entities/cards.js"}),  # not the
    # article's page: its preview cards are in entities/cards.js
    "article text": (lambda p: append(p / "content/articles/russia-north-korea-pact.md", "\nThe talks went on.\n"),
                     {ARTICLE}),
    "quoted sentence": (lambda p: edit(p / "content/articles/russia-north-korea-pact.md", "pact", "treaty"), None),
    "article mentions": (lambda p: append(p / "content/articles/russia-north-korea-pact.md",
                                          "\nLater, Moscow spoke again.\n"), None),
    "new article": (second_article, None),
    "new entity": (lambda p: (p / "content/entities/seoul.md").write_text(
        "---\nname: Seoul\ntype: place\n---\n", encoding="utf-8"), None),
    "template": (lambda p: (p / "templates").mkdir() or (p / "templates/entity.html").write_text(
        (ROOT / "themes/default/templates/entity.html").read_text(encoding="utf-8").replace(
            "Mentioned with", "Seen with"), encoding="utf-8"), None),
    "config": (lambda p: edit(p / "site.toml", "Annotated News", "Annotated Newz"), None),
}


@pytest.mark.parametrize("name", EDITS)
def test_an_edit_rewrites_exactly_the_pages_it_changes(tmp_path: Path, name: str) -> None:
    project = copy_example(tmp_path)
    second_article(project) if name != "new article" else None
    first = build(project, jobs=2)
    before = snapshot(first.out)
    change, expected = EDITS[name]
    change(project)
    again = build(project, jobs=2)
    after = snapshot(again.out)
    clean = build(project, tmp_path / "clean", jobs=1, cache=False)
    assert {path: data for path, (data, _) in after.items()} == \
        {path: data for path, (data, _) in snapshot(clean.out).items()}
    changed = {path for path in after if path not in before or before[path][0] != after[path][0]}
    assert changed, "the edit changed nothing"
    pages = {path for path in changed if not path.startswith("search/")}  # the search index: checked below
    if expected is not None:
        assert pages == expected
    if name == "article mentions":  # the count on Moscow's page, and co-occurrence ties it breaks
        assert {ARTICLE, "entities/moscow.html"} <= pages <= {ARTICLE, *(p for p in after if "/" in p and p.startswith("entities/"))}
    assert again.pages == len(changed) and again.unchanged == len(after) - len(changed)
    # Unchanged pages are the very same files (hard links), so sync tools see no change.
    assert all(after[path][1] == before[path][1] for path in after if path not in changed)
    if name == "template":
        assert pages == {p for p, (data, _) in after.items() if b"Seen with" in data}
    if name == "config":
        assert pages == {p for p in after if p.endswith(".html")}
    searched = {path for path in changed if path.startswith("search/terms-")}
    assert bool(searched) == (name in ("article text", "quoted sentence", "article mentions", "new article"))


def test_edits_and_undo_round_trip(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    path = project / "content/articles/russia-north-korea-pact.md"
    original = path.read_text(encoding="utf-8")
    first = snapshot(build(project).out)
    append(path, "\nVietnam again.\n")
    build(project)
    path.write_text(original, encoding="utf-8")
    result = build(project)
    assert {p: d for p, (d, _) in snapshot(result.out).items()} == {p: d for p, (d, _) in first.items()}


def test_a_new_output_folder_gets_every_page(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    first = build(project)
    other = build(project, tmp_path / "other")
    assert other.unchanged == 0 and other.pages == first.pages
    assert {p: d for p, (d, _) in snapshot(other.out).items()} == {p: d for p, (d, _) in snapshot(first.out).items()}


def test_a_deleted_page_in_the_output_is_written_again(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    out = build(project).out
    (out / ARTICLE).unlink()
    edit(project / "content/entities/moscow.md", "description: ", "description: Big. ")
    again = build(project)
    assert (again.out / ARTICLE).is_file()


@pytest.mark.parametrize("damage", ["truncate", "garble", "flip a value"])
def test_a_damaged_cache_is_detected_and_rebuilt(tmp_path: Path, damage: str) -> None:
    project = copy_example(tmp_path)
    out = build(project).out
    expected = {p: d for p, (d, _) in snapshot(out).items()}
    db = project / CACHE / "cache.sqlite"
    edit(project / "content/entities/moscow.md", "description: ", "description: Big. ")
    if damage == "flip a value":
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE entries SET value = substr(value, 1, 40) || x'00' || substr(value, 42)"
                         " WHERE ns = 'files'")
    else:
        for leftover in (project / CACHE).glob("cache.sqlite-*"):
            leftover.unlink()  # the write-ahead log would otherwise repair the damage
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 3] if damage == "truncate" else b"\xff" * 4096 + data[4096:])
    result = build(project)
    assert any("cache was unreadable" in w.message for w in result.warnings)
    expected["entities/moscow.html"] = (out / "entities/moscow.html").read_bytes()
    expected["entities/index.html"] = (out / "entities/index.html").read_bytes()
    clean = build(project, tmp_path / "clean", cache=False).out
    assert {p: d for p, (d, _) in snapshot(out).items()} == {p: d for p, (d, _) in snapshot(clean).items()}
    assert b"Big. " in expected["entities/moscow.html"]
    again = build(project)  # the rebuilt cache works
    assert not any("cache" in w.message for w in again.warnings)


def built_and_watched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """The example with a second article, built; and the list of the pages rendered from then on."""
    project = copy_example(tmp_path)
    second_article(project)
    build(project, jobs=1)
    rendered: list[str] = []
    original = pipeline.render_page
    monkeypatch.setattr(pipeline, "render_page", lambda env, config, plan, *args, **kwargs:
                        rendered.append(plan.path) or original(env, config, plan, *args, **kwargs))
    return project, rendered


def test_a_new_article_sharing_nothing_with_an_article_leaves_its_page_unrendered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new article changes the weight of every entity, so every related article's score: no
    page shows scores, so a page whose related articles are the same is not made again."""
    project, rendered = built_and_watched(tmp_path, monkeypatch)
    (project / "content" / "articles" / "third.md").write_text(
        "---\ntitle: Third\ndate: 2024-08-01\n---\nNothing anyone knows.\n", encoding="utf-8")
    build(project, jobs=1)
    assert "articles/third.html" in rendered and "articles/second.html" in rendered  # its newer neighbour
    assert ARTICLE not in rendered


def test_a_new_description_renders_only_the_pages_that_can_show_it(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The article page shows Moscow's name, not its description: it is not made again. With an
    article template of the project's own that shows its entities' descriptions, it is."""
    project, rendered = built_and_watched(tmp_path, monkeypatch)
    moscow = project / "content/entities/moscow.md"
    edit(moscow, "description: ", "description: Big. ")
    build(project, jobs=1)
    assert sorted(rendered) == ["entities/cards.js", "entities/index.html", "entities/moscow.html"]

    (project / "templates").mkdir()
    (project / "templates/article.html").write_text(
        (ROOT / "themes/default/templates/article.html").read_text(encoding="utf-8").replace(
            "{% endblock %}\n{% block main %}",
            "{% endblock %}\n{% block main %}{% for _, items in groups %}{% for e, n in items %}"
            "<p class=\"about\">{{ e.description }}</p>{% endfor %}{% endfor %}", 1), encoding="utf-8")
    build(project, jobs=1)
    rendered.clear()
    edit(moscow, "description: Big. ", "description: Huge. ")
    out = build(project, jobs=1).out
    assert ARTICLE in rendered and "Huge." in (out / ARTICLE).read_text(encoding="utf-8")
    clean = build(project, tmp_path / "clean", jobs=1, cache=False).out
    assert (out / ARTICLE).read_bytes() == (clean / ARTICLE).read_bytes()


def test_the_cache_keeps_only_current_entries(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    path = project / "content/articles/russia-north-korea-pact.md"
    for word in ("alpha", "beta", "gamma"):
        append(path, f"\n{word}\n")
        build(project)
    documents = 1 + len(list((project / "content/entities").glob("*.md")))
    with sqlite3.connect(project / CACHE / "cache.sqlite") as conn:
        counts = dict(conn.execute("SELECT ns, count(*) FROM entries GROUP BY ns").fetchall())
    assert counts["html"] == documents and counts["words"] == 1  # words: of the one article
    assert counts["links"] == counts["cooccurring"] == 1  # each kept whole
    assert max(counts["annotated"], counts["files"], counts["pages"], counts["built"]) <= pipeline.SHARDS
    store = Cache(project / CACHE)
    try:
        files, pages = _load(store, "files"), _load(store, "pages")
    finally:
        store.close()
    assert len(files) == documents
    assert set(pages) == {p.relative_to(project / "public").as_posix()
                          for p in (project / "public").rglob("*.html")} | {"entities/cards.js"}
    for kept in (project / CACHE, project / ".public.prev"):  # neither is for git
        assert "*" in (kept / ".gitignore").read_text(encoding="utf-8").split("\n")


def test_without_the_cache_every_page_is_written(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    first = build(project)
    os.utime(project / "site.toml")  # defeat the no-change shortcut
    again = build(project, cache=False)
    assert again.pages == first.pages and again.unchanged == 0


def test_a_project_where_no_cache_can_be_kept_still_builds(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    (project / CACHE).write_text("not a folder", encoding="utf-8")  # nothing can be made there
    result = build(project)
    assert any("cannot keep a build cache" in w.message for w in result.warnings)
    assert (result.out / ARTICLE).is_file()


def test_a_cache_from_another_version_is_not_used(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    build(project)
    with sqlite3.connect(project / CACHE / "cache.sqlite") as conn:
        conn.execute("UPDATE info SET value = 'another version' WHERE name = 'code'")
        conn.execute("DELETE FROM entries WHERE ns = 'html'")  # would fail the build if trusted
    edit(project / "content/entities/moscow.md", "description: ", "description: Big. ")
    result = build(project)
    assert result.warnings == () and b"Big. " in (result.out / "entities/moscow.html").read_bytes()


def test_a_cache_in_another_format_is_replaced_without_a_word(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    build(project)
    with sqlite3.connect(project / CACHE / "cache.sqlite") as conn:
        conn.execute("UPDATE info SET value = 'site-builder cache 0' WHERE name = 'format'")
    edit(project / "content/entities/moscow.md", "description: ", "description: Big. ")
    result = build(project)
    assert result.warnings == () and b"Big. " in (result.out / "entities/moscow.html").read_bytes()
    with sqlite3.connect(project / CACHE / "cache.sqlite") as conn:
        assert conn.execute("SELECT value FROM info WHERE name = 'format'").fetchone()[0] != "site-builder cache 0"


@pytest.mark.parametrize("name, digested", [("article text", "none"), ("entity body", "none"),
                                            ("quoted sentence", "about"), ("article mentions", "about"),
                                            ("entity description", "showing"), ("new entity", "all")])
def test_page_data_is_digested_again_only_when_it_can_have_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, digested: str) -> None:
    """An edit to a body alone leaves every page's data as it was: the last build's digests
    of it are used. An entity's description changes only the data of the pages that can show
    it (not of an article page naming the entity). An edit to what articles mention: the data of the pages about them and
    about the entities whose appearances changed, never the lists of articles. Any other
    change to what the index is made from: every page's."""
    project = copy_example(tmp_path)
    second_article(project)
    before = pages(build(project, jobs=1).out)
    calls: list[str] = []
    original = PageKeys.context
    monkeypatch.setattr(PageKeys, "context",
                        lambda self, plan, data: calls.append(plan.path) or original(self, plan, data))
    EDITS[name][0](project)
    after = pages(build(project, jobs=1).out)
    store = Cache(project / CACHE)
    try:
        kept = _load(store, "pages")
    finally:
        store.close()
    showing = {path for path, (_, _, shown) in kept.items() if "moscow" in shown.partition("|")[0].split()}
    if digested == "about":
        changed = {path for path in after if after[path] != before.get(path) and not path.startswith("search/")}
        assert changed and changed <= set(calls)
        assert set(calls) <= {ARTICLE, "index.html", *(path for path in kept if path.startswith("entities/"))}
        assert "entities/index.html" not in calls  # no entity is mentioned by more or fewer articles
        return
    expected = {"none": set(), "all": set(kept), "showing": showing}[digested]
    assert sorted(calls) == sorted(expected)
    if digested == "showing":
        assert {"entities/moscow.html", "entities/index.html", "entities/cards.js"} <= showing < set(kept)
        assert ARTICLE not in showing and "moscow" in kept[ARTICLE][2].partition("|")[2].split()  # by name only


def test_while_the_site_is_the_same_the_index_makes_only_what_pages_ask_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit to a body alone: no entity page is rendered again, so no appearance is made,
    and related articles are looked up under the last build's keys. An edit to what an article
    mentions: under new keys, made from the last ones and the edit (see the next test)."""
    project = copy_example(tmp_path)
    second_article(project)
    build(project, jobs=1)
    made: list[str] = []
    original = index.Appearance.__init__
    monkeypatch.setattr(index.Appearance, "__init__", lambda self, *a: made.append(a[0].slug) or original(self, *a))
    given: list[dict[str, str] | None] = []

    class Links(pipeline._Links):
        def __init__(self, cache: Cache, jobs: int, keys: dict[str, str] | None = None,
                     meanwhile: Callable[[], object] = lambda: None, last: Any = None) -> None:
            given.append(keys)
            super().__init__(cache, jobs, keys, meanwhile, last)

    monkeypatch.setattr(pipeline, "_Links", Links)
    monkeypatch.setattr(pipeline, "_quick", lambda *args: None)  # the full build, which would make them all
    EDITS["article text"][0](project)
    build(project, jobs=1)
    assert made == [] and given[-1]
    EDITS["article mentions"][0](project)
    build(project, jobs=1)
    assert made and given[-1] is not None and given[-1] != given[-2]


def test_an_edit_to_what_articles_mention_changes_only_the_link_keys_it_touches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Related articles are kept under a key of which entities each article mentions, co-occurrence
    under one of how often too; after an edit they are made from the last keys and the articles
    whose mentions changed (``_moved_keys``): a reworded sentence keeps both (nothing is ranked or
    counted again), a mention more of an entity changes co-occurrence's, a new entity both."""
    project = copy_example(tmp_path)
    second_article(project)
    monkeypatch.setattr(pipeline, "_quick", lambda *args: None)  # the full build, which finds the keys

    def keys() -> dict[str, str]:
        build(project, jobs=1)
        cache = Cache(project / CACHE)
        try:
            return dict(_load(cache, "built")["links"][1])
        finally:
            cache.close()

    first = keys()
    EDITS["quoted sentence"][0](project)
    assert keys() == first
    EDITS["article mentions"][0](project)  # Moscow once more
    second = keys()
    assert second["links"] == first["links"] and second["cooccurring"] != first["cooccurring"]
    append(project / "content/articles/second.md", "\nMoscow answered.\n")
    third = keys()
    assert third["links"] != second["links"] and third["cooccurring"] != second["cooccurring"]
    assert pages(project / "public") == clean_pages(project, tmp_path)


@pytest.mark.parametrize("name, workers", [("article text", 1), ("entity description", 1), ("quoted sentence", 1),
                                          ("new entity", 2)])
def test_a_few_pages_to_render_are_rendered_without_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           name: str, workers: int) -> None:
    project = copy_example(tmp_path)
    build(project, jobs=2)
    calls: list[tuple[str, int]] = []
    original = pipeline._map
    monkeypatch.setattr(pipeline, "_map", lambda f, items, jobs, *meanwhile: calls.append((f.__name__, jobs)) or
                        original(f, items, jobs, *meanwhile))
    monkeypatch.setattr(pipeline, "_quick", lambda *args: None)  # the full build
    EDITS[name][0](project)
    assert build(project, jobs=2).pages >= 1
    assert ("_render", workers) in calls


@pytest.mark.parametrize("edit_kind", ["article text", "article mentions"])
def test_the_first_rebuild_after_a_clean_build_links_no_page_itself(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit_kind: str) -> None:
    """A clean build leaves no replaced site to start from: the next build would link every
    page of the site again. A child makes that site while the build reads (in the child,
    links are not counted here); the build links only the files it writes."""
    project = copy_example(tmp_path)
    second_article(project)
    out = build(project, jobs=1).out
    assert not (out.parent / ".public.prev").exists()
    linked: list[str] = []
    original = os.link
    monkeypatch.setattr(os, "link", lambda source, target, **kwargs: linked.append(str(target))
                        or original(source, target, **kwargs))
    EDITS[edit_kind][0](project)
    result = build(project, jobs=1)
    assert 0 < len(linked) <= result.pages
    clean = build(project, tmp_path / "clean", jobs=1, cache=False).out
    assert {p: d for p, (d, _) in snapshot(out).items()} == {p: d for p, (d, _) in snapshot(clean).items()}
    assert (out.parent / ".public.prev").is_dir()


def test_a_touched_article_is_read_again_but_not_annotated_again_nor_twice(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_example(tmp_path)
    build(project, jobs=1)
    annotated: list[str] = []
    original = annotate_module.annotate
    monkeypatch.setattr(annotate_module, "annotate", lambda doc, *args, **kwargs: annotated.append(doc.path.name)
                        or original(doc, *args, **kwargs))
    path = project / "content/articles/russia-north-korea-pact.md"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert build(project, jobs=1).pages == 0
    assert annotated == []
    append(path, "\nThe talks went on.\n")
    build(project, jobs=1)
    assert annotated == [path.name]
    annotated.clear()
    append(path, "\nLater, Moscow spoke again.\n")  # a mention more: the edit alone is not enough
    out = build(project, jobs=1).out
    assert annotated == [path.name]  # the full build takes the annotation made trying it alone
    clean = build(project, tmp_path / "clean", jobs=1, cache=False).out
    assert {p: d for p, (d, _) in snapshot(out).items()} == {p: d for p, (d, _) in snapshot(clean).items()}
    annotated.clear()
    append(path, "\nThe talks ended.\n")
    build(project, jobs=1)
    assert annotated == [path.name]  # the last build remembered the annotation: this edit is built alone


def test_search_files_are_linked_while_nothing_they_are_made_from_changes(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_example(tmp_path)
    second_article(project)
    before = snapshot(build(project, jobs=1).out)
    made: list[int] = []
    original = pipeline.search_files
    monkeypatch.setattr(pipeline, "search_files", lambda *args: made.append(1) or original(*args))
    EDITS["entity description"][0](project)  # not in the search index
    out = build(project, jobs=1).out
    after = snapshot(out)
    search = sorted(path for path in before if path.startswith("search/"))
    assert search and made == []
    assert [after[path] for path in search] == [before[path] for path in search]  # the same files, linked
    (out / "search" / "titles.js").unlink()  # the last site lacks one: all are made again
    EDITS["entity body"][0](project)
    again = snapshot(build(project, jobs=1).out)
    assert made == [1]
    assert sorted(path for path in again if path.startswith("search/")) == search
    assert [again[path][0] for path in search] == [before[path][0] for path in search]


def search_files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (out / "search").iterdir()}


@pytest.mark.parametrize("seed", range(3))
def test_search_files_made_from_the_last_ones_equal_a_clean_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 seed: int) -> None:
    monkeypatch.setattr(search, "BLOCK", 2)  # a few blocks for a few articles
    monkeypatch.setattr(search, "SPLIT", 300)  # and a prefix that new words split into files by three characters
    outcomes: list[bool] = []
    update_files = pipeline.update_files

    def updated(*args: object) -> object:
        done = update_files(*args)  # type: ignore[arg-type]
        outcomes.append(done is not None)
        return done

    monkeypatch.setattr(pipeline, "update_files", updated)
    rng = random.Random(seed)
    project = copy_example(tmp_path)
    folder = project / "content" / "articles"

    def text(count: int) -> str:
        return " ".join(rng.choice(["zebra", "quartz", "apple", "Moscow", "Pyongyang", "talks", "über", "naïve"])
                        for _ in range(count)) + ".\n"

    def ours() -> list[Path]:
        return sorted(p for p in folder.glob("*.md") if p.name != "russia-north-korea-pact.md")

    for i in range(5):
        (folder / f"a{i}.md").write_text(f"---\ntitle: Article {i}\n---\n{text(8)}", encoding="utf-8")
    build(project, jobs=1)
    edits: dict[str, Callable[[int], None]] = {  # each makes its file longer or new: never the stat of another
        "text": lambda step: append(rng.choice(ours()), text(5)),
        "title": lambda step: edit(rng.choice(ours()), "title: ", "title: New "),
        "new article": lambda step: (folder / f"n{step}.md").write_text(f"---\ntitle: N{step}\n---\n{text(6)}",
                                                                          encoding="utf-8"),
        "removed article": lambda step: len(ours()) > 1 and rng.choice(ours()).unlink(),
        "many words": lambda step: append(rng.choice(ours()), " ".join(
            "qu" + "".join(rng.choices("abcdefghij", k=3)) for _ in range(40)) + ".\n"),
    }
    for step in range(10):
        edits[rng.choice(sorted(edits))](step)
        out = build(project, jobs=1).out
        clean = tmp_path / f"clean-{step}"
        shutil.copytree(project / "content", clean / "content")
        shutil.copy(project / "site.toml", clean / "site.toml")
        assert search_files(out) == search_files(build(clean, jobs=1, cache=False).out), step
    assert True in outcomes  # some builds made the files from the last ones


def test_an_article_edit_reads_its_block_only_and_links_the_files_it_does_not_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "BLOCK", 1)  # eight blocks for the example's few articles
    project = copy_example(tmp_path)
    folder = project / "content" / "articles"
    for i in range(5):
        (folder / f"a{i}.md").write_text(f"---\ntitle: Article {i}\n---\nPutin spoke {i} times.\n", encoding="utf-8")
    before = snapshot(build(project, jobs=1).out)
    read: list[str] = []
    get = Cache.get

    def counted(cache: Cache, ns: str, keys: Iterable[str]) -> dict[str, bytes]:
        keys = list(keys)
        read.extend(keys if ns == "search" else [])
        return get(cache, ns, keys)

    monkeypatch.setattr(Cache, "get", counted)
    made: list[int] = []
    original = pipeline.search_files
    monkeypatch.setattr(pipeline, "search_files", lambda *args: made.append(1) or original(*args))
    append(folder / "a3.md", "\nThen zebras came.\n")
    after = snapshot(build(project, jobs=1).out)
    assert len(read) == 2 and made == []  # the block as it was and as it is; no file made from all blocks
    searched = [path for path in after if path.startswith("search/")]
    changed = {path for path in searched if before.get(path, (b"",))[0] != after[path][0]}
    assert {f"search/excerpts-{search.block_of('a3', 8)}-0.js", "search/terms-ze.js"} <= changed
    assert len(changed) < len(searched) // 2 and all(after[path][1] == before[path][1]
                                                       for path in searched if path not in changed)
    clean = build(project, tmp_path / "clean", jobs=1, cache=False).out
    assert {path: data for path, (data, _) in after.items()} == {path: data for path, (data, _) in snapshot(clean).items()}


def test_what_is_kept_whole_is_rewritten_only_in_the_shards_an_edit_touched(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    store = Cache(tmp_path / "cache")
    value = {f"k{n}": (n, "x" * n) for n in range(1000)}
    _store(store, "ns", value, {})
    assert _load(store, "ns") == value
    written: list[tuple[list[str], list[str]]] = []
    put = store.put

    def counted(ns: str, items: Iterable[tuple[str, bytes]], drop: Iterable[str] = ()) -> None:
        items, drop = list(items), list(drop)
        written.append(([key for key, _ in items], drop))
        put(ns, items, drop)

    monkeypatch.setattr(store, "put", counted)
    edited = {**value, "k5": (5, "new"), "k1000": (1000, "")}
    del edited["k7"]
    _store(store, "ns", edited, _load(store, "ns"))
    assert _load(store, "ns") == edited
    assert len(written) == 1 and sorted(written[0][0]) == sorted({_shard("k5"), _shard("k7"), _shard("k1000")})
    _store(store, "ns", edited, _load(store, "ns"))  # nothing changed: nothing written
    assert len(written) == 1
    _store(store, "ns", {}, edited)  # every key gone: every shard dropped
    assert _load(store, "ns") == {} and store.keys("ns") == set()
    store.close()


def test_digests_tell_parts_apart_and_text_from_its_bytes_not() -> None:
    digest = pipeline._digest
    assert digest("ab", "c") != digest("a", "bc") != digest("abc") != digest("abc", "")
    assert digest("é", "x") == digest("é".encode(), b"x") == digest("é", b"x")
    assert digest() != digest("") and len(digest("a")) == 40


QUICK = "annotate edits alone"
"""The stage of a build that built an edit to the text of articles alone (``pipeline._quick``)."""


def pages(out: Path) -> dict[str, bytes]:
    return {path: data for path, (data, _) in snapshot(out).items()}


def clean_pages(project: Path, tmp_path: Path) -> dict[str, bytes]:
    """The pages of a clean build of a copy of ``project`` (a build without the cache deletes it)."""
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    for folder in ("content", "templates"):
        if (project / folder).is_dir():
            shutil.copytree(project / folder, clean / folder)
    shutil.copy(project / "site.toml", clean / "site.toml")
    return pages(build(clean, jobs=1, cache=False).out)


def test_an_edit_to_the_text_of_articles_alone_is_built_without_reading_the_whole_site(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_example(tmp_path)
    second_article(project)
    build(project, jobs=1)
    before = snapshot(build(project, jobs=1, cache=False).out)
    with monkeypatch.context() as patched:
        patched.setattr(pipeline, "_analyse", lambda *args, **kwargs: pytest.fail("the whole site was read"))
        EDITS["article text"][0](project)
        append(project / "content/articles/second.md", "\nNobody else came.\n")
        result = build(project, jobs=2)
    assert QUICK in result.stages
    after = snapshot(result.out)
    changed = {path for path in after if before.get(path, (b"",))[0] != after[path][0]}
    assert {ARTICLE, "articles/second.html"} <= changed and any(path.startswith("search/excerpts-") for path in changed)
    assert all(path in (ARTICLE, "articles/second.html") or path.startswith("search/") for path in changed)
    assert all(after[path][1] == before[path][1] for path in after if path not in changed)  # linked
    assert result.pages == len(changed) and result.unchanged == len(after) - len(changed)
    assert pages(result.out) == clean_pages(project, tmp_path)
    again = build(project, jobs=1)  # a full build after: it starts from what this one left
    assert again.pages == 0 and again.stages == {}
    EDITS["entity description"][0](project)
    assert QUICK not in (again := build(project, jobs=1)).stages
    assert pages(again.out) == clean_pages(project, tmp_path)


NOT_ALONE: dict[str, Callable[[Path], None]] = {
    "a quoted sentence": EDITS["quoted sentence"][0],
    "a mention more": EDITS["article mentions"][0],
    "the title": lambda p: edit(p / "content/articles/russia-north-korea-pact.md", 'title: "Russia', 'title: "Now Russia'),
    "a new article": EDITS["new article"][0],
    "an article and an entity": lambda p: (EDITS["article text"][0](p), EDITS["entity body"][0](p)),
    "a page of the site deleted": lambda p: (EDITS["article text"][0](p), (p / "public/entities/moscow.html").unlink()),
}


@pytest.mark.parametrize("name", NOT_ALONE)
def test_other_edits_are_built_in_full(tmp_path: Path, name: str) -> None:
    project = copy_example(tmp_path)
    build(project, jobs=1)
    build(project, jobs=1, cache=False)
    NOT_ALONE[name](project)
    result = build(project, jobs=1)
    assert QUICK not in result.stages
    assert pages(result.out) == clean_pages(project, tmp_path)


def test_an_article_template_that_makes_more_of_the_body_renders_the_page(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    (project / "templates").mkdir()
    (project / "templates/article.html").write_text(
        (ROOT / "themes/default/templates/article.html").read_text(encoding="utf-8").replace(
            "{{ body }}", '{{ body }}<p class="words">{{ body|striptags|wordcount }} words</p>'), encoding="utf-8")
    build(project, jobs=1)
    words = re.compile(rb'<p class="words">(\d+) words')
    count = int(words.findall((project / "public" / ARTICLE).read_bytes())[0])
    EDITS["article text"][0](project)  # four words more
    result = build(project, jobs=1)
    assert QUICK not in result.stages
    assert int(words.findall((project / "public" / ARTICLE).read_bytes())[0]) == count + 4
    assert pages(result.out) == clean_pages(project, tmp_path)


@pytest.mark.parametrize("seed", range(2))
def test_edits_alone_and_others_in_any_order_give_a_clean_build(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    project = copy_example(tmp_path)
    folder = project / "content" / "articles"
    for i in range(4):
        (folder / f"a{i}.md").write_text(f"---\ntitle: Article {i}\n---\nPutin spoke {i} times in Moscow.\n",
                                         encoding="utf-8")
    articles = sorted(folder.iterdir())
    plain = ["The talks went on.", "Nothing more was said.", "Zebras grazed nearby.", "It rained."]
    edits: list[Callable[[], None]] = [
        lambda: append(rng.choice(articles), f"\n{rng.choice(plain)}\n"),
        lambda: [append(path, f"\n{rng.choice(plain)}\n") for path in rng.sample(articles, 2)],
        lambda: edit(articles[0], "spoke", rng.choice(["talked", "spoke"])) if "spoke" in articles[0].read_text(
            encoding="utf-8") else append(articles[0], "\nHe spoke.\n"),
        lambda: append(rng.choice(articles), "\nMoscow said so.\n"),
        lambda: os.utime(rng.choice(articles)),
        lambda: EDITS["entity description"][0](project),
    ]
    build(project, jobs=1)
    alone = 0
    for step in range(10):
        rng.choice(edits)()
        result = build(project, jobs=1)
        alone += QUICK in result.stages
        assert pages(result.out) == clean_pages(project, tmp_path), step
    assert alone


@pytest.mark.parametrize("seed, jobs", [(0, 1), (1, 1), (2, 2)])
def test_edits_to_what_articles_mention_rank_again_only_what_they_can_change_and_give_a_clean_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, jobs: int) -> None:
    """Articles gain and lose entities and reword mentions, at random: only the articles whose
    entities changed, and those mentioning an entity gained or lost, are tried (kept or ranked
    again: see RelatedRanker.kept); the site
    is a clean build's every time (with feeds for one seed). A candidate cap of 3 makes common
    entities of the frequent ones. Co-occurrence is made from the last however much changed."""
    from site_builder import related

    monkeypatch.setattr(related, "CANDIDATE_CAP", 3)
    monkeypatch.setattr(related, "RECOUNT_SHARE", 1.0)
    recount = related.cooccurrence_kept
    made: list[bool] = []

    def cooccurrence_kept(*args: Any) -> Any:
        found = recount(*args)
        made.append(found is not None)
        return found

    monkeypatch.setattr(related, "cooccurrence_kept", cooccurrence_kept)
    rng = random.Random(seed)
    project = copy_example(tmp_path)
    if seed == 1:  # with feeds: an entity's feed lists its appearances too
        toml = project / "site.toml"
        toml.write_text('base_url = "https://news.example.org/"\n' + toml.read_text(encoding="utf-8"), encoding="utf-8")
    folder = project / "content" / "articles"
    names = ["Putin", "Moscow", "Kim Jong Un", "Pyongyang", "Vietnam", "Hanoi", "To Lam", "Beijing", "Japan",
             "Ukraine", "South Korea", "China"]
    for i in range(12):
        chosen = rng.sample(names[:4], 2) + rng.sample(names[4:], rng.randint(1, 3))
        (folder / f"a{i:02d}.md").write_text(f"---\ntitle: Article {i}\ndate: 2024-05-{i + 1:02d}\n---\n" +
                                           "".join(f"{name} was there.\n\n" for name in chosen), encoding="utf-8")
    articles = sorted(folder.glob("a*.md"))
    log = tmp_path / "ranked"  # how many articles each call ranks, from any process

    def rank_each(self: related.RelatedRanker, indices: list[int], *rest: Any) -> list[tuple[index.Ranked, float]]:
        with log.open("a", encoding="utf-8") as file:
            file.write(f"{len(indices)}\n")
        return original(self, indices, *rest)

    def ranked() -> int:
        count = sum(map(int, log.read_text(encoding="utf-8").split())) if log.exists() else 0
        log.unlink(missing_ok=True)
        return count

    original = related.RelatedRanker.rank_each
    monkeypatch.setattr(related.RelatedRanker, "rank_each", rank_each)
    build(project, jobs=jobs)
    total = len(list(folder.glob("*.md")))
    assert ranked() == total
    partial = 0
    for step in range(8):
        path = rng.choice(articles)
        text = path.read_text(encoding="utf-8")
        lines = [line for line in text.split("\n") if line.endswith("was there.")]
        if step % 3 == 2 and len(lines) > 1:  # loses an entity
            path.write_text(text.replace(f"{rng.choice(lines)}\n\n", "", 1), encoding="utf-8")
        elif step % 3 == 1:  # the sentence of a mention changes (the first, if it is one: shown in feeds)
            line = rng.choice(lines)
            path.write_text(text.replace(line, f"Later, {line}", 1), encoding="utf-8")
        else:  # gains one, or mentions one more often
            append(path, f"{rng.choice(names)} was there.\n\n")
        ranked()  # forget the clean build's
        result = build(project, jobs=jobs)
        again = ranked()
        assert pages(result.out) == clean_pages(project, tmp_path), step
        assert again <= total
        partial += 0 < again < total
    assert partial  # some edits ranked only some articles
    assert any(made)  # and co-occurrence was made from the last


def test_a_new_body_takes_the_old_ones_place_only_where_that_is_one_place() -> None:
    assert _splice("<h1>Tè</h1><p>old é</p><aside/>".encode(), "<p>old é</p>".encode(), "<p>new ü</p>".encode()) == \
        "<h1>Tè</h1><p>new ü</p><aside/>".encode()
    assert _splice(b"<p>a</p><p>a</p>", b"<p>a</p>", b"<p>b</p>") is None  # twice: which one is not known
    assert _splice(b"<p>x</p>", b"<p>a</p>", b"<p>b</p>") is None
    assert _splice(b"<p>x</p>", b"", b"<p>b</p>") is None  # an empty body is anywhere
    assert _splice(b"<p>a</p>", b"<p>a</p>", None) is None  # no new body


def test_a_process_killed_while_storing_leaves_the_cache_as_it_was(tmp_path: Path) -> None:
    """The journal is emptied after each transaction (creating it anew cost a file a commit),
    and a writer killed in the middle of one is still rolled back by the next reader."""
    store = Cache(tmp_path / "cache")
    store.put("ns", [("a", b"1")])
    journal = tmp_path / "cache" / "cache.sqlite-journal"
    assert journal.exists() and journal.stat().st_size == 0  # kept, empty
    store.close()
    pid = os.fork()
    if pid == 0:  # a worker that dies half-way through a transaction
        def items() -> Iterable[tuple[str, bytes]]:
            yield "a", b"2"
            for n in range(2000):
                yield f"k{n}", b"x" * 4096
            os._exit(0)
        Cache(tmp_path / "cache").put("ns", items())
        os._exit(1)
    assert os.waitpid(pid, 0)[1] == 0
    assert journal.stat().st_size > 0  # the killed transaction's
    store = Cache(tmp_path / "cache")
    assert store.get("ns", ["a", "k0", "k1999"]) == {"a": b"1"}
    store.close()


def test_templates_compiled_by_one_build_are_not_compiled_again(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import jinja2

    project = copy_example(tmp_path)
    build(project, jobs=1)
    compiled: list[str | None] = []
    original = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile", lambda self, source, name=None, *args, **kwargs:
                        compiled.append(name) or original(self, source, name, *args, **kwargs))
    EDITS["entity description"][0](project)
    assert build(project, jobs=1).pages >= 3 and compiled == []
    EDITS["template"][0](project)  # the project's own entity.html: that one is compiled
    assert build(project, jobs=1).pages >= 3 and compiled == ["entity.html"]
    shutil.rmtree(project / CACHE / "templates")
    (project / CACHE / "templates").write_text("in the way", encoding="utf-8")  # no folder: compiled, and built
    EDITS["entity description"][0](project)
    assert build(project, jobs=1).pages >= 3 and compiled.count("entity.html") == 2


def test_a_build_annotating_many_articles_compiles_the_templates_once_before_rendering(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While the workers annotate, the parent loads the templates compiled, and the workers
    that render inherit them (each compiled them on a clean build: 0.1 s). A file in
    templates/ that is not a template, or a broken one that no page uses, changes nothing."""
    import jinja2

    project = copy_example(tmp_path)
    for n in range(150):
        (project / "content" / "articles" / f"extra-{n:03d}.md").write_text(
            f"---\ntitle: Extra {n}\n---\nPutin met Kim Jong Un ({n}).\n", encoding="utf-8")
    (project / "templates").mkdir()
    (project / "templates" / "notes.bin").write_bytes(b"\xff\xfe not text")
    (project / "templates" / "unused.html").write_text("{% if %}", encoding="utf-8")
    log = tmp_path / "compiled.log"
    original = jinja2.Environment.compile

    def compile(self: jinja2.Environment, source: Any, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        with open(log, "a", encoding="utf-8") as out:  # the workers' calls too
            out.write(f"{os.getpid()} {name}\n")
        return original(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", compile)
    described: list[bool] = []  # and finds whose descriptions each can show, then too
    describing = pipeline.describing
    monkeypatch.setattr(pipeline, "describing", lambda config: described.append("env" in pipeline._shared) or
                        describing(config))
    assert build(project, jobs=2).pages > 150
    compiled = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    assert {pid for pid, _ in compiled} == {str(os.getpid())}
    assert [name for _, name in compiled].count("article.html") == 1
    assert described == [False]  # once, before the templates were loaded: in _prepare


def test_the_entities_names_are_made_again_only_when_they_or_their_files_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_example(tmp_path)
    (project / "content" / "entities" / "moscow-idaho.md").write_text(
        "---\nname: Moscow\ntype: place\n---\n", encoding="utf-8")  # ambiguous with moscow.md: a warning
    first = build(project, jobs=1)
    made: list[int] = []
    original = pipeline.NameTable
    monkeypatch.setattr(pipeline, "NameTable", lambda entities: made.append(len(entities)) or original(entities))
    monkeypatch.setattr(pipeline, "_quick", lambda *args: None)  # the full build
    EDITS["article mentions"][0](project)
    again = build(project, jobs=1)
    assert made == [] and again.warnings == first.warnings and "moscow-idaho.md" in again.warnings[0].message
    (project / "content" / "entities" / "places").mkdir()
    (project / "content" / "entities" / "moscow-idaho.md").rename(project / "content" / "entities" / "places" /
                                                                   "moscow-idaho.md")
    moved = build(project, jobs=1)
    assert len(made) == 1 and "places/moscow-idaho.md" in moved.warnings[0].message


def test_a_server_building_again_unpickles_only_what_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``remember`` (what ``serve`` builds with) keeps what a build read from the cache: the next
    unpickles only the entries whose bytes changed, and builds the same site. A build that does
    not remember keeps nothing."""
    project = copy_example(tmp_path)
    second_article(project)
    loaded: list[int] = []
    loads = pipeline.pickle.loads
    monkeypatch.setattr(pipeline.pickle, "loads", lambda data, *a, **k: loaded.append(len(data)) or loads(data, *a, **k))

    def unpickled(remember: bool, edit: str) -> int:
        EDITS[edit][0](project)
        loaded.clear()
        build(project, jobs=1, remember=remember)
        return len(loaded)

    build(project, jobs=1)
    unpickled(True, "new entity")
    assert pipeline._KEPT
    remembered = unpickled(True, "entity description"), unpickled(True, "article mentions")
    counted: list[object] = []  # the articles' entities counted for ranking: only the edited one's, then and now
    real = pipeline.counted
    monkeypatch.setattr(pipeline, "counted", lambda found: counted.append(found) or real(found))
    append(project / "content" / "articles" / "second.md", "\nMoscow answered.\n")
    build(project, jobs=1, remember=True)
    assert len(counted) == 2
    assert pipeline._PENDING  # its writes to the cache wait till the server has told the pages
    assert pages(project / "public") == clean_pages(project, tmp_path)  # (a build flushes them first)
    assert not pipeline._PENDING
    EDITS["entity body"][0](project)
    assert build(project, jobs=1).pages == 1  # the cache as the last build left it: one page to write
    forgotten = unpickled(False, "entity body"), unpickled(False, "article text")
    assert not pipeline._KEPT
    assert remembered[0] * 10 < forgotten[0] and remembered[1] * 5 < forgotten[1], (remembered, forgotten)


def test_a_server_warmed_while_idle_unpickles_in_its_first_rebuild_only_what_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server whose first build found nothing to do reads the cache while it waits (``warm``),
    so that the first edit costs what the next ones do."""
    project = copy_example(tmp_path)
    second_article(project)
    build(project, jobs=1)
    loaded: list[int] = []
    loads = pipeline.pickle.loads
    monkeypatch.setattr(pipeline.pickle, "loads", lambda data, *a, **k: loaded.append(len(data)) or loads(data, *a, **k))

    def first_rebuild(warmed: bool, edit: str) -> int:
        pipeline._KEPT.clear()
        build(project, jobs=1, remember=True)  # nothing to do: reads nothing
        if warmed:
            pipeline.warm(project)
        EDITS[edit][0](project)
        loaded.clear()
        build(project, jobs=1, remember=True)
        pipeline.flush()
        return sum(loaded)

    cold, warmed = first_rebuild(False, "entity body"), first_rebuild(True, "entity body")
    assert warmed * 5 < cold, (warmed, cold)  # bytes unpickled
    assert pages(project / "public") == clean_pages(project, tmp_path)


def test_a_clean_build_keeps_related_articles_under_the_keys_the_next_build_looks_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clean build has no results to look up (nor does one after articles were added): it
    makes their keys while ranking. The next build (a full one, for an edit to a body) finds
    them under those keys and ranks nothing."""
    project = copy_example(tmp_path)
    for _ in range(2):
        build(project, jobs=1)
        cache = Cache(project / CACHE)
        try:
            keys = _load(cache, "built")["links"][1]
            assert cache.keys("links") == {keys["links"]} and cache.keys("cooccurring") == {keys["cooccurring"]}
        finally:
            cache.close()
        if not (project / "content" / "articles" / "second.md").exists():
            second_article(project)
    ranked: list[object] = []
    link = pipeline._link
    monkeypatch.setattr(pipeline, "_link", lambda part: ranked.append(part) or link(part))
    monkeypatch.setattr(pipeline, "_quick", lambda *args: None)
    EDITS["article text"][0](project)
    build(project, jobs=1)
    assert ranked == []
    EDITS["article mentions"][0](project)  # co-occurrence counted again
    build(project, jobs=1)
    assert ranked == [None]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_new_articles_make_again_only_the_pages_they_can_change_and_give_a_clean_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Articles are added at random places in the order (dated or not, with tags, credited to an
    entity or not, sometimes with another edit): every article's ranking is kept or made again
    (the weights changed), but only the pages about them, their neighbours, the lists and the pages whose
    related articles changed are made again; the site is a clean build's every time (with feeds
    for one seed)."""
    from site_builder import related

    monkeypatch.setattr(related, "CANDIDATE_CAP", 3)
    rng = random.Random(seed)
    project = copy_example(tmp_path)
    if seed == 1:
        toml = project / "site.toml"
        toml.write_text('base_url = "https://news.example.org/"\n' + toml.read_text(encoding="utf-8"), encoding="utf-8")
    folder = project / "content" / "articles"
    names = ["Putin", "Moscow", "Kim Jong Un", "Pyongyang", "Vietnam", "Hanoi", "To Lam", "Beijing", "Japan",
             "Ukraine", "South Korea", "China"]

    def article(path: Path, title: str) -> None:
        chosen = rng.sample(names, rng.randint(1, 4))
        front = [f"title: {title}"]
        if rng.random() < 0.8:
            front.append(f"date: 2024-0{rng.randint(4, 6)}-{rng.randint(1, 28):02d}")
        if rng.random() < 0.5:
            front.append(f"tags: [{', '.join(rng.sample(['Asia', 'Diplomacy', 'Trade'], rng.randint(1, 2)))}]")
        if rng.random() < 0.3:
            front.append("author: Antony Blinken")
        path.write_text("---\n" + "\n".join(front) + "\n---\n" + "".join(f"{n} was there.\n\n" for n in chosen),
                        encoding="utf-8")

    for i in range(10):
        article(folder / f"a{i:02d}.md", f"Article {i}")
    build(project, jobs=1)
    ordered: list[int] = []
    pages_of_order = pipeline.pages_of_order
    monkeypatch.setattr(pipeline, "pages_of_order", lambda index, config, added: (
        ordered.append(len(added)) if added else None) or pages_of_order(index, config, added))
    made: list[str] = []
    monkeypatch.setattr(PageKeys, "context", lambda self, plan, data, context=PageKeys.context: (
        made.append(plan.path) or context(self, plan, data)))
    for step in range(6):
        article(folder / f"n{step}.md", f"New {step}")
        if step % 2:
            append(rng.choice(sorted(folder.glob("a*.md"))), f"{rng.choice(names)} was there.\n\n")
        made.clear()
        result = build(project, jobs=1)
        ours = set(made)
        made.clear()
        assert pages(result.out) == clean_pages(project, tmp_path), step
        assert f"articles/n{step}.html" in ours and len(ours) < len(set(made)), step  # the clean build: all
    assert ordered == [1] * 6


def test_a_failed_build_between_two_edits_leaves_the_next_one_a_clean_build(tmp_path: Path) -> None:
    """A build that fails while rendering has kept related articles and co-occurrence for its
    content, in place of the last good build's: the next build, of the same mentions, finds
    them, and must not take them for the last good build's (the pages whose related articles
    changed are made again: the article page listing what it shares with the edited one)."""
    project = copy_example(tmp_path)
    second_article(project)
    build(project, jobs=1)
    append(project / "content/articles/second.md", "\nTo Lam and Hanoi and Vietnam too.\n")
    (project / "templates").mkdir()
    (project / "templates/tag.html").write_text("{{ no_such_thing.at_all }}", encoding="utf-8")
    with pytest.raises(Exception):
        build(project, jobs=1)
    shutil.rmtree(project / "templates")
    assert pages(build(project, jobs=1).out) == clean_pages(project, tmp_path)
