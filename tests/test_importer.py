"""site-builder import: plain text and saved web pages to articles that build."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from site_builder.cli import main
from site_builder.importer import find_date, from_html, from_text
from site_builder.pipeline import build

from .conftest import ROOT, SHARED
from .test_pipeline import copy_example

SEED = SHARED / "seed" / "russia-north-korea-pact.txt"
NEWS = SHARED / "corpora" / "news-html"
EXAMPLE = ROOT / "content" / "articles" / "russia-north-korea-pact.md"


def front_and_body(path: Path) -> tuple[str, str]:
    _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
    return front, body.strip()


@pytest.mark.skipif(not SEED.is_file(), reason="../shared/seed not present")
def test_the_seed_imports_as_the_example_article(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(SEED), "--to", str(tmp_path)]) == 0
    [made] = tmp_path.glob("*.md")
    assert f"{SEED} -> {made}" in capsys.readouterr().out
    import yaml
    front, body = front_and_body(made)
    example_front, example_body = front_and_body(EXAMPLE)
    assert body == example_body  # every paragraph and heading; byline, credit, author box gone
    expected = yaml.safe_load(example_front)
    assert yaml.safe_load(front) == {k: expected[k] for k in ("title", "date", "author", "publication")}


def test_text_import_recognises_the_byline_and_drops_clutter() -> None:
    article = from_text("The title\n\nBy A. Writer\nThe Daily Paper\n20 June 2024\nPhoto: Someone\n\n"
                        "First paragraph, long enough to be text.\n\nA heading\n\n1. Not a list, a sentence.\n\n"
                        "***\n\nA. Writer\nWrites things.\n")
    assert (article.title, article.author, article.publication, article.date) == (
        "The title", "A. Writer", "The Daily Paper", dt.date(2024, 6, 20))
    assert article.body == "First paragraph, long enough to be text.\n\n## A heading\n\n1\\. Not a list, a sentence.\n"


@pytest.mark.parametrize(("line", "date"), [("3 min readJun 20, 2024", dt.date(2024, 6, 20)),
                                            ("Updated 5 March 2023", dt.date(2023, 3, 5)),
                                            ("2021-12-31T10:00", dt.date(2021, 12, 31)),
                                            ("Foo 31, 2024", None), ("Feb 30, 2024", None)])
def test_dates_in_bylines(line: str, date: dt.date | None) -> None:
    assert find_date(line) == date


PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Pact signed | The Paper</title>
<meta property="og:title" content="Pact signed in Pyongyang">
<meta property="og:site_name" content="The Paper">
<link rel="canonical" href="https://paper.example/world/pact">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Pact signed in Pyongyang", "datePublished": "2024-06-20T08:00:00Z",
 "author": {"@type": "Person", "name": "Jordan Strickler"}}</script>
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/login">Sign in</a></nav>
<div class="ad-banner">Buy our things now, limited offer, subscribe today</div>
<article><h1>Pact signed in Pyongyang</h1>
<p>Vladimir Putin and Kim Jong Un signed a mutual aid pact on Wednesday in Pyongyang, the North Korean capital,
pledging to help each other in the face of any aggression against either country.</p>
<h2>Reactions abroad</h2>
<p>The United States said the agreement was troubling. <a href="https://state.example/statement">Read the
statement</a> issued by the department on the same day, which called for restraint.</p>
<blockquote><p>This is a dangerous moment for the region and for the world, one official said.</p></blockquote>
<ul><li>Security cooperation between the two countries</li><li>Trade, investment and energy links</li></ul>
<p><img src="https://paper.example/img/pact.jpg" alt="Putin and Kim shake hands"></p>
<p>Officials in Seoul and Tokyo expressed concern about the deal and its consequences for the peninsula.</p>
</article>
<aside class="share">Share on social media</aside>
<section class="comments"><p>First comment: great article, I agree with everything said here completely.</p></section>
<footer>Copyright The Paper</footer></body></html>"""


