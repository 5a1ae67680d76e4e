"""The annotate stage's work per document: Markdown alone, annotate(), words().

    python benchmarks/annotate_speed.py CONTENT [--runs 5] [--limit 3000]
    python benchmarks/annotate_speed.py CONTENT --dump out.pkl   # every document's output
    python benchmarks/annotate_speed.py CONTENT --check out.pkl  # the same as before?

CONTENT is a content folder (articles/ and entities/), e.g. one made by
benchmarks/corpus.py. Each document is annotated as the pipeline does it:
articles with ``../entities/`` links, then ``words()`` and ``mentioned()``;
entities with links relative to their own folder and themselves excluded.
Prints the median ms per document of several runs; the entity pass is
annotate() less Markdown alone. ``--dump``/``--check`` hold every document's
HTML, mentions, diagnostics and words, to prove an optimisation changes nothing.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from site_builder.annotate import _md, annotate
from site_builder.index import mentioned
from site_builder.load import load_content
from site_builder.model import Document
from site_builder.names import NameTable
from site_builder.search import words

Job = tuple[str, Document, str, str | None]
"""(key, document, href prefix, excluded entity)."""


def jobs(content: Path) -> tuple[list[Job], NameTable]:
    articles, entities = load_content(content, [])
    return ([(f"a/{a.slug}", a.doc, "../entities/", None) for a in articles]
            + [(f"e/{e.id}", e.doc, "", e.id) for e in entities]), NameTable(entities)


def outputs(todo: list[Job], names: NameTable) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, doc, prefix, exclude in todo:
        done = annotate(doc, names, href_prefix=prefix, exclude=exclude)
        out[key] = (done.html, done.mentions, done.diagnostics,
                    words(done.html) if exclude is None else None, mentioned(done))
    return out


def median_ms(step: Callable[[], object], count: int, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000 / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--limit", type=int, default=3000, help="documents timed (articles and entities alike)")
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--check", type=Path)
    args = parser.parse_args()
    todo, names = jobs(args.content)
    if args.dump or args.check:
        got = outputs(todo, names)
        if args.dump:
            args.dump.write_bytes(pickle.dumps(got))
            print(f"{len(got)} documents written to {args.dump}")
            return 0
        want = pickle.loads(args.check.read_bytes())
        differ = sorted(k for k in want.keys() | got.keys() if want.get(k) != got.get(k))
        print(f"{len(got)} documents, {len(differ)} differ" + (f": {differ[:10]}" if differ else ""))
        return 1 if differ else 0

    step = max(1, len(todo) // args.limit)
    sample = todo[::step]
    articles = [(d, p, x) for _, d, p, x in sample if x is None]
    htmls = [annotate(d, names, href_prefix=p).html for d, p, _ in articles]
    gc.disable()
    markdown = median_ms(lambda: [_md.render(d.body, {}) for _, d, _, _ in sample], len(sample), args.runs)
    annotated = median_ms(lambda: [annotate(d, names, href_prefix=p, exclude=x) for _, d, p, x in sample],
                          len(sample), args.runs)
    worded = median_ms(lambda: [words(h) for h in htmls], len(htmls), args.runs)
    print(f"{len(sample)} documents ({len(articles)} articles), median of {args.runs} runs, ms/doc:")
    print(f"  markdown alone {markdown:.3f}  annotate {annotated:.3f}  entity pass {annotated - markdown:.3f}"
          f"  words (articles) {worded:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
