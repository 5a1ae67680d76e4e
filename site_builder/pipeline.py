"""The one orchestrator: load -> annotate -> index -> render -> write.

Only this module sequences the stages, collects their diagnostics and times
the build; the stages themselves are plain functions over the data model.
Everything is read and checked before anything is written.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from . import __version__
from .annotate import annotate
from .config import load_config
from .errors import BuildFailed, ContentError, Diagnostic
from .index import build_index
from .load import load_content
from .model import Annotated, Config
from .names import NameTable
from .render import render_site, theme_dir
from .write import check_output, read_stamp, staging, write_pages

T = TypeVar("T")
R = TypeVar("R")
_shared: dict[str, Any] = {}
"""What worker processes need, set before they fork so that nothing is pickled to them."""


@dataclass(frozen=True)
class BuildResult:
    out: Path
    pages: int
    warnings: tuple[Diagnostic, ...]
    seconds: float
    unchanged: int
    """Pages left as they were: all of them when no input changed, else 0."""
    stages: dict[str, float]
    """Seconds spent in each stage, in order."""


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def build(root: Path, out: Path | None = None, jobs: int | None = None,
          progress: Callable[[str], None] = lambda stage: None) -> BuildResult:
    """Build the site of the project in ``root`` into ``out`` (default ``root/public``).

    ``jobs`` worker processes annotate and render (default: one per core;
    1 runs everything in this process). ``progress`` hears what each stage
    is about to do. Raises BuildFailed with every error found; the output is
    then untouched.
    """
    # The build makes millions of small objects and no reference cycles worth
    # collecting: the cyclic collector would only rescan them, again and again.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(root, out, jobs, progress)
    finally:
        _shared.clear()
        if enabled:
            gc.enable()


def _build(root: Path, out: Path | None, jobs: int | None, progress: Callable[[str], None]) -> BuildResult:
    started = time.perf_counter()
    stages: dict[str, float] = {}
    clock = [started]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        stages[stage], clock[0] = now - clock[0], now

    out = out if out is not None else root / "public"
    jobs = max(1, jobs or default_jobs()) if sys.platform == "linux" else 1
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
    stamp: dict[str, Any] = {"fingerprint": fingerprint(config)}
    last = read_stamp(out)
    if last is not None and last.get("fingerprint") == stamp["fingerprint"]:
        warnings = tuple(Diagnostic(Path(p), line, message, "warning") for p, line, message in last["warnings"])
        return BuildResult(out, 0, warnings, time.perf_counter() - started, int(last["pages"]), {})
    progress("loading content")
    articles, entities = load_content(config.content_dir, diagnostics)
    names = NameTable(entities)
    diagnostics += names.warnings
    lap("load")
    _shared.update(names=names, link_all=config.link == "all", docs=[
        *((a.doc, "../entities/", None) for a in articles), *((e.doc, "", e.id) for e in entities)])
    progress(f"annotating {len(_shared['docs'])} documents")
    done = _map(_annotate, range(len(_shared["docs"])), jobs)
    annotated_articles = {a.slug: ann for a, ann in zip(articles, done)}
    annotated_entities = {e.id: ann for e, ann in zip(entities, done[len(articles):])}
    lap("annotate")
    for ann in done:
        diagnostics += ann.diagnostics
    diagnostics.sort(key=lambda d: (str(d.path), d.line))
    errors = [d for d in diagnostics if d.level == "error"]
    warnings = tuple(d for d in diagnostics if d.level != "error")
    if errors:
        raise BuildFailed(errors, warnings)
    progress("cross-referencing")
    index = build_index(articles, entities, annotated_articles,
                        lambda name: ids[0] if len(ids := names.resolve(name)) == 1 else None)
    lap("index")
    _shared.update(render=(config, index, annotated_articles, annotated_entities), parts=jobs)
    stamp["warnings"] = [[str(d.path), d.line, d.message] for d in warnings]
    progress(f"rendering {len(articles) + len(entities) + 3} pages")
    with staging(out, stamp) as folder:
        _shared["folder"] = folder
        count = sum(_map(_render, range(jobs), jobs))
        stamp["pages"] = count  # staging writes the stamp when the block ends
    lap("render and write")
    return BuildResult(out, count, warnings, time.perf_counter() - started, 0, stages)


def fingerprint(config: Config) -> str:
    """A digest of everything a build reads: the size and mtime of every input file,
    of the theme, and of site-builder's own code. Equal digests mean equal output."""
    digest = hashlib.blake2b(f"{__version__}\0{sys.version}".encode())
    package = Path(__file__).resolve().parent
    for top in (config.root / "site.toml", config.content_dir, config.root / "templates", theme_dir(config), package):
        for path in sorted(top.rglob("*")) if top.is_dir() else [top]:
            try:
                info = path.stat()
            except OSError:
                continue
            digest.update(f"{path}\0{info.st_mtime_ns}\0{info.st_size}\n".encode())
    return digest.hexdigest()


def _annotate(i: int) -> Annotated:
    doc, prefix, exclude = _shared["docs"][i]
    return annotate(doc, _shared["names"], link_all=_shared["link_all"], href_prefix=prefix, exclude=exclude)


def _render(part: int) -> int:
    """Render one worker's share of the pages and write them: pages never cross processes."""
    config, index, articles, entities = _shared["render"]
    return write_pages(render_site(config, index, articles, entities, part=part, parts=_shared["parts"]),
                       _shared["folder"])


def _map(function: Callable[[T], R], items: Sequence[T], jobs: int) -> list[R]:
    """``map`` over forked workers that inherit ``_shared``, in order; in-process for one job."""
    if jobs == 1 or len(items) < 2:
        return list(map(function, items))
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return pool.map(function, items, chunksize=max(1, len(items) // (jobs * 8)))
