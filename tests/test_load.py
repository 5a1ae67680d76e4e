from __future__ import annotations

import datetime as dt
from pathlib import Path

from site_builder.errors import Diagnostic
from site_builder.load import load_content


def make(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "content" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path / "content"


def load(tmp_path: Path, files: dict[str, str]) -> tuple[list, list, list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    articles, entities = load_content(make(tmp_path, files), diagnostics)
    return articles, entities, diagnostics


def found(diagnostics: list[Diagnostic]) -> list[tuple[str, int, str]]:
    return [(d.path.name, d.line, d.level) for d in diagnostics]


def test_article_fields(tmp_path: Path) -> None:
    articles, _, diags = load(tmp_path, {"articles/world/pact.md": (
        "---\ntitle: The pact\ndate: 2024-06-20\nauthor: A. Writer\npublication: Hooah\n"
        "source: https://example.org/a\nsummary: Short.\ntags: [a, b]\n---\n\nBody text.\n")})
    assert diags == []
    (a,) = articles
    assert (a.slug, a.title, a.date, a.author, a.tags) == ("pact", "The pact", dt.date(2024, 6, 20), "A. Writer", ("a", "b"))
    assert a.doc.body.strip() == "Body text." and a.doc.body_line == 10


def test_entity_fields_and_defaults(tmp_path: Path) -> None:
    _, entities, diags = load(tmp_path, {
        "entities/kim.md": "---\nname: Kim Jong Un\ntype: person\naliases: [Kim Jong-un]\nshort_names: [Kim]\n"
                           "links:\n  Wikipedia: https://en.wikipedia.org/wiki/Kim_Jong_Un\nmatch_case: false\n---\nBody\n",
        "entities/thing.md": "---\nname: Thing\n---\n"})
    assert diags == []
    kim, thing = entities
    assert (kim.id, kim.type, kim.aliases, kim.short_names, kim.match_case) == (
        "kim", "person", ("Kim Jong-un",), ("Kim",), False)
    assert kim.links == (("Wikipedia", "https://en.wikipedia.org/wiki/Kim_Jong_Un"),)
    assert (thing.type, thing.match_case, thing.draft, kim.draft) == ("thing", True, False, False)


def test_a_draft_is_true_or_false(tmp_path: Path) -> None:
    _, entities, diags = load(tmp_path, {"entities/a.md": "---\nname: A\ndraft: true\n---\n",
                                         "entities/b.md": "---\nname: B\ndraft: maybe\n---\n"})
    assert [e.id for e in entities if e.draft] == ["a"]
    assert [(d.path.name, d.line, d.message) for d in diags] == [("b.md", 3, "'draft' must be true or false")]


def test_every_error_is_reported_in_one_run_with_file_and_line(tmp_path: Path) -> None:
    articles, entities, diags = load(tmp_path, {
        "articles/no-title.md": "---\nauthor: X\n---\nBody\n",
        "articles/bad-date.md": "---\ntitle: T\ndate: 2024-13-45\n---\n",
        "articles/bad-yaml.md": "---\ntitle: T\nauthor: [unclosed\n---\n",
        "articles/unclosed.md": "---\ntitle: T\nBody\n",
        "articles/no-front.md": "Just text\n",
        "articles/list.md": "---\n- a\n- b\n---\n",
        "articles/number-title.md": "---\ntitle: 42\n---\n",
        "entities/bad-type.md": "---\nname: X\ntype: persn\n---\n",
        "entities/no-name.md": "---\ntype: place\n---\n",
    })
    assert articles == [] and entities == []
    assert sorted(found(diags)) == sorted([
        ("no-title.md", 1, "error"), ("bad-date.md", 3, "error"), ("bad-yaml.md", 3, "error"),
        ("unclosed.md", 1, "error"), ("no-front.md", 1, "error"), ("list.md", 2, "error"),
        ("number-title.md", 2, "error"), ("bad-type.md", 3, "error"), ("no-name.md", 1, "error")])
    messages = " | ".join(d.message for d in diags)
    assert "missing required 'title'" in messages and "YYYY-MM-DD" in messages
    assert "did you mean 'person'" in messages and "not closed" in messages


def test_duplicate_slugs_and_ids_name_both_files(tmp_path: Path) -> None:
    articles, entities, diags = load(tmp_path, {
        "articles/a/same.md": "---\ntitle: One\n---\n",
        "articles/b/same.md": "---\ntitle: Two\n---\n",
        "entities/x/kim.md": "---\nname: Kim\n---\n",
        "entities/y/kim.md": "---\nname: Kim 2\n---\n"})
    assert len(articles) == 1 and len(entities) == 1
    assert [d.level for d in diags] == ["error", "error"]
    assert "a/same.md" in diags[0].message and "b/same.md" in str(diags[0])
    assert "x/kim.md" in diags[1].message and "y/kim.md" in str(diags[1])


def test_unknown_front_matter_key_warns_with_the_closest(tmp_path: Path) -> None:
    articles, _, diags = load(tmp_path, {"articles/a.md": "---\ntitle: T\nauthr: X\n---\n"})
    assert len(articles) == 1
    assert found(diags) == [("a.md", 3, "warning")]
    assert "did you mean 'author'" in diags[0].message


def test_crlf_and_byte_order_mark_are_accepted(tmp_path: Path) -> None:
    articles, _, diags = load(tmp_path, {"articles/a.md": "\ufeff---\r\ntitle: T\r\n---\r\nBody\r\n"})
    assert diags == [] and articles[0].title == "T" and articles[0].doc.body == "Body\n"


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    content = make(tmp_path, {})
    (content / "articles").mkdir(parents=True)
    (content / "articles" / "a.md").write_bytes(b"---\ntitle: T\n---\nfine\ncaf\xe9\n")
    diagnostics: list[Diagnostic] = []
    load_content(content, diagnostics)
    assert found(diagnostics) == [("a.md", 5, "error")] and "UTF-8" in diagnostics[0].message


def test_file_names_that_cannot_be_urls_are_rejected(tmp_path: Path) -> None:
    _, _, diags = load(tmp_path, {"articles/my article.md": "---\ntitle: T\n---\n"})
    assert found(diags) == [("my article.md", 0, "error")]


def test_underscore_files_are_skipped(tmp_path: Path) -> None:
    articles, _, diags = load(tmp_path, {"articles/_draft.md": "not an article", "articles/a.md": "---\ntitle: T\n---\n"})
    assert [a.slug for a in articles] == ["a"] and diags == []


def test_source_must_be_a_web_url(tmp_path: Path) -> None:
    _, _, diags = load(tmp_path, {"articles/a.md": "---\ntitle: T\nsource: BBC News\n---\n"})
    assert found(diags) == [("a.md", 3, "error")] and "http://" in diags[0].message


def test_content_is_listed_alike_from_a_walk_and_from_what_the_build_looked_at(tmp_path: Path) -> None:
    """A build lists the content from the files its look found (``write.fingerprint``), in the
    order a walk of the folder gives, without walking again."""
    import os

    from site_builder.config import load_config
    from site_builder.load import markdown_files
    from site_builder.write import fingerprint

    content = make(tmp_path, {name: "x" for name in (
        "articles/b.md", "articles/a.md", "articles/_draft.md", "articles/.hidden.md", "articles/notes.txt",
        "articles/z/c.md", "articles/m/_d.md", "articles/m/e.md", "articles/.git/f.md", "articles/__pycache__/g.md",
        "entities/k.md", "articles.md")})
    os.symlink(content / "nowhere.md", content / "articles" / "dangling.md")  # listed: its error tells what is wrong
    (tmp_path / "site.toml").write_text('title = "T"\n', encoding="utf-8")
    stats: dict = {}
    fingerprint(load_config(tmp_path), stats)
    walked = markdown_files(content / "articles")
    assert [os.path.relpath(p, content) for p in walked] == [
        "articles/a.md", "articles/b.md", "articles/dangling.md", "articles/m/e.md", "articles/z/c.md"]
    assert markdown_files(content / "articles", stats) == walked
    assert markdown_files(content / "entities", stats) == markdown_files(content / "entities") == [str(content / "entities" / "k.md")]
