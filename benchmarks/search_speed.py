"""Search speed and index size on a built site, in headless Chromium from file://.

    python benchmarks/search_speed.py SITE_DIR [--queries 40]

SITE_DIR is a built site (e.g. the 10,000-article site that build_speed.py leaves in its work
folder, ``out-site-builder``). Queries are drawn from the site's own index (seeded): entity
names, rare and frequent words, two-word queries and three-letter prefixes. Prints the index
size, then the median and worst query time, cold (the first search on a page, which loads the
terms and excerpt files it needs; the box's focus has loaded the index, the entities and the
titles) and warm (the same query again), until the results show; and, cold, the median time
until their excerpts are in too. Needs node, the npm packages
(``npm install``) and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load(folder: Path, name: str) -> object:
    text = (folder / f"{name}.js").read_text(encoding="utf-8")
    return json.loads(re.fullmatch(r'siteSearch\.add\("[^"]+",(.*)\);\n', text, re.S)[1])  # type: ignore[index]


def queries(search: Path, count: int, seed: int = 1) -> dict[str, list[str]]:
    """Queries of each kind, drawn from the index."""
    pick = random.Random(seed)
    entities = load(search, "entities")
    index = load(search, "index")
    assert isinstance(entities, list) and isinstance(index, dict)
    shards = pick.sample(index["shards"], min(len(index["shards"]), count * 2))
    postings: dict[str, int] = {}
    for name in shards:
        for block in load(search, f"terms-{name}"):  # type: ignore[union-attr]
            for word, found in block.items():
                postings[word] = postings.get(word, 0) + len(found) // 2
    ranked = sorted((w for w in postings if w.isalpha() and len(w) > 3), key=lambda w: (-postings[w], w))
    share = max(1, count // 5)
    frequent, rare = ranked[:share * 4], ranked[-share * 20:]
    return {
        "entity": [e[1] for e in pick.sample(entities[:300], min(share, len(entities)))],
        "frequent word": pick.sample(frequent, min(share, len(frequent))),
        "rare word": pick.sample(rare, min(share, len(rare))),
        "two words": [f"{a} {b}" for a, b in zip(pick.sample(frequent, min(share, len(frequent))),
                                                  pick.sample(ranked[:200], min(share, len(ranked[:200]))))],
        "prefix": [w[:3] for w in pick.sample(frequent, min(share, len(frequent)))],
    }


def size(search: Path) -> str:
    files = sorted(search.glob("*.js"), key=lambda p: p.stat().st_size)
    total = sum(p.stat().st_size for p in files)
    terms = [p for p in files if p.name.startswith("terms-")]
    excerpts = [p for p in files if p.name.startswith("excerpts-")]
    kb = lambda paths: sum(p.stat().st_size for p in paths) / 1024  # noqa: E731
    return (f"index: {len(files)} files, {total / 2**20:.1f} MB in all; terms {len(terms)} files, "
            f"{kb(terms) / 1024:.1f} MB, median {statistics.median(p.stat().st_size for p in terms) / 1024:.1f} KB, "
            f"largest {terms[-1].name if terms else '-'} {terms[-1].stat().st_size / 1024 if terms else 0:.0f} KB; "
            f"excerpts {len(excerpts)} files, {kb(excerpts) / 1024:.1f} MB; entities {kb([search / 'entities.js']):.0f} KB; "
            f"titles {kb([search / 'titles.js']):.0f} KB; index.js {kb([search / 'index.js']):.1f} KB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    search = args.site / "search"
    if not (search / "index.js").exists():
        print(f"{args.site} has no search index: build it first", file=sys.stderr)
        return 2
    pages = sum(1 for _ in args.site.glob("articles/*.html"))
    print(f"site: {args.site} ({pages} article pages)")
    print(size(search))
    page_js = args.site / "static" / "search.js"
    print(f"on every page: static/search.js {page_js.stat().st_size / 1024:.1f} KB (the index loads on first use)")
    kinds = queries(search, args.queries)
    flat = [q for qs in kinds.values() for q in qs]
    run = subprocess.run(["node", str(HERE / "search_speed.mjs"), str(args.site.resolve()), json.dumps(flat)],
                         capture_output=True, text=True, cwd=HERE.parent, check=False)
    if run.returncode:
        print(run.stderr, file=sys.stderr)
        return 1
    times = json.loads(run.stdout)
    print(f"{'queries':<16}{'n':>4}{'cold median':>14}{'cold worst':>12}{'warm median':>14}{'warm worst':>12}"
          f"{'excerpts in':>14}")
    for kind, qs in [*kinds.items(), ("all", flat)]:
        cold = [times[q][0] for q in qs]
        warm = [times[q][1] for q in qs]
        full = [times[q][3] for q in qs]
        print(f"{kind:<16}{len(qs):>4}{statistics.median(cold):>12.1f}ms{max(cold):>10.1f}ms"
              f"{statistics.median(warm):>12.1f}ms{max(warm):>10.1f}ms{statistics.median(full):>12.1f}ms")
    for q in flat[::max(1, len(flat) // 8)]:
        print(f"  {q!r}: {times[q][2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
