"""The one orchestrator: load -> annotate -> index -> render -> write.

Only this module sequences the stages, collects their diagnostics and times
the build; the stages themselves are plain functions over the data model.
Everything is read and checked before anything is written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .annotate import annotate
from .config import load_config
from .errors import BuildFailed, ContentError, Diagnostic
from .index import build_index
from .load import load_content
from .names import NameTable
from .render import render_site, theme_dir
from .write import check_output, write_site


@dataclass(frozen=True)
class BuildResult:
    out: Path
    pages: int
    warnings: tuple[Diagnostic, ...]
    seconds: float


def build(root: Path, out: Path | None = None) -> BuildResult:
    """Build the site of the project in ``root`` into ``out`` (default ``root/public``).

    Raises BuildFailed with every error found; the output is then untouched.
    """
    started = time.perf_counter()
    out = out if out is not None else root / "public"
    diagnostics: list[Diagnostic] = []
    try:
        config = load_config(root)
        theme_dir(config)
    except ContentError as err:
        raise BuildFailed([err.diagnostic]) from None
    if not config.content_dir.is_dir():
        raise BuildFailed([Diagnostic(config.content_dir, 0, "no content folder: create content/articles/ "
                                      "and content/entities/")])
    check_output(out, root)
    articles, entities = load_content(config.content_dir, diagnostics)
    names = NameTable(entities)
    diagnostics += names.warnings
    link_all = config.link == "all"
    annotated_articles = {a.slug: annotate(a.doc, names, link_all=link_all, href_prefix="../entities/")
                          for a in articles}
    annotated_entities = {e.id: annotate(e.doc, names, link_all=link_all, exclude=e.id) for e in entities}
    for done in (*annotated_articles.values(), *annotated_entities.values()):
        diagnostics += done.diagnostics
    diagnostics.sort(key=lambda d: (str(d.path), d.line))
    errors = [d for d in diagnostics if d.level == "error"]
    warnings = tuple(d for d in diagnostics if d.level != "error")
    if errors:
        raise BuildFailed(errors, warnings)
    index = build_index(articles, entities, annotated_articles, lambda name: names.lookup(name)[0])
    count = write_site(render_site(config, index, annotated_articles, annotated_entities), out)
    return BuildResult(out, count, warnings, time.perf_counter() - started)
