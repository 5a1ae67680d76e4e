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
COMMON = 200
DENSE = 50
"""Entities in more than COMMON articles and in more than 1 in DENSE articles are
scored as dense vectors (see rank_related)."""


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
Linker = Callable[[tuple[Article, ...], Mapping[str, Collection[str]]], Links]


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
    related, cooccurring = (link or link_articles)(ordered, {a.slug: [e for e, _, _ in mentions[a.slug]]
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


def link_articles(articles: tuple[Article, ...], mentioned: Mapping[str, Collection[str]]) -> Links:
    """Related articles and co-occurring entities: the part of the index that depends
    only on the order of the articles and on which entities each one mentions."""
    return rank_related(articles, mentioned), cooccurrence(articles, mentioned)


def cooccurrence(articles: tuple[Article, ...], mentioned: Mapping[str, Collection[str]]
                 ) -> dict[str, tuple[tuple[str, int], ...]]:
    """entity id -> the entities sharing the most articles with it; ties go to the
    entity in more articles, then by id."""
    together: dict[str, Counter[str]] = defaultdict(Counter)
    df = Counter[str]()
    for article in articles:
        ids = tuple(mentioned[article.slug])
        df.update(ids)
        for entity_id in ids:
            together[entity_id].update(ids)
    result = {}
    for entity_id, counter in together.items():
        del counter[entity_id]
        best = heapq.nlargest(COOCCURRING_LIMIT, counter.items(), key=lambda kv: (kv[1], df[kv[0]]))
        result[entity_id] = tuple(sorted(best, key=lambda kv: (-kv[1], -df[kv[0]], kv[0])))
    return result


def rank_related(articles: tuple[Article, ...], mentioned: Mapping[str, Collection[str]]
                 ) -> dict[str, tuple[Related, ...]]:
    """For each article, the others sharing the most entities, each weighted by its rarity (idf)."""
    return related_objects(articles, RelatedRanker(articles, mentioned).rank(0, len(articles)))


Ranked = tuple[tuple[int, float, tuple[str, ...]], ...]
"""An article's related articles: (index of the other article, score, shared entity ids)."""


class RelatedRanker:
    """What rank_related needs, prepared once, so that worker processes can each rank a
    slice of the articles (``rank``) and hand back plain data (``related_objects`` makes the objects).

    Exact, and vectorised: an article's scores against all others are one
    bincount over the postings of its rarer entities plus one dense vector
    per very common entity (in more than 1 in DENSE articles), so an entity
    that most articles mention costs a vector add, not a quadratic walk.
    """

    def __init__(self, articles: tuple[Article, ...], mentioned: Mapping[str, Collection[str]]) -> None:
        self.articles, self.mentioned = articles, mentioned
        total = len(articles)
        self.entity_ids = sorted({e for c in mentioned.values() for e in c})
        self.number = {e: k for k, e in enumerate(self.entity_ids)}
        members: list[list[int]] = [[] for _ in self.entity_ids]
        for i, article in enumerate(articles):
            for entity_id in mentioned[article.slug]:
                members[self.number[entity_id]].append(i)
        self.postings = [np.array(m, dtype=np.intp) for m in members]
        self.df = np.array([len(m) for m in members], dtype=np.float64)
        self.idf = np.log((total + 1) / self.df) if len(self.df) else self.df
        dense_from = max(COMMON, total // DENSE)
        self.dense: dict[int, np.ndarray] = {}
        for k, p in enumerate(self.postings):
            if len(p) > dense_from:
                self.dense[k] = np.zeros(total)
                self.dense[k][p] = self.idf[k]

    def rank(self, start: int, stop: int) -> list[Ranked]:
        """The related articles of articles[start:stop]."""
        articles, mentioned, df, idf, dense = self.articles, self.mentioned, self.df, self.idf, self.dense
        entity_ids, total = self.entity_ids, len(articles)
        result: list[Ranked] = []
        for i in range(start, stop):
            mine = sorted((self.number[e] for e in mentioned[articles[i].slug]), key=lambda k: (df[k], entity_ids[k]))
            sparse = [k for k in mine if k not in dense]
            scores: np.ndarray
            if sparse:
                scores = np.bincount(np.concatenate([self.postings[k] for k in sparse]), minlength=total,
                                     weights=np.repeat(idf[sparse], df[sparse].astype(np.intp)))
            else:
                scores = np.zeros(total)
            for k in mine:
                if k in dense:
                    scores += dense[k]
            scores[i] = 0.0
            top = np.flatnonzero(scores > 0)
            if len(top) > RELATED_LIMIT:  # the best, and of those tied with the last, the earliest
                rounded = np.round(scores[top], 9)
                last = -np.partition(-rounded, RELATED_LIMIT - 1)[RELATED_LIMIT - 1]
                above = top[rounded > last]
                top = np.concatenate([above, top[rounded == last][:RELATED_LIMIT - len(above)]])
            best = sorted(((int(j), float(scores[j])) for j in top), key=lambda kv: (-round(kv[1], 9), kv[0]))
            result.append(tuple((j, round(score, 4),
                                 tuple(entity_ids[k] for k in mine if entity_ids[k] in mentioned[articles[j].slug]))
                                for j, score in best))
        return result


def related_objects(articles: tuple[Article, ...], ranked: list[Ranked]) -> dict[str, tuple[Related, ...]]:
    """``RelatedRanker.rank``'s results for every article, in order, as Related objects."""
    return {a.slug: tuple(Related(articles[j], score, shared) for j, score, shared in r)
            for a, r in zip(articles, ranked)}
