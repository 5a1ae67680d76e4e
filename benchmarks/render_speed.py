"""CPU cost of rendering the pages of a generated site, by template, in one process.

    python benchmarks/render_speed.py PROJECT [--runs 5] [--base-url URL] [--fresh]
                                      [--save DIR] [--compare DIR] [--profile FILE]

PROJECT is a project that benchmarks/corpus.py wrote (e.g.
/tmp/site-builder-bench/a10000-e3000-s1/project). It is loaded, annotated
and indexed once (two worker processes, no cache) and what rendering needs
(the config, the index and every document's HTML) is kept in
``/tmp/site-builder-render/`` and reused until PROJECT's content changes
(``--fresh`` analyses again). Rendering is then timed as a build does it
(``plan.data()`` made first, then ``render_page``; no cyclic GC), every page
of the site, ``--runs`` times; reported is the median CPU time per page of
each template, and in all. Only rendering is timed, not writing or page keys.

``--base-url`` renders as if site.toml set it (feeds, sitemap, canonical links).
``--save DIR`` writes every page to DIR and a digest of each to DIR/digests.json;
``--compare DIR`` reports every page whose bytes differ from those saved there (and how many
differ only in white space between tags).
``--profile FILE`` writes a cProfile of one more run (see ``python -m pstats FILE``).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import gc
import hashlib
import json
import pickle
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from site_builder import pipeline, render
from site_builder.cache import Cache
from site_builder.config import load_config

STATE = Path("/tmp/site-builder-render")


def content_stamp(project: Path) -> str:
    """Changes when any content file does (sizes and mtimes)."""
    digest = hashlib.blake2b()
    for path in sorted((project / "content").rglob("*")):
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    digest.update((project / "site.toml").read_bytes())
    return digest.hexdigest()


def analysed(project: Path, fresh: bool) -> tuple[Any, Any, dict[tuple[str, str], str]]:
    """(config, index, document HTML by plan.body), from the kept state when it is current."""
    stamp = content_stamp(project)
    kept = STATE / f"{hashlib.blake2b(str(project).encode(), digest_size=8).hexdigest()}.pickle"
    if not fresh and kept.exists():
        with kept.open("rb") as file:
            state = pickle.load(file)
        if state["stamp"] == stamp:
            return state["config"], state["index"], state["bodies"]
    config = load_config(project)
    found = pipeline._analyse(config, Cache(None), 2, lambda stage: print(stage, file=sys.stderr))
    names = [*(("articles", a.slug) for a in found.articles), *(("entities", e.id) for e in found.entities)]
    bodies = {name: found.html[key] for name, key in zip(names, found.keys)}
    index = found.index  # its lazy parts made, as plain dicts: they hold functions, which pickle cannot keep
    index = dataclasses.replace(index, **{name: dict(getattr(index, name))
                                          for name in ("appearances", "related", "mention_counts")})
    STATE.mkdir(exist_ok=True)
    with kept.open("wb") as file:
        pickle.dump({"stamp": stamp, "config": config, "index": index, "bodies": bodies}, file, protocol=5)
    return config, index, bodies


def between_tags(page: bytes) -> bytes:
    """The page without the white space between tags (a newline, indentation)."""
    return re.sub(rb">\s+<", b"><", page)


def render_all(config: Any, plans: list[render.PagePlan], bodies: dict[tuple[str, str], str]
               ) -> tuple[dict[str, float], dict[str, bytes]]:
    """CPU seconds by template, and every page's bytes."""
    env = render.make_environment(config)
    spent: dict[str, float] = defaultdict(float)
    pages = {}
    for plan in plans:
        started = time.process_time()
        page = render.render_page(env, config, plan, bodies[plan.body] if plan.body else "", plan.data())
        spent[plan.template] += time.process_time() - started
        pages[page.path] = page.content
    return spent, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    config, index, bodies = analysed(args.project.resolve(), args.fresh)
    if args.base_url is not None:
        config = dataclasses.replace(config, base_url=args.base_url)
    plans = render.plan_site(index, config)
    counts = {t: sum(p.template == t for p in plans) for t in {p.template for p in plans}}
    gc.disable()  # as in a build (pipeline._working)
    runs: dict[str, list[float]] = defaultdict(list)
    pages: dict[str, bytes] = {}
    for _ in range(args.runs):
        spent, pages = render_all(config, plans, bodies)
        for template, seconds in spent.items():
            runs[template].append(seconds)
        runs["all"].append(sum(spent.values()))
    print(f"{len(plans)} pages, median of {args.runs} runs (CPU ms)")
    for template in sorted(counts, key=lambda t: -statistics.median(runs[t])):
        total = statistics.median(runs[template])
        print(f"  {template:20} {counts[template]:6} pages  {total * 1000:8.0f} ms in all  "
              f"{total * 1000 / counts[template]:7.3f} ms a page  (runs: "
              f"{', '.join(f'{s * 1000:.0f}' for s in runs[template])})")
    print(f"  {'all':20} {len(plans):6} pages  {statistics.median(runs['all']) * 1000:8.0f} ms in all")
    if args.profile:
        cProfile.runctx("render_all(config, plans, bodies)", globals(), {**locals()}, str(args.profile))
    digests = {path: hashlib.sha256(content).hexdigest() for path, content in pages.items()}
    if args.save:
        for path, content in pages.items():
            (args.save / path).parent.mkdir(parents=True, exist_ok=True)
            (args.save / path).write_bytes(content)
        (args.save / "digests.json").write_text(json.dumps(digests, indent=0, sort_keys=True))
        print(f"saved {len(pages)} pages to {args.save}")
    if args.compare:
        before = json.loads((args.compare / "digests.json").read_text())
        differ = sorted(p for p in before.keys() | digests.keys() if before.get(p) != digests.get(p))
        spaced = [p for p in differ if p in pages and (args.compare / p).exists()
                  and between_tags((args.compare / p).read_bytes()) == between_tags(pages[p])]
        print(f"{len(differ)} of {len(before)} pages differ from {args.compare}, {len(spaced)} of them only in "
              "white space between tags" + "".join(f"\n  {p}" for p in sorted(set(differ) - set(spaced))[:20]))


if __name__ == "__main__":
    main()
