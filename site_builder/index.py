"""Stage 3, index: the whole site's cross-references, from each article's mentions.

Annotation tells what each article mentions; this inverts it (which articles
mention each entity), counts co-occurrence, and ranks related articles by the
entities they share, rarer entities weighing more (inverse document frequency).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .model import Annotated, Article, Entity

RELATED_LIMIT = 5
COOCCURRING_LIMIT = 12
COMMON = 200
"""Entities in more articles than this are too common to walk for related articles."""


@dataclass(frozen=True)
class Appearance:
    """One article that mentions an entity."""

    article: Article
    count: int
    """How many times the article mentions the entity."""
    sentence: str
    """The sentence of the first mention."""


@dataclass(frozen=True)
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
    the entity mentioned more often in those articles."""
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


def build_index(articles: list[Article], entities: list[Entity], annotated: Mapping[str, Annotated],
                resolve: Callable[[str], str | None] = lambda name: None) -> SiteIndex:
    """Cross-reference ``articles`` (by slug in ``annotated``) with ``entities``.

    ``resolve`` turns an author or publication name into an entity id, if any.
    """
    ordered = tuple(sorted(articles, key=newest_first))
    counts: dict[str, Counter[str]] = {a.slug: Counter(m.entity_id for m in annotated[a.slug].mentions)
                                       for a in ordered}
    appearances: dict[str, list[Appearance]] = defaultdict(list)
    together: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    """entity -> other entity -> [articles mentioning both, mentions of the other in them]"""
    for article in ordered:
        first: dict[str, str] = {}
        for m in annotated[article.slug].mentions:
            first.setdefault(m.entity_id, m.sentence)
        mentioned = counts[article.slug]
        for entity_id, n in mentioned.items():
            appearances[entity_id].append(Appearance(article, n, first[entity_id]))
            for other, n_other in mentioned.items():
                if other != entity_id:
                    together[entity_id][other][0] += 1
                    together[entity_id][other][1] += n_other
    bylines: dict[str, dict[str, str]] = {}
    credits: dict[str, list[tuple[Article, str]]] = defaultdict(list)
    for article in ordered:
        for role in ("author", "publication"):
            credited = resolve(getattr(article, role)) if getattr(article, role) else None
            if credited is not None:
                bylines.setdefault(article.slug, {})[role] = credited
                credits[credited].append((article, role))
    return SiteIndex(
        articles=ordered,
        credits={e: tuple(c) for e, c in credits.items()},
        bylines=bylines,
        entities={e.id: e for e in entities},
        mention_counts={slug: tuple(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for slug, c in counts.items()},
        appearances={e: tuple(a) for e, a in appearances.items()},
        cooccurring={e: tuple((o, n[0]) for o, n in sorted(c.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
                                                  [:COOCCURRING_LIMIT])
                     for e, c in together.items()},
        related=_related(ordered, counts),
    )


def _related(articles: tuple[Article, ...], counts: Mapping[str, Counter[str]]) -> dict[str, tuple[Related, ...]]:
    """For each article, the others sharing the most (rarity-weighted) entities.

    Never quadratic: walking the postings of an entity in most articles would
    be. Entities in more than COMMON articles only add their (small) weight to
    candidates found through rarer ones, when they could change the ranking;
    an article sharing nothing rare is compared with the newest COMMON
    articles of its rarest entity.
    """
    postings: dict[str, list[int]] = defaultdict(list)
    for i, article in enumerate(articles):
        for entity_id in counts[article.slug]:
            postings[entity_id].append(i)
    total = len(articles)
    idf = {e: math.log((total + 1) / len(p)) for e, p in postings.items()}
    result: dict[str, tuple[Related, ...]] = {}
    for i, article in enumerate(articles):
        mine = sorted(counts[article.slug], key=lambda e: (len(postings[e]), e))
        rare = [e for e in mine if len(postings[e]) <= COMMON]
        common = [e for e in mine if len(postings[e]) > COMMON]
        scores: dict[int, float] = defaultdict(float)
        for entity_id in rare:
            for j in postings[entity_id]:
                scores[j] += idf[entity_id]
        if len(scores) <= RELATED_LIMIT and common:
            for j in postings[common[0]][:COMMON]:
                scores[j] += 0.0
        scores.pop(i, None)
        bonus = sum(idf[e] for e in common)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        floor = ranked[RELATED_LIMIT - 1][1] if len(ranked) >= RELATED_LIMIT else 0.0
        exact = []
        for j, partial in ranked:
            if partial + bonus < floor:
                break
            theirs = counts[articles[j].slug]
            exact.append((j, partial + sum(idf[e] for e in common if e in theirs)))
        best = sorted(exact, key=lambda kv: (-kv[1], kv[0]))[:RELATED_LIMIT]
        result[article.slug] = tuple(
            Related(articles[j], round(score, 4),
                    tuple(e for e in mine if e in counts[articles[j].slug]))
            for j, score in best)
    return result
