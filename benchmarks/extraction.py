"""Article body extraction from saved web pages, scored like the public article-extraction-benchmark.

    python benchmarks/extraction.py [--corpus ../shared/corpora/news-html]

For each page with a reference body (ground-truth.json), the body that
``site-builder import`` would write is turned back into plain text and compared
with the reference over word 4-gram shingles: per page, true and false
positives and false negatives normalised to sum to 1; precision and recall are
the means over pages, F1 is computed from those means. Both extractors are
measured: trafilatura (what import uses) and the hand-written BeautifulSoup one.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from site_builder.importer import from_html  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "news-html"
_WORD = re.compile(r"\w+")
_md = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    words = _WORD.findall(text or "")
    return Counter(tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1)) if words[i:i + n])


def score(true: str, predicted: str) -> tuple[float, float, float]:
    """(tp, fp, fn) over shingles, normalised to sum to 1."""
    a, b = shingles(true), shingles(predicted)
    tp = sum((a & b).values())
    fp = sum((b - a).values())
    fn = sum((a - b).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def summary(scores: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)

    p = statistics.mean(precision(*s) for s in scores if s[0] + s[1] > 0)
    r = statistics.mean(recall(*s) for s in scores if s[0] + s[2] > 0)
    return p, r, 2 * p * r / (p + r)


def plain(markdown: str) -> str:
    return BeautifulSoup(_md.render(markdown), "html.parser").get_text("\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    truth_file = args.corpus / "ground-truth.json"
    if not truth_file.is_file():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 1
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = sorted(k for k in truth if (args.corpus / "html" / f"{k}.html").is_file())
    print(f"{len(pages)} pages from {args.corpus}")
    for extractor in ("trafilatura", "soup"):
        scores, started, failed = [], time.perf_counter(), 0
        for key in pages:
            html = (args.corpus / "html" / f"{key}.html").read_bytes()
            try:
                text = plain(from_html(html, extractor).body)
            except Exception:  # noqa: BLE001 (an extractor that finds nothing scores zero)
                text, failed = "", failed + 1
            scores.append(score(truth[key]["articleBody"], text))
        p, r, f1 = summary(scores)
        took = (time.perf_counter() - started) / len(pages)
        print(f"{extractor:<12} precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}  "
              f"({took * 1000:.0f} ms a page, {failed} found nothing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
