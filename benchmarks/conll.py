"""Score site_builder.discover on CoNLL-2003 English, mention by mention.

    python benchmarks/conll.py [--split eng.testa]

Each document's text is rebuilt from its tokens (tokens joined by spaces,
sentences by newlines), ``detect`` runs on the whole text, and each predicted
character span is mapped back to tokens: a span that does not start and end
on token boundaries counts as wrong. Gold MISC mentions are dropped; PER, LOC
and ORG are scored untyped (the span alone) and typed (span and label), with
precision, recall and F1, and per label. Skips with a message when the corpus
in ``../shared/corpora/conll2003`` is absent. The reading and scoring
functions here are also used by train_ner.py and the tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

CONLL = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "conll2003"
LABELS = ("PER", "LOC", "ORG")

Span = tuple[int, int, str]


@dataclass(frozen=True)
class Doc:
    """One CoNLL document as text, with its tokens' places and its gold mentions."""

    text: str
    """Tokens joined by spaces, sentences by newlines."""
    tokens: list[tuple[int, int]]
    """Character offsets of every token, in order."""
    mentions: list[Span]
    """Gold mentions as token index spans [start, end), every type including MISC."""


def read(path: Path) -> list[Doc]:
    """Documents of a CoNLL-2003 file: ``-DOCSTART-`` lines, blank lines between sentences."""
    docs: list[list[list[tuple[str, str]]]] = []
    sent: list[tuple[str, str]] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        cols = line.split()
        if cols and cols[0] != "-DOCSTART-":
            sent.append((cols[0], cols[-1]))
            continue
        if sent:
            docs[-1].append(sent)
            sent = []
        if cols:
            docs.append([])
    return [_doc(d) for d in docs if d]


def _doc(sents: list[list[tuple[str, str]]]) -> Doc:
    """Rebuild one document's text; IOB1 tags to mentions (a sentence break ends a mention)."""
    tokens: list[tuple[int, int]] = []
    mentions: list[Span] = []
    pos = 0
    for sent in sents:
        prev = "O"
        for word, tag in sent:
            tokens.append((pos, pos + len(word)))
            pos += len(word) + 1
            if tag != "O" and tag[0] != "B" and prev[2:] == tag[2:]:
                mentions[-1] = (mentions[-1][0], len(tokens), tag[2:])
            elif tag != "O":
                mentions.append((len(tokens) - 1, len(tokens), tag[2:]))
            prev = tag
    text = "\n".join(" ".join(w for w, _ in sent) for sent in sents)
    return Doc(text, tokens, mentions)


def char_spans(doc: Doc) -> list[Span]:
    """The gold mentions as character spans into ``doc.text``."""
    return [(doc.tokens[i][0], doc.tokens[j - 1][1], kind) for i, j, kind in doc.mentions]


def to_tokens(doc: Doc, found: Iterable[Span]) -> list[Span]:
    """Predicted character spans as token spans; (-1, -1, label) for a span off the token boundaries."""
    starts = {s: i for i, (s, _) in enumerate(doc.tokens)}
    ends = {e: i + 1 for i, (_, e) in enumerate(doc.tokens)}
    return [(starts[s], ends[e], k) if s in starts and e in ends else (-1, -1, k) for s, e, k in found]


@dataclass(frozen=True)
class PRF:
    """Counts of one score: right predictions, all predictions, gold mentions."""

    correct: int
    predicted: int
    gold: int

    @property
    def p(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def r(self) -> float:
        return self.correct / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0

    def __str__(self) -> str:
        return f"P {self.p:.4f}  R {self.r:.4f}  F1 {self.f1:.4f}  ({self.correct}/{self.predicted} of {self.gold})"


def score(gold: list[list[Span]], found: list[list[Span]]) -> dict[str, PRF]:
    """Mention-level scores over documents: 'untyped', 'typed' and one per label.

    Gold MISC mentions are dropped first. A prediction is right when its token
    span (untyped) or its span and label (typed) is a gold mention's; one off
    the token boundaries (-1, -1) never is.
    """
    counts = {k: [0, 0, 0] for k in ("untyped", "typed", *LABELS)}
    for g_doc, f_doc in zip(gold, found):
        g = {m for m in g_doc if m[2] in LABELS}
        g_spans = {m[:2] for m in g}
        for m in f_doc:
            counts["untyped"][0] += m[:2] in g_spans
            counts["typed"][0] += m in g
            counts.setdefault(m[2], [0, 0, 0])[0] += m in g
            for key in ("untyped", "typed", m[2]):
                counts[key][1] += 1
        for m in g:
            for key in ("untyped", "typed", m[2]):
                counts[key][2] += 1
    return {k: PRF(*v) for k, v in counts.items()}


def evaluate(docs: list[Doc], detect: Callable[[str], list[Span]]) -> tuple[dict[str, PRF], int]:
    """Run ``detect`` on every document and score it; also count the predictions off token boundaries."""
    found = [to_tokens(d, detect(d.text)) for d in docs]
    return score([d.mentions for d in docs], found), sum(m[0] < 0 for f in found for m in f)


def report(scores: dict[str, PRF]) -> None:
    for key, prf in scores.items():
        print(f"{key:>8}  {prf}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="eng.testa", help="file in the CoNLL folder (default eng.testa)")
    args = parser.parse_args(argv)
    path = CONLL / args.split
    if not path.is_file():
        print(f"skipped: {path} not found (the CoNLL-2003 corpus is not part of this repository)")
        return 0
    from site_builder.discover import detect

    docs = read(path)
    detect("warm up: load the model.")
    t0 = time.perf_counter()
    scores, unaligned = evaluate(docs, detect)
    took = time.perf_counter() - t0
    print(f"{args.split}: {len(docs)} documents, {sum(len(d.tokens) for d in docs)} tokens")
    report(scores)
    print(f"unaligned predictions: {unaligned}; detection {took:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
