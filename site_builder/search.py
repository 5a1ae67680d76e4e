"""The search index: script files a page loads on first use, so that search works from file://.

Articles are dealt into blocks by a hash of their slug, so that an edit changes one block and
adding an article renumbers nobody else. A block is indexed on its own (by a worker, and kept
in the cache); the files are then only joined. Files under ``search/``, each a call to
``siteSearch.add(name, data)``:

- ``index.js``: the number of blocks, which terms files exist, and each block's common words;
- ``entities.js``: every entity's id, name, aliases, type and article count;
- ``titles.js``: per block, each article's title, address and date (loaded when the box is
  focused, with the two above, so that results show without waiting for more files);
- ``excerpts-<b>-<k>.js``: the opening words of the articles of block ``b`` from place ``10 k``
  (enough for a snippet around a match in the first paragraphs);
- ``terms-<xy>.js`` (or ``terms-<xyz>.js``, where the words starting with ``xy`` are too many
  for one file): for those words, one object per block: the articles (by place in their block)
  using each word, and how. A query loads one terms file per word, never the whole index.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import repeat
from typing import NamedTuple

from .model import Entity, Page

BLOCK = 500
"""About this many articles a block: an edit re-indexes one block."""
COMMON_FLOOR = 50
"""A word is left out of a block when more than half its articles, and more than this many, use it."""
EXCERPT = 1000
"""Characters of an article's opening kept for its snippets."""
EXCERPTS_PER_FILE = 40
"""A query shows eight articles: it loads at most eight files of excerpts, of 40 KB at most.
search.js has the same number. Each file of the site costs a build more to create than to
write: 10 a file made 1,000 files at 10,000 articles, 40 makes 256."""
SPLIT = 256 * 1024
"""Words starting with the same two characters go in one terms file, or in one per three
characters when they would make a larger file than this (a script takes longer to load).
At 10,000 articles: 843 files (64 KB made 2,050)."""
_BLOCK_TAGS = re.compile(r"</?(?:p|div|h[1-6]|li|ul|ol|dl|dt|dd|blockquote|pre|table|tr|td|th|br|hr|figure"
                         r"|details|summary)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+")
_LATIN1_WORDS = bytes(c if chr(c).isalnum() or chr(c) == "_" else ord(" ") for c in range(256))
"""A bytes.translate table: Latin-1 word characters kept, the others made spaces."""
_MARKS = re.compile(r"[\u0300-\u036f]")
_drain: Callable[[Iterable[object]], None] = deque[object](maxlen=0).extend
"""Runs an iterator to its end, keeping nothing."""
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&#x27;": "'"}


class Row(NamedTuple):
    """What the index holds of one article."""

    title: str
    slug: str
    date: str
    counts: str
    """``words``' compact word counts."""
    excerpt: str


class Block(NamedTuple):
    """One block's part of the index, as JSON text ready to be joined."""

    titles: str
    excerpts: list[str]
    """Each file's worth of excerpts."""
    terms: dict[str, str]
    """The block's words and postings by their first three characters, as the inside of a JSON object."""
    common: list[str]
    uses: dict[str, int]
    """How many articles use each common word (its postings are left out): what tells
    ``patch_block`` when one is common no more."""


def fold(text: str) -> str:
    """Lower case without accents: what the index and the queries compare (search.js folds alike)."""
    if text.isascii():
        return text.lower()
    return _MARKS.sub("", unicodedata.normalize("NFKD", text.casefold()))


def plain_text(html: str) -> str:
    """The text of some HTML, its runs of white space not yet joined."""
    text = _TAG.sub("", _BLOCK_TAGS.sub(" ", html))  # words split at blocks, not at links
    if "&" in text:
        for entity, char in _ENTITIES.items():
            text = text.replace(entity, char)
    return text


def words(html: str) -> tuple[str, str]:
    """A document's words (folded), as one compact string: those used once, then '|', then those
    used more often (a dict of counts per article would cost a quarter of a gigabyte at 10,000
    articles, and its making a third of the time); and its opening words, from its HTML."""
    text = plain_text(html)
    counted = Counter(_words(fold(text)))
    once = " ".join([word for word, n in counted.items() if n == 1])
    return f"{once}|{' '.join([word for word, n in counted.items() if n > 1])}", _opening(text)