def test_web_page_import_keeps_the_article_and_its_metadata() -> None:
    article = from_html(PAGE)
    assert article.title == "Pact signed in Pyongyang"
    assert article.author == "Jordan Strickler"
    assert article.date == dt.date(2024, 6, 20)
    assert article.publication == "The Paper"
    assert article.source == "https://paper.example/world/pact"
    body = article.body
    assert "Vladimir Putin and Kim Jong Un signed" in body and "Officials in Seoul" in body
    assert "## Reactions abroad" in body or "### Reactions abroad" in body
    assert "> This is a dangerous moment" in body
    assert "- Security cooperation" in body
    assert "[Read the" in body and "(https://state.example/statement)" in body
    assert "![Putin and Kim shake hands](https://paper.example/img/pact.jpg)" in body
    for clutter in ("Sign in", "Buy our things", "Share on social", "First comment", "Copyright"):
        assert clutter not in body
    assert not body.startswith("# Pact signed")  # the headline is the title, not repeated


def test_imported_pages_build_and_are_never_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_example(tmp_path)
    page = tmp_path / "pact.html"
    page.write_text(PAGE, encoding="utf-8")
    folder = project / "content" / "articles"
    assert main(["import", str(page), "--to", str(folder)]) == 0
    made = folder / "pact-signed-in-pyongyang.md"
    made.write_text(made.read_text(encoding="utf-8") + "\nMy note.\n", encoding="utf-8")
    assert main(["import", str(page), "--to", str(folder)]) == 1
    assert "exists; not overwriting it" in capsys.readouterr().out
    assert made.read_text(encoding="utf-8").endswith("My note.\n")
    out = build(project).out
    html = (out / "articles" / "pact-signed-in-pyongyang.html").read_text(encoding="utf-8")
    assert 'data-entity="vladimir-putin"' in html and 'data-entity="pyongyang"' in html
    assert main(["import", str(page), "--to", str(folder), "--force"]) == 0
    assert not made.read_text(encoding="utf-8").endswith("My note.\n")


def test_unreadable_inputs_are_reported_and_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes(b"Caf\xe9\n\nText.\n")
    (tmp_path / "blank.html").write_text("<html><body><nav>Menu</nav></body></html>", encoding="utf-8")
    assert main(["import", *(str(tmp_path / n) for n in ("empty.txt", "latin1.txt", "blank.html", "none.txt")),
                 "--to", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "empty.txt: the file is empty; skipped" in out
    assert "latin1.txt: not valid UTF-8 (byte 3)" in out
    assert "blank.html: no article text found" in out
    assert "none.txt: No such file or directory; skipped" in out
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not (NEWS / "ground-truth.json").is_file(), reason="../shared/corpora/news-html not present")
def test_saved_news_pages_keep_their_text_in_any_language() -> None:
    truth = json.loads((NEWS / "ground-truth.json").read_text(encoding="utf-8"))
    checked = 0
    for key, expected in sorted(truth.items()):
        path = NEWS / "html" / f"{key}.html"
        reference = expected["articleBody"]
        if not path.is_file() or sum(c.isascii() for c in reference) > 0.5 * len(reference):
            continue  # non-English pages only: mostly non-ASCII text
        body = from_html(path.read_bytes()).body
        paragraph = max(reference.split("\n"), key=len)[:60]
        assert paragraph in body, (key, paragraph)
        checked += 1
    assert checked >= 3


def test_links_and_images_with_brackets_or_spaces_in_their_address_survive() -> None:
    page = PAGE.replace("https://paper.example/img/pact.jpg", "https://paper.example/img/pact (59).jpg")
    article = from_html(page)
    assert "![Putin and Kim shake hands](<https://paper.example/img/pact (59).jpg>)" in article.body
    from markdown_it import MarkdownIt
    html = MarkdownIt("commonmark").render(article.body)
    assert 'src="https://paper.example/img/pact%20(59).jpg"' in html
