"""Suggestions: the detector's names grouped into candidates, drafts written, and discover mode."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from site_builder.annotate import prose
from site_builder.cli import main
from site_builder.load import load_entity
from site_builder.model import Document, Entity
from site_builder.pipeline import build, suggest
from site_builder.suggest import candidates, write_drafts

from .test_pipeline import copy_example


def spans(text: str, *names: tuple[str, str]) -> list[tuple[int, int, str]]:
    """Every whole-word place of each name in ``text``, with its label, longest names first
    (as a detector does: "Kennedy" inside "Charles Kennedy" is not a span of its own)."""
    found: list[tuple[int, int, str]] = []
    for name, label in sorted(names, key=lambda n: -len(n[0])):
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            if not any(s < m.end() and m.start() < e for s, e, _ in found):
                found.append((m.start(), m.end(), label))
    return sorted(found)


def test_prose_keeps_running_text_only() -> None:
    text = prose("# Talks in *Hanoi*\n\nPutin met [To Lam](x) and `Kim`.\nThen left.\n\n```\nNot Me\n```\n")
    assert text == "Talks in Hanoi\nPutin met To Lam and Kim. Then left."


def test_variants_are_grouped_and_known_names_left_out() -> None:
    texts = ["Charles Kennedy spoke. Mr Kennedy said the United Nations must act. The UN agreed.",
             "Kennedy met Vladimir Putin in Moscow. Putin smiled. Anna Lee watched.",
             "Charles Kennedy left. Moscow slept. Anna Lee spoke."]
    labels = [("Charles Kennedy", "PER"), ("Kennedy", "PER"), ("United Nations", "ORG"), ("UN", "ORG"),
              ("Vladimir Putin", "PER"), ("Putin", "PER"), ("Moscow", "LOC"), ("Anna Lee", "PER")]
    found = [spans(text, *labels) for text in texts]
    putin = Entity("vladimir-putin", "Vladimir Putin", Document(Path("p.md"), "", 1), "person")
    result = candidates(texts, found, [putin], rejected=["moscow"])
    by_name = {c.name: c for c in result}
    assert set(by_name) == {"Charles Kennedy", "United Nations", "Anna Lee"}  # Putin known, Moscow rejected
    kennedy = by_name["Charles Kennedy"]
    # "Kennedy" alone, in an article without his full name, is nobody's (as short names in entity files)
    assert (kennedy.type, kennedy.short_names, kennedy.mentions, kennedy.articles) == ("person", ("Kennedy",), 3, 2)
    assert by_name["United Nations"].aliases == ("UN",) and by_name["United Nations"].type == "organization"
    assert kennedy.examples == ("Charles Kennedy spoke.", "Charles Kennedy left.")  # two articles
    assert [c.name for c in result] == ["Charles Kennedy", "Anna Lee", "United Nations"]  # by evidence
    assert 0 < by_name["United Nations"].confidence < kennedy.confidence <= 1


def test_only_names_written_together_are_grouped_and_places_never_by_their_last_word() -> None:
    texts = ["New England is cold. England is not.", "The Paris Club met.", "My PC broke.",
             "Tony Blair spoke, then Blair left.", "Cherie Blair smiled.", "Blair and Blair again."]
    labels = [("New England", "LOC"), ("England", "LOC"), ("Paris Club", "ORG"), ("PC", "ORG"),
              ("Tony Blair", "PER"), ("Blair", "PER"), ("Cherie Blair", "PER")]
    by_name = {c.name: c for c in candidates(texts, [spans(t, *labels) for t in texts], [])}
    assert set(by_name) == {"New England", "England", "Paris Club", "PC", "Tony Blair", "Cherie Blair"}
    assert by_name["Tony Blair"].short_names == ("Blair",)  # written with it; Cherie Blair never is


def test_a_surname_counts_for_the_full_name_its_article_uses() -> None:
    texts = ["Patricia Hewitt spoke. Hewitt left.", "Lleyton Hewitt won. Hewitt smiled. Hewitt left.",
             "Hewitt again."]
    found = [spans(t, ("Patricia Hewitt", "PER"), ("Lleyton Hewitt", "PER"), ("Hewitt", "PER")) for t in texts]
    by_name = {c.name: c for c in candidates(texts, found, [])}
    assert set(by_name) == {"Patricia Hewitt", "Lleyton Hewitt"}  # not "Hewitt", which would take it from both
    assert by_name["Patricia Hewitt"].short_names == by_name["Lleyton Hewitt"].short_names == ("Hewitt",)
    assert (by_name["Patricia Hewitt"].mentions, by_name["Lleyton Hewitt"].mentions) == (2, 3)


def test_a_name_tagged_only_sometimes_is_less_certain() -> None:
    texts = ["Apple sold phones. Apple grew.", "Apple pie is sweet. Apple cake too."]
    found = [spans(texts[0], ("Apple", "ORG")), []]
    (apple,) = candidates(texts, found, [])
    assert apple.mentions == 2 and apple.confidence == round(0.5 * 0.75, 2)


def test_drafts_are_written_once(tmp_path: Path) -> None:
    (found,) = candidates(["Anna Lee spoke. Lee left."], [[(0, 8, "PER"), (16, 19, "PER")]], [])
    written, kept = write_drafts([found], tmp_path)
    assert kept == [] and written == [tmp_path / "entities" / "anna-lee.md"]
    entity = load_entity(written[0], [])
    assert entity is not None and entity.draft and entity.short_names == ("Lee",) and entity.type == "person"
    written[0].write_text("---\nname: Anna Lee\n---\nMine.\n", encoding="utf-8")
    assert write_drafts([found], tmp_path) == ([], written)
    assert written[0].read_text(encoding="utf-8").endswith("Mine.\n")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_example(tmp_path_factory.mktemp("suggest"))
    (root / "content" / "articles" / "lee.md").write_text(
        "---\ntitle: A visit\ndate: 2024-07-01\n---\nFormer minister Margaret Thornbury visited Pyongyang on "
        "Monday.\n\nMargaret Thornbury met Kim Jong Un there, and Thornbury later spoke to reporters.\n",
        encoding="utf-8")
    return root


def test_suggest_lists_the_names_no_entity_has(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    found = {c.name: c for c in suggest(project)}
    assert "Margaret Thornbury" in found and found["Margaret Thornbury"].short_names == ("Thornbury",)
    assert not {"Pyongyang", "Kim Jong Un", "Vladimir Putin", "Kim"} & found.keys()
    assert main(["suggest", str(project), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert any(c["name"] == "Margaret Thornbury" and c["type"] == "person" and c["articles"] == 1 for c in listed)
    (project / "content" / "entities" / "_rejected.txt").write_text("# not wanted\nmargaret thornbury\n",
                                                                   encoding="utf-8")
    try:
        assert "Margaret Thornbury" not in {c.name for c in suggest(project)}
    finally:
        (project / "content" / "entities" / "_rejected.txt").unlink()


def test_written_drafts_build_as_unreviewed_entities(project: Path, tmp_path: Path) -> None:
    assert main(["suggest", str(project), "--write", "--min-confidence", "0.5"]) == 0
    draft = project / "content" / "entities" / "margaret-thornbury.md"
    try:
        assert "draft: true" in draft.read_text(encoding="utf-8")
        out = build(project, tmp_path / "site").out
        page = (out / "entities" / "margaret-thornbury.html").read_text(encoding="utf-8")
        assert "Unreviewed." in page
        article = (out / "articles" / "lee.html").read_text(encoding="utf-8")
        assert 'href="../entities/margaret-thornbury.html"' in article
        assert "Unreviewed." not in (out / "entities" / "pyongyang.html").read_text(encoding="utf-8")
    finally:
        for path in (project / "content" / "entities").glob("*.md"):
            if "draft: true" in path.read_text(encoding="utf-8"):
                path.unlink()


def test_discover_mode_links_confident_names_without_writing_files(project: Path, tmp_path: Path) -> None:
    before = sorted((project / "content").rglob("*"))
    toml = project / "site.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[annotate]\n", "[annotate]\ndiscover = true\n"),
                    encoding="utf-8")
    try:
        out = build(project, tmp_path / "site").out
    finally:
        toml.write_text(toml.read_text(encoding="utf-8").replace("discover = true\n", ""), encoding="utf-8")
    assert sorted((project / "content").rglob("*")) == before
    page = (out / "entities" / "margaret-thornbury.html").read_text(encoding="utf-8")
    assert "Unreviewed." in page and "A visit" in page
    assert 'href="../entities/margaret-thornbury.html"' in (out / "articles" / "lee.html").read_text(encoding="utf-8")