def _opening(text: str) -> str:
    """The first EXCERPT characters of ``text`` (of its first 4 EXCERPT) with its white space
    joined. Joining the start of a text gives the start of joining it all, so the first
    1.25 EXCERPT characters are nearly always enough, and splitting them is a third of the work."""
    for size in (EXCERPT + EXCERPT // 4, EXCERPT * 4):
        joined = " ".join(text[:size].split())
        if len(joined) >= EXCERPT:
            break
    return joined[:EXCERPT]


def _words(folded: str) -> list[str]:
    """``_WORD.findall(folded)``, twice as fast for text in Latin-1 (nearly all, once folded):
    one byte table and a split."""
    try:
        raw = folded.encode("latin-1")
    except UnicodeEncodeError:
        return _WORD.findall(folded)
    return raw.translate(_LATIN1_WORDS).decode("latin-1").split()


def shard_of(word: str, length: int = 2) -> str:
    """The terms file a folded word is in: its first two (or three) characters, when they are
    ASCII letters or digits ('_' stands for anything else, and for a shorter word's end)."""
    return "".join(c if c.isascii() and c.isalnum() else "_" for c in (word + "___")[:length])


def block_count(articles: int) -> int:
    """A power of two, so that a growing site seldom deals its articles again."""
    blocks = 1
    while blocks * BLOCK < articles:
        blocks *= 2
    return blocks


def block_of(slug: str, blocks: int) -> int:
    return int.from_bytes(hashlib.blake2b(slug.encode(), digest_size=4).digest(), "big") % blocks


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def index_block(rows: Sequence[Row]) -> Block:
    """Index one block's articles (in the order given, which the files keep). A posting is
    ``3 * place + weight``: weight 0 for a word used once, 1 for more often, 2 in the title."""
    postings: defaultdict[str, list[str]] = defaultdict(list)
    add = postings.__getitem__  # a new word's list is made by the defaultdict
    for number, row in enumerate(rows):
        once, several = row.counts.split("|")
        for words_, weight in ((once, 0), (several, 1)):
            # each word's list gets the posting, the loop run by map (a Python loop took 4x longer)
            _drain(map(list.append, map(add, words_.split()), repeat(str(3 * number + weight))))
        titled = str(3 * number + 2)
        for word in set(_WORD.findall(fold(row.title))):
            found = postings[word]
            if found and int(found[-1]) // 3 == number:
                found[-1] = titled
            else:
                found.append(titled)
    # Words in most articles ("the", "said") find nothing and weigh a third of the index: left
    # out, and listed, so that a query skips them.
    floor = max(COMMON_FLOOR, len(rows) // 2)
    common = sorted(w for w, p in postings.items() if len(p) > floor)
    uses = {w: len(postings[w]) for w in common}
    shards: dict[str, list[str]] = {}
    names: dict[str, str] = {}  # a word's first three characters -> its shard (a tenth of the time, uncached)
    for word in sorted(postings.keys() - set(common)):  # \w+ words need no escaping in JSON
        name = names.get(word[:3])
        if name is None:
            name = names[word[:3]] = shard_of(word, 3)
        shards.setdefault(name, []).append(f'"{word}":[{",".join(postings[word])}]')
    excerpts = [_json([row.excerpt for row in rows[k:k + EXCERPTS_PER_FILE]])
                for k in range(0, len(rows), EXCERPTS_PER_FILE)]
    return Block(_json([[row.title, row.slug, row.date] for row in rows]), excerpts,
                 {name: ",".join(terms) for name, terms in shards.items()}, common, uses)


def patch_block(block: Block, size: int, edits: Mapping[int, tuple[Row, Row]]) -> Block | None:
    """``index_block`` of a block's ``size`` rows after some changed their words and opening
    (place -> the row as ``block`` indexed it, and now; the same title), made from ``block``:
    only the words an edited article gained, lost or uses otherwise are indexed again (a block
    of 300 articles took 50-80 ms to index whole). None if a common word is used by too few
    articles now to be common: its postings were left out."""
    floor = max(COMMON_FLOOR, size // 2)
    moved: dict[str, list[tuple[str | None, str | None]]] = {}  # word -> its postings that changed, then and now
    for place, (was, row) in edits.items():
        if was.title != row.title:
            return None
        before, after = _codes(was, place), _codes(row, place)
        for word in before.keys() | after.keys():
            if before.get(word) != after.get(word):
                moved.setdefault(word, []).append((before.get(word), after.get(word)))
    uses, terms = dict(block.uses), dict(block.terms)
    groups: dict[str, dict[str, list[str]]] = {}  # the shards changed, parsed
    for word, changes in sorted(moved.items()):
        if word in uses:
            uses[word] += sum((now is not None) - (then is not None) for then, now in changes)
            if uses[word] <= floor:
                return None
            continue
        name = shard_of(word, 3)
        if name not in groups:
            groups[name] = _postings(terms.get(name, ""))
        codes = groups[name].setdefault(word, [])
        for then, now in changes:
            if then is not None:
                if then not in codes:  # not the block of those rows
                    return None
                codes.remove(then)
            if now is not None:
                codes.insert(bisect.bisect([int(c) for c in codes], int(now)), now)
        if len(codes) > floor:
            uses[word] = len(codes)
        if len(codes) > floor or not codes:
            del groups[name][word]
    for name, found in groups.items():
        if found:
            terms[name] = ",".join(f'"{w}":[{",".join(found[w])}]' for w in sorted(found))
        else:
            terms.pop(name, None)
    if terms.keys() != block.terms.keys():  # in the order index_block makes: by each shard's first word
        terms = dict(sorted(terms.items(), key=lambda item: item[1][1:item[1].index('"', 1)]))
    excerpts = [*block.excerpts]
    for k in {place // EXCERPTS_PER_FILE for place, (was, row) in edits.items() if was.excerpt != row.excerpt}:
        listed = json.loads(excerpts[k])
        for place in range(k * EXCERPTS_PER_FILE, min(size, (k + 1) * EXCERPTS_PER_FILE)):
            if place in edits:
                listed[place - k * EXCERPTS_PER_FILE] = edits[place][1].excerpt
        excerpts[k] = _json(listed)
    return Block(block.titles, excerpts, terms, sorted(uses) if uses.keys() != block.uses.keys() else block.common, uses)


def _codes(row: Row, place: int) -> dict[str, str]:
    """Each word of the article at ``place`` with its posting (see ``index_block``)."""
    once, several = row.counts.split("|")
    codes = dict.fromkeys(once.split(), str(3 * place))
    codes.update(dict.fromkeys(several.split(), str(3 * place + 1)))
    codes.update(dict.fromkeys(_WORD.findall(fold(row.title)), str(3 * place + 2)))
    return codes


def _postings(terms: str) -> dict[str, list[str]]:
    """The words and postings of a block's shard (``Block.terms``); words are \\w+, postings numbers."""
    found: dict[str, list[str]] = {}
    if terms:
        for entry in terms[1:-1].split('],"'):
            word, _, codes = entry.partition('":[')
            found[word] = codes.split(",")
    return found


def entity_rows(entities: Iterable[Entity], counts: Mapping[str, int]) -> list[list[object]]:
    """What ``entities.js`` lists of each entity (most mentioned first); ``counts`` is how many
    articles mention each."""
    return [[e.id, e.name, list(e.aliases), e.type, counts.get(e.id, 0)]
            for e in sorted(entities, key=lambda e: (-counts.get(e.id, 0), e.name))]


class Layout(NamedTuple):
    """What a build keeps of the search files it made, so that the next can make again only the
    parts of the blocks that changed (``update_files``), without reading the other blocks."""

    sizes: dict[str, int]
    """Each three-character group's length, summed over the blocks: what decides the terms files."""
    titles: list[int]
    """Each block's length in ``titles.js``, where it is cut by length (a title holds any character)."""
    common: list[list[str]]
    """Each block's common words."""
    excerpts: list[int]
    """How many files of excerpts each block has."""


def search_files(listed: list[list[object]], blocks: Sequence[Block]) -> tuple[list[Page], Layout]:
    """The search files, from the entities' rows (``entity_rows``) and each block's index."""
    sizes: Counter[str] = Counter()
    for block in blocks:
        sizes.update(_lengths(block))
    files, common = _terms_files(sizes), [block.common for block in blocks]
    pages = [_script("entities", _json(listed)),
             _titles([block.titles for block in blocks]),
             *(_script(f"excerpts-{b}-{k}", part) for b, block in enumerate(blocks) for k, part in enumerate(block.excerpts)),
             *(_terms(name, [_part(block, groups) for block in blocks]) for name, groups in files.items()),
             _index(files, common)]
    return pages, Layout(dict(sizes), [len(block.titles) for block in blocks], common,
                         [len(block.excerpts) for block in blocks])


def update_files(listed: list[list[object]] | None, last: Layout, changed: Mapping[int, tuple[Block, Block]],
                 read: Callable[[str], bytes | None]) -> tuple[list[Page], list[str], Layout] | None:
    """The search files when only the ``changed`` blocks (number -> the block as last indexed, and
    now) differ from the last build's, whose ``read`` gives its files by path: the files made
    (a changed terms or titles file is the last one with the changed blocks' parts put in), the
    paths of those that cannot have changed, and the new layout. ``listed`` None: the entities
    listed are the last build's. None when the unchanged blocks'
    words are grouped in terms files otherwise than before, or a file read is not as expected:
    then make them all."""
    sizes = Counter(last.sizes)
    for old, new in changed.values():
        sizes.subtract(_lengths(old))
        sizes.update(_lengths(new))
    sizes = +sizes  # groups no block has any more left out
    files, before = _terms_files(sizes), _terms_files(last.sizes)
    dirty = {g for old, new in changed.values() for g in old.terms.keys() | new.terms.keys()
             if old.terms.get(g) != new.terms.get(g)}
    blocks, count = {b: new for b, (_, new) in changed.items()}, len(last.titles)
    made, kept = ([], ["search/entities.js"]) if listed is None else ([_script("entities", _json(listed))], [])
    both = last.sizes.keys() & sizes.keys()  # the groups an unchanged block can have
    for name, groups in files.items():
        was = before.get(name, [])
        if both.intersection(was) != both.intersection(groups):  # a prefix split into files, or joined again
            return None
        path = f"search/terms-{name}.js"
        if dirty.isdisjoint(groups) and dirty.isdisjoint(was):
            kept.append(path)
            continue
        parts = _cut_terms(read(path), name, count) if was else [""] * count  # a new file: changed blocks only
        if parts is None:
            return None
        for b, block in blocks.items():
            parts[b] = _part(block, groups)
        made.append(_terms(name, parts))
    if all(old.titles == new.titles for old, new in changed.values()):
        kept.append("search/titles.js")
    else:
        titles = _cut_titles(read("search/titles.js"), last.titles)
        if titles is None:
            return None
        for b, block in blocks.items():
            titles[b] = block.titles
        made.append(_titles(titles))
    for b, excerpts in enumerate(last.excerpts):
        if b in blocks:
            made += (_script(f"excerpts-{b}-{k}", part) for k, part in enumerate(blocks[b].excerpts))
        else:
            kept += (f"search/excerpts-{b}-{k}.js" for k in range(excerpts))
    layout = Layout(dict(sizes), [*last.titles], [*last.common], [*last.excerpts])
    for b, block in blocks.items():
        layout.titles[b], layout.common[b], layout.excerpts[b] = len(block.titles), block.common, len(block.excerpts)
    made.append(_index(files, layout.common))
    return made, kept, layout


def _script(name: str, body: str) -> Page:
    return Page(f"search/{name}.js", f"siteSearch.add({_json(name)},{body});\n".encode())


def _lengths(block: Block) -> dict[str, int]:
    return {name: len(terms) for name, terms in block.terms.items()}


def _terms_files(sizes: Mapping[str, int]) -> dict[str, list[str]]:
    """Each terms file's name and the three-character groups in it, from the groups' sizes."""
    prefixes: Counter[str] = Counter()
    for name, size in sizes.items():
        prefixes[name[:2]] += size
    files: dict[str, list[str]] = {}
    for name in sorted(sizes):
        files.setdefault(name if prefixes[name[:2]] > SPLIT else name[:2], []).append(name)
    return files


def _part(block: Block, groups: list[str]) -> str:
    """A block's part of a terms file: the inside of a JSON object."""
    return ",".join(block.terms[g] for g in groups if g in block.terms)


def _terms(name: str, parts: list[str]) -> Page:
    return _script(f"terms-{name}", "[{" + "},{".join(parts) + "}]")


def _titles(parts: list[str]) -> Page:
    return _script("titles", "[" + ",".join(parts) + "]")


def _index(files: Mapping[str, list[str]], common: list[list[str]]) -> Page:
    return _script("index", _json({"blocks": len(common), "shards": sorted(files), "common": common}))


def _cut_terms(data: bytes | None, name: str, blocks: int) -> list[str] | None:
    """The blocks' parts of a terms file (None if it is not one of ``blocks`` parts). A part
    holds words (``\\w+``) and numbers only, so "},{" is found only between parts."""
    body = _body(data, f"terms-{name}")
    if not (body.startswith("[{") and body.endswith("}]")):
        return None
    parts = body[2:-2].split("},{")
    return parts if len(parts) == blocks else None


def _cut_titles(data: bytes | None, lengths: list[int]) -> list[str] | None:
    """The blocks' parts of titles.js, by their lengths (None if the file is not as long as they say)."""
    body = _body(data, "titles")
    if len(body) != 2 + sum(lengths) + len(lengths) - 1:
        return None
    parts, start = [], 1
    for length in lengths:
        parts.append(body[start:start + length])
        start += length + 1
    return parts


def _body(data: bytes | None, name: str) -> str:
    """What the script ``name`` adds ("" if ``data`` is not that script)."""
    start, end = f"siteSearch.add({_json(name)},", ");\n"
    try:
        text = data.decode() if data else ""
    except UnicodeDecodeError:
        return ""
    return text[len(start):-len(end)] if text.startswith(start) and text.endswith(end) else ""
