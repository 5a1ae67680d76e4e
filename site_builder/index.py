"""Stage 3, index: the whole site's cross-references, from each article's mentions.

Annotation tells what each article mentions; this inverts it (which articles
mention each entity), counts co-occurrence, and ranks related articles by the
entities they share, rarer entities weighing more (inverse document frequency).
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np

from .model import Annotated, Article, Entity

RELATED_LIMIT = 5
COOCCURRING_LIMIT = 12
CANDIDATE_CAP = 1000
"""An entity in more articles than this (a common one) offers only the first CANDIDATE_CAP
of them, the newest, as candidates for related articles: see RelatedRanker. Measured with
benchmarks/related_speed.py: at 10,000 articles 1,000 changes no related list (500 changes
21); at 100,000, 500 is barely faster and misses twice as many."""


@dataclass(frozen=True, slots=True)
class Appearance:
    """One article that mentions an entity."""

    article: Article
    count: int
    """How many times the article mentions the entity."""
    sentence: str
    """The sentence of the first mention."""


@dataclass(frozen=True, slots=True)
class Related:
    """An article related to another by the entities both mention."""

    article: Article
    score: float
    shared: tuple[str, ...]
    """Ids of the shared entities, the rarest first."""


@dataclass(frozen=True)
class SiteIndex:
    """Everything the pages need to know about the site as a whole."""

    articles: tuple[Article, ...]
    """Newest first; undated articles last, by title."""
    entities: Mapping[str, Entity]
    mention_counts: Mapping[str, tuple[tuple[str, int], ...]]
    """article slug -> (entity id, mentions), most mentioned first."""
    appearances: Mapping[str, tuple[Appearance, ...]]
    """entity id -> the articles mentioning it, newest first."""
    cooccurring: Mapping[str, tuple[tuple[str, int], ...]]
    """entity id -> (other entity id, articles mentioning both), most first; ties go to
    the entity in more articles."""
    related: Mapping[str, tuple[Related, ...]]
    """article slug -> related articles, best first."""
    credits: Mapping[str, tuple[tuple[Article, str], ...]]
    """entity id -> (article, 'author' or 'publication') where the article's
    front matter names the entity; newest first."""
    bylines: Mapping[str, Mapping[str, str]]
    """article slug -> {'author' or 'publication': entity id} for those that are entities."""


def newest_first(article: Article) -> tuple[bool, int, str, str]:
    """Sort key: dated articles newest first, then undated ones; ties by title."""
    days = -article.date.toordinal() if article.date else 0
    return (article.date is None, days, article.title.casefold(), article.slug)


Links = tuple[dict[str, tuple[Related, ...]], dict[str, tuple[tuple[str, int], ...]]]
"""(related articles, co-occurring entities): see link_articles."""
Linker = Callable[[tuple[Article, ...], Mapping[str, Mapping[str, int]]], Links]


Mentioned = tuple[tuple[str, int, str], ...]
"""What a document mentions, as the index needs it: (entity id, mentions, the sentence of
the first), most mentioned first, then by id."""


def mentioned(annotated: Annotated) -> Mentioned:
    """The index's summary of an annotated document (the pipeline caches it, not every mention)."""
    counts = Counter(m.entity_id for m in annotated.mentions)
    first: dict[str, str] = {}
    for m in annotated.mentions:
        if m.sentence:
            first.setdefault(m.entity_id, m.sentence)
    return tuple((e, n, first.get(e, "")) for e, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def build_index(articles: list[Article], entities: list[Entity], mentions: Mapping[str, Mentioned],
                resolve: Callable[[str], str | None] = lambda name: None,
                link: Linker | None = None) -> SiteIndex:
    """Cross-reference ``articles`` (by slug in ``mentions``, see ``mentioned``) with ``entities``.

    ``resolve`` turns an author or publication name into an entity id, if any.
    ``link`` stands in for ``link_articles`` (the pipeline passes one that
    remembers its earlier results).
    """
    ordered = tuple(sorted(articles, key=newest_first))
    appearances: dict[str, list[Appearance]] = defaultdict(list)
    for article in ordered:
        for entity_id, n, sentence in mentions[article.slug]:
            appearances[entity_id].append(Appearance(article, n, sentence))
    bylines: dict[str, dict[str, str]] = {}
    credits: dict[str, list[tuple[Article, str]]] = defaultdict(list)
    for article in ordered:
        for role in ("author", "publication"):
            credited = resolve(name) if (name := getattr(article, role)) else None
            if credited is not None:
                bylines.setdefault(article.slug, {})[role] = credited
                credits[credited].append((article, role))
    related, cooccurring = (link or link_articles)(ordered, {a.slug: {e: n for e, n, _ in mentions[a.slug]}
                                                             for a in ordered})
    return SiteIndex(
        articles=ordered,
        credits={e: tuple(c) for e, c in credits.items()},
        bylines=bylines,
        entities={e.id: e for e in entities},
        mention_counts={a.slug: tuple((e, n) for e, n, _ in mentions[a.slug]) for a in ordered},
        appearances={e: tuple(a) for e, a in appearances.items()},
        cooccurring=cooccurring,
        related=related,
    )


def link_articles(articles: tuple[Article, ...], mentioned: Mapping[str, Mapping[str, int]]) -> Links:
    """Related articles and co-occurring entities: the part of the index that depends only
    on the order of the articles and on which entities each one mentions, how often."""
    return rank_related(articles, mentioned), cooccurrence(articles, mentioned)


def cooccurrence(articles: tuple[Article, ...], mentioned: Mapping[str, Mapping[str, int]]
                 ) -> dict[str, tuple[tuple[str, int], ...]]:
    """entity id -> the entities sharing the most articles with it (``mentioned``: each
    article's entities and their mentions); ties go to the entity in more articles, then to
    the one mentioned more often in all, then by id (never to the first met: the result
    depends on what the articles mention, not on the order of their mentions)."""
    together: dict[str, Counter[str]] = defaultdict(Counter)
    df, total = Counter[str](), Counter[str]()
    for article in articles:
        counts = mentioned[article.slug]
        df.update(counts.keys())
        total.update(counts)
        for entity_id in counts:
            together[entity_id].update(counts.keys())
    result = {}
    for entity_id, counter in together.items():
        del counter[entity_id]
        result[entity_id] = tuple(heapq.nsmallest(COOCCURRING_LIMIT, counter.items(),
                                                  key=lambda kv: (-kv[1], -df[kv[0]], -total[kv[0]], kv[0])))
    return result


def rank_related(articles: tuple[Article, ...], mentioned: Mapping[str, Collection[str]]
                 ) -> dict[str, tuple[Related, ...]]:
    """For each article, the others sharing the most entities, each weighted by its rarity (idf);
    very common entities offer only their newest articles (see RelatedRanker)."""
    return related_objects(articles, RelatedRanker(articles, mentioned).rank(0, len(articles)))


Ranked = tuple[tuple[int, float, tuple[str, ...]], ...]
"""An article's related articles: (index of the other article, score, shared entity ids)."""


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

    def __init__(self, articles: tuple[Article, ...], mentioned: Mapping[str, Collection[str]]) -> None:
        self.articles, self.mentioned, self.cap = articles, mentioned, CANDIDATE_CAP
        self.entity_ids = sorted({e for c in mentioned.values() for e in c})
        self.number = {e: k for k, e in enumerate(self.entity_ids)}
        members: list[list[int]] = [[] for _ in self.entity_ids]
        for i, article in enumerate(articles):
            for entity_id in mentioned[article.slug]:
                members[self.number[entity_id]].append(i)
        self.postings = [np.array(m, dtype=np.intp) for m in members]
        """entity number -> the articles mentioning it, ascending (newest first)."""
        self.df = np.array([len(m) for m in members], dtype=np.intp)
        self.idf = np.log((len(articles) + 1) / self.df) if len(self.df) else np.zeros(0)
        by_rarity = sorted(range(len(members)), key=lambda k: (len(members[k]), self.entity_ids[k]))
        self.rarity = [0] * len(members)
        """entity number -> its place, the rarest first (then by id): the order of shared lists."""
        for place, k in enumerate(by_rarity):
            self.rarity[k] = place
        self.codes, self.bit = self._membership([k for k in reversed(by_rarity) if len(members[k]) > self.cap])
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
        return [self._rank_one(i) for i in range(start, stop)]

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

    def _rank_one(self, i: int) -> Ranked:
        """The related articles of articles[i]: the best candidates, and of those tied with the last, the earliest."""
        rare, common = self._entities(i)
        cands, where = self._candidates(rare, common)
        scores = self._scores(rare, common, cands, where)
        scores[cands == i] = 0.0
        top = np.flatnonzero(scores > max(_floor(scores), 0.0))
        if len(top) > RELATED_LIMIT:
            rounded = np.round(scores[top], 9)
            last = -np.partition(-rounded, RELATED_LIMIT - 1)[RELATED_LIMIT - 1]
            above, tied = top[rounded > last], top[rounded == last]
            top = np.concatenate([above, tied[np.argsort(cands[tied])][:RELATED_LIMIT - len(above)]])
        best = sorted(((int(cands[t]), float(scores[t])) for t in top), key=lambda kv: (-round(kv[1], 9), kv[0]))
        mine = [self.entity_ids[k] for k in sorted(rare + common, key=self.rarity.__getitem__)]
        return tuple((j, round(score, 4), tuple(e for e in mine if e in self.mentioned[self.articles[j].slug]))
                     for j, score in best)


def _floor(scores: np.ndarray) -> float:
    """Just under the RELATED_LIMIT-th best of a sample of ``scores``, so that every score
    the ranking keeps (or ties with, to 9 decimals) is above it: selecting among
    those few is cheaper than among all."""
    sample = scores[::max(1, len(scores) // 256)]
    if len(sample) < RELATED_LIMIT:
        return 0.0
    return float(np.partition(sample, -RELATED_LIMIT)[-RELATED_LIMIT]) - 2e-9


_BITS = (np.arange(256)[:, None] >> np.arange(8) & 1).astype(np.float64)
"""Row b: the bits of byte b, so that _BITS @ weights gives the score of every byte of codes."""


def related_objects(articles: tuple[Article, ...], ranked: list[Ranked]) -> dict[str, tuple[Related, ...]]:
    """``RelatedRanker.rank``'s results for every article, in order, as Related objects."""
    return {a.slug: tuple(Related(articles[j], score, shared) for j, score, shared in r)
            for a, r in zip(articles, ranked)}
