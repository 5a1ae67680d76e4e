"""End to end: build the example site in content/ and read the pages back."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from site_builder import pipeline
from site_builder.errors import BuildFailed
from site_builder.pipeline import build

from .conftest import ROOT


def copy_example(tmp_path: Path, link: str = "first") -> Path:
    project = tmp_path / "site"
    shutil.copytree(ROOT / "content", project / "content")
    text = (ROOT / "site.toml").read_text(encoding="utf-8").replace('link = "first"', f'link = "{link}"')
    (project / "site.toml").write_text(text, encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_example(tmp_path_factory.mktemp("example"))
    result = build(project)
    assert result.warnings == ()
    return result.out


def page(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path).read_text(encoding="utf-8"), "html.parser")


ARTICLE = "articles/russia-north-korea-pact.html"


def links_in_body(soup: BeautifulSoup) -> list[tuple[str, str]]:
    return [(a["data-entity"], a.get_text()) for a in soup.select(".article-body a.entity")]


def test_every_page_is_written(site: Path) -> None:
    entities = sorted(p.stem for p in (ROOT / "content" / "entities").glob("*.md"))
    assert len(entities) >= 20
    for entity_id in entities:
        assert (site / "entities" / f"{entity_id}.html").is_file()
    for path in ("index.html", "articles/index.html", "entities/index.html", ARTICLE,
                 "static/style.css", "static/pygments.css"):
        assert (site / path).is_file(), path


def test_seed_article_entity_links(site: Path) -> None:
    soup = page(site, ARTICLE)
    linked = dict(links_in_body(soup))
    expected = {"vladimir-putin": "Vladimir Putin", "kim-jong-un": "Kim Jong Un", "united-states": "U.S.",
                "to-lam": "To Lam", "un-security-council": "U.N. Security Council", "pyongyang": "Pyongyang",
                "antony-blinken": "Antony Blinken", "vietnam": "Vietnam", "moscow": "Moscow",
                "nguyen-phu-trong": "Nguyen Phu Trong", "north-korea": "North Korea", "russia": "Russia"}
    for entity_id, text in expected.items():
        assert linked.get(entity_id) == text, entity_id
    # link = "first": each entity is linked once.
    assert len(linked) == len(links_in_body(soup))
    for a in soup.select(".article-body a.entity"):
        assert a["href"] == f"../entities/{a['data-entity']}.html"
        assert (site / "entities" / f"{a['data-entity']}.html").is_file()
    assert not soup.select(".article-body h2 a")  # headings are never annotated


def test_link_all_links_possessives_and_short_names(tmp_path: Path) -> None:
    out = build(copy_example(tmp_path, link="all")).out
    html = (out / ARTICLE).read_text(encoding="utf-8")
    assert re.search(r'data-entity="russia" href="[^"]+">Russia</a>’s', html)
    assert re.search(r'data-entity="kim-jong-un" href="[^"]+">Kim</a>’s', html)
    assert re.search(r'data-entity="united-states" href="[^"]+">U.S.</a> and its allies\.', html)
    assert 'data-entity="to-lam" href="../entities/to-lam.html">To Lam</a>.' in html
    # The only "Kim" mentions come after "Kim Jong Un": every one is linked to him.
    soup = BeautifulSoup(html, "html.parser")
    kims = [a["data-entity"] for a in soup.select(".article-body a.entity") if a.get_text() == "Kim"]
    assert kims and set(kims) == {"kim-jong-un"}


def test_annotation_keeps_the_article_text(site: Path) -> None:
    source = (ROOT / "content" / "articles" / "russia-north-korea-pact.md").read_text(encoding="utf-8")
    body = source.split("---", 2)[2]
    paragraphs = [p for p in body.split("\n\n") if p.strip() and not p.startswith("#")]
    text = page(site, ARTICLE).select_one(".article-body").get_text()
    for paragraph in paragraphs:
        assert paragraph.strip() in text


def test_sidebar_groups_entities_by_type_with_counts(site: Path) -> None:
    aside = page(site, ARTICLE).select_one("aside.sidebar")
    groups = {section.h3.get_text(): [li.a.get_text() for li in section.select("li")]
              for section in aside.select("section.xref-group")}
    assert "Vladimir Putin" in groups["People"] and "To Lam" in groups["People"]
    assert "Pyongyang" in groups["Places"] and "Vietnam" in groups["Places"]
    assert "United Nations Security Council" in groups["Organizations"]
    counts = {li.a.get_text(): li.select_one(".count").get_text() for li in aside.select("section.xref-group li")}
    assert counts["North Korea"] == "12 mentions"
    assert counts["To Lam"] == "1 mention"


def test_entity_page(site: Path) -> None:
    soup = page(site, "entities/kim-jong-un.html")
    assert soup.h1.get_text() == "Kim Jong Un"
    assert "Person" in soup.select_one(".entity-type").get_text()
    assert "Kim Jong-un" in soup.select_one(".facts").get_text()
    assert soup.select_one('a[href="https://en.wikipedia.org/wiki/Kim_Jong_Un"]')
    (item,) = soup.select(".appearances li")
    assert item.a["href"] == "../" + ARTICLE
    assert "Kim Jong Un signed a significant agreement" in item.blockquote.get_text()
    assert "4 mentions" in item.get_text()
    together = [a.get_text() for a in soup.select(".cooccurring a")]  # one article: tied but for mentions
    assert "Vladimir Putin" in together and "Kim Jong Un" not in together


def test_entity_bodies_link_to_other_entities_never_to_themselves(site: Path) -> None:
    for path in (site / "entities").glob("*.html"):
        if path.name == "index.html":
            continue
        soup = page(site, f"entities/{path.name}")
        targets = {a["data-entity"] for a in soup.select(".entity-body a.entity")}
        assert path.stem not in targets
    soup = page(site, "entities/kim-jong-un.html")
    assert {"pyongyang"} <= {a["data-entity"] for a in soup.select(".entity-body a.entity")}


def test_index_pages(site: Path) -> None:
    home = page(site, "index.html")
    item = home.select_one(".article-list li")
    assert item.a["href"] == ARTICLE
    assert [a.get_text() for a in item.select(".mentions a")][:2] == ["North Korea", "Russia"]
    entities = page(site, "entities/index.html")
    people = entities.select_one("#type-person").find_parent("section")
    names = [a.get_text() for a in people.select("li a")]
    assert names == sorted(names, key=str.casefold) and "To Lam" in names
    assert page(site, "articles/index.html").select_one(f'a[href="{ARTICLE.split("/")[1]}"]')


def test_pages_are_self_contained_and_relative(site: Path) -> None:
    for path in site.rglob("*.html"):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        assert soup.html["lang"] == "en"
        assert soup.select_one("main#main") and soup.select_one('a.skip-link[href="#main"]')
        for tag in soup.select("[src], link[href], script"):
            assert not re.match(r"^(https?:)?//", tag.get("src") or tag.get("href") or ""), (path, tag)
        for a in soup.select("a[href]"):
            href = a["href"]
            if href.startswith(("http://", "https://", "#")):
                assert not href.startswith("http") or "external" in a.get("rel", []) or a.find_parent(
                    class_="article-body") or a.find_parent(class_="entity-body") or "source" in a.get("class", [])
                continue
            target = (path.parent / href.split("#")[0]).resolve()
            assert href.split("#")[0].endswith(".html") and target.is_file(), (path, href)


def test_failed_build_leaves_previous_site_untouched(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    out = build(project).out
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = project / "content" / "articles" / "bad.md"
    bad.write_text("---\ntitle: Bad\ndate: 2024-02-30\n---\nSee [[Vladimir Poutine]].\n", encoding="utf-8")
    (project / "content" / "entities" / "broken.md").write_text("---\ntype: person\n---\n", encoding="utf-8")
    with pytest.raises(BuildFailed) as failed:
        build(project)
    reported = sorted((d.path.name, d.line) for d in failed.value.errors)
    assert reported == [("bad.md", 3), ("broken.md", 1)]
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    # Nothing left of the build but the copy of the site that the next build starts from
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".public")] == [".public.prev"]
    copy = out.parent / ".public.prev"
    assert {p.relative_to(copy): p.stat().st_ino for p in copy.rglob("*") if p.is_file() and p.name != ".gitignore"} \
        == {p.relative_to(out): p.stat().st_ino for p in out.rglob("*") if p.is_file()}


def test_unknown_explicit_name_fails_the_build_with_line(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    (project / "content" / "articles" / "x.md").write_text(
        "---\ntitle: X\n---\n\nIntro.\n\nWe met [[Vladimir Poutine]].\n", encoding="utf-8")
    with pytest.raises(BuildFailed) as failed:
        build(project)
    (error,) = failed.value.errors
    assert (error.path.name, error.line) == ("x.md", 7)
    assert "Vladimir Putin" in error.message


def test_out_option_and_rebuild_replace_the_site(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    out = tmp_path / "elsewhere" / "site"
    build(project, out)
    (project / "content" / "entities" / "east-asia.md").unlink()
    build(project, out)
    assert not (out / "entities" / "east-asia.html").exists()
    assert (out / ARTICLE).is_file() and not (project / "public").exists()


def test_project_templates_override_the_theme(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    (project / "templates").mkdir()
    (project / "templates" / "_macros.html").write_text(
        (ROOT / "themes" / "default" / "templates" / "_macros.html").read_text(encoding="utf-8")
        .replace('<p class="meta">', '<p class="meta custom-meta">'), encoding="utf-8")
    out = build(project).out
    assert page(out, ARTICLE).select_one("p.custom-meta")
    assert page(out, "entities/index.html").select_one("main")  # other templates still from the theme


def test_unknown_theme_is_an_error(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    (project / "site.toml").write_text('theme = "fancy"\n', encoding="utf-8")
    with pytest.raises(BuildFailed, match="1 error") as failed:
        build(project)
    assert "unknown theme 'fancy'; available: default" in failed.value.errors[0].message


def test_articles_index_groups_by_year_with_undated_last(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    articles = project / "content" / "articles"
    (articles / "undated.md").write_text("---\ntitle: Undated piece\n---\nText.\n", encoding="utf-8")
    (articles / "older.md").write_text("---\ntitle: Older piece\ndate: 2023-01-05\n---\nText.\n", encoding="utf-8")
    soup = page(build(project).out, "articles/index.html")
    years = [(h.get_text(), [a.get_text() for a in h.find_parent("section").select("li a")])
             for h in soup.select("main h2")]
    assert [y for y, _ in years] == ["2024", "2023", "Undated"]
    assert years[2][1] == ["Undated piece"]


def test_author_and_publication_link_to_their_entities(site: Path) -> None:
    meta = page(site, ARTICLE).select_one("article header .meta")
    assert meta.select_one(".author a")["href"] == "../entities/jordan-strickler.html"
    assert meta.select_one(".publication a")["href"] == "../entities/hooah.html"
    author = page(site, "entities/jordan-strickler.html")
    assert author.select_one("#author-heading").get_text() == "Articles by Jordan Strickler"
    assert author.select_one("#author-heading").find_parent("section").a["href"] == "../" + ARTICLE
    assert page(site, "entities/hooah.html").select_one("#publication-heading")


def test_parallel_and_single_process_builds_are_identical(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    (project / "content" / "articles" / "second.md").write_text(
        "---\ntitle: Second\ndate: 2024-07-01\n---\nPutin met Kim Jong Un in Pyongyang. [[Vietnam]] watched.\n",
        encoding="utf-8")
    one = build(project, tmp_path / "one", jobs=1).out
    two = build(project, tmp_path / "two", jobs=2).out
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)


def assert_same_site(one: Path, two: Path) -> None:
    """The two sites have the same files, byte for byte, but for their stamps."""
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file() and p.name != ".site-builder")
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file() and p.name != ".site-builder")
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)


def test_articles_read_by_the_workers_build_the_same_site_and_report_errors_by_line(tmp_path: Path) -> None:
    """New and changed articles are read by the workers that annotate them, in chunks:
    enough articles that there are several, and errors from both reading and annotating."""
    project = copy_example(tmp_path)
    for n in range(150):
        (project / "content" / "articles" / f"extra-{n:03d}.md").write_text(
            f"---\ntitle: Extra {n}\ndate: 2024-07-{n % 28 + 1:02d}\n---\nPutin met Kim Jong Un ({n}).\n",
            encoding="utf-8")
    one = build(project, tmp_path / "one", jobs=1, cache=False).out
    two = build(project, tmp_path / "two", jobs=2).out
    assert_same_site(one, two)
    (project / "content" / "articles" / "bad-date.md").write_text(
        "---\ntitle: Bad\ndate: 2024-02-30\n---\nText.\n", encoding="utf-8")
    (project / "content" / "articles" / "bad-name.md").write_text(
        "---\ntitle: Bad\n---\n\nWe met [[Vladimir Poutine]].\n", encoding="utf-8")
    with pytest.raises(BuildFailed) as failed:
        build(project, tmp_path / "two", jobs=2)
    assert sorted((d.path.name, d.line) for d in failed.value.errors) == [("bad-date.md", 3), ("bad-name.md", 5)]


def test_entities_parsed_by_the_workers_build_the_same_site_and_report_errors_by_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many new entity files are parsed by the workers (``_Files.prefetch``, from PREFETCH of
    them: here from one), in chunks; what they find is what one process finds."""
    project = copy_example(tmp_path)
    for n in range(300):
        (project / "content" / "entities" / f"extra-{n:03d}.md").write_text(
            f"---\nname: Extra Person {n}\ntype: person\ndescription: Number {n}.\n---\nMet [[Vladimir Putin]].\n",
            encoding="utf-8")
    one = build(project, tmp_path / "one", jobs=1, cache=False).out
    monkeypatch.setattr(pipeline, "PREFETCH", 1)
    mapped: list[str] = []
    real_map = pipeline._map
    monkeypatch.setattr(pipeline, "_map", lambda function, *rest: mapped.append(function.__name__) or real_map(function, *rest))
    two = build(project, tmp_path / "two", jobs=2, cache=False).out
    assert "_parse_files" in mapped
    assert_same_site(one, two)
    (project / "content" / "entities" / "extra-007.md").write_text(
        "---\nname: Extra Person 7\ntype: persn\n---\n", encoding="utf-8")
    with pytest.raises(BuildFailed) as failed:
        build(project, tmp_path / "two", jobs=2, cache=False)
    assert [(d.path.name, d.line) for d in failed.value.errors] == [("extra-007.md", 3)]


