"""Named-entity detection (site_builder.discover) and the CoNLL scorer that measures it.

The detection cases are sentences written for these tests (tests/fixtures/
discover.md). The CoNLL test runs only where ../shared/corpora/conll2003 is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import conll
from site_builder.discover import detect, load_model, sentences

from .conftest import FIXTURES, SHARED, read_cases

CASES = read_cases(FIXTURES / "discover.md")


def marked(text: str) -> str:
    """The text with each name found written as {LABEL|name}, from the offsets detect returns."""
    out, pos = [], 0
    for start, end, label in detect(text):
        out += [text[pos:start], f"{{{label}|{text[start:end]}}}"]
        pos = end
    return "".join(out) + text[pos:]


@pytest.mark.parametrize(("title", "options", "source", "expected"), CASES, ids=[c[0] for c in CASES])
def test_detection(title: str, options: list[str], source: str, expected: str) -> None:
    assert marked(source).strip() == expected.strip()


def test_offsets_point_into_the_original_text() -> None:
    text = "\n\n  Talks between  Angela Merkel and Emmanuel Macron\nin Paris ended.  "
    assert [text[s:e] for s, e, _ in detect(text)] == ["Angela Merkel", "Emmanuel Macron", "Paris"]


@pytest.mark.parametrize("text", ["", "   \n\n ", "..."])
def test_nothing_to_find(text: str) -> None:
    assert detect(text) == []


@pytest.mark.parametrize(("text", "tokens"), [
    ("Russia's army", ["Russia", "'s", "army"]),
    ("They don't", ["They", "do", "n't"]),
    ("the U.S.-led talks", ["the", "U.S.-led", "talks"]),
    ("a well-known O'Brien", ["a", "well-known", "O'Brien"]),
    ("Mr. Smith (AT&T), 1,000 votes.", ["Mr.", "Smith", "(", "AT&T", ")", ",", "1,000", "votes", "."]),
])
def test_tokens_follow_conll(text: str, tokens: list[str]) -> None:
    assert [text[s:e] for sent in sentences(text) for s, e in sent] == tokens


def test_sentences_end_at_line_breaks_and_full_stops_but_not_abbreviations() -> None:
    text = "Mr. Smith left. He came back.\nIt rained"
    assert [" ".join(text[s:e] for s, e in sent) for sent in sentences(text)] == [
        "Mr. Smith left .", "He came back .", "It rained"]


def test_the_model_is_loaded_once() -> None:
    assert load_model() is load_model()


SAMPLE = """\
-DOCSTART- -X- O O

Ada NNP I-NP I-PER
Lovelace NNP I-NP I-PER
visited VBD I-VP O
Acme NNP I-NP I-ORG
Corp NNP I-NP I-ORG
Globex NNP I-NP B-ORG
in IN I-PP O
London NNP I-NP I-LOC
. . O O

-DOCSTART- -X- O O

Danish JJ I-NP I-MISC
Oslo NNP I-NP I-LOC
"""


def test_reading_conll_rebuilds_the_text_and_the_mentions(tmp_path: Path) -> None:
    path = tmp_path / "sample"
    path.write_text(SAMPLE)
    first, second = conll.read(path)
    assert first.text == "Ada Lovelace visited Acme Corp Globex in London ."
    assert [first.text[s:e] for s, e, _ in conll.char_spans(first)] == ["Ada Lovelace", "Acme Corp", "Globex", "London"]
    assert first.mentions == [(0, 2, "PER"), (3, 5, "ORG"), (5, 6, "ORG"), (7, 8, "LOC")]
    assert second.text == "Danish Oslo" and second.mentions == [(0, 1, "MISC"), (1, 2, "LOC")]


def test_scoring_counts_unaligned_and_mislabelled_spans_as_wrong(tmp_path: Path) -> None:
    path = tmp_path / "sample"
    path.write_text(SAMPLE)
    first, second = conll.read(path)
    found = [
        # Ada Lovelace right; "Acme" only half; "Globex" as LOC; a span ending inside "London".
        [(0, 12, "PER"), (21, 25, "ORG"), (31, 37, "LOC"), (41, 44, "LOC")],
        [(7, 11, "LOC")],  # Oslo right; the MISC mention is not scored
    ]
    scores, unaligned = conll.evaluate([first, second], lambda text: found[0 if text.startswith("Ada") else 1])
    assert unaligned == 1
    assert (scores["untyped"].correct, scores["untyped"].predicted, scores["untyped"].gold) == (3, 5, 5)
    assert (scores["typed"].correct, scores["typed"].predicted, scores["typed"].gold) == (2, 5, 5)
    assert scores["typed"].f1 == pytest.approx(0.4)
    assert (scores["ORG"].correct, scores["ORG"].predicted, scores["ORG"].gold) == (0, 1, 2)
    assert (scores["LOC"].correct, scores["LOC"].predicted, scores["LOC"].gold) == (1, 3, 2)


def test_conll_slice_scores_well() -> None:
    """The model was trained on eng.train, so this checks the wiring (text rebuilt, tokens
    and features as in training, spans mapped back), not how well it generalises:
    benchmarks/conll.py measures that on eng.testa."""
    path = SHARED / "corpora" / "conll2003" / "eng.train"
    if not path.is_file():
        pytest.skip("CoNLL-2003 corpus not present")
    scores, unaligned = conll.evaluate(conll.read(path)[:40], detect)
    assert scores["untyped"].f1 > 0.9
    assert scores["typed"].f1 > 0.85
    assert unaligned == 0
