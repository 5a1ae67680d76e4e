"""The site as a reader meets it: headless Chromium opens the pages from disk (file://), every
other request blocked. axe-core finds no serious or critical problem in light or dark, nothing
logs an error, the theme toggle is remembered, and the skip link works from the keyboard."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from site_builder import search
from site_builder.pipeline import build

from .conftest import ROOT
from .test_pipeline import ARTICLE, copy_example

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PAGES = ["index.html", "articles/index.html", ARTICLE, "entities/index.html", "entities/vladimir-putin.html",
         "tags/index.html", "tags/russia.html", "articles/2024/index.html", "articles/2024/06.html"]

pytestmark = pytest.mark.skipif(
    not (shutil.which("node") and os.access(CHROMIUM, os.X_OK) and (ROOT / "node_modules" / "playwright-core").is_dir()
         and (ROOT / "node_modules" / "axe-core").is_dir()),
    reason="needs node, npm install (playwright-core, axe-core) and Chromium (Debian package chromium)")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    project = copy_example(tmp_path_factory.mktemp("browser"))
    (project / "content" / "articles" / "second.md").write_text(
        "---\ntitle: Second\ndate: 2024-07-01\ntags: [russia]\n---\nVladimir Putin met Kim Jong Un in Pyongyang.\n",
        encoding="utf-8")
    out = build(project).out
    done = subprocess.run(["node", str(ROOT / "tests" / "browser" / "check.mjs"), str(out), *PAGES],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_no_serious_accessibility_problems_in_light_or_dark(report: dict) -> None:
    serious = [v for v in report["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_pages_log_no_errors_and_ask_for_nothing_but_files(report: dict) -> None:
    assert report["consoleErrors"] == [] and report["blocked"] == []


def test_the_theme_toggle_is_remembered(report: dict) -> None:
    toggle = report["toggle"]
    assert toggle["visible"] and toggle["before"] is None and toggle["pressed"] == "true"
    assert toggle["afterNavigation"] == toggle["afterReload"] == "dark" and toggle["pressedAfterReload"] == "true"
    assert toggle["attempts"] < 5
    assert toggle["background"] == "rgb(22, 23, 26)"  # the dark --bg


def test_the_skip_link_comes_first_and_leads_to_the_content(report: dict) -> None:
    assert report["keyboard"] == {"first": "skip-link", "afterSkip": "main"}


def test_entity_previews_on_hover_focus_and_touch(report: dict) -> None:
    preview = report["preview"]
    hover = preview["hover"]
    assert hover["visible"] and hover["describedBy"] == "entity-card"
    assert hover["text"].split("\n\n")[:2] == ["PERSON", "Vladimir Putin"]
    assert "Mentioned in 2 articles" in hover["text"] and "Open the page of Vladimir Putin" in hover["text"]
    assert preview["textMoved"] is False and preview["belowTheLink"] is True
    assert preview["afterLeaving"] is False
    assert preview["focus"] is True and preview["afterEscape"] is False
    assert preview["firstTap"] == {"visible": True, "stayed": True} and preview["secondTapOpened"] is True


def test_no_page_scrolls_sideways_at_200_percent_zoom_or_on_a_phone(report: dict) -> None:
    assert report["overflow"] == []


def test_search_finds_entities_first_then_articles_with_highlights(report: dict) -> None:
    search = report["search"]
    assert search["visible"] and search["slashFocuses"] == "search-box"
    assert search["options"][0] == "Vladimir Putin Person · 2 articles"
    assert any(o.startswith("Russia and North Korea sign mutual aid agreement") for o in search["options"][1:])
    assert any(o.startswith("Second\n") for o in search["options"][1:])
    assert len(search["marks"]) >= 3 and all(m.lower() == "putin" for m in search["marks"])  # entity, title or snippet
    assert search["status"] == f"{len(search['options'])} results" and search["expanded"] == "true"
    assert search["activeDescendant"] == "search-option-e0" and search["closedByEscape"] is True
    assert [o.split("\n")[0] for o in search["phrase"]] == [
        "Russia and North Korea sign mutual aid agreement amid rising tensions with the West"]
    assert search["opened"].endswith("/" + ARTICLE)  # arrow down, Enter: the article opens


def test_search_merges_blocks_and_split_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Thirty articles in eight blocks, terms files split by three letters: what the reader sees
    for a query is every article using its words, best first, with its excerpt."""
    monkeypatch.setattr(search, "BLOCK", 4)
    monkeypatch.setattr(search, "SPLIT", 100)
    project = tmp_path / "site"
    folder = project / "content" / "articles"
    folder.mkdir(parents=True)
    (project / "content" / "entities").mkdir()
    uses = {}
    for i in range(30):
        words = ["zebra"] * (i % 3 == 0) + ["quokka"] * (i % 2 == 0) + ["zebu", "zest"] * (i % 5 == 0)
        title = "Zebra crossing" if i == 27 else f"Report {i}"
        (folder / f"a{i:02}.md").write_text(f"---\ntitle: {title}\n---\nThe field notes {i} mention {' '.join(words)} "
                                            "and nothing else.\n", encoding="utf-8")
        uses[f"a{i:02}"] = {*words, *title.lower().split()}
    (folder / "long.md").write_text("---\ntitle: Long\n---\n" + "Filler words go on. " * 30 + "An okapi at last.\n",
                                    encoding="utf-8")
    uses["long"] = {"okapi"}
    out = build(project, jobs=1).out
    assert (out / "search" / "titles.js").is_file() and len(list((out / "search").glob("excerpts-*"))) >= 8
    assert list((out / "search").glob("terms-zeb.js")) and not list((out / "search").glob("terms-ze.js"))
    done = subprocess.run(["node", str(ROOT / "tests" / "browser" / "search.mjs"), str(out),
                           "zebra", "zebra quokka", "zeb", "zest", "okapi"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["errors"] == []
    for query, results in seen["results"].items():
        words = query.split()
        expected = {slug for slug, used in uses.items()
                    if all(w in used or (w == words[-1] and any(u.startswith(w) for u in used)) for w in words)}
        shown = [option["href"].removeprefix("articles/").removesuffix(".html") for option in results["options"]]
        assert results["status"] == f"{len(expected)} result{'' if len(expected) == 1 else 's'}", query
        assert len(shown) == min(8, len(expected)) and set(shown) <= expected, query
        assert all(option["marks"] for option in results["options"]), query
        if query != "okapi":
            assert all(option["snippet"].startswith("The field notes") for option in results["options"])
    (long,) = seen["results"]["okapi"]["options"]  # a snippet around the match, past the opening words
    assert long["snippet"].startswith("…") and "An okapi at last." in long["snippet"] and long["marks"] == ["okapi"]
    assert seen["results"]["zebra"]["options"][0]["title"] == "Zebra crossing"  # the title weighs most
