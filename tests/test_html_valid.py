"""Every page type passes the Nu Html Checker with no errors or warnings.

Needs Java and the npm package vnu-jar (``npm install`` in the project root, as
.ci/run does); skipped when either is missing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from site_builder.pipeline import build

from .conftest import ROOT

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

pytestmark = pytest.mark.skipif(not (VNU.is_file() and shutil.which("java")),
                                reason="Nu Html Checker not installed (npm install; needs java)")


def test_example_site_is_valid_html(tmp_path: Path) -> None:
    project = tmp_path / "site"
    shutil.copytree(ROOT / "content", project / "content")
    # With base_url, so that canonical links, feeds links and OpenGraph URLs are checked too.
    (project / "site.toml").write_text('base_url = "https://news.example.org/"\n'
                                       + (ROOT / "site.toml").read_text(encoding="utf-8"), encoding="utf-8")
    # A second article with code, a table and raw HTML covers more markup.
    (project / "content" / "articles" / "extra.md").write_text(
        "---\ntitle: Extra\n---\n\n```python\nprint('Kim Jong Un')\n```\n\n| a | b |\n|---|---|\n| Russia | 1 |\n\n"
        "<details><summary>More</summary>Putin in Moscow</details>\n", encoding="utf-8")
    out = build(project).out
    done = subprocess.run(["java", "-jar", str(VNU), "--skip-non-html", "--format", "gnu", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    css = subprocess.run(["java", "-jar", str(VNU), "--css", "--format", "gnu",
                          *map(str, sorted((out / "static").glob("*.css")))],
                         capture_output=True, text=True, timeout=300)
    assert css.returncode == 0, css.stderr
