"""``site-builder suggest`` and ``[annotate] discover``: the proper names that no entity covers yet.

The detector (discover.py) finds names in each article; this module groups the variants of one
name, leaves out what the registry already knows or the editor rejected, and weighs the evidence.
Grouping, per type, between names that some article uses both of: a one-word person's name that
ends longer ones ("Kennedy", "Charles Kennedy") is a short name of the one its article uses; a
capitalised acronym of one longer name, or of one used three times as often as any other ("UN",
"United Nations"), is its alias.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from .model import Document, Entity
from .names import sentence_at
from .new import slugify, write_content

TYPES = {"PER": "person", "LOC": "place", "ORG": "organization"}
REJECTED = "_rejected.txt"
"""In content/entities/: names never to suggest again, one a line."""
DISCOVER_CONFIDENCE = 0.8
"""The confidence a candidate needs to be linked in ``discover`` mode: three mentions at least.
On the BBC articles, names between 0.6 and 0.8 were often mistyped ("Tiago" a place)."""


@dataclass(frozen=True)
class Candidate:
    name: str
    type: str
    mentions: int
    articles: int
    confidence: float
    aliases: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    """Up to two sentences that use it, from different articles where there are two."""


def _norm(name: str) -> str:
    return " ".join(name.replace("\u2019", "'").split())


def rejected_names(content_dir: Path) -> set[str]:
    """The names in content/entities/_rejected.txt (folded); '#' starts a comment."""
    path = content_dir / "entities" / REJECTED
    if not path.is_file():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {_norm(line).casefold() for line in lines if line}


def candidates(texts: Sequence[str], found: Sequence[Sequence[tuple[int, int, str]]], known: Iterable[Entity],
               rejected: Iterable[str] = ()) -> list[Candidate]:
    """Group the detector's spans (``found[i]`` in ``texts[i]``) into candidates, best evidenced
    first; names the ``known`` entities have (or end with) and ``rejected`` ones are left out."""
    seen: dict[str, list[tuple[int, int, str]]] = defaultdict(list)  # name -> (text, offset, label)
    for i, (text, spans) in enumerate(zip(texts, found)):
        for start, end, label in spans:
            seen[_norm(text[start:end])].append((i, start, label))
    spellings = [_norm(s) for e in known for s in (e.name, *e.aliases, *e.short_names, e.id)]
    skip = {s.casefold() for s in spellings} | {s.casefold() for s in rejected}
    skip |= {s.split()[-1].casefold() for s in spellings if s}  # "Putin" when "Vladimir Putin" is known
    inside = {f" {s.casefold()} " for s in spellings if " " in s}  # "State Antony Blinken": a known name, mis-cut
    names = [n for n in seen if len(n) > 1 and n.casefold() not in skip
             and not any(known in f" {n.casefold()} " for known in inside)]
    kind_of = {n: Counter(lab for *_, lab in seen[n]).most_common(1)[0][0] for n in names}
    heads = [n for n in names if " " in n]
    by_last: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_initials: dict[tuple[str, str], list[str]] = defaultdict(list)
    for head in sorted(heads, key=lambda h: -len(seen[h])):
        words = head.split()
        if kind_of[head] == "PER":  # "England" is not short for "New England"
            by_last[words[-1], kind_of[head]].append(head)
        capitals = "".join(w[0] for w in words if w[0].isupper())
        if len(capitals) > 1:
            by_initials[capitals, kind_of[head]].append(head)
    where = {n: {i for i, *_ in seen[n]} for n in names}
    uses = {n: list(seen[n]) for n in names}  # each candidate's uses, its variants' included
    aliases: dict[str, list[str]] = defaultdict(list)
    shorts: dict[str, list[str]] = defaultdict(list)
    for name in (n for n in names if " " not in n):
        bare = name.replace(".", "")
        owners = by_initials.get((bare, kind_of[name]), []) if bare.isupper() and len(bare) > 1 else []
        owners = [o for o in owners if not where[name].isdisjoint(where[o])]  # written together somewhere
        if owners and (len(owners) == 1 or len(seen[owners[0]]) >= 3 * len(seen[owners[1]])):
            aliases[owners[0]].append(name)  # the one long name, or the one far more used
            uses[owners[0]] += uses.pop(name)
            continue
        owners = [o for o in by_last.get((name, kind_of[name]), []) if not where[name].isdisjoint(where[o])]
        if not owners:
            continue
        # A surname counts for the one full name its article uses ("Hewitt": Patricia in one,
        # Lleyton in another); it is no candidate of its own, which would take it from them.
        for use in uses.pop(name):
            present = [o for o in owners if use[0] in where[o]]
            if len(present) == 1:
                uses[present[0]].append(use)
                if name not in shorts[present[0]]:
                    shorts[present[0]].append(name)
    tagged = _occurrences(texts, names)
    result = []
    for head, used in uses.items():
        kind, votes = Counter(lab for *_, lab in used).most_common(1)[0]
        whole = [head, *aliases[head]]  # short names are tagged apart from their full name: not counted
        agreement = sum(len(seen[n]) for n in whole) / max(1, sum(tagged.get(n, 0) for n in whole))
        confidence = min(1.0, agreement) * votes / len(used) * (1 - 0.5 ** len(used))
        ordered = sorted((i, start) for i, start, _ in used)
        firsts = [use for k, use in enumerate(ordered) if k == 0 or use[0] != ordered[k - 1][0]]
        picked = (firsts + [use for use in ordered if use not in firsts])[:2]  # from two texts if it can
        examples = tuple(dict.fromkeys(sentence_at(texts[i], start) for i, start in picked))
        result.append(Candidate(head, TYPES.get(kind, "thing"), len(used), len({i for i, *_ in used}),
                                round(confidence, 2), tuple(aliases[head]), tuple(shorts[head]), examples))
    result.sort(key=lambda c: (-c.articles, -c.mentions, -c.confidence, c.name))
    return result


def _occurrences(texts: Iterable[str], names: Sequence[str]) -> dict[str, int]:
    """How often each name occurs as whole words in the texts, tagged or not, but not inside a
    longer one: a name the detector finds only now and then ("Apple" the fruit) is less certain."""
    automaton = ahocorasick.Automaton()
    for name in names:
        automaton.add_word(name, name)
    if not names:
        return {}
    automaton.make_automaton()
    counts: Counter[str] = Counter()
    for text in texts:
        text = text.replace("\u2019", "'")
        found = sorted((end - len(name) + 1, -len(name), name) for end, name in automaton.iter(text)
                       if (end + 1 == len(text) or not text[end + 1].isalnum())
                       and (end < len(name) or not text[end - len(name)].isalnum()))
        reach = 0
        for start, length, name in found:  # "Kennedy" inside "Charles Kennedy" is not counted
            if start >= reach:
                counts[name] += 1
                reach = start - length
    return counts


def draft_entities(found: Sequence[Candidate], content_dir: Path, threshold: float = DISCOVER_CONFIDENCE
                   ) -> list[Entity]:
    """Entities, marked as drafts, for the candidates at or above ``threshold`` (discover mode)."""
    entities = []
    taken: set[str] = set()
    for c in found:
        slug = slugify(c.name)
        if c.confidence < threshold or not slug or slug in taken:
            continue
        taken.add(slug)
        doc = Document(content_dir / "entities" / f"{slug}.md", "", 1)
        entities.append(Entity(slug, c.name, doc, c.type, c.aliases, c.short_names, draft=True))
    return entities


def write_drafts(found: Iterable[Candidate], content_dir: Path) -> tuple[list[Path], list[Path]]:
    """A draft entity file per candidate: (written, already there and left alone)."""
    written, kept = [], []
    for c in found:
        path = content_dir / "entities" / f"{slugify(c.name)}.md"
        if path.exists():
            kept.append(path)
            continue
        front: dict[str, object] = {"name": c.name, "type": c.type}
        front.update({k: list(v) for k, v in (("aliases", c.aliases), ("short_names", c.short_names)) if v})
        front["draft"] = True
        example = f"\n> {c.examples[0]}\n" if c.examples else ""
        body = (f"Found by `site-builder suggest` in {c.articles} article{'s' if c.articles != 1 else ''} "
                f"(confidence {c.confidence:.2f}). Check it, then delete `draft: true`.\n{example}")
        written.append(write_content(path, front, body))
    return written, kept
