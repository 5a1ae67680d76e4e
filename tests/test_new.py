"""site-builder new: files with the right front matter that build, never overwriting."""

from __future__ import annotations

from pathlib import Path

import pytest

from site_builder.cli import main
from site_builder.errors import SiteError
from site_builder.new import new_article, new_entity, slugify
from site_builder.pipeline import build


def test_new_article_and_entity_build_and_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1718841600")  # 2024-06-20
    assert main(["new", "article", "Putin & Kim: the pact", "--project", str(tmp_path)]) == 0
    assert main(["new", "entity", "To Lam", "--type", "person", "--project", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    article, entity = (Path(p) for p in printed)
    assert article == tmp_path / "content/articles/putin-kim-the-pact.md"
    assert entity == tmp_path / "content/entities/to-lam.md"
    assert article.read_text(encoding="utf-8") == "---\ntitle: 'Putin & Kim: the pact'\ndate: 2024-06-20\n---\n"
    assert entity.read_text(encoding="utf-8") == "---\nname: To Lam\ntype: person\n---\n"
    article.write_text(article.read_text(encoding="utf-8") + "To Lam met him.\n", encoding="utf-8")
    out = build(tmp_path).out
    page = (out / "articles/putin-kim-the-pact.html").read_text(encoding="utf-8")
    assert 'href="../entities/to-lam.html">To Lam</a>' in page
    assert "Putin &amp; Kim: the pact" in page


def test_new_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = new_entity(tmp_path, "Vietnam", "place")
    path.write_text("---\nname: Vietnam\ntype: place\n---\nMy notes.\n", encoding="utf-8")
    assert main(["new", "entity", "Vietnam", "--type", "place", "--project", str(tmp_path)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8").endswith("My notes.\n")


def test_bad_names_and_types_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match="file name"):
        new_article(tmp_path, "?!")
    with pytest.raises(SiteError, match="unknown entity type"):
        new_entity(tmp_path, "X", "planet")
    with pytest.raises(SystemExit):
        main(["new", "entity", "X", "--type", "planet"])


@pytest.mark.parametrize(("text", "slug"), [("Zürich", "zurich"), ("U.N. Security Council", "u-n-security-council"),
                                            ("Кремль", "кремль"), ("  Kim Jong Un  ", "kim-jong-un")])
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug
