"""Stage 3, index: the whole site's cross-references, from each article's mentions.

Annotation tells what each article mentions; this inverts it (which articles
mention each entity), counts co-occurrence, and ranks related articles by the
entities they share, rarer entities weighing more (inverse document frequency).
The last two count over pairs, with numpy, in related.py.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any, Generic, NamedTuple, TypeVar

from .model import Annotated, Article, Entity

COOCCURRING_LIMIT = 12
K = TypeVar("K")
V = TypeVar("V")


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


class Made(Mapping[K, V], Generic[K, V]):
    """A mapping whose values are made from plain parts when first asked for (and the parts
    too, when given as a function). A rebuild renders a few pages: it needs a few of the
    150,000 appearances and 50,000 related articles of a 10,000-article site, and making
    them all took a quarter of a second. A value made takes its part's place, so that a
    build that makes them all (a clean one) does not keep both."""

    def __init__(self, parts: dict[K, Any] | Callable[[], dict[K, Any]], make: Callable[[Any], V],
                 some: Callable[[Collection[K]], dict[K, Any]] | None = None) -> None:
        self._given, self._make, self._made, self._some = parts, make, set[K](), some
        self._few: dict[K, Any] = {}
        """The parts, then values, of the keys asked for alone (``prepare``), while the others are not made."""
        self._asked: set[K] = set()

    def prepare(self, keys: Collection[K]) -> None:
        """Make the parts of ``keys`` only, when the parts are given as a function and ``some``
        makes those of a few keys (faster than all): a rebuild that shows a few values. Asking
        for a value of another key then makes all parts, as without."""
        if self._some is not None and "_items" not in self.__dict__:
            self._few, self._asked = self._some(keys), set(keys)

    @functools.cached_property
    def _items(self) -> dict[K, Any]:
        """Each key's part, or its value once made (the dict given is taken over)."""
        items = self._given() if callable(self._given) else self._given
        del self._given
        self._made -= self._asked  # made from parts of their own: made again from these
        return items

    def __getitem__(self, key: K) -> V:
        if key in self._asked and "_items" not in self.__dict__:
            if key not in self._made:
                self._few[key] = self._make(self._few[key])  # (a key without a part: KeyError, as below)
                self._made.add(key)
            return self._few[key]  # type: ignore[no-any-return]
        item = self._items[key]
        if key in self._made:
            return item  # type: ignore[no-any-return]
        made = self._items[key] = self._make(item)
        self._made.add(key)
        return made

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


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
    reach: Mapping[str, int]
    """entity id -> how many articles mention it."""
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


Links = tuple[Mapping[str, tuple[Related, ...]], dict[str, tuple[tuple[str, int], ...]]]
"""(related articles, co-occurring entities): see link_articles."""
Linker = Callable[[tuple[Article, ...], Mapping[str, "Mentioned"]], Links]


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
                link: Linker | None = None, reach: Mapping[str, int] | None = None) -> SiteIndex:
    """Cross-reference ``articles`` (by slug in ``mentions``, see ``mentioned``) with ``entities``.

    ``resolve`` turns an author or publication name into an entity id, if any.
    ``link`` stands in for ``link_articles`` (the pipeline passes one that
    remembers its earlier results); ``reach``, if given, is what counting would give.
    """
    ordered = tuple(sorted(articles, key=newest_first))

    def appearances() -> dict[str, list[Any]]:
        """entity id -> article, mention, article, mention... (a flat list: half the time of a tuple each)."""
        found: dict[str, list[Any]] = defaultdict(list)
        for article in ordered:
            for mention in mentions[article.slug]:
                listed = found[mention[0]]
                listed.append(article)
                listed.append(mention)
        return dict(found)  # not a defaultdict: an entity no article mentions has no appearances

    def appearances_of(wanted: Collection[str]) -> dict[str, list[Any]]:
        """``appearances()`` of the ``wanted`` entities only (a fourth of the time)."""
        wanted = set(wanted)
        found: dict[str, list[Any]] = defaultdict(list)
        for article in ordered:
            for mention in mentions[article.slug]:
                if mention[0] in wanted:
                    listed = found[mention[0]]
                    listed.append(article)
                    listed.append(mention)
        return dict(found)

    bylines: dict[str, dict[str, str]] = {}
    credits: dict[str, list[tuple[Article, str]]] = defaultdict(list)
    for article in ordered:
        for role in ("author", "publication"):
            credited = resolve(name) if (name := getattr(article, role)) else None
            if credited is not None:
                bylines.setdefault(article.slug, {})[role] = credited
                credits[credited].append((article, role))
    related, cooccurring = (link or link_articles)(ordered, mentions)
    return SiteIndex(
        articles=ordered,
        credits={e: tuple(c) for e, c in credits.items()},
        bylines=bylines,
        entities={e.id: e for e in entities},
        mention_counts=Made({a.slug: mentions[a.slug] for a in ordered}, lambda m: tuple((e, n) for e, n, _ in m)),
        appearances=Made(appearances, lambda found: tuple(Appearance(a, m[1], m[2]) for a, m in
                                                          zip(found[::2], found[1::2])), appearances_of),
        reach=reach if reach is not None else Counter(map(itemgetter(0), chain.from_iterable(mentions[a.slug] for a in ordered))),
        cooccurring=cooccurring,
        related=related,
    )


def link_articles(articles: tuple[Article, ...], mentions: Mapping[str, Mentioned]) -> Links:
    """Related articles and co-occurring entities: the part of the index that depends only
    on the order of the articles and on which entities each one mentions, how often."""
    # numpy: imported only when there is ranking to do
    from .related import cooccurrence, rank_related

    mentioned = counts(articles, mentions)
    return rank_related(articles, mentioned), cooccurrence(articles, mentioned)


def counts(articles: tuple[Article, ...], mentions: Mapping[str, Mentioned]) -> dict[str, dict[str, int]]:
    """article slug -> {entity id: mentions}: what ranking and co-occurrence count with."""
    return {a.slug: counted(mentions[a.slug]) for a in articles}


def counted(found: Mentioned) -> dict[str, int]:
    """{entity id: mentions} of one document's ``mentioned``."""
    return dict(map(_ENTITY_AND_COUNT, found))  # map: 1.5x a comprehension's speed


_ENTITY_AND_COUNT = itemgetter(0, 1)


Ranked = tuple[tuple[int, float, tuple[str, ...]], ...]
"""An article's related articles: (index of the other article, score, shared entity ids)."""


class Then(NamedTuple):
    """Of a ranking, what a later one needs to keep its results (see ``RelatedRanker.kept``):
    here, not beside it, so that unpickling a ranking kept with it does not import numpy."""

    articles: int
    """How many articles there were."""
    df: dict[str, int]
    """How many articles mentioned each entity."""


def related_objects(articles: tuple[Article, ...], ranked: list[Ranked]) -> Mapping[str, tuple[Related, ...]]:
    """``RelatedRanker.rank``'s results for every article, in order, as Related objects (made when asked for)."""
    return Made({a.slug: r for a, r in zip(articles, ranked)},
                lambda r: tuple(Related(articles[j], score, shared) for j, score, shared in r))
