"""Find the names of people, places and organisations in plain English prose.

``detect(text)`` returns ``(start, end, label)`` character spans, labels
``PER``, ``LOC`` and ``ORG``. A linear-chain CRF (python-crfsuite) tags
tokens in the IOB2 scheme. It was trained by ``benchmarks/train_ner.py`` on
CoNLL-2003 news through the very ``sentences`` and ``document_features``
used here, so the tokenizer follows the CoNLL/Penn conventions the model saw:
punctuation apart, ``Russia 's``, ``do n't``, ``U.S.`` and ``well-known``
whole. The model also tags MISC (nationalities, events), which is dropped.

As in CoNLL, titles stay outside names (``Mr`` *Kennedy*). Reuters seldom
writes "Mr", so the model does not know it: a name after an honorific is
made a person here, by rule.

Speed: a word type's feature strings are built once and cached, and the
model is opened once per process, lazily (importing this module is free).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pycrfsuite

Span = tuple[int, int, str]
LABELS = ("PER", "LOC", "ORG")
MODEL = "ner.crfsuite"
"""The model file, package data in ``site_builder/data/``."""
CONTEXTS = 10
"""How many of a word's commonest neighbours elsewhere in the document become its features."""

_ABBREV = (
    "Mr|Mrs|Ms|Dr|Prof|St|Mt|Ft|Jr|Sr|Messrs|Gen|Lt|Col|Capt|Cmdr|Sgt|Adm|Gov|Sen|Rep|Rev|Hon|"
    "Inc|Corp|Co|Ltd|Bros|No|vs|Jan|Feb|Mar|Apr|Aug|Sep|Sept|Oct|Nov|Dec|"
    "Ala|Ariz|Ark|Calif|Colo|Conn|Del|Fla|Ga|Ill|Ind|Kan|Ky|La|Md|Mass|Mich|Minn|Miss|Mo|"
    "Mont|Neb|Nev|Okla|Ore|Pa|Penn|Tenn|Tex|Va|Vt|Wash|Wis|Wyo"
)
TOKEN_RE = re.compile(
    rf"""
    (?:[A-Za-z]\.){{2,}}(?:-\w+)*           # U.S., a.m., U.S.-led
    | (?:{_ABBREV})\.(?!\w)                 # Mr., Corp., Calif.
    | [A-Z]\.(?=\s*[A-Z])                   # an initial: J. Smith
    | \d+(?:[.,:/-]\d+)*[A-Za-z]*           # 1,000  3.5  1996-08-22  6-4  10th
    | \w+?(?=n't\b)                         # do|n't
    | (?i:n't|'(?:s|re|ve|ll|d|m))\b         # clitics
    | \w+(?:(?:[-&]|'(?!(?i:s|re|ve|ll|d|m)\b))\w+)*  # words: well-known, O'Brien, AT&T
    | -{{2,}}|\.{{2,}}|…                     # dashes and ellipses
    | \S                                    # any other mark
    """,
    re.VERBOSE,
)
_END = frozenset(".!?…")
_CLOSE = frozenset("\"')]")
_FOLD = str.maketrans("’‘“”", "''\"\"")
"""Curly quotes as the straight ones CoNLL has; one character for one, so offsets hold."""
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame"})
"""Words that make the name after them a person's."""
_TITLES = _HONORIFICS | {
    "prof", "lord", "lady", "st", "president", "pm", "minister", "chancellor", "secretary",
    "senator", "sen", "governor", "gov", "mayor", "judge", "justice", "chairman", "chairwoman",
    "chief", "king", "queen", "prince", "princess", "pope", "rev", "general", "gen", "lt", "col",
    "colonel", "captain", "capt", "sgt", "sergeant", "coach", "manager",
}
"""Words CoNLL leaves outside a person's name, trimmed off the front of PER spans."""


def sentences(text: str) -> list[list[tuple[int, int]]]:
    """Token spans of ``text`` in sentences: at line breaks, and after . ! ? before a capital.

    Quotes must be straight ones (``detect`` folds curly quotes first).
    """
    out: list[list[tuple[int, int]]] = []
    for line in re.finditer(r"[^\n]+", text):
        base = line.start()
        sent: list[tuple[int, int]] = []
        prev = ""
        for m in TOKEN_RE.finditer(line.group()):
            tok = m.group()
            if sent and prev in _END and (tok[0].isupper() or tok[0] in "\"'("):
                out.append(sent)
                sent = []
            if not (prev in _END and tok in _CLOSE):
                prev = tok
            sent.append((base + m.start(), base + m.end()))
        if sent:
            out.append(sent)
    return out


def _shape(word: str) -> str:
    """Xxx for Kennedy, XX for EU, dd-dd for 10-12: runs longer than two cut to two."""
    out: list[str] = []
    for c in word:
        k = "X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c
        if len(out) < 2 or out[-1] != k or out[-2] != k:
            out.append(k)
    return "".join(out)


def _short(shape: str) -> str:
    """Xx for Kennedy: every run cut to one."""
    return re.sub(r"(.)\1+", r"\1", shape)


