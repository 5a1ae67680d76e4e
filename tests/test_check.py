"""site-builder check: every finding, one a line, nothing written, exit 1 on errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from site_builder.cli import main
from site_builder.pipeline import check

from .test_pipeline import copy_example


def test_the_example_site_has_no_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_example(tmp_path)
    assert main(["check", str(project)]) == 0
    out, err = capsys.readouterr()
    assert all(": warning: " in line for line in out.splitlines())
    assert err.startswith("0 errors,")
    assert not (project / "public").exists()


def test_every_kind_of_finding_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_example(tmp_path)
    articles = project / "content" / "articles"
    (articles / "links.md").write_text(
        "---\ntitle: Links\n---\nVladimir Putin went to [Moscow](../entities/moscow.html) and "
        "[away](https://example.org/).\n\nSee [the lost page](missing-article.html).\n\n"
        "Also [[Nobody At All]].\n", encoding="utf-8")
    (articles / "quiet.md").write_text("---\ntitle: Quiet\n---\nNothing here.\n", encoding="utf-8")
    (articles / "broken.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    (project / "content" / "entities" / "atlantis.md").write_text("---\nname: Atlantis\ntype: place\n---\n",
                                                                  encoding="utf-8")
    found = {str(f) for f in check(project)}
    links, quiet, broken = (articles / n for n in ("links.md", "quiet.md", "broken.md"))
    assert f"{links}:6: error: link to 'missing-article.html' leads to no page of the site" in found
    assert any(f.startswith(f"{links}:8: error: unknown entity [[Nobody At All]]") for f in found)
    assert f"{quiet}:1: warning: 'Quiet' mentions no entity" in found
    assert any(f.startswith(f"{broken}:2: error: invalid front matter") for f in found)
    assert f"{project / 'content/entities/atlantis.md'}:1: warning: no article mentions 'Atlantis'" in found
    assert not any("moscow.html" in f or "example.org" in f for f in found)
    assert main(["check", str(project)]) == 1
    assert capsys.readouterr().err.startswith("3 errors,")
    assert not (project / "public").exists()
