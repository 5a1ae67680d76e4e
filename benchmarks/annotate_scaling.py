"""Annotation cost against registry size: the same articles, 3,000 then 30,000 entities.

    python benchmarks/annotate_scaling.py [--articles 2000] [--runs 3]

The articles and their 3,000 entities come from benchmarks/corpus.py; the
27,000 extra entities have made-up names that the articles never mention, so
the work done per article is the same and only the name table grows. Prints
the table build time and the median time to annotate every article, and the
ratio (the target is at most 1.3x).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402

from site_builder.annotate import annotate  # noqa: E402
from site_builder.errors import Diagnostic  # noqa: E402
from site_builder.load import load_content  # noqa: E402
from site_builder.model import Document, Entity  # noqa: E402
from site_builder.names import NameTable  # noqa: E402

SYLLABLES = ["ka", "lo", "ve", "rin", "tas", "mor", "quil", "ben", "dra", "sol", "vin", "tek", "zu", "hal"]


def made_up(count: int, taken: set[str], seed: int = 3) -> list[Entity]:
    """Entities with invented one- or two-word names, none already taken."""
    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()

    out: list[Entity] = []
    while len(out) < count:
        name = f"{word()} {word()}" if rng.random() < 0.6 else word()
        if name not in taken:
            taken.add(name)
            out.append(Entity(id=f"extra{len(out)}", name=name, doc=Document(Path("extra.md"), "", 1)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus.generate(Path(tmp) / "site", args.articles, 3000)
        diagnostics: list[Diagnostic] = []
        articles, entities = load_content(Path(tmp) / "site" / "content", diagnostics)
    extra = made_up(27000, {e.name for e in entities})
    gc.disable()
    medians = []
    for label, registry in (("3,000", entities), ("30,000", entities + extra)):
        started = time.perf_counter()
        table = NameTable(registry)
        built = time.perf_counter() - started
        runs = []
        for _ in range(args.runs):
            started = time.perf_counter()
            for article in articles:
                annotate(article.doc, table, href_prefix="../entities/")
            runs.append(time.perf_counter() - started)
        medians.append(statistics.median(runs))
        print(f"{label:>6} entities: name table {built:.2f} s, annotate {len(articles)} articles "
              f"{medians[-1]:.2f} s (median of {args.runs})")
    print(f"ratio 30,000/3,000 entities on annotation: {medians[1] / medians[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
