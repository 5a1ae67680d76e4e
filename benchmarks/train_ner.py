"""Train the named-entity model of site_builder.discover on CoNLL-2003 eng.train.

    python benchmarks/train_ner.py              # train on all of eng.train, write the model
    python benchmarks/train_ner.py --holdout    # train on 4/5, score on the other 5th, write nothing

With site_builder installed (or PYTHONPATH set to the repository); about 35 s
and 200 MB on one core. The corpus is read from ``../shared/corpora/conll2003``
beside the repository and is never copied: the only output is
``site_builder/data/ner.crfsuite``, the CRF's feature weights (about 1 MB; the
feature names hold words, only those seen at least ``--minfreq`` times with a
label). Training is deterministic: the same code gives the same bytes. Each document's text is rebuilt as benchmarks/conll.py
does and tokenised by discover's own tokenizer, so the model learns from the
tokens and features it will see at detection time; a token's IOB2 tag comes
from the gold character spans (MISC included: the model learns it, detect drops
it). Features rarer than ``--minfreq`` and L1 regularisation keep the model small.
The --holdout split (every fifth document) is the one tuned on; eng.testa is
only scored by conll.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pycrfsuite

sys.path.insert(0, str(Path(__file__).resolve().parent))
import conll

from site_builder import discover

MODEL = Path(__file__).resolve().parents[1] / "site_builder" / "data" / discover.MODEL


def sequences(doc: conll.Doc) -> list[tuple[list[list[str]], list[str]]]:
    """(features, IOB2 tags) for each sentence of a document, as discover tokenises it."""
    begins = {s: (e, k) for s, e, k in conll.char_spans(doc)}
    sents = discover.sentences(doc.text)
    feats = discover.document_features([[doc.text[s:e] for s, e in sent] for sent in sents])
    out = []
    end, kind = -1, ""
    for sent, xseq in zip(sents, feats):
        tags = []
        for s, _ in sent:
            if s in begins:
                end, kind = begins[s]
                tags.append("B-" + kind)
            else:
                tags.append("I-" + kind if s < end else "O")
        out.append((xseq, tags))
    return out


def train(docs: list[conll.Doc], out: Path, args: argparse.Namespace) -> None:
    """L-BFGS with L1 (c1) and L2 (c2); the model file is written to ``out``."""
    trainer = pycrfsuite.Trainer(verbose=False)
    for doc in docs:
        for xseq, yseq in sequences(doc):
            trainer.append(xseq, yseq)
    trainer.set_params({
        "c1": args.c1,
        "c2": args.c2,
        "max_iterations": args.iterations,
        "feature.minfreq": args.minfreq,
        "feature.possible_transitions": True,
    })
    trainer.train(str(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--holdout", action="store_true", help="train on 4/5 of eng.train, score the rest")
    parser.add_argument("--c1", type=float, default=0.1, help="L1 weight")
    parser.add_argument("--c2", type=float, default=0.01, help="L2 weight")
    parser.add_argument("--minfreq", type=float, default=2, help="drop features seen fewer times")
    parser.add_argument("--iterations", type=int, default=150)
    parser.add_argument("--out", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    path = conll.CONLL / "eng.train"
    if not path.is_file():
        print(f"cannot train: {path} not found")
        return 1
    docs = conll.read(path)
    t0 = time.perf_counter()
    if not args.holdout:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        train(docs, args.out, args)
        print(f"trained on {len(docs)} documents in {time.perf_counter() - t0:.1f} s: "
              f"{args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model"
        train([d for i, d in enumerate(docs) if i % 5], model, args)
        took = time.perf_counter() - t0
        size = model.stat().st_size
        discover.load_model(model.read_bytes())
    scores, unaligned = conll.evaluate(docs[::5], discover.detect)
    print(f"held-out fifth of eng.train ({len(docs[::5])} documents); trained in {took:.1f} s, "
          f"model {size / 1e6:.2f} MB, {vars(args)}")
    conll.report(scores)
    print(f"unaligned predictions: {unaligned}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