@lru_cache(maxsize=100_000)
def _word(word: str) -> tuple[tuple[str, ...], ...]:
    """A word's own features, then those it lends its neighbours at -2, -1, +1, +2."""
    low = word.lower()
    shape = _shape(word)
    short = _short(shape)
    own = [f"w={low}", f"S={shape}", f"s={short}"]
    if word != low:
        own.append("W=" + word.replace(".", ""))
    own += [f"p{n}={low[:n]}" for n in (1, 2, 3, 4) if len(low) > n]
    own += [f"x{n}={low[-n:]}" for n in (1, 2, 3, 4) if len(low) > n]
    if word[:1].isupper() and word[1:].islower() and len(word) > 1:
        own.append("title")
    return (
        tuple(own),
        (f"-2w={low}", f"-2s={short}"),
        (f"-1w={low}", f"-1s={short}", f"-1x3={low[-3:]}"),
        (f"+1w={low}", f"+1s={short}", f"+1x3={low[-3:]}"),
        (f"+2w={low}", f"+2s={short}"),
    )


def document_features(doc: list[list[str]]) -> list[list[list[str]]]:
    """CRF features for each word of each sentence of one document.

    A window of two words each side, plus what the document says about the
    word elsewhere: whether it is capitalised inside a sentence (``dcap``) or
    written in lower case (``dlow``), which settles capitalised headlines and
    sentence-initial words, and the commonest words next to its capitalised
    occurrences (``dp=mr``, ``dn=said``), which lets one clear mention type
    the others.
    """
    flags: dict[str, list[str]] = defaultdict(list)
    contexts: dict[str, Counter[str]] = defaultdict(Counter)
    for words in doc:
        last = len(words) - 1
        for i, w in enumerate(words):
            if w.islower():
                if "dlow" not in flags[w]:
                    flags[w].append("dlow")
            elif w[:1].isupper():
                low = w.lower()
                if i and not w.isupper() and "dcap" not in flags[low]:
                    flags[low].append("dcap")
                c = contexts[low]
                c["dp=" + (words[i - 1].lower() if i else "<s>")] += 1
                c["dn=" + (words[i + 1].lower() if i < last else "</s>")] += 1
    for low, c in contexts.items():
        flags[low] += c if len(c) <= CONTEXTS else [k for k, _ in c.most_common(CONTEXTS)]
    out = []
    for words in doc:
        rows = [_word(w) for w in words]
        n = len(rows)
        sent = []
        for i, row in enumerate(rows):
            f = [*row[0], *flags.get(words[i].lower(), ())]
            f += rows[i - 2][1] if i > 1 else ("-2w=<s>",)
            f += rows[i - 1][2] if i > 0 else ("BOS",)
            f += rows[i + 1][3] if i + 1 < n else ("EOS",)
            f += rows[i + 2][4] if i + 2 < n else ("+2w=</s>",)
            sent.append(f)
        out.append(sent)
    return out


_model: tuple[pycrfsuite.Tagger, bytes] | None = None
"""The tagger and the bytes it reads: crfsuite keeps a pointer into them, not a copy."""


def load_model(data: bytes | None = None) -> pycrfsuite.Tagger:
    """The tagger, opened once per process; ``data`` replaces the packaged model (for training)."""
    global _model
    if _model is None or data is not None:
        import pycrfsuite

        data = data or resources.files("site_builder").joinpath("data", MODEL).read_bytes()
        tagger = pycrfsuite.Tagger()
        tagger.open_inmemory(data)
        _model = (tagger, data)
    return _model[0]


def chunks(tags: list[str]) -> list[Span]:
    """IOB2 tags -> (first, end, type) token spans; an I- that continues nothing starts a span."""
    out: list[Span] = []
    kind = ""
    for i, tag in enumerate(tags):
        if tag == "O":
            kind = ""
            continue
        bio, label = tag.split("-", 1)
        if bio == "I" and label == kind:
            out[-1] = (out[-1][0], i + 1, label)
        else:
            out.append((i, i + 1, label))
            kind = label
    return out


def detect(text: str) -> list[Span]:
    """Names in ``text`` as (start, end, label) character spans, label PER, LOC or ORG."""
    tagger = load_model()
    text = text.translate(_FOLD)
    sents = sentences(text)
    words = [[text[s:e] for s, e in sent] for sent in sents]
    found = []
    for sent, ws, xseq in zip(sents, words, document_features(words)):
        for first, end, label in chunks(tagger.tag(xseq)):
            first, label = _settle(ws, first, end, label)
            if first < end and label in LABELS:
                found.append((sent[first][0], sent[end - 1][1], label))
    return found


def _settle(words: list[str], first: int, end: int, label: str) -> tuple[int, str]:
    """Move a span's start past words that cannot begin a name, and make it PER after an honorific.

    No name starts with a word without a capital or a digit (in CoNLL, 14 in
    20,000 do); a person's name never starts with a title.
    """
    person = first > 0 and _honorific(words[first - 1])
    while first < end:
        word = words[first]
        if _honorific(word):
            person = True
        elif not (label == "PER" and word.lower().rstrip(".") in _TITLES) and any(
            c.isupper() or c.isdigit() for c in word
        ):
            break
        first += 1
    return first, "PER" if person else label


def _honorific(word: str) -> bool:
    """Mr, Mrs., Dr...; capitalised, so that "fans will miss Arsenal" keeps Arsenal an ORG."""
    return word[:1].isupper() and word.lower().rstrip(".") in _HONORIFICS