def test_rebuild_without_changes_writes_nothing_and_repeats_warnings(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    (project / "content" / "entities" / "moscow-idaho.md").write_text(
        "---\nname: Moscow\ntype: place\n---\n", encoding="utf-8")  # ambiguous with moscow.md
    first = build(project)
    assert first.pages > 20 and first.unchanged == 0 and len(first.warnings) == 1
    before = {p: p.stat().st_mtime_ns for p in first.out.rglob("*")}
    again = build(project)
    assert (again.pages, again.unchanged) == (0, first.pages)
    assert again.warnings == first.warnings
    assert {p: p.stat().st_mtime_ns for p in first.out.rglob("*")} == before


def test_progress_hears_each_stage(tmp_path: Path) -> None:
    heard: list[str] = []
    result = build(copy_example(tmp_path), progress=heard.append)
    documents = 1 + len(list((ROOT / "content" / "entities").glob("*.md")))
    # home, articles, entities and their cards; 2024 and June 2024; the tag index and the article's three tags
    pages = documents + 4 + 2 + 1 + 3
    # the article is read and annotated in one pass, by a worker; the entities are annotated by the same workers
    assert heard == ["loading content",
                     f"reading and annotating 1 of 1 article files and {documents - 1} of {documents - 1} entities",
                     "cross-referencing", f"rendering {pages} pages"]
    search = len(list((result.out / "search").iterdir()))
    assert search >= 4  # an index, the entities, the articles and at least one terms file
    assert result.pages == pages + 4 + search  # and the static files: two stylesheets and two scripts



def _wait_for(marker: str) -> bool:
    """A worker's task that ends once ``marker`` exists (or 20 s passed): whether it does."""
    deadline = time.monotonic() + 20
    while not Path(marker).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return Path(marker).exists()


def test_the_parents_work_meanwhile_is_done_once_and_while_the_workers_work(tmp_path: Path) -> None:
    marker, calls = tmp_path / "meanwhile", []
    work = pipeline._Once(lambda: calls.append(marker.touch()))
    assert pipeline._map(_wait_for, [str(marker)] * 4, 2, work) == [True] * 4  # the workers waited for it
    work()
    assert len(calls) == 1


def test_in_process_the_parents_work_meanwhile_is_done_after_the_map(tmp_path: Path) -> None:
    marker, calls = tmp_path / "meanwhile", []
    assert pipeline._map(lambda m: Path(m).exists(), [str(marker)] * 3, 1, lambda: calls.append(marker.touch())) == [
        False] * 3
    assert len(calls) == 1 and marker.exists()
