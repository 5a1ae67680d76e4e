"""Speed of site_builder.discover.detect on the BBC News articles, in one process.

    python benchmarks/discover_speed.py [--runs 3] [--show N]

Runs ``detect`` over the body of every article in ``../shared/corpora/bbc``
(front matter removed) and prints the median of the runs: total seconds,
articles/s and tokens/s (tokens as discover's tokenizer counts them). The
model is loaded before timing. ``--show N`` prints the names found in the
first N articles, to eyeball the output. Skips when the corpus is absent.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from site_builder import discover

BBC = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "bbc"


def bodies() -> list[str]:
    """Article bodies: the text after the closing ``---`` of the front matter."""
    return [p.read_text(encoding="utf-8").split("\n---\n", 1)[1] for p in sorted(BBC.glob("*/*.md"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--show", type=int, default=0, help="print the names found in the first N articles")
    args = parser.parse_args(argv)
    if not BBC.is_dir():
        print(f"skipped: {BBC} not found")
        return 0
    texts = bodies()
    for text in texts[: args.show]:
        print(" | ".join(f"{text[s:e]}/{k}" for s, e, k in discover.detect(text)), end="\n\n")
    tokens = sum(len(s) for t in texts for s in discover.sentences(t))
    discover.load_model()
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        found = sum(len(discover.detect(t)) for t in texts)
        times.append(time.perf_counter() - t0)
    took = statistics.median(times)
    print(f"{len(texts)} articles, {tokens} tokens, {found} names: {took:.2f} s (median of {args.runs}), "
          f"{len(texts) / took:.0f} articles/s, {tokens / took:.0f} tokens/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
