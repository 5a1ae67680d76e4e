"""Which entity does this text name? The name table and the matcher.

Names are compared as sequences of tokens (word runs, single punctuation
marks, and whitespace folded to one space), walked through a trie keyed on
lower-cased tokens. Working on tokens rather than characters gives the
matching rules for free: a word token is a maximal run of word characters,
so ``Kim`` can never match inside ``Kimberley``; ``Russia's`` is the tokens
``Russia ' s`` so the possessive stays outside; a soft line break or a
non-breaking space is whitespace like any other. Curly apostrophes and quotes
are folded to straight ones before comparing.

Most text is searched without walking the trie: an Aho-Corasick automaton
over the spellings, joined and lower-cased, finds every spelling and where it
ends in one pass. Text where comparing characters is not the same as
comparing tokens (see ``_plain``) is walked.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import ahocorasick

from .errors import Diagnostic
from .model import Entity

TOKEN_RE = re.compile(r"\w+|\s+|[^\w\s]")
WORD_RE = re.compile(r"\w+")
_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201b": "'",
                       "\u201c": '"', "\u201d": '"', "\u201e": '"'})

_FOLD_SPACE = {**_FOLD, **{ord(c): " " for c in "\t\n\r\f\v\u00a0\u2007\u202f"}}
_ODD = re.compile("[\x1c-\x1f\x85\u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000\u03a3\u02bc]")
"""What makes comparing characters unlike comparing tokens: the white space that _FOLD_SPACE
leaves; capital sigma, whose lower case depends on what follows; the modifier apostrophe, a
letter that folds to a quote inside a word. (One character class: searching is then fast.)"""
FULL, SHORT = "full", "short"


def tokenize(text: str) -> list[str]:
    """Split a name into comparable tokens, quotes folded, whitespace as one space."""
    return [_norm(t) for t in TOKEN_RE.findall(text.strip())]


def _norm(token: str) -> str:
    if token[0].isspace():
        return " "
    return token.translate(_FOLD)


_FOLD_ASCII = [(chr(char), to) for char, to in _FOLD_SPACE.items() if char < 128]
_FOLD_ALL = [(chr(char), to) for char, to in _FOLD_SPACE.items()]


def _fold_spaces(text: str) -> str:
    """``text.translate(_FOLD_SPACE)``, ten times faster: translate looks up every character
    (and ASCII text, nearly all, is only looked through for the ASCII ones)."""
    for char, to in _FOLD_ASCII if text.isascii() else _FOLD_ALL:
        if char in text:
            text = text.replace(char, to)
    return text


@dataclass(frozen=True)
class Claim:
    """One entity's claim on one spelling."""

    entity_id: str
    spelling: str
    """The spelling's tokens joined (quotes folded, one space between words), case kept:
    what a case-sensitive match must be."""
    kind: str
    """FULL (name or alias) or SHORT (only after a full mention)."""
    match_case: bool


Spelled = tuple[int, str, list[Claim]]
"""A spelling found at some place in a text: (where it ends, the text there with its tokens
normalised and joined, the claims on the spelling)."""


class Match(NamedTuple):
    """A span of text that names an entity."""

    start: int
    end: int
    entity_id: str | None
    """None when the span is claimed by several entities (ambiguous)."""
    kind: str


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)


