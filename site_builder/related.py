"""Related articles and co-occurring entities: the parts of the index stage that count
over pairs (of articles, of entities), apart because they need numpy, and so the one
import a build with no ranking and no counting to do never pays for.

For each article, related articles are the others sharing the most entities, each
entity weighted by its rarity (idf). For each entity, co-occurring entities are those
mentioned in the most articles with it. After an edit, both are made again only where it
can have changed them: a ranking is kept while its margin allows (``RelatedRanker.kept``),
an entity's companions while no changed article or moved entity reaches them
(``cooccurrence_kept``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from itertools import chain, pairwise
from typing import Any

import numpy as np

from .index import COOCCURRING_LIMIT, Ranked, Related, Then, related_objects
from .model import Article

RELATED_LIMIT = 5
IDF_UNIT = 2.0 ** 32
"""Weights are rounded to a multiple of 1/IDF_UNIT (see RelatedRanker.idf)."""
CANDIDATE_CAP = 1000
"""An entity in more articles than this (a common one) offers only the first CANDIDATE_CAP
of them, the newest, as candidates for related articles: see RelatedRanker. Measured with
benchmarks/related_speed.py: at 10,000 articles 1,000 changes no related list (500 changes
21); at 100,000, 500 is barely faster and misses twice as many."""


def rank_related(articles: tuple[Article, ...], mentioned: Mapping[str, Collection[str]]
                 ) -> Mapping[str, tuple[Related, ...]]:
    """For each article, the others sharing the most entities, each weighted by its rarity (idf);
    very common entities offer only their newest articles (see RelatedRanker)."""
    return related_objects(articles, RelatedRanker(articles, mentioned).rank(0, len(articles)))


class RelatedRanker:
    """What rank_related needs, prepared once, so that worker processes can each rank a
    slice of the articles (``rank``) and hand back plain data (``related_objects`` makes the objects).

    Near-linear, not exact: scoring every pair is quadratic when an entity is
    in 80% of the articles. An article is scored against its candidates only:
    every article of its rare entities (in at most CANDIDATE_CAP articles) and
    the first CANDIDATE_CAP (the newest) of each common one. A candidate's
    score is exact, every shared entity counted, so with no common entity the
    ranking is exact; with one, an older article reachable only through
    common entities can be missed. An article costs O(candidates x its
    entities), at most CANDIDATE_CAP x its entities candidates, never O(articles).

    Whether a candidate mentions a common entity is looked up in bytes that
    hold eight common entities each (N bytes for eight: a few MB at 100,000
    articles). Binary search in the postings needs no memory, but looking up
    8,000 candidates took 280 us an entity, against 28 us a byte here.
    """

    def __init__(self, articles: tuple[Article, ...], mentioned: Mapping[str, Collection[str]],
                 table: Table | None = None) -> None:
        self.articles, self.mentioned, self.cap = articles, mentioned, CANDIDATE_CAP
        table = table or Table(articles, mentioned)  # given: made of these very articles and mentions
        self.entity_ids, self.number = table.ids, table.number
        members, starts = table.members
        self.postings = np.split(members, starts[1:-1]) if len(self.entity_ids) else []
        """entity number -> the articles mentioning it, ascending (newest first)."""
        self.df = np.diff(starts)
        self.idf = _weights(len(articles), self.df)
        """Whole multiples of 1/IDF_UNIT: sums of a few hundred are exact, so a score does not depend
        on the order its parts are added in, and an article ranked alone (``rank_each``) gets the
        very scores a ranking of all would give it."""
        by_rarity = np.lexsort((np.arange(len(self.df)), self.df))  # by df, then by id (ids are sorted)
        self.rarity = np.argsort(by_rarity).tolist()
        """entity number -> its place, the rarest first (then by id): the order of shared lists."""
        self.codes, self.bit = self._membership([k for k in reversed(by_rarity.tolist()) if self.df[k] > self.cap])
        self._then: Then | None = None
        self._moved: dict[str, float] = {}
        self.slot = np.zeros(len(articles), dtype=np.intp)
        """Scratch for removing repeated candidates: written and read only where an article's candidates are."""

    def _membership(self, common: list[int]) -> tuple[np.ndarray, dict[int, tuple[int, int]]]:
        """Which of the ``common`` entities each article mentions, eight to a byte (the most
        common together, as most articles mention them): codes[group, article], and
        entity -> (group, bit). N bytes for eight entities, where a bitmap each would take eight."""
        codes = np.zeros((-(-len(common) // 8), len(self.articles)), dtype=np.uint8)
        bit = {}
        for n, k in enumerate(common):
            bit[k] = divmod(n, 8)
            codes[bit[k][0], self.postings[k]] |= np.uint8(1 << bit[k][1])
        return codes, bit

    def _entities(self, i: int) -> tuple[list[int], list[int]]:
        """The rare and the common entity numbers of articles[i], each the rarest first."""
        mine = sorted((self.number[e] for e in self.mentioned[self.articles[i].slug]), key=self.rarity.__getitem__)
        return [k for k in mine if k not in self.bit], [k for k in mine if k in self.bit]

    def _candidates(self, rare: list[int], common: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The candidates that the entities offer, each once, in no particular order (the
        article itself may be among them); and for every offer, the candidate's position.
        The offers of rare entities come first, one for each article that shares one."""
        offers = np.concatenate([*(self.postings[k] for k in rare), *(self.postings[k][:self.cap] for k in common),
                                 np.zeros(0, dtype=np.intp)])
        order = np.arange(len(offers))
        self.slot[offers] = order  # a repeated candidate keeps one of its positions: sorting would cost more
        kept = self.slot[offers]
        first = kept == order
        return offers[first], (np.cumsum(first) - 1)[kept]

    def candidates(self, i: int) -> np.ndarray:
        """The articles that articles[i] is scored against, ascending."""
        found = np.sort(self._candidates(*self._entities(i))[0])
        return np.extract(found != i, found)

    def rank(self, start: int, stop: int) -> list[Ranked]:
        """The related articles of articles[start:stop]."""
        return [ranked for ranked, _ in self.rank_each(range(start, stop))]

    def rank_each(self, indices: Iterable[int], kept: Callable[[int], tuple[Ranked, float] | None] = lambda i: None
                  ) -> list[tuple[Ranked, float]]:
        """The related articles of each of articles[i] for i in ``indices``, with their margin (see
        ``kept``): ``kept(i)`` if not None (a last ranking's, where it still holds), else ranked."""
        return [kept(i) or self._rank_one(i) for i in indices]

    def kept(self, i: int, ranked: Ranked, margin: float, then: Then, place: Sequence[int],
             disturbed: Mapping[int, AbstractSet[str]]) -> tuple[Ranked, float] | None:
        """The related articles of articles[i] (not itself changed) and their margin, made from
        those of a ranking ``then`` (``ranked``, with ``margin``); ``place``: each article's index
        now, by its index then; ``disturbed``: the articles whose entities changed, and those that
        may have moved in or out of a common entity's first CANDIDATE_CAP, each with the entities
        that offer it as a candidate (see ``disturbed``). None if they may rank otherwise.

        Any other candidate shares what it shared, and its score moved by the change in the weights
        of those entities: two candidates' scores moved apart by at most the sum of the changes of
        all its entities' weights (``drift``). While the margin, how close the nearest two of its
        best six scores were, is wider than that, the order of its best five and which they are
        stay; the disturbed articles are scored again and take their places among them, unless one
        was among the best five (then who was sixth matters, and is not known). Scores are made
        again exactly (multiples of 1/IDF_UNIT add up exactly in any order)."""
        mine = self.mentioned[self.articles[i].slug]
        drift = sum(map(self._shifts(then).__getitem__, mine)) + 2e-9  # and what rounding to 9 decimals could tie
        if not margin > drift:
            return None
        known = [place[j] for j, _, _ in ranked]
        full = len(ranked) == RELATED_LIMIT  # others were left out, the best of them within margin of the last
        if full and not disturbed.keys().isdisjoint(known):
            return None
        weight = self._weight_of.__getitem__
        scored = [(j, sum(map(weight, shared)), shared) for j, (_, _, shared) in zip(known, ranked) if j not in disturbed]
        for j, offering in disturbed.items():
            if j != i and not offering.isdisjoint(mine):
                theirs = self.mentioned[self.articles[j].slug]
                shared = tuple(e for e in mine if e in theirs)
                scored.append((j, sum(map(weight, shared)), shared))
        scored.sort(key=lambda item: (-round(item[1], 9), item[0]))
        hidden = [min(s for j, s, _ in scored if j in known) - (margin - drift)] if full else []  # the best left out, at most
        best = sorted([s for _, s, _ in scored] + hidden, reverse=True)[:RELATED_LIMIT + 1]
        rarest = self._rarity_of.__getitem__
        return tuple((j, round(score, 4), tuple(sorted(shared, key=rarest))) for j, score, shared in scored[:RELATED_LIMIT]
                     ), min((a - b for a, b in pairwise(best)), default=math.inf)

    @functools.cached_property
    def _weight_of(self) -> dict[str, float]:
        """``idf`` by entity id, as Python floats, for ``kept``."""
        return dict(zip(self.entity_ids, self.idf.tolist()))

    @functools.cached_property
    def _rarity_of(self) -> dict[str, int]:
        """``rarity`` by entity id, for ``kept``."""
        return dict(zip(self.entity_ids, self.rarity))

    def _shifts(self, then: Then) -> dict[str, float]:
        """By entity id, how far its weight moved since ``then`` (infinitely: it had none)."""
        if self._then is not then:
            df = np.array([then.df.get(e, 0) for e in self.entity_ids], dtype=np.intp)
            with np.errstate(divide="ignore"):  # none then: infinitely
                moved = np.abs(self.idf - _weights(then.articles, df))
            self._then, self._moved = then, dict(zip(self.entity_ids, moved.tolist()))
        return self._moved

    def disturbed(self, changed: Collection[int], reach: Collection[str], then: Then) -> dict[int, frozenset[str]]:
        """The ``changed`` articles (their entities changed: the ``reach``), and the articles that
        may have moved in or out of the first CANDIDATE_CAP of a common entity's (or of one that was
        common ``then``): those within len(changed) of the edge, as no change moves it further.
        Each with the entities that offer it as a candidate (see the class's docstring)."""
        found, c = set(changed), len(changed)
        for e in reach:
            k = self.number.get(e)
            if k is not None and (k in self.bit or then.df.get(e, 0) > self.cap):
                found.update(self.postings[k][max(0, self.cap - c):self.cap + c].tolist())
        return {j: frozenset(e for e in self.mentioned[self.articles[j].slug] if (k := self.number[e]) not in self.bit
                             or int(np.searchsorted(self.postings[k], j)) < self.cap) for j in found}

    def mentioning(self, entities: Iterable[str]) -> list[int]:
        """The articles that mention any of ``entities``, ascending."""
        found = [self.postings[k] for e in entities if (k := self.number.get(e)) is not None]
        return np.unique(np.concatenate(found)).tolist() if found else []

    def then(self) -> Then:
        """What ``kept`` needs to know of this ranking in a later one."""
        return Then(len(self.articles), dict(zip(self.entity_ids, self.df.tolist())))

    def _scores(self, rare: list[int], common: list[int], cands: np.ndarray, where: np.ndarray) -> np.ndarray:
        """Each candidate's exact score: the idf of the rare entities it was offered by, counted
        from the offers, plus that of the common ones it mentions, looked up eight at a time."""
        counts = self.df[rare]
        scores = np.bincount(where[:counts.sum()], weights=np.repeat(self.idf[rare], counts),
                             minlength=len(cands)).astype(np.float64, copy=False)  # int when empty
        weights: dict[int, np.ndarray] = {}
        for k in common:
            group, bit = self.bit[k]
            weights.setdefault(group, np.zeros(8))[bit] = self.idf[k]
        for group, w in weights.items():
            scores += (_BITS @ w)[self.codes[group][cands]]
        return scores

    def _rank_one(self, i: int) -> tuple[Ranked, float]:
        """The related articles of articles[i]: the best candidates, and of those tied with the last,
        the earliest; and the margin: how close the nearest two of the best six scores are."""
        rare, common = self._entities(i)
        cands, where = self._candidates(rare, common)
        scores = self._scores(rare, common, cands, where)
        scores[cands == i] = 0.0
        top = np.flatnonzero(scores > max(_floor(scores), 0.0))
        best = -np.sort(-scores[top])[:RELATED_LIMIT + 1]
        margin = float((best[:-1] - best[1:]).min()) if len(best) > 1 else math.inf
        if len(top) > RELATED_LIMIT:
            rounded = np.round(scores[top], 9)
            last = -np.partition(-rounded, RELATED_LIMIT - 1)[RELATED_LIMIT - 1]
            above, tied = top[rounded > last], top[rounded == last]
            top = np.concatenate([above, tied[np.argsort(cands[tied])][:RELATED_LIMIT - len(above)]])
        chosen = sorted(((int(cands[t]), float(scores[t])) for t in top), key=lambda kv: (-round(kv[1], 9), kv[0]))
        mine = [self.entity_ids[k] for k in sorted(rare + common, key=self.rarity.__getitem__)]
        return tuple((j, round(score, 4), tuple(e for e in mine if e in theirs))
                     for j, score in chosen for theirs in (self.mentioned[self.articles[j].slug],)), margin


def _weights(count: int, df: np.ndarray) -> np.ndarray:
    """Each entity's weight (``RelatedRanker.idf``) among ``count`` articles, ``df`` of which mention it."""
    return np.round(np.log((count + 1) / df) * IDF_UNIT) / IDF_UNIT if len(df) else np.zeros(0)


def _floor(scores: np.ndarray) -> float:
    """Just under the (RELATED_LIMIT + 1)-th best of a sample of ``scores``, so that every score
    the ranking keeps (or ties with, to 9 decimals), and the best it leaves out, are above it:
    selecting among those few is cheaper than among all."""
    sample = scores[::max(1, len(scores) // 256)]
    if len(sample) <= RELATED_LIMIT:
        return 0.0
    return float(np.partition(sample, -RELATED_LIMIT - 1)[-RELATED_LIMIT - 1]) - 2e-9


_BITS = (np.arange(256)[:, None] >> np.arange(8) & 1).astype(np.float64)
"""Row b: the bits of byte b, so that _BITS @ weights gives the score of every byte of codes."""


ONE_KEY = 2 ** 62
"""Pairs of entities are sorted on one number made of their three sort keys while it stays below this."""
RECOUNT_SHARE = 0.25
"""``cooccurrence_kept`` gives up when more than this share of the entities are to be counted again
(each is counted from its own articles: more are counted faster all at once)."""
PAIR_BATCH = 4096
"""Articles whose pairs of entities ``cooccurrence`` counts at once: a few MB of arrays."""


class Table:
    """What ranking and co-occurrence count with, made once for both (an edit that changes what
    an article mentions needs both; each made it, 0.04 s at 10,000 articles): each article's
    entities (``rows``); all entity ids, sorted, and their numbers; every article's entities by
    number, one article after another (``flat``); and how many each article has."""

    def __init__(self, articles: tuple[Article, ...], mentioned: Mapping[str, Collection[str]]) -> None:
        self.rows: list[Any] = [mentioned[a.slug] for a in articles]  # each a Mapping for co-occurrence
        self.ids: list[str] = sorted(set().union(*self.rows))
        self.number = {e: k for k, e in enumerate(self.ids)}
        self.flat = np.fromiter(map(self.number.__getitem__, chain.from_iterable(self.rows)), dtype=np.intp)
        self.widths = np.fromiter(map(len, self.rows), dtype=np.intp, count=len(self.rows))

    @functools.cached_property
    def members(self) -> tuple[np.ndarray, np.ndarray]:
        """The articles mentioning each entity, one entity after another (each's in ascending
        order), and where each entity's start."""
        by_entity = np.argsort(self.flat, kind="stable")
        return (np.repeat(np.arange(len(self.widths)), self.widths)[by_entity],
                np.searchsorted(self.flat[by_entity], np.arange(len(self.ids) + 1)))


def _tie_order(rows: list[Mapping[str, int]], flat: np.ndarray, size: int) -> np.ndarray:
    """Each entity's place in the order co-occurrence's ties go by: in more articles first, then
    mentioned more in all, then by id (see ``Table``)."""
    mentions = np.fromiter(chain.from_iterable(counts.values() for counts in rows), dtype=np.int64, count=len(flat))
    df = np.bincount(flat, minlength=size)
    total = np.bincount(flat, weights=mentions, minlength=size).astype(np.int64)
    place = np.empty(size, dtype=np.int64)
    place[np.lexsort((np.arange(size), -total, -df))] = np.arange(size)
    return place


def cooccurrence(articles: tuple[Article, ...], mentioned: Mapping[str, Mapping[str, int]]
                 ) -> dict[str, tuple[tuple[str, int], ...]]:
    """entity id -> the entities sharing the most articles with it (``mentioned``: each
    article's entities and their mentions); ties go to the entity in more articles, then to
    the one mentioned more often in all, then by id (never to the first met: the result
    depends on what the articles mention, not on the order of their mentions).

    Each pair of entities of an article is one number (the smaller x entities + the
    larger), made for all articles with as many entities at once; how often each occurs
    is counted by sorting, and each entity's best are found by one more sort: at 10,000
    articles, 0.14 s where a Counter for each entity took 0.5 s (and Python loops over the
    articles' rows and the results, 0.22 s)."""
    table = Table(articles, mentioned)
    ids, flat, widths = table.ids, table.flat, table.widths
    size, offsets = len(ids), np.cumsum(widths) - widths
    place = _tie_order(table.rows, flat, size)
    pairs, times = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for width in np.unique(widths[widths > 1]).tolist():
        first, second = np.triu_indices(width, 1)
        same = offsets[widths == width]
        for start in range(0, len(same), PAIR_BATCH):
            block = flat[same[start:start + PAIR_BATCH, None] + np.arange(width)]
            x, y = block[:, first].ravel(), block[:, second].ravel()
            codes, n = np.unique(np.minimum(x, y) * size + np.maximum(x, y), return_counts=True)
            pairs.append(codes)
            times.append(n)
    if size * size * (PAIR_BATCH + 1) < ONE_KEY:  # each pair and its count in one number: sorted, not argsorted
        keyed = np.sort(np.concatenate(pairs) * (PAIR_BATCH + 1) + np.concatenate(times))
        each, n = np.divmod(keyed, PAIR_BATCH + 1)
        first = np.ones(len(each), dtype=bool)
        first[1:] = each[1:] != each[:-1]
        codes, together = each[first], np.add.reduceat(n, np.flatnonzero(first)) if len(n) else n
    else:
        codes, inverse = np.unique(np.concatenate(pairs), return_inverse=True)
        together = np.bincount(inverse, weights=np.concatenate(times), minlength=len(codes)).astype(np.int64)
    low, high = np.divmod(codes, size) if size else (codes, codes)
    entity, other, together = np.concatenate([low, high]), np.concatenate([high, low]), np.tile(together, 2)
    most = int(together.max(initial=0)) + 1
    if size * most * size < ONE_KEY:  # the three sort keys in one number, sorted (lexsort took three times longer)
        ranked = np.sort((entity * most + (most - 1 - together)) * size + place[other])
        by_place = np.empty(size, dtype=np.int64)
        by_place[place] = np.arange(size)
        pair, other = np.divmod(ranked, size)
        entity, together, other = pair // most, most - 1 - pair % most, by_place[other]
    else:
        order = np.lexsort((place[other], -together, entity))
        entity, other, together = entity[order], other[order], together[order]
    starts = np.searchsorted(entity, np.arange(size + 1))
    keep = np.arange(len(entity)) - starts[entity] < COOCCURRING_LIMIT
    kept = list(zip(np.array(ids, dtype=object)[other[keep]].tolist(), together[keep].tolist()))
    ends = np.cumsum(np.minimum(np.diff(starts), COOCCURRING_LIMIT)).tolist()
    return {e: tuple(kept[start:end]) for e, start, end in zip(ids, [0, *ends], ends)}


def cooccurrence_kept(articles: tuple[Article, ...], mentioned: Mapping[str, Mapping[str, int]],
                      last: Mapping[str, tuple[tuple[str, int], ...]], was: Mapping[str, Mapping[str, int]],
                      table: Table | None = None) -> dict[str, tuple[tuple[str, int], ...]] | None:
    """``cooccurrence(articles, mentioned)`` from its ``last`` result, when only the articles in
    ``was`` changed what they mention (``was``: what they mentioned then, empty if new); None
    when so much changed that counting it all is cheaper.

    An entity's companions change only if it shares an article whose entities changed (its counts
    changed), or if an entity whose articles or mentions changed (so its place among ties) is
    among them or ties with the last of them: those are counted again, from the articles of each;
    the others are the last ones. ``table``: that of ``articles`` and ``mentioned``, if made already."""
    table = table or Table(articles, mentioned)
    ids, number, flat, widths = table.ids, table.number, table.flat, table.widths
    offsets = np.cumsum(widths) - widths
    place = _tie_order(table.rows, flat, len(ids))
    members, starts = table.members

    def together(k: int) -> np.ndarray:
        """How many articles each entity shares with entity k (itself excluded)."""
        mine = members[starts[k]:starts[k + 1]]
        spans = widths[mine]
        at = np.repeat(offsets[mine] - np.cumsum(spans) + spans, spans) + np.arange(int(spans.sum()))
        counts = np.bincount(flat[at], minlength=len(ids))
        counts[k] = 0
        return counts

    paired: set[str] = set()  # entities some of whose pairs were made or unmade
    moved: set[str] = set()  # entities whose articles or mentions changed
    for slug, then in was.items():
        now = mentioned[slug]
        if then.keys() != now.keys():
            paired.update(then.keys() | now.keys())
        moved.update(e for e in then.keys() | now.keys() if then.get(e) != now.get(e))
    if any(e not in last for e in ids if e not in paired):
        return None
    again = {e for e in paired if e in number}
    for e in moved:
        if e in number:
            shared = together(number[e])
            for k in np.flatnonzero(shared).tolist():
                listed = last.get(ids[k], ())
                if shared[k] >= (listed[-1][1] if len(listed) == COOCCURRING_LIMIT else 1):
                    again.add(ids[k])
        if len(again) > len(ids) * RECOUNT_SHARE:
            return None
    found = dict(last)
    for e in again:
        shared = together(number[e])
        some = np.flatnonzero(shared)
        best = some[np.lexsort((place[some], -shared[some]))[:COOCCURRING_LIMIT]]
        found[e] = tuple(zip([ids[b] for b in best.tolist()], shared[best].tolist()))
    return {e: found[e] for e in ids}
