"""The search index: script files a page loads on first use, so that search works from file://.

Files under ``search/``, each a call to ``siteSearch.add(name, data)``:

- ``index.js``: which terms files exist, and the words too common to index;
- ``entities.js``: every entity's id, name, aliases, type and article count;
- ``articles-<k>.js``: titles, addresses, dates and opening words of articles, a thousand a file;
- ``terms-<xy>.js``: for the words starting with ``xy``, the articles using them and how much
  (words in the title count triple). A query loads one terms file per word, never the whole index.
"""

from __future__ import annotations

import json
import re
from array import array
import unicodedata
from collections import Counter
from collections.abc import Mapping

from .index import SiteIndex
from .render import Page

ARTICLES_PER_FILE = 1000
COMMON_FLOOR = 50
"""A word is left out of the index when more than half the articles, and more than this many, use it."""
EXCERPT = 240
_BLOCK = re.compile(r"</?(?:p|div|h[1-6]|li|ul|ol|dl|dt|dd|blockquote|pre|table|tr|td|th|br|hr|figure|details|summary)"
                    r"\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&#x27;": "'"}


_MARKS = re.compile(r"[\u0300-\u036f]")


def fold(text: str) -> str:
    """Lower case without accents: what the index and the queries compare (search.js folds alike)."""
    if text.isascii():
        return text.lower()
    return _MARKS.sub("", unicodedata.normalize("NFKD", text.casefold()))


def plain_text(html: str) -> str:
    text = _TAG.sub("", _BLOCK.sub(" ", html))  # words split at blocks, not at links
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return " ".join(text.split())


def words(html: str) -> tuple[str, str]:
    """A document's word counts (folded), as one compact 'word count word count ...' string
    (a dict per article would cost a quarter of a gigabyte at 10,000 articles), and its
    opening words, from its HTML."""
    text = plain_text(html)
    counted = Counter(_WORD.findall(fold(text)))
    return " ".join(f"{word} {n}" for word, n in counted.items()), text[:EXCERPT]


def shard_of(word: str) -> str:
    """The terms file a folded word is in: its first two characters, when they are ASCII letters
    or digits ('_' stands for anything else)."""
    return "".join(c if c.isascii() and c.isalnum() else "_" for c in (word + "__")[:2])


def search_files(index: SiteIndex, texts: Mapping[str, tuple[str, str]]) -> list[Page]:
    """The search files for the indexed site; ``texts`` is ``words`` of each article, by slug."""
    def script(name: str, data: object) -> Page:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return Page(f"search/{name}.js", f"siteSearch.add({json.dumps(name)},{body});\n".encode())

    counts = {e: len(a) for e, a in index.appearances.items()}
    entities = [[e.id, e.name, list(e.aliases), e.type, counts.get(e.id, 0)]
                for e in sorted(index.entities.values(), key=lambda e: (-counts.get(e.id, 0), e.name))]
    pages = [script("entities", entities)]
    articles = index.articles
    for k in range(0, max(len(articles), 1), ARTICLES_PER_FILE):
        block = [[a.title, a.slug, a.date.isoformat() if a.date else "", texts.get(a.slug, ("", ""))[1]]
                 for a in articles[k:k + ARTICLES_PER_FILE]]
        pages.append(script(f"articles-{k // ARTICLES_PER_FILE}", block))
    postings: dict[str, array[int]] = {}
    for number, article in enumerate(articles):
        counted = texts.get(article.slug, ("", ""))[0].split()
        titled = Counter(_WORD.findall(fold(article.title)))
        for i in range(0, len(counted), 2):
            word, n = counted[i], int(counted[i + 1]) + 3 * titled.pop(counted[i], 0)
            found = postings.get(word)
            if found is None:
                found = postings[word] = array("I")
            found.extend((number, n))
        for word, n in titled.items():  # title words the text does not have
            postings.setdefault(word, array("I")).extend((number, 3 * n))
    # Words in most articles ("the", "said") find nothing and weigh a third of the index: left out,
    # and listed, so that a query skips them.
    common = sorted(w for w, p in postings.items() if len(p) // 2 > max(COMMON_FLOOR, len(articles) // 2))
    shards: dict[str, dict[str, array[int]]] = {}
    for word in sorted(postings.keys() - set(common)):
        shards.setdefault(shard_of(word), {})[word] = postings[word]
    pages += [script(f"terms-{name}", {word: p.tolist() for word, p in terms.items()})
              for name, terms in sorted(shards.items())]
    pages.append(script("index", {"shards": sorted(shards), "articles": len(articles), "common": common}))
    return pages
