"""Speed, memory and fidelity of the related-article ranking alone, on a generated corpus.

    python benchmarks/related_speed.py PROJECT [--caps 500,1000,2000] [--baseline main] [--runs 3]
                                               [--exact-reference] [--memory] [--fresh]

PROJECT is a project that benchmarks/corpus.py wrote (e.g.
/tmp/site-builder-bench/a10000-e3000-s1/project). Its articles are loaded and
annotated with site-builder once (two worker processes); the order of the
articles and the entities each one mentions are kept in
``/tmp/site-builder-related/`` and reused until PROJECT's content folders
change (``--fresh`` annotates again).

For each CANDIDATE_CAP in ``--caps``, the ranking (RelatedRanker(...) and
rank over every article, one process, no cyclic GC, as in a build) is timed,
wall and CPU, median of ``--runs`` (the rankings take turns, run by run, so
that a busy spell of the machine does not fall on one of them only), and
compared with the exact ranking: how many articles
get a related list that is not identical (articles, order, scores or shared
entities), how many miss at least one of the exact five, and the share of
the exact five's total score that is kept. The exact ranking is
``--baseline``'s RelatedRanker (site_builder/related.py, or index.py, at that git revision,
timed too) or, without it, this one with a cap no entity exceeds.
``--exact-reference`` also checks that the two agree. ``--memory`` adds the
peak of memory allocated while ranking, and how much of it is the result
(tracemalloc, a separate untimed run).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import gc
import hashlib
import importlib.util
import multiprocessing
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from site_builder import related
from site_builder.annotate import annotate
from site_builder.index import Ranked, newest_first
from site_builder.load import load_content
from site_builder.model import Article, Document
from site_builder.names import NameTable

STORE = Path("/tmp/site-builder-related")
Mentioned = dict[str, frozenset[str]]
_names: list[NameTable] = []
"""The name table, set before the annotating workers fork."""


def _mentions(doc: Document) -> frozenset[str]:
    return frozenset(m.entity_id for m in annotate(doc, _names[0], href_prefix="../entities/").mentions)


def corpus(project: Path, fresh: bool) -> tuple[tuple[Article, ...], Mentioned]:
    """The articles newest first (bodies dropped) and the entities each mentions, annotated once and kept."""
    content = project / "content"
    stamp = "\0".join(f"{p}:{p.stat().st_mtime_ns}" for p in (content / "articles", content / "entities"))
    kept = STORE / f"{hashlib.sha256(f'{project.resolve()}|{stamp}'.encode()).hexdigest()[:16]}.pickle"
    if kept.is_file() and not fresh:
        with kept.open("rb") as f:
            return pickle.load(f)  # type: ignore[no-any-return]
    diagnostics: list[Any] = []
    articles, entities = load_content(content, diagnostics)
    _names[:] = [NameTable(entities)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        found = pool.map(_mentions, [a.doc for a in articles], chunksize=64)
    ordered = tuple(dataclasses.replace(a, doc=Document(a.doc.path, "", a.doc.body_line))
                    for a in sorted(articles, key=newest_first))
    data = ordered, {a.slug: m for a, m in zip(articles, found)}
    STORE.mkdir(exist_ok=True)
    with kept.open("wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    return data


def baseline(revision: str) -> Any:
    """The module that had RelatedRanker at ``revision`` (site_builder/related.py, or index.py
    before that), imported as a module of the site_builder package."""
    for name in ("related", "index"):
        source = subprocess.run(["git", "show", f"{revision}:site_builder/{name}.py"], cwd=ROOT, check=False,
                                capture_output=True, text=True).stdout
        if "class RelatedRanker" in source:
            break
    path = Path(tempfile.mkdtemp(prefix="related-baseline-")) / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"site_builder.{name}_at_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def rank_all(module: Any, articles: tuple[Article, ...], mentioned: Mentioned) -> list[Ranked]:
    ranked: list[Ranked] = module.RelatedRanker(articles, mentioned).rank(0, len(articles))
    return ranked


@dataclass
class Variant:
    """One ranking to measure, and what was measured."""

    name: str
    run: Callable[[], list[Ranked]]
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    result: list[Ranked] = field(default_factory=list)

    def measure(self) -> None:
        """One run without cyclic GC (as in a build): wall and CPU time."""
        self.result = []
        gc.collect()
        gc.disable()
        wall, cpu = time.perf_counter(), time.process_time()
        self.result = self.run()
        self.wall.append(time.perf_counter() - wall)
        self.cpu.append(time.process_time() - cpu)
        gc.enable()

    def times(self) -> str:
        return (f"{statistics.median(self.wall):.2f} s wall, {statistics.median(self.cpu):.2f} s CPU "
                f"(median of {len(self.wall)}; wall {min(self.wall):.2f}-{max(self.wall):.2f})")

    def memory(self) -> str:
        """Peak memory allocated (Python objects and numpy arrays) during a run, and how much
        of it is the result, which outlives the ranker."""
        gc.collect()
        tracemalloc.start()
        result = self.run()
        kept, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del result
        return f"peak {peak / 1e6:.0f} MB, of which the result {kept / 1e6:.0f} MB"


def capped(cap: int, articles: tuple[Article, ...], mentioned: Mentioned) -> list[Ranked]:
    """This ranking with ``cap`` as CANDIDATE_CAP (the exact ranking when no entity is in more articles)."""
    related.CANDIDATE_CAP = cap
    return rank_all(related, articles, mentioned)


def compare(got: Sequence[Ranked], exact: Sequence[Ranked]) -> str:
    """How far ``got`` is from ``exact``, article by article."""
    different = missing_some = missing = 0
    kept = total = 0.0
    for mine, best in zip(got, exact, strict=True):
        different += mine != best
        lost = len({j for j, _, _ in best} - {j for j, _, _ in mine})
        missing_some += lost > 0
        missing += lost
        kept += sum(s for _, s, _ in mine)
        total += sum(s for _, s, _ in best)
    n = len(exact)
    return (f"{different} of {n} lists not identical ({different / n:.2%}); {missing_some} miss at least one "
            f"of the exact related articles, {missing} missing in all; {kept / total:.4%} of the exact score kept")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--caps", default=str(related.CANDIDATE_CAP), help="comma-separated CANDIDATE_CAP values")
    parser.add_argument("--baseline", help="git revision whose RelatedRanker is timed and is the exact reference")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--exact-reference", action="store_true", help="check this ranker uncapped against the baseline")
    parser.add_argument("--memory", action="store_true", help="also the peak memory of each ranking")
    parser.add_argument("--fresh", action="store_true", help="annotate again even if kept")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    articles, mentioned = corpus(args.project, args.fresh)
    df: dict[str, int] = {}
    for ids in mentioned.values():
        for e in ids:
            df[e] = df.get(e, 0) + 1
    print(f"{len(articles)} articles, {len(df)} entities, {sum(df.values()) / len(articles):.1f} a article; "
          f"most popular in {max(df.values())} ({time.perf_counter() - started:.1f} s to load)")

    old = baseline(args.baseline) if args.baseline else None
    variants = [Variant(f"baseline {args.baseline}", lambda: rank_all(old, articles, mentioned))] if old else []
    caps = [int(c) for c in args.caps.split(",")]
    for cap in caps:
        variants.append(Variant(f"cap {cap} ({sum(n > cap for n in df.values())} common entities)",
                                functools.partial(capped, cap, articles, mentioned)))
    for _ in range(args.runs):  # interleaved, so that a slow spell of the machine falls on all of them
        for variant in variants:
            variant.measure()
    exact = variants[0].result if old else capped(len(articles), articles, mentioned)
    if old and args.exact_reference:
        print(f"uncapped against the baseline: {compare(capped(len(articles), articles, mentioned), exact)}")
    for variant in variants:
        print(f"{variant.name}: {variant.times()}" + (f"; {variant.memory()}" if args.memory else ""))
        if variant.result is not exact:
            print(f"    {compare(variant.result, exact)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