class NameTable:
    """Every spelling of every entity, ready to search text with."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        entities = list(entities)
        self._root = _Node()
        self._keys: dict[str, list[Claim]] = {}
        """Each spelling's tokens lower-cased and joined -> the claims on it, what the automaton finds."""
        self.ids = {e.id for e in entities}
        self._folded_ids: dict[str, list[str]] = {}
        for entity_id in sorted(self.ids):
            self._folded_ids.setdefault(entity_id.casefold(), []).append(entity_id)
        self.warnings: list[Diagnostic] = []
        self.by_key: dict[str, list[tuple[str, str]]] = {}
        """casefolded spelling -> [(entity_id, spelling)] for [[Name]] lookups."""
        full: dict[tuple[str, ...], list[tuple[Entity, Claim, str]]] = {}
        for entity in entities:
            spellings = [(entity.name, FULL)] + [(a, FULL) for a in entity.aliases]
            spellings += [(s, SHORT) for s in entity.short_names]
            done: set[tuple[str, ...]] = set()
            for spelling, kind in spellings:
                tokens = tuple(tokenize(spelling))
                if not tokens or tokens in done:
                    continue
                if not WORD_RE.match(tokens[0]):
                    self.warnings.append(Diagnostic(
                        entity.doc.path, 1, f"the name '{spelling}' does not start with a letter or digit, so "
                        "it is never found in text; link it with [[...]]", level="warning"))
                    continue
                done.add(tokens)
                claim = Claim(entity.id, "".join(tokens), kind, entity.match_case)
                self._add(tokens, claim)
                if kind == FULL:
                    full.setdefault(tuple(t.lower() for t in tokens), []).append((entity, claim, spelling))
                    self.by_key.setdefault(spelling.casefold(), []).append((entity.id, spelling))
        for claimants in full.values():
            self._warn_ambiguous(claimants)
        self._automaton = ahocorasick.Automaton()
        for key, claims in self._keys.items():
            self._automaton.add_word(key, (len(key), claims))
        if self._keys:
            self._automaton.make_automaton()

    def _warn_ambiguous(self, claimants: list[tuple[Entity, Claim, str]]) -> None:
        """One warning per spelling that two entities can both match."""
        for i, (first, a, spelling) in enumerate(claimants):
            for second, b, _ in claimants[i + 1:]:
                if first.id != second.id and (a.spelling == b.spelling or not (a.match_case and b.match_case)):
                    self.warnings.append(Diagnostic(
                        second.doc.path, 1,
                        f"the name '{spelling}' is claimed by both {first.doc.path} and {second.doc.path}; "
                        "it is linked nowhere unless written as [[...]]", level="warning"))
                    return

    def resolve(self, name: str) -> list[str]:
        """Entity ids an explicit name can mean: by id, else by name or alias in any case."""
        if name in self.ids:
            return [name]
        ids = sorted({i for i, _ in self.by_key.get(name.casefold(), [])})
        return ids or self._folded_ids.get(name.casefold(), [])

    def lookup(self, name: str) -> tuple[str | None, str]:
        """Resolve an explicit ``[[name]]``: (entity id, '') or (None, error message)."""
        ids = self.resolve(name)
        if len(ids) == 1:
            return ids[0], ""
        if ids:
            return None, f"[[{name}]] is ambiguous: it names {' and '.join(ids)}; write [[id]] with one of them"
        spellings = sorted(self.ids | {s for pairs in self.by_key.values() for _, s in pairs})
        near = difflib.get_close_matches(name, spellings, n=3, cutoff=0.6)
        hint = f"; closest: {', '.join(near)}" if near else ""
        return None, f"unknown entity [[{name}]]{hint}"

    def _add(self, tokens: tuple[str, ...], claim: Claim) -> None:
        node = self._root
        for token in tokens:
            node = node.children.setdefault(token.lower(), _Node())
        node.claims.append(claim)
        key = "".join(t.lower() for t in tokens)
        # A key that reads as other tokens (a word holding a modifier apostrophe, or one whose
        # lower case holds a combining mark) names nothing where the automaton's finds are
        # taken as they are; it still makes a candidate to walk from.
        if tuple(TOKEN_RE.findall(key)) == tuple(t.lower() for t in tokens):
            self._keys[key] = node.claims
        else:
            self._keys.setdefault(key, [])

    def find(self, text: str, seen: set[str], exclude: str | None = None) -> list[Match]:
        """Every entity mention in ``text``, leftmost then longest, without overlaps.

        ``seen`` holds the entities already mentioned in full earlier in the
        document; it is updated as full mentions are found, so that short
        names become valid after them. ``exclude`` is matched (so it hides
        shorter names inside it) but reported as no mention: an entity page
        never links to itself.
        """
        spaced = _fold_spaces(text)
        folded = spaced.lower()
        at: Iterable[tuple[int, list[Spelled]]]
        if _plain(text, folded):
            at = sorted(self._found(spaced, folded).items())
        else:
            # Characters and tokens compare differently here: an automaton over the folded
            # text can miss a name (one with an em space in it), so the trie is walked from every word.
            at = ((m.start(), self._walk(text, m.start())) for m in WORD_RE.finditer(text))
        matches: list[Match] = []
        pos = 0
        for start, spellings in at:
            if start < pos or (start and _is_word_char(text[start - 1])):
                continue
            found = _longest(text, spellings, seen)
            if found is None:
                continue
            end, entity_id, kind = found
            if entity_id is not None and kind == FULL:
                seen.add(entity_id)
            if entity_id is None or entity_id != exclude:
                matches.append(Match(start, end, entity_id, kind))
            pos = end
        return matches

    def _found(self, spaced: str, folded: str) -> dict[int, list[Spelled]]:
        """Where the spellings occur, ignoring case, by start, shortest first."""
        found: dict[int, list[Spelled]] = {}
        for last, (size, claims) in self._automaton.iter(folded) if self._keys else ():
            start = last + 1 - size
            found.setdefault(start, []).append((last + 1, spaced[start:last + 1], claims))
        return found

    def _walk(self, text: str, start: int) -> list[Spelled]:
        """Walk the trie from one word: the spellings on the way, shortest first."""
        word = WORD_RE.match(text, start)
        node = self._root.children.get(word.group().lower()) if word else None
        if word is None or node is None:
            return []
        pos = word.end()
        walked = [_norm(word.group())]
        on_the_way: list[Spelled] = []
        while True:
            if node.claims:
                on_the_way.append((pos, "".join(walked), node.claims))
            step = TOKEN_RE.match(text, pos)
            if step is None:
                return on_the_way
            token = _norm(step.group())
            child = node.children.get(token.lower())
            if child is None:
                return on_the_way
            walked.append(token)
            node, pos = child, step.end()


def _plain(text: str, folded: str) -> bool:
    """Whether comparing ``folded`` with the joined spellings character by character is the
    same as comparing tokens: no folding changed its length, no white space is a run or one
    that folding leaves, and lower-casing each token is lower-casing the text."""
    if text.isascii():  # of _ODD, only the four separators are ASCII: four scans beat a regex's one
        return "  " not in folded and not ("\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text)
    return len(folded) == len(text) and "  " not in folded and not _ODD.search(text)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _longest(text: str, spellings: list[Spelled], seen: set[str]) -> tuple[int, str | None, str] | None:
    """The longest valid spelling of those at one place: (end, id or None if ambiguous, kind)."""
    for end, spelling, claims in reversed(spellings):
        # Not inside a word: ``Kim`` in ``Kimberley``, ``U.S.`` in ``U.S.A``.
        if end < len(text) and _is_word_char(text[end]):
            continue
        hit = _resolve(claims, spelling, seen)
        if hit is not None:
            return end, *hit
    return None


def _resolve(claims: list[Claim], spelling: str, seen: set[str]) -> tuple[str | None, str] | None:
    """Which entity the text (tokens normalised and joined) names: (id, kind), (None, kind) if ambiguous, or None."""
    if len(claims) == 1:  # most spellings have one claim: no lists and sets to make
        claim = claims[0]
        if (not claim.match_case or claim.spelling == spelling) and (claim.kind == FULL or claim.entity_id in seen):
            return claim.entity_id, claim.kind
        return None
    valid = [c for c in claims
             if (not c.match_case or c.spelling == spelling)
             and (c.kind == FULL or c.entity_id in seen)]
    if not valid:
        return None
    ids = {c.entity_id for c in valid}
    full = [c for c in valid if c.kind == FULL]
    if len(ids) == 1:
        return valid[0].entity_id, (FULL if full else SHORT)
    return None, (FULL if full else SHORT)


_TITLES = ["Mr", "Mrs", "Ms", "Dr", "St", "Prof", "Gen", "Sen", "Rep", "Gov", "Lt", "Col", "Sgt", "Jr", "Sr", "vs", "No",
           "Inc", "Co", "Ltd"]
# Not an initial's (U.S.) or a title's (Mr.) full stop: one regex pass, no search per full stop.
# A look-behind has one width, so there is one for the titles of each length; they come after
# the [.!?] so that the regex still skips fast to the next one.
_NOT_ABBREVIATED = r"(?<!\b[A-Z]\.)" + "".join(
    rf"(?<!\b(?:{'|'.join(t for t in _TITLES if len(t) == n)})\.)" for n in sorted({len(t) for t in _TITLES}))
_SENTENCE_END = re.compile(rf"[.!?]{_NOT_ABBREVIATED}[\"'\u201d\u2019)\]]*\s+")


def sentence_starts(text: str) -> list[int]:
    """Offsets where the sentences of ``text`` begin (0 first), abbreviations like ``U.S.`` skipped."""
    return [0] + [m.end() for m in _SENTENCE_END.finditer(text)]


def sentence_at(text: str, offset: int, starts: list[int] | None = None, limit: int = 320) -> str:
    """The sentence of ``text`` that contains ``offset``, for "first mentioned in" quotes.

    Pass ``starts`` (from sentence_starts) when asking about one text repeatedly.
    """
    starts = starts if starts is not None else sentence_starts(text)
    k = bisect.bisect_right(starts, offset)
    end = starts[k] if k < len(starts) else len(text)
    sentence = " ".join(text[starts[k - 1]:end].split())
    if len(sentence) > limit:
        sentence = sentence[: limit - 1].rsplit(" ", 1)[0] + "\u2026"
    return sentence
