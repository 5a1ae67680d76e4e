"""The one orchestrator: load -> annotate -> index -> render -> write.

Only this module sequences the stages, collects their diagnostics, times the
build, runs the worker pool and keeps the cache (``.site-cache/``). The
stages themselves are plain functions over the data model. Everything is read
and checked before anything is written.

A build is incremental by keys, not by flags: each parsed file is remembered
under its stat, each annotation under a digest of its text and of every name
it could match, each page under a digest of exactly the data its template is
given. A page whose key is unchanged is hard-linked from the current site
into the new one instead of being rendered again. What every build reads whole
(files, annotations, page keys) is kept in shards, rewritten only where an
edit touched them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import importlib
import io
import multiprocessing
import os
import pickle
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from . import __version__
from .cache import Cache, CacheCorrupt
from .check import findings
from .config import load_config, theme_dir
from .errors import BuildFailed, ContentError, Diagnostic, SiteError
from .index import (
    Appearance,
    Links,
    Made,
    Mentioned,
    Ranked,
    Related,
    SiteIndex,
    Then,
    build_index,
    counted,
    counts,
    mentioned,
    related_objects,
)
from .load import (
    load_article,
    load_articles,
    load_content,
    load_entities,
    load_entity,
    markdown_files,
    parse_file,
)
from .model import Article, BuildResult, Config, Document, Entity, Page
from .names import NameTable
from .render import (
    ARTICLE,
    PagePlan,
    describing,
    make_environment,
    pages_about,
    pages_of_order,
    plan_site,
    render_page,
    shows_body_once,
    static_files,
)
from .search import (
    Block,
    Layout,
    Row,
    block_count,
    block_of,
    entity_rows,
    index_block,
    patch_block,
    search_files,
    update_files,
    words,
)
from .suggest import Candidate, candidates, draft_entities, rejected_names
from .write import (
    Inputs,
    Staging,
    Stats,
    changed_by,
    check_output,
    copied,
    copy_for_next,
    live_page,
    look,
    staging,
    stamp_warnings,
)

if TYPE_CHECKING:
    from .related import RelatedRanker

T = TypeVar("T")
R = TypeVar("R")
_shared: dict[str, Any] = {}
"""What worker processes need, set before they fork so that nothing is pickled to them."""
CACHE = ".site-cache"
"""The build cache's folder, beside site.toml."""
ARTICLE_LINKS = "../entities/"
"""How an article's entity links start (its page is in articles/); an entity's are relative to entities/."""
_Annotation = tuple[Mentioned, tuple[Diagnostic, ...], str | None, tuple[str, str] | None]
"""What annotating a document hands back: what the index needs of it, its diagnostics, and its
HTML and word counts only if there is no cache to keep them in."""


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def build(root: Path, out: Path | None = None, jobs: int | None = None,
          progress: Callable[[str], None] = lambda stage: None, cache: bool = True,
          release: bool = True, seen: Inputs | None = None, remember: bool = False) -> BuildResult:
    """Build the site of the project in ``root`` into ``out`` (default ``root/public``).

    ``jobs`` worker processes annotate and render (default: one per core;
    1 runs everything in this process). ``progress`` hears what each stage
    is about to do. ``cache=False`` ignores and deletes ``.site-cache/`` and
    renders every page. Raises BuildFailed with every error found; the output
    is then untouched. ``release=False`` keeps what the build worked out in
    memory, for a process about to exit (freeing it takes a quarter of a second
    at 10,000 articles). ``seen``: what ``look`` found of the inputs just before (the
    caller's check that there is anything to build), so that it is not asked again.
    ``remember``: keep what the build read from the cache, for this process's next build
    (a server's), which then reads again only what changed (see ``_loads``); and leave what it
    writes to the cache for ``flush``, so that its pages are told that much sooner.
    """
    flush()
    out = out if out is not None else root / "public"
    store = Cache(root / CACHE)
    with _working(release), contextlib.closing(store), _copying(out), _remembering(remember):
        if not cache:
            store.clear()
        try:
            return _build(root, out, jobs, progress, store, force=not cache, seen=seen)
        except CacheCorrupt as err:
            store.clear()  # never trusted: start again from nothing
            _PENDING[:] = [(c, write) for c, write in _PENDING if c is not store]
            problem = f"the build cache was unreadable ({err}); rebuilt it"
        try:
            result = _build(root, out, jobs, progress, store, force=True)
        except CacheCorrupt as err:  # it cannot even be made (a read-only project?): do without
            store.close()
            store = Cache(None)
            problem = f"cannot keep a build cache in {root / CACHE} ({err}); every page was rendered"
            result = _build(root, out, jobs, progress, store, force=True)
        warning = Diagnostic(root / CACHE, 0, problem, "warning")
        return dataclasses.replace(result, warnings=(warning, *result.warnings))


def _build(root: Path, out: Path, jobs: int | None, progress: Callable[[str], None],
           cache: Cache, force: bool, seen: Inputs | None = None) -> BuildResult:
    started = time.perf_counter()
    stages: dict[str, float] = {}
    clock = [started]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        stages[stage], clock[0] = now - clock[0], now

    config, jobs = _settings(root, jobs)
    check_output(out, root)
    if seen is None or seen.config != config or seen.out != out:
        seen = look(config, out)
    stats, last = seen.stats, seen.last
    stamp: dict[str, Any] = {"fingerprint": seen.fingerprint}
    if not force and (done := seen.unchanged(time.perf_counter() - started)):
        return done
    if not force and last is not None and cache.info("code") == _code():  # else no page is linked: no use for it
        copy_for_next(out)  # made while this build reads, if the last one left no replaced site
    alone: dict[str, tuple[Mentioned, tuple[Diagnostic, ...]]] = {}
    if not force and last is not None and (done := _quick(config, cache, out, stamp, last, stats, progress, alone)):
        lap("annotate edits alone")
        return dataclasses.replace(done, seconds=time.perf_counter() - started, stages=stages)
    inputs = pickle.dumps(stats)  # what the next build compares with (stats is used up)

    found = _analyse(config, cache, jobs, progress, lap, stats, meanwhile=lambda: _prepare(config, cache),
                     annotated=alone)
    errors = [d for d in found.diagnostics if d.level == "error"]
    warnings = tuple(d for d in found.diagnostics if d.level != "error")
    if errors:
        raise BuildFailed(errors, warnings)
    articles, entities, keys, index = found.articles, found.entities, found.keys, found.index

    base = _digest(_code(), repr(config), *_templates(config))
    site = _digest(base, found.site)
    entity_cards = {e.id: found.cards[id(e)] for e in entities}
    last_built, last_pages = _load(cache, "built"), _load(cache, "pages")
    last_cards, last_briefs = last_built.get("entities", {}), last_built.get("briefs", {})
    briefs = {e.id: last_briefs[e.id] if e.id in last_briefs and last_cards.get(e.id) == entity_cards[e.id]
              else _brief(e) for e in entities}  # an unchanged card has the same brief card (3,000 made: 0.05 s)
    described = (last_built["described"] if last_built.get("base") == base
                 else _shared.pop("describing", None) or describing(config))
    live = last is not None and not force and last_built.get("build") == last.get("build")
    stamp["warnings"] = [[str(d.path), d.line, d.message] for d in warnings]
    stale: _Stale | None = None  # None: any page's data can have changed
    if live and (last_built.get("site") == site or (found.moved is not None and last_built.get("base") == base)):
        moved = found.moved or _Moved(set(), set(), set())
        stale = _Stale({i for i, card in briefs.items() if last_briefs.get(i) != card},
                       {i for i, card in entity_cards.items() if last_cards.get(i) != card},
                       pages_about(index, config, moved.articles, moved.entities, moved.reach)
                       | pages_of_order(index, config, moved.added))
    few = stale is not None and found.read + len(stale.paths) + sum(
        not _fresh(stale, shown) for *_, shown in (last_pages.values() if stale.described else ())) < FEW_PAGES
    render_jobs = 1 if few else jobs  # a few pages to render: starting workers would cost more

    def made() -> None:  # many pages' data to make: the index's lazy parts are made once, for all workers
        for lazy in (index.appearances, index.related, index.mention_counts):
            for key in lazy:
                lazy[key]

    ready = _Once(made if render_jobs > 1 else lambda: None)
    with staging(out, stamp, background=True, reuse=live) as staged:
        search = _search(found, cache, jobs, staged, last_built.get("search") if live else None, ready,
                         last_built.get("texts"))
        lap("search")
        ready()
        plans, static = plan_site(index, config), static_files(config)
        if stale is not None and isinstance(index.appearances, Made):  # a rebuild: few entities' pages to make
            index.appearances.prepare({*stale.shown, *stale.described, *(
                path[len("entities/"):].rpartition(".")[0] for path in stale.paths if path.startswith("entities/"))})
        parts = render_jobs * RENDER_SHARES if render_jobs > 1 else 1
        _shared.update(config=config, plans=plans, parts=parts, base=base, cards=found.cards, described=described,
                       briefs={id(e): briefs[e.id] for e in entities},
                       old=last_pages if live else {}, stale=stale, html=found.html, staged=staged,
                       bodies={**{("articles", a.slug): k for a, k in zip(articles, keys)},
                               **{("entities", e.id): k for e, k in zip(entities, keys[len(articles):])}},
                       files=[*static, *search.files])
        progress(f"rendering {len(plans)} pages")
        shares = _map(_render, range(parts), render_jobs)
        page_keys = [item for share, _ in shares for item in share]
        written = sum(w for *_, w in page_keys) + sum(n for _, n in shares)
        stamp["pages"] = len(page_keys) + len(_shared["files"]) + search.linked
        stamp["build"] = _digest(*sorted(key for _, key, *_ in page_keys))
        staged.prune({path for path, *_ in page_keys} | {page.path for page in _shared["files"]} | set(search.built.paths))
    def remember_site() -> None:
        # The new site is in place: remember what its pages were made from (the pages first: the
        # build digest tells that they go with the site, and without it they are not used).
        _store(cache, "pages", {path: (key, context, shown) for path, key, context, shown, _ in page_keys}, last_pages)
        _store(cache, "built", {"build": stamp["build"], "site": site, "base": base, "entities": entity_cards,
                                "briefs": briefs, "described": described, "links": found.links, "frame": found.frame,
                                "texts": found.texts, "digested": found.digested, "search": search.built,
                                "salt": found.salt, "names": found.names, "reach": index.reach,
                                "static": [page.path for page in static]}, last_built)
        for ns in ("html", "words"):
            cache.put(ns, (), drop=cache.keys(ns) - set(keys))
        for ns in ("search", "rows"):
            cache.put(ns, (), drop=cache.keys(ns) - set(search.built.blocks))
        cache.put("inputs", [("stats", inputs)])

    _later(cache, remember_site)
    lap("render and write")
    return BuildResult(out, written, warnings, time.perf_counter() - started, stamp["pages"] - written, stages)


FEW_EDITS = 16
"""At most so many edited articles are built alone (see ``_quick``)."""


class _NotQuick(Exception):
    """Found while staging: the edit is not one that ``_quick`` can build alone."""


def _quick(config: Config, cache: Cache, out: Path, stamp: dict[str, Any], last: dict[str, Any],
           stats: Stats, progress: Callable[[str], None],
           alone: dict[str, tuple[Mentioned, tuple[Diagnostic, ...]]] | None = None) -> BuildResult | None:
    """Build an edit to the text of a few articles that leaves all else the site shows as it
    was (their front matter, diagnostics, which entities they mention, how often, and the
    sentence of each first mention), without reading what the whole site is made from: only
    their pages and their search blocks can change. Each page is the last one with the new
    body in place of the old, when the article template shows the body once, as it is
    (``shows_body_once``). None, having built nothing, when the edit is not such or anything
    is not as the last build left it: the full build then does it, to the same bytes, with
    the articles annotated here (put in ``alone``, by key: their HTML is in the cache)."""
    inputs = None if config.discover or cache.info("code") != _code() else cache.get("inputs", ["stats"]).get("stats")
    before: Stats = pickle.loads(inputs) if inputs is not None else {}
    if before.keys() != stats.keys():  # a file added or removed
        return None
    edited = [p for p, stat in stats.items() if before[p] != stat and not os.path.isdir(p)]
    folder = os.path.join(config.content_dir, "articles", "")
    if not edited or len(edited) > FEW_EDITS or not all(p.startswith(folder) for p in edited):
        return None
    built = _load(cache, "built")
    if built.get("build") != last.get("build") or "names" not in built:
        return None
    files, salt = _part_of(cache, "files", edited), built["salt"]
    read: list[tuple[str, tuple[Any, ...], Document, str, str]] = []  # path, entry, document, old key, key
    for path in edited:
        old, stat = files.get(path), stats[path]
        if old is None or stat is None or not isinstance(old[2], Article) or old[0] != before[path]:
            return None  # (what the files record holds of it is not what the last build read: one failed since)
        entry, doc = _entry(Path(path), stat, load_article)
        if doc is None or entry[3] != old[3] or entry[4] != old[4]:  # front matter changed, or now wrong
            return None
        read.append((path, entry, doc, _key(salt, ARTICLE_LINKS, None, old[1]), _key(salt, ARTICLE_LINKS, None, entry[1])))
    todo = [(doc, old, key) for _, _, doc, old, key in read if key != old]
    annotated = _part_of(cache, "annotated", [old for _, old, _ in todo])
    if todo:
        progress(f"annotating {len(todo)} edited articles alone")
        names = cache.get("names", [built["names"]]).get(built["names"])
        if names is None:
            return None
        # the table is handed to _analyse (under its key) should the edit not be one built here
        _shared.update(names=_loads(cache, "names", built["names"], names), names_key=built["names"],
                       link_all=config.link == "all", raw=config.allow_raw_html, cache=cache.folder)
        again = [(old, key, summary, problems) for (_, old, key), (summary, problems, _, _) in
                 zip(todo, _annotate_all([(doc, ARTICLE_LINKS, None, key) for doc, _, key in todo]))]
        if alone is not None and cache.folder is not None:
            alone.update((key, (summary, problems)) for _, key, summary, problems in again)
        if any(annotated.get(old) != (summary, problems) for old, _, summary, problems in again):
            return None
        if not shows_body_once(make_environment(config, _compiled(cache)), ARTICLE):
            return None
    pages, base = _load(cache, "pages"), _digest(_code(), repr(config), *_templates(config))
    html = cache.get("html", [k for _, old, key in todo for k in (old, key)])
    made: list[Page] = []
    for doc, old, key in todo:
        path = f"articles/{files[str(doc.path)][2].slug}.html"
        page_key, context, shown = pages.get(path, ("", "", ""))
        page = _splice(live_page(out, path) or b"", html.get(old, b""), html.get(key))
        if page is None or page_key != _digest(base, old, context):  # not the page the last build made
            return None
        made.append(Page(path, page))
        pages[path] = _digest(base, key, context), context, shown
    search, done = _edited_blocks(cache, built["search"], {files[p][2].slug: (old, key) for p, _, _, old, key in read},
                                  lambda path: live_page(out, path))
    if search is None:
        return None
    made += done
    site = {*pages, *built["static"], *search.paths}
    stamp.update(warnings=last["warnings"], pages=len(site),
                 build=_digest("edited", built["build"], *(pages[page.path][0] for page in made[:len(todo)]), search.key))
    try:
        with staging(out, stamp, background=True, reuse=True) as staged:
            written = sum(staged.write(page) for page in made)
            for path in site.difference(page.path for page in made):
                if not staged.link(path):
                    raise _NotQuick(path)
            staged.prune(site)
    except _NotQuick:
        return None
    def remember_site() -> None:  # in place: remember it, the build digest last (without it, the rest is not used)
        cache.put("inputs", [("stats", pickle.dumps(stats))])
        _update(cache, "files", {path: entry for path, entry, *_ in read})
        _update(cache, "annotated", {**{old: None for _, old, _ in todo},
                                     **{key: annotated[old] for _, old, key in todo}})
        _update(cache, "pages", {page.path: pages[page.path] for page in made[:len(todo)]})
        for ns in ("html", "words"):
            cache.put(ns, (), drop=[old for _, old, _ in todo])
        for ns in ("search", "rows"):
            cache.put(ns, (), drop=set(built["search"].blocks) - set(search.blocks))
        texts = {**built.get("texts", {}), **{files[path][2].slug: key for path, _, _, _, key in read}}
        digested = dict(built.get("digested", {}))  # the same mentions, under the new keys
        for _, old, key in todo:
            if old in digested:
                digested[key] = digested.pop(old)
        _store(cache, "built", {**built, "build": stamp["build"], "search": search, "texts": texts,
                                "digested": digested}, built)

    _later(cache, remember_site)
    return BuildResult(out, written, stamp_warnings(last), 0.0, len(site) - written, {})


def _splice(page: bytes, old: bytes, new: bytes | None) -> bytes | None:
    """``page`` showing ``new`` where it showed ``old``; None unless it shows ``old`` exactly once
    (then where is known) and there is a ``new``."""
    at = page.find(old) if old else -1
    if new is None or at < 0 or page.rfind(old) != at:
        return None
    return page[:at] + new + page[at + len(old):]


def _edited_blocks(cache: Cache, last: _Indexed, edited: dict[str, tuple[str, str]],
                   read: Callable[[str], bytes | None], listed: tuple[list[list[object]], str] | None = None,
                   words: dict[str, tuple[str, str]] | None = None, jobs: int = 1,
                   meanwhile: Callable[[], object] = lambda: None) -> tuple[_Indexed | None, list[Page]]:
    """The search files after the ``edited`` articles (slug -> annotation key before, and now)
    changed nothing but their text and what they mention: the blocks holding them patched
    (``patch_block``) or indexed again, and the files they change made from the last ones (``update_files``); ``listed``: the
    entities' rows (``entity_rows``) and their digest, when they may have changed (else the
    last ones). ``words``: word counts not in the cache (see ``_Analysis.words``). ``jobs`` and
    ``meanwhile``: see ``_blocks``. None if that cannot be done."""
    rows: dict[int, _Rows] = {}
    places: dict[int, dict[int, tuple[str, str]]] = {}  # block -> place of an edited article -> its keys
    for slug, (old, key) in edited.items():
        if key == old:
            continue
        b = block_of(slug, len(last.blocks))
        if b not in rows:
            stored = cache.get("rows", [last.blocks[b]]).get(last.blocks[b])
            if stored is None:
                return None, []
            rows[b], places[b] = pickle.loads(stored), {}
        place = next((i for i, row in enumerate(rows[b]) if row[1] == slug), -1)
        if place < 0 or rows[b][place][3] != old:
            return None, []
        title, _, date, _ = rows[b][place]
        rows[b] = [*rows[b][:place], (title, slug, date, key), *rows[b][place + 1:]]
        places[b][place] = old, key
    entities = last.listed if listed is None else listed[1]
    if not rows and entities == last.listed:
        return last, []
    keys = [*last.blocks]
    for b, block in rows.items():
        keys[b] = _block_key(block)
    blocks = _blocks(cache, jobs, words or {}, {keys[b]: rows[b] for b in rows}, [last.blocks[b] for b in rows],
                     meanwhile, {keys[b]: (last.blocks[b], places[b]) for b in rows})
    if not all(last.blocks[b] in blocks for b in rows):
        return None, []
    done = update_files(listed[0] if listed is not None and entities != last.listed else None, last.layout,
                        {b: (blocks[last.blocks[b]], blocks[keys[b]]) for b in rows}, read)
    if done is None:
        return None, []
    made, linked, layout = done
    return _Indexed(_digest(*keys, entities), keys, [*linked, *(page.path for page in made)], layout, entities), made


@contextlib.contextmanager
def _copying(out: Path) -> Iterator[None]:
    """Around a build: the replaced site that it may have begun to make for the next one
    (``copy_for_next``) is complete when it ends, whether it built or failed."""
    try:
        yield
    finally:
        copied(out)


@contextlib.contextmanager
def _working(release: bool = True) -> Iterator[None]:
    """Around a build or a check: no cyclic garbage collection (a build makes millions of
    small objects and no cycles worth collecting: the collector would only rescan them,
    again and again), and the workers' shared state cleared after. Without ``release``,
    both stay as they are, for a process about to exit: collection enabled again would
    soon scan everything the build left (0.3 s at 10,000 articles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if release:
            _shared.clear()
            if enabled:
                gc.enable()


def release() -> None:
    """Free what a build made with ``release=False`` kept: for a process that goes on, once it
    has told what the build did (a server: its pages reload first, 0.1-0.15 s sooner at 10,000
    articles). Cyclic garbage is not collected until ``collect``."""
    _shared.clear()


def warm(root: Path) -> None:
    """Read from the cache what the next build of ``root`` will, for a process that builds it
    again and remembers (a server), while it waits: when its last build found nothing to do,
    its first rebuild would unpickle the whole cache (0.5 s at 10,000 articles), where the
    next ones take only what an edit changed (see ``_loads``). The modules an edit needs
    that a build with nothing to do never imports are imported too (0.15 s)."""
    importlib.import_module(".related", __package__)  # (numpy)
    _annotating()
    cache = Cache(root / CACHE)
    _USED.append(set())  # what is read is remembered, as by a build
    try:
        built = _load(cache, "built")
        for ns in ("files", "annotated", "pages"):
            _load(cache, ns)
        for ns, key in [*(built["links"][1].items() if "links" in built else ()), ("names", built.get("names"))]:
            for data in cache.get(ns, [key] if key else []).values():
                _loads(cache, ns, key, data)
    except (CacheCorrupt, LookupError, TypeError):  # a cache the next build will not use: nothing to keep
        pass
    finally:
        _USED.pop()
        cache.close()


def collect() -> None:
    """Collect cyclic garbage, and go on collecting it: for a process between builds (``release``),
    when nothing waits for it (a server: when no file changed for a while). The first collection
    after a build scans all the objects it made: left to happen by itself, it came with the next
    edit, as the server looked at the files, and took 0.1-0.25 s of that rebuild at 10,000 articles."""
    gc.collect()
    gc.enable()


def _settings(root: Path, jobs: int | None) -> tuple[Config, int]:
    """The project's settings and the number of worker processes; BuildFailed if the
    settings are wrong or there is no content folder."""
    try:
        config = load_config(root)
        theme_dir(config)
    except ContentError as err:
        raise BuildFailed([err.diagnostic]) from None
    if not config.content_dir.is_dir():
        raise BuildFailed([Diagnostic(config.content_dir, 0, "no content folder: create content/articles/ "
                                      "and content/entities/")])
    return config, max(1, jobs or default_jobs()) if sys.platform == "linux" else 1


@dataclass
class _Analysis:
    """Everything read and worked out before a page is rendered."""

    articles: list[Article]
    entities: list[Entity]
    keys: list[str]
    """Annotation key of each document: articles, then entities."""
    html: dict[str, str]
    """HTML of the documents annotated in this run, by annotation key, when there is no
    cache to keep it in (else the workers that render read it from there)."""
    index: SiteIndex
    diagnostics: list[Diagnostic]
    """Every error and warning, by file and line."""
    words: dict[str, tuple[str, str]]
    """Word counts and opening words of the articles annotated in this run, by annotation key,
    when there is no cache to keep them in."""
    cards: dict[int, str]
    """Each article's and entity's card (see ``_card``), by id()."""
    site: str
    """A digest of everything the index is made from but the documents' bodies and the
    entities' cards (their names, which decide what matches, are in it): while it is the
    same, so is the data of every page that shows no entity whose card changed."""
    links: tuple[str, dict[str, str]]
    """``site``, and the keys the index's related articles and co-occurrence were found under
    (see ``_Links``): the next build with the same ``site`` looks them up without making them."""
    read: int
    """How many files were read (not remembered): at most so many bodies changed."""
    salt: str
    """See ``_salt``."""
    frame: str
    """A digest of everything the index is made from but what the articles mention: the
    settings, the entities' names and the articles' cards."""
    texts: dict[str, str]
    """Each article's annotation key, by slug: the next build with the same ``frame`` tells
    from them which articles' mentions changed."""
    moved: _Moved | None
    """How the index differs from the last build's, when that had the same ``frame``."""
    names: str
    """The key the entities' names are kept under in the cache (for ``_quick``)."""
    digested: dict[str, str]
    """A digest of each article's mentions, by annotation key (what ``site`` is made from)."""


@dataclass
class _Moved:
    """How the index differs from the last build's when only what some articles mention
    changed, or articles were added (the other articles, the entities and the settings are
    the same): what page data it changes."""

    reach: set[str]
    """Entities some article gained or lost (so mentioned by more or fewer articles, or by
    others): the data of every page showing one."""
    articles: set[str]
    """Articles whose mentions or related articles changed."""
    entities: set[str]
    """Entities whose appearances (which articles mention them, how often, where first) or
    co-occurring entities changed."""
    added: frozenset[str] = frozenset()
    """Articles new since the last build (``articles`` holds them too): the order of the
    articles changed, and with their number the weight of every entity."""
    was: Mapping[str, Mentioned] = dataclasses.field(default_factory=dict)
    """What the articles in ``articles`` whose mentions changed mentioned in the last build (the
    added ones: nothing), by slug."""


class _Stale(NamedTuple):
    """The pages whose data can differ from the last build's (that of the others is not made again)."""

    shown: set[str]
    """Entities whose card changed but for their description: every page showing one (how many
    articles mention an entity shows only on the pages ``pages_about`` adds for it)."""
    described: set[str]
    """Entities whose card changed (``shown`` among them): every page that can show their description."""
    paths: set[str]
    """Pages that show what changed in the index about some articles or entities (``pages_about``)."""


def _analyse(config: Config, cache: Cache, jobs: int, progress: Callable[[str], None],
             lap: Callable[[str], None] = lambda stage: None, stats: Stats | None = None,
             meanwhile: Callable[[], object] = lambda: None,
             annotated: Mapping[str, tuple[Mentioned, tuple[Diagnostic, ...]]] | None = None) -> _Analysis:
    """Load, annotate and index, through the cache; diagnostics are collected, never raised.
    ``stats``: what ``look`` found of the files, so that they are not asked again.
    ``meanwhile``: work of the parent's to do while the workers read and annotate many articles.
    ``annotated``: documents annotated already in this build (by ``_quick``), by key."""
    diagnostics: list[Diagnostic] = []
    if cache.info("code") != _code():  # made by another version of site-builder: start afresh
        cache.clear()
        cache.set_info("code", _code())
    progress("loading content")
    files = _Files(cache, stats)
    # What the index needs of each document annotated before, by key: kept whole, as it is read whole.
    known_before: dict[str, tuple[Mentioned, tuple[Diagnostic, ...]]] = _load(cache, "annotated")
    annotated = {**known_before, **(annotated or {})}  # the second: their HTML and words are in the cache
    fresh: dict[str, _Annotation] = {}
    if config.discover:  # the entities depend on the articles: read those first
        articles, entities = load_content(config.content_dir, diagnostics, files.parse)
        have = {e.id for e in entities}
        drafts = draft_entities(_candidates(config, articles, entities, cache, jobs, files), config.content_dir)
        entities += [e for e in drafts if e.id not in have]
    else:
        listed_entities = markdown_files(config.content_dir / "entities", stats)
        listed = markdown_files(config.content_dir / "articles", stats)  # (before parsing uses the stats up)
        files.prefetch(listed_entities, load_entity, jobs)
        entities = load_entities(config.content_dir, diagnostics, files.parse, listed_entities)
    salt = _salt(config, entities)
    # The entities' names, remembered under everything they are made from (their warnings name the files)
    known_names = _digest(salt, *(str(e.doc.path) for e in entities))
    quick = _shared.pop("names_key", None) == known_names  # _quick unpickled them already
    kept = None if quick else cache.get("names", [known_names]).get(known_names)
    names = (_shared["names"] if quick else _loads(cache, "names", known_names, kept) if kept is not None
             else NameTable(entities))  # 3x faster
    if kept is None and not quick:
        cache.put("names", [(known_names, _dumps(cache, "names", known_names, names))], drop=cache.keys("names"))
    _shared.update(names=names, link_all=config.link == "all", raw=config.allow_raw_html, cache=cache.folder,
                   salt=salt, annotated=annotated)
    if not config.discover:  # new and changed articles are read by the workers that annotate them
        paths = files.stale(listed)
        # and the entities to annotate go to the same workers (starting workers again would cost more)
        pending = [(files.document(e.doc), "", e.id, key) for e in entities
                   if (key := _key(salt, "", e.id, files.digests.get(id(e)) or repr(e.doc))) not in annotated]
        progress(f"reading and annotating {len(paths)} of {len(listed)} article files "
                 f"and {len(pending)} of {len(entities)} entities")
        fresh = _read_articles(files, paths, salt, jobs, pending, meanwhile)
        articles = load_articles(config.content_dir, diagnostics, files.parse, listed)
    diagnostics += names.warnings
    lap("load")

    docs = [*((a.doc, ARTICLE_LINKS, None) for a in articles), *((e.doc, "", e.id) for e in entities)]
    keys = [_key(salt, prefix, exclude, files.digests.get(id(item)) or repr(doc))
            for item, (doc, prefix, exclude) in zip(chain(articles, entities), docs)]
    known = {k: annotated[k] for k in keys if k in annotated and k not in fresh}
    todo = [i for i, k in enumerate(keys) if k not in known and k not in fresh]
    if todo:
        progress(f"annotating {len(todo)} of {len(docs)} documents")
        _annotating()
    _shared.update(docs=[(files.document(docs[i][0]), *docs[i][1:], keys[i]) for i in todo])
    shares = _map(_annotate, _chunks(len(todo), 64), jobs)
    fresh.update(zip((keys[i] for i in todo), (r for share in shares for r in share)))
    html = {k: text for k, (_, _, text, _) in fresh.items() if text is not None}
    counted = {k: w for k, (*_, w) in fresh.items() if w is not None}
    _shared["docs"] = []
    files.bodies.clear()
    done: list[tuple[Mentioned, tuple[Diagnostic, ...]]] = [fresh[k][:2] if k in fresh else known[k] for k in keys]
    lap("annotate")

    for _, problems in done:
        diagnostics += problems
    diagnostics.sort(key=lambda d: (str(d.path), d.line))
    progress("cross-referencing")
    documents: list[Article | Entity] = [*articles, *entities]
    cards = {id(item): files.cards.get(id(item)) or _card(item) for item in documents}
    frame = _digest(salt, *(cards[id(item)] for item in articles))
    built = _load(cache, "built")
    # A digest of each article's mentions, by annotation key (what a key annotates to never
    # changes): those of the last build are not made again (pickling 20 MB took 0.04 s at 10,000)
    digested: dict[str, str] = built.get("digested", {})
    digested = {k: digested.get(k) or _digest(_values(m)) for k, (m, _) in zip(keys, done[:len(articles)])}
    site = _digest(frame, *digested.values())
    texts = {a.slug: k for a, k in zip(articles, keys)}
    last = built.get("links")
    mentions = {a.slug: m for a, (m, _) in zip(articles, done)}
    # Articles new since the last build: what the others mentioned then is compared, and they mentioned nothing
    added = frozenset(texts.keys() - built.get("texts", {}).keys())
    frame_then = _digest(salt, *(cards[id(a)] for a in articles if a.slug not in added)) if added else frame
    before = _mentioned_before(built, frame_then, {s: k for s, k in texts.items() if s not in added}, annotated, mentions)
    changes = None
    if before is not None:
        changes = dataclasses.replace(_moved({**before, **{s: () for s in added}}, mentions), added=added)

    def store() -> None:  # for the next build: done while the workers rank, if they do
        files.save()
        _store(cache, "annotated", dict(zip(keys, done)), known_before)

    stored = _Once(lambda: _later(cache, store))
    known_keys = None
    if last and last[0] == site:
        known_keys = last[1]
    elif last and before is not None and not added:
        known_keys = _moved_keys(last[1], before, mentions)
    link = _Links(cache, jobs, known_keys, meanwhile=stored,
                  last=(last[1], changes) if last and changes is not None else None)
    index = build_index(articles, entities, mentions,
                        lambda name: ids[0] if len(ids := names.resolve(name)) == 1 else None, link=link,
                        reach=_reach(built.get("reach"), changes, mentions))
    stored()
    lap("index")
    moved = None
    if changes is not None and link.moved is not None:
        moved = _Moved(changes.reach, changes.articles | link.moved[0], changes.entities | link.moved[1], changes.added)
    return _Analysis(articles, entities, keys, html, index, diagnostics, counted, cards, site, (site, link.keys),
                     len(files.new), salt, frame, texts, moved, known_names, digested)


def _moved(before: dict[str, Mentioned], now: Mapping[str, Mentioned]) -> _Moved:
    """What changed in the index with the mentions of the articles in ``before`` (what they
    mentioned in the last build, by slug), besides related articles and co-occurrence."""
    reach: set[str] = set()
    entities: set[str] = set()
    for slug, was in before.items():
        old, new = {e: (n, s) for e, n, s in was}, {e: (n, s) for e, n, s in now[slug]}
        reach |= old.keys() ^ new.keys()
        entities.update(e for e in old.keys() | new.keys() if old.get(e) != new.get(e))
    return _Moved(reach, set(before), entities, was=before)


def _reach(last: Mapping[str, int] | None, changes: _Moved | None, mentions: Mapping[str, Mentioned]
           ) -> Counter[str] | None:
    """How many articles mention each entity (``SiteIndex.reach``), from the last build's count
    and the ``changes`` since, not by counting the mentions of every article again (0.035 s at
    10,000 articles); None if either is not known."""
    if last is None or changes is None:
        return None
    reach = Counter(last)
    for slug, was in changes.was.items():
        reach.subtract(e for e, _, _ in was)
        reach.update(e for e, _, _ in mentions[slug])
    return reach


def _mentioned_before(built: dict[str, Any], frame: str, texts: dict[str, str],
                      annotated: dict[str, tuple[Mentioned, tuple[Diagnostic, ...]]],
                      now: dict[str, Mentioned]) -> dict[str, Mentioned] | None:
    """What each article whose mentions changed since the last build mentioned then, by slug;
    None unless the last build had the same ``frame`` and its annotations are at hand."""
    if built.get("frame") != frame:
        return None
    before: dict[str, Mentioned] = {}
    last: dict[str, str] = built["texts"]
    for slug, key in texts.items():
        old = last.get(slug)
        if old != key:
            was = annotated.get(old) if old is not None else None
            if was is None:
                return None
            if was[0] != now[slug]:
                before[slug] = was[0]
    return before


def check(root: Path, jobs: int | None = None, progress: Callable[[str], None] = lambda stage: None
          ) -> list[Diagnostic]:
    """Every finding a build would report, and more (see check.findings), without building."""
    try:
        config, jobs = _settings(root, jobs)
    except BuildFailed as failed:
        return failed.errors
    cache = Cache(root / CACHE)
    with _working(), contextlib.closing(cache):
        try:
            found = _analyse(config, cache, jobs, progress)
            html = {k: v.decode() for k, v in cache.get("html", found.keys).items()}
        except CacheCorrupt:
            cache.clear()
            cache = Cache(None)
            found = _analyse(config, cache, jobs, progress)
            html = {}
        html.update(found.html)
        pages = {plan.path for plan in plan_site(found.index, config)} | {p.path for p in static_files(config)}
        documents = [*((f"articles/{a.slug}.html", a.doc) for a in found.articles),
                     *((f"entities/{e.id}.html", e.doc) for e in found.entities)]
        extra = findings(found.index, [(path, doc, html.get(key, "")) for (path, doc), key in
                                       zip(documents, found.keys)], pages)
    return sorted(found.diagnostics + extra, key=lambda d: (str(d.path), d.line, d.message))


def _digest(*parts: str | bytes) -> str:
    """The parts, each followed by a NUL byte, digested (20 bytes, as hex)."""
    try:  # all text (most calls, 26,000 a rebuild): one encode, twice as fast
        joined = ("\0".join(parts) + "\0").encode("utf-8", "surrogatepass") if parts else b""  # type: ignore[arg-type]
    except TypeError:  # some bytes, maybe hundreds of megabytes (the site's summaries): never copied
        digest = hashlib.blake2b(digest_size=20)
        for part in parts:
            digest.update(part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return digest.hexdigest()
    return hashlib.blake2b(joined, digest_size=20).hexdigest()


_CODE: list[str] = []


def _code() -> str:
    """A digest of site-builder's own source: a new version invalidates everything cached."""
    if not _CODE:
        package = Path(__file__).resolve().parent
        _CODE.append(_digest(__version__, sys.version, *(p.read_bytes() for p in sorted(package.glob("*.py")))))
    return _CODE[0]


def _templates(config: Config) -> list[bytes]:
    """Names and bytes of every template a page can use."""
    found: dict[str, Path] = {}
    for folder in (config.root / "templates", theme_dir(config) / "templates"):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file():
                found.setdefault(path.relative_to(folder).as_posix(), path)
    return [part for name, path in sorted(found.items()) for part in (name.encode(), path.read_bytes())]


RENDER_SHARES = 8
"""Shares of the pages to render, per worker: taken in turn, so that a worker slowed by another
process, or dealt longer pages, leaves the others less to wait for at the end."""
FEW_PAGES = 200
"""Fewer pages than this to render are rendered in this process: a forked worker pays
for the memory it touches (0.1 s at 10,000 articles), one page costs a third of a millisecond."""
SHARDS = 64
"""Entries that ``_store`` splits a namespace into: what is read whole each build (files,
annotations, pages) loads ten times faster from a few pickles than from one entry a file,
and an edit rewrites the shards it touched, not all 20 MB."""


_SHARD_NAMES = [str(n) for n in range(SHARDS)]


def _shard(key: str) -> str:
    return _SHARD_NAMES[zlib.crc32(key.encode("utf-8", "surrogatepass")) % SHARDS]


def _load(cache: Cache, ns: str) -> dict[str, Any]:
    """What ``_store`` kept under ``ns`` ({} if nothing)."""
    merged: dict[str, Any] = {}
    for n, part in cache.get(ns, [str(n) for n in range(SHARDS)]).items():
        merged.update(_loads(cache, ns, n, part))
    return merged


def _part_of(cache: Cache, ns: str, keys: Iterable[str]) -> dict[str, Any]:
    """What ``_store`` kept under ``ns`` in the shards of ``keys``: those keys' entries, and others."""
    merged: dict[str, Any] = {}
    for n, part in cache.get(ns, sorted({_shard(key) for key in keys})).items():
        merged.update(_loads(cache, ns, n, part))
    return merged


_KEPT: dict[tuple[str, str, str], tuple[bytes, Any]] = {}
"""What ``_loads`` unpickled, with the bytes it was read from, by cache folder, namespace and key."""
_USED: list[set[tuple[str, str, str]]] = []
"""Whose of ``_KEPT`` the build being made has used: while there is one, builds remember."""


@contextlib.contextmanager
def _remembering(remember: bool) -> Iterator[None]:
    """Around a build: with ``remember``, what it unpickles from the cache is kept for the
    next (and what the last kept and it did not use is dropped); else nothing is kept."""
    if not remember:
        _KEPT.clear()
        yield
        return
    _USED.append(set())
    try:
        yield
    finally:
        used = _USED.pop()
        for where in _KEPT.keys() - used:
            del _KEPT[where]


_PENDING: list[tuple[Cache, Callable[[], None]]] = []
"""Writes to a cache that a build which remembers left for ``flush``."""


def _later(cache: Cache, write: Callable[[], None]) -> None:
    """Do ``write`` (to ``cache``, for the next build) now, or, in a build that remembers (a
    server's), once the build has told its pages (``flush``): pickling and storing the files,
    annotations, rankings and page keys took 0.1-0.15 s of an edit at 10,000 articles."""
    if _USED and cache.folder is not None:
        _PENDING.append((cache, write))
    else:
        write()


def flush() -> None:
    """Do the cache writes that the builds which remember left (see ``_later``): before the
    next build, which reads them (``build`` flushes first), or before the process ends. A
    cache found damaged is deleted: the next build starts from nothing."""
    _USED.append(set())  # what they write is remembered, as the build's own writes
    try:
        while _PENDING:
            cache, write = _PENDING.pop(0)
            try:
                write()
            except CacheCorrupt:
                cache.clear()
                _PENDING[:] = [(c, w) for c, w in _PENDING if c.folder != cache.folder]
            finally:
                cache.close()
    finally:
        _USED.pop()


def _loads(cache: Cache, ns: str, key: str, data: bytes) -> Any:
    """``pickle.loads(data)``, the entry ``key`` of ``ns``; while builds remember (a server's),
    the very object the last build read or wrote (``_dumps``) if the bytes are the same, not
    a copy: a server's rebuild at 10,000 articles unpickled 30 MB of files, annotations and
    page keys, 0.3 s of an edit's, where only a few of the shards had changed. The objects
    are never changed."""
    kept = _KEPT.get((str(cache.folder), ns, key)) if _USED else None
    return _keep(cache, ns, key, data, kept[1] if kept is not None and kept[0] == data else pickle.loads(data))


def _dumps(cache: Cache, ns: str, key: str, value: Any) -> bytes:
    """``pickle.dumps(value)``, to be kept as the entry ``key`` of ``ns``; while builds remember,
    the next is given ``value`` itself (see ``_loads``)."""
    data = pickle.dumps(value)
    _keep(cache, ns, key, data, value)
    return data


def _keep(cache: Cache, ns: str, key: str, data: bytes, value: T) -> T:
    """``value``, remembered as the entry ``key`` of ``ns``, made of ``data``, while builds remember."""
    if _USED and cache.folder is not None:
        where = (str(cache.folder), ns, key)
        _USED[-1].add(where)
        _KEPT[where] = (data, value)
    return value


def _update(cache: Cache, ns: str, changes: dict[str, Any]) -> None:
    """Change some entries of what ``_store`` kept under ``ns`` (a value None: delete the key),
    rewriting only their shards."""
    last = _part_of(cache, ns, changes)
    _store(cache, ns, {k: v for k, v in {**last, **changes}.items() if v is not None}, last)


def _store(cache: Cache, ns: str, value: dict[str, Any], last: dict[str, Any]) -> None:
    """Keep ``value`` under ``ns`` in place of ``last`` (what ``_load`` gave): only the
    shards holding a key whose value differs are written again."""
    missing = object()
    dirty = {_shard(k) for k in value.keys() | last.keys()
             if (new := value.get(k, missing)) is not (old := last.get(k, missing)) and new != old}
    if not dirty:
        return
    parts: dict[str, dict[str, Any]] = {n: {} for n in dirty}
    for key, item in value.items():
        part = parts.get(_shard(key))
        if part is not None:
            part[key] = item
    cache.put(ns, [(n, _dumps(cache, ns, n, part)) for n, part in parts.items() if part],
              drop=[n for n, part in parts.items() if not part])


class _Files:
    """The load stage's parse hook, remembering each file's result under its stat.

    Results leave out the document body, remembered or not: only annotation
    reads it (``document`` hands it over once, or reads the file again), and at
    100,000 articles the bodies are half a gigabyte the rest of the build has no
    use for. New and changed articles are read by the workers instead (``stale``
    says which, ``add`` takes what they read), each with its annotation.
    """

    def __init__(self, cache: Cache, stats: Stats | None = None) -> None:
        self.cache = cache
        self.known: dict[str, tuple[Any, ...]] = _load(cache, "files")
        """What the last build read: left as it was, for ``save`` to tell what changed."""
        self.digests: dict[int, str] = {}
        """The digest of each item's file (see ``_entry``), by id() of the item handed out: made once, when the file is read."""
        self.new: dict[str, tuple[Any, ...]] = {}
        self.loaders: dict[str, Callable[[Path, list[Diagnostic]], Any]] = {}
        self.bodies: dict[str, Document] = {}
        self.stats = stats if stats is not None else {}
        """Stats taken already, by path: each is used once, and dropped (a file parsed again is
        asked again; at 100,000 articles they are 30 MB)."""
        self.cards: dict[int, str] = {}
        """The card (see ``_card``) of each item handed out, by id(): made once, when the file is read."""

    def parse(self, path: str, load: Callable[[Path, list[Diagnostic]], Any]) -> tuple[Any, list[Diagnostic]]:
        stat = self.stats.pop(path, None) or _stat(path)
        if stat is None:  # a dangling link or a loop of links: parse_file says what is wrong
            return parse_file(path, load)
        entry = self.new.get(path) or self.known.get(path)
        if entry is None or entry[0] != stat:
            entry, doc = _entry(Path(path), stat, load)
            self.new[path] = entry
            if doc is not None:
                self.bodies[path] = doc
        self.loaders[path] = load
        if entry[1]:
            self.digests[id(entry[2])] = entry[1]
            self.cards[id(entry[2])] = entry[4]
        return entry[2], list(entry[3])

    def stale(self, paths: list[str]) -> list[str]:
        """Those of ``paths`` that are new or changed since they were last read."""
        found = []
        for path in paths:
            stat = self.stats[path] = self.stats.get(path) or _stat(path)
            entry = self.known.get(path)
            if stat is not None and (entry is None or entry[0] != stat):
                found.append(path)
        return found

    def prefetch(self, paths: list[str], load: Callable[[Path, list[Diagnostic]], Any], jobs: int) -> None:
        """Parse those of ``paths`` that are new or changed in the workers, when they are many,
        for ``parse`` to find (a clean build's 3,000 entities took 0.33-0.7 s in this process,
        while every other core waited)."""
        stale = self.stale(paths)
        if jobs < 2 or len(stale) < PREFETCH:
            return
        _shared["parse"] = (stale, load)
        for share in _map(_parse_files, _chunks(len(stale), 256), jobs):
            for path, entry, doc in share:
                self.new[path] = entry
                if doc is not None:
                    self.bodies[path] = doc
        del _shared["parse"]

    def add(self, path: str, entry: tuple[Any, ...]) -> None:
        """Remember a file read elsewhere (by a worker)."""
        self.new[path] = entry

    def document(self, doc: Document) -> Document:
        """``doc`` with its body: the one read in this build (once), else read again."""
        path = str(doc.path)
        if path in self.bodies:
            return self.bodies.pop(path)
        if path not in self.loaders:  # made by the build (discover mode), not read from a file
            return doc
        item, _ = parse_file(path, self.loaders[path])
        if item is None or item.doc.body_line != doc.body_line:
            raise SiteError(f"{doc.path} changed during the build; build again")
        return item.doc  # type: ignore[no-any-return]

    def save(self) -> None:
        """Remember the files read in this build (and only those)."""
        _store(self.cache, "files", {p: self.new.get(p) or self.known[p] for p in self.loaders}, self.known)


PREFETCH = 500
"""At least so many new or changed files are parsed by workers (see ``_Files.prefetch``)."""


def _parse_files(chunk: tuple[int, int]) -> list[tuple[str, tuple[Any, ...], Document | None]]:
    """One worker's share of ``_Files.prefetch``."""
    paths, load = _shared["parse"]
    return _entries(paths[chunk[0]:chunk[1]], load)


def _entries(paths: list[str], load: Callable[[Path, list[Diagnostic]], Any]
             ) -> list[tuple[str, tuple[Any, ...], Document | None]]:
    """What ``_entry`` makes of each of ``paths`` that can be read, with its path (in a worker)."""
    parsed = []
    for path in paths:
        stat = _stat(path)
        if stat is not None:
            parsed.append((path, *_entry(Path(path), stat, load)))
    return parsed


def _stat(path: str) -> tuple[int, ...] | None:
    """What tells a file changed (None if it cannot be read)."""
    try:
        return changed_by(os.stat(path))
    except OSError:
        return None


def _entry(path: Path, stat: tuple[int, ...], load: Callable[[Path, list[Diagnostic]], Any]
           ) -> tuple[tuple[Any, ...], Document | None]:
    """Parse a file into what ``_Files`` remembers of it (its stat, a digest of its document,
    the item without its body, the diagnostics, the item's card), and the document with its body."""
    item, found = parse_file(path, load)
    doc = getattr(item, "doc", None)
    if doc is None:
        return (stat, "", item, found, ""), None
    digest = _digest(str(doc.path), str(doc.body_line), doc.body)
    kept = dataclasses.replace(item, doc=dataclasses.replace(doc, body=""))
    return (stat, digest, kept, found, _card(kept)), doc


def _salt(config: Config, entities: list[Entity]) -> str:
    """A digest of everything besides its text that a document's annotation depends on:
    the settings, and every name that could match."""
    return _digest(_code(), config.link, str(config.allow_raw_html),
                   *(repr((e.id, e.name, e.type, e.aliases, e.short_names, e.match_case)) for e in entities))


def _key(salt: str, prefix: str, exclude: str | None, text: str) -> str:
    """A document's annotation key; ``text`` is its file's digest (or the document itself)."""
    return _digest(salt, prefix, exclude or "", text)


def _read_articles(files: _Files, paths: list[str], salt: str, jobs: int,
                   docs: Sequence[tuple[Document, str, str | None, str]] = (),
                   meanwhile: Callable[[], object] = lambda: None) -> dict[str, _Annotation]:
    """Read and annotate new or changed article files in the workers, so that their text never
    crosses processes; ``files`` learns what they read. The same workers annotate ``docs``
    (document, link prefix, entity excluded, key). Returns each annotation made, by key.
    ``meanwhile`` is done while they work, when they have more tasks than there are workers."""
    _shared.update(paths=paths, docs=docs)
    tasks = [(False, *chunk) for chunk in _chunks(len(paths), 64)] + [(True, *chunk) for chunk in _chunks(len(docs), 64)]
    if tasks:
        _annotating()
    fresh: dict[str, _Annotation] = {}
    shares = _map(_read_or_annotate, tasks, jobs, meanwhile if len(tasks) > jobs > 1 else lambda: None)
    for (annotated, start, stop), share in zip(tasks, shares):
        if annotated:
            fresh.update(zip((key for *_, key in docs[start:stop]), share))
            continue
        for path, entry, key, annotation in share:
            files.add(path, entry)
            if annotation is not None:
                fresh[key] = annotation
    _shared.update(paths=[], docs=[])
    return fresh


def _read_or_annotate(task: tuple[bool, int, int]) -> list[Any]:
    """One worker's share of ``_read_articles``: some of its documents to annotate (True), or
    some of its article files to read."""
    return _annotate(task[1:]) if task[0] else _read(task[1:])


def _read(chunk: tuple[int, int]) -> list[tuple[str, tuple[Any, ...], str, _Annotation | None]]:
    """One worker's share of ``_read_articles``: documents whose annotation is cached already
    (a file touched but not changed) are not annotated again."""
    read = [(path, entry, doc, _key(_shared["salt"], ARTICLE_LINKS, None, entry[1]) if doc else "")
            for path, entry, doc in _entries(_shared["paths"][chunk[0]:chunk[1]], load_article)]
    todo = [(doc, ARTICLE_LINKS, None, key) for _, _, doc, key in read
            if doc is not None and key not in _shared["annotated"]]
    done = dict(zip((key for *_, key in todo), _annotate_all(todo)))
    return [(path, entry, key, done.get(key)) for path, entry, _, key in read]


class _Links:
    """The index stage's link_articles, run by the workers (co-occurrence in one, related
    articles in slices), remembering its last results: related articles depend only on the
    order of the articles and on which entities each one mentions, co-occurrence also on
    how often (so an edit that changes only counts ranks nothing again).

    Given the keys of the ``last`` results and what changed since (see ``_moved``), only the
    articles that can rank differently are ranked again: those whose mentions changed, and of
    those mentioning an entity that some article gained or lost (or of every article, when
    articles were added: the weights of all entities changed), those whose best scores were too
    close for the change to leave their order as it was (see ``_ranking_kept``). ``moved`` then
    tells which articles' related articles and which entities' co-occurring ones changed."""

    def __init__(self, cache: Cache, jobs: int, keys: dict[str, str] | None = None,
                 meanwhile: Callable[[], object] = lambda: None,
                 last: tuple[dict[str, str], _Moved] | None = None) -> None:
        self.cache, self.jobs, self.meanwhile, self.last = cache, jobs, meanwhile, last
        self.keys = keys or {}
        """The keys of the results (made by the call, unless given: they are worth 0.1 s at 10,000 articles)."""
        self.moved: tuple[set[str], set[str]] | None = None
        """The articles whose related articles, and the entities whose co-occurring entities, differ
        from the last results; None if that is not known (no ``last``)."""

    def __call__(self, ordered: tuple[Article, ...], mentions: Mapping[str, Mentioned]) -> Links:
        # A cache with no results (a clean build), or articles added since the last (whose are the only
        # ones kept): none to look up, and their keys are made while the workers rank
        added = self.last is not None and bool(self.last[1].added)
        later = not self.keys and (added or not self.cache.keys("links") and not self.cache.keys("cooccurring"))
        keys = self.keys = self.keys or ({} if later else _link_keys(ordered, mentions))
        found = {ns: _loads(self.cache, ns, key, v) for ns, key in keys.items() for v in self.cache.get(ns, [key]).values()}
        missing = [ns for ns in ("links", "cooccurring") if ns not in found]
        last_keys, changes = self.last or ({}, _Moved(set(), set(), set()))
        # The last results, where these are others: to rank from, and to compare with. Results found
        # under other keys than the last are not the last build's (a build that failed kept them)
        differ = [ns for ns in ("links", "cooccurring") if not keys or keys[ns] != last_keys.get(ns)]
        old = {ns: _loads(self.cache, ns, last_keys[ns], v) for ns in differ if ns in last_keys
               for v in self.cache.get(ns, [last_keys[ns]]).values()}
        if missing:
            mentioned = _counts(self.cache, ordered, mentions)
            # numpy: imported only when there is ranking to do
            from .related import RelatedRanker, Table

            recount = "cooccurring" in missing and "cooccurring" in old and self.last is not None
            table = Table(ordered, mentioned) if recount or "links" in missing else None  # made once for both
            if recount:
                from .related import cooccurrence_kept

                before = {slug: counted(then) for slug, then in changes.was.items()}
                if (kept := cooccurrence_kept(ordered, mentioned, old["cooccurring"], before, table)) is not None:
                    found["cooccurring"] = kept
            ranker = RelatedRanker(ordered, mentioned, table) if "links" in missing else None
            ranking, tries, keeping = _ranking_kept(ordered, old.get("links"), changes, ranker)
            targets = range(len(ordered)) if ranking is None else [i for i, r in enumerate(ranking) if r is None]
            _shared.update(ordered=ordered, mentioned=mentioned, targets=targets, ranker=ranker, tries=tries,
                           keeping=keeping)
            step = max(64, -(-len(targets) // (self.jobs * 8)))
            parts = ([None] if "cooccurring" not in found else []) + (
                _chunks(len(targets), step) if "links" not in found else [])
            meanwhile = self.meanwhile
            if later:
                def meanwhile() -> None:
                    self.meanwhile()
                    keys.update(_link_keys(ordered, mentions))
            done = _map(_link, parts, self.jobs, meanwhile)
            for name in ("ordered", "mentioned", "ranker", "targets", "tries", "keeping"):  # 100,000 dicts at 100k
                _shared.pop(name)
            if "cooccurring" not in found:
                found["cooccurring"] = done.pop(0)
            if ranker is not None:  # "links" was missing
                ranked: list[Any] = ranking or [None] * len(ordered)
                for i, r in zip(targets, (r for part in done for r in part)):
                    ranked[i] = r
                found["links"] = ([r for r, _ in ranked], [m for _, m in ranked], ranker.then())
            for ns in missing:
                _later(self.cache, functools.partial(_put_one, self.cache, ns, keys[ns], found[ns]))
        if self.last is not None and old.keys() == set(differ):
            links, cooccurring = old["links"][0] if "links" in old else None, old.get("cooccurring")
            related = set()
            if links and changes.added:  # the last results number the articles without the new ones
                place = [i for i, a in enumerate(ordered) if a.slug not in changes.added]  # the index now, by then
                if len(place) != len(links):
                    return related_objects(ordered, found["links"][0]), found["cooccurring"]  # moved: not known
                now = found["links"][0]
                related = set(changes.added)  # and those whose related articles a page shows otherwise: others,
                related.update(ordered[i].slug for i, r in zip(place, links)  # or sharing other entities
                               if len(r) != len(now[i]) or any(place[j] != k or shared != theirs for (j, _, shared), (
                                   k, _, theirs) in zip(r, now[i])))
            elif links:
                related = {a.slug for a, r, s in zip(ordered, found["links"][0], links) if r != s}
            self.moved = (related, {e for e in cooccurring.keys() | found["cooccurring"].keys()
                                    if cooccurring.get(e) != found["cooccurring"].get(e)} if cooccurring else set())
        return related_objects(ordered, found["links"][0]), found["cooccurring"]


def _counts(cache: Cache, ordered: tuple[Article, ...], mentions: Mapping[str, Mentioned]) -> dict[str, dict[str, int]]:
    """``counts(ordered, mentions)``; while builds remember (a server's), each article's is the
    last build's where its mentions are the very objects it was made of (see ``_loads``): 10,000
    dicts made again took 0.05 s of every edit that changes what an article mentions."""
    kept = _KEPT.get((str(cache.folder), "counted", "")) if _USED else None
    if kept is None:
        found = counts(ordered, mentions)
    else:
        then, last = kept[1]
        found = {a.slug: last[a.slug] if then.get(a.slug) is (m := mentions[a.slug]) else counted(m) for a in ordered}
    return _keep(cache, "counted", "", b"", (mentions, found))[1]


def _put_one(cache: Cache, ns: str, key: str, value: Any) -> None:
    """Keep ``value`` as the one entry of ``ns``."""
    cache.put(ns, [(key, _dumps(cache, ns, key, value))], drop=cache.keys(ns) - {key})


def _ranking_kept(ordered: tuple[Article, ...], last: tuple[list[Ranked], list[float], Then] | None,
                  changes: _Moved, ranker: RelatedRanker | None) -> tuple[list[tuple[Ranked, float] | None] | None, dict[int, tuple[Ranked, float]], tuple[Any, ...]]:
    """Each article's related articles and margin from the ``last`` ranking where they are still
    what a ranking would give, None where it is to rank (None: no last ranking to keep any from);
    the last ones of the articles among those that the workers may keep (``RelatedRanker.kept``,
    given the rest of what this returns), by index.

    An article whose mentions changed ranks again. One that mentions no entity some article
    gained or lost, when no article was added, keeps them as they are: its entities' weights and
    articles, and so its candidates and their scores, are what they were. Any other may keep them:
    its entities' weights moved (when articles are added, every weight does)."""
    if last is None or ranker is None:
        return None, {}, ()
    ranked_then, margins, then = last
    place = [i for i, a in enumerate(ordered) if a.slug not in changes.added]  # the index now, by the index then
    if len(place) != len(ranked_then):
        return None, {}, ()
    changed = [i for i, a in enumerate(ordered) if a.slug in changes.articles]
    kept: list[tuple[Ranked, float] | None]
    if changes.added:
        kept = [None] * len(ordered)
        tries = {i: (ranked, margin) for i, ranked, margin in zip(place, ranked_then, margins)
                 if ordered[i].slug not in changes.articles}
    else:  # numbered as then
        last_ones = list(zip(ranked_then, margins))
        tries = {i: last_ones[i] for i in ranker.mentioning(changes.reach)}
        for i in changed:
            tries.pop(i, None)
        kept = [*last_ones]
        for i in (*tries, *changed):
            kept[i] = None
    return kept, tries, (then, place, ranker.disturbed(changed, changes.reach, then) if tries else {})


def _link_keys(ordered: tuple[Article, ...], mentions: Mapping[str, Mentioned]) -> dict[str, str]:
    """The keys of related articles (the order of the articles, which entities each mentions)
    and of co-occurrence (how often, too), digested an article at a time: the whole as one
    value would be 200 MB at 100,000 articles."""
    links, cooccurring = hashlib.blake2b(digest_size=20), hashlib.blake2b(digest_size=20)
    for article in ordered:
        found = mentions[article.slug]  # by count, then id: canonical as it is
        links.update(f"{article.slug}\0{' '.join(sorted(e for e, _, _ in found))}\n".encode())
        cooccurring.update(f"{article.slug}\0{' '.join(f'{e}:{n}' for e, n, _ in found)}\n".encode())
    return {"links": links.hexdigest(), "cooccurring": cooccurring.hexdigest()}


def _moved_keys(last: dict[str, str], before: dict[str, Mentioned], now: Mapping[str, Mentioned]) -> dict[str, str]:
    """The keys ``_link_keys`` stands for when only the articles in ``before`` (what they mentioned
    in the last build, whose keys are ``last``) changed what they mention: the last keys and the
    changes digested, without going through every article (0.1 s at 10,000). The same content
    reached otherwise has other keys: then its results are made again, never wrong ones."""
    links = [f"{slug}\0{' '.join(sorted(e for e, _, _ in now[slug]))}" for slug in sorted(before)
             if {e for e, _, _ in before[slug]} != {e for e, _, _ in now[slug]}]
    counted = [f"{slug}\0{' '.join(f'{e}:{n}' for e, n, _ in now[slug])}" for slug in sorted(before)
               if [m[:2] for m in before[slug]] != [m[:2] for m in now[slug]]]
    return {"links": _digest("moved", last["links"], *links) if links else last["links"],
            "cooccurring": _digest("moved", last["cooccurring"], *counted) if counted else last["cooccurring"]}


def _link(part: tuple[int, int] | None) -> Any:
    """One worker's share of link_articles: co-occurrence (None), or related articles of a slice of the targets."""
    if part is None:
        from .related import cooccurrence

        return cooccurrence(_shared["ordered"], _shared["mentioned"])
    ranker, tries, keeping = _shared["ranker"], _shared["tries"], _shared["keeping"]
    return ranker.rank_each(_shared["targets"][part[0]:part[1]],
                            lambda i: ranker.kept(i, *tries[i], *keeping) if i in tries else None)


def _card(item: Article | Entity) -> str:
    """A digest of every field of an article or entity but its document (the one page that
    shows a document, as ``body``, has the document's annotation key in its key)."""
    return _digest(_values(tuple(str(value.path) if name == "doc" else value for name, value in vars(item).items())))


def _values(obj: Any) -> bytes:
    """``obj`` pickled without memo, so that the bytes depend on its values only, not on
    which of its parts are one object (faster than repr)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True
    pickler.dump(obj)
    return buffer.getvalue()


class _KeyPickler(pickle.Pickler):
    """Pickles a page's data with each article and entity replaced by its card, or by its
    brief card (without its description) where the page's template cannot show that
    (``full``, see ``render.shown_descriptions``).
    Appearances and related articles, the most numerous, become plain tuples (a
    shortcut: pickled the ordinary way they would give the same keys, more slowly).
    A related article's score is left out: no page shows it, and a new article changes
    every score (the weights depend on how many articles there are), which would make
    every article page again, to the same bytes (10,000 at 10,000 articles)."""

    def __init__(self, buffer: io.BytesIO, cards: dict[int, str], briefs: dict[int, str]) -> None:
        super().__init__(buffer, protocol=5)
        self.fast = True  # no memo: the bytes depend on the values only, not on which objects are shared
        self.cards, self.briefs = dict(cards), dict(briefs)
        self.full: set[int] | None = None
        """id() of the entities keyed with their descriptions (None: all)."""
        self.shown: set[str] = set()
        """Ids of the entities pickled since this was last emptied, with their descriptions."""
        self.brief: set[str] = set()
        """Ids of the entities pickled since this was last emptied, without."""

    def card(self, obj: Article | Entity) -> str:
        card = self.cards.get(id(obj))
        if card is None:
            card = self.cards[id(obj)] = _card(obj)
        return card

    def persistent_id(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is Entity:
            if self.full is None or id(obj) in self.full:
                self.shown.add(obj.id)
                return self.card(obj)
            self.brief.add(obj.id)
            card = self.briefs.get(id(obj))
            if card is None:
                card = self.briefs[id(obj)] = _brief(obj)
            return card
        if kind is Article:
            return self.card(obj)
        if kind is Appearance:
            return (self.card(obj.article), obj.count, obj.sentence)
        if kind is Related:
            return (self.card(obj.article), obj.shared)
        return None


def _brief(entity: Entity) -> str:
    """An entity's card without its description (see ``_KeyPickler``)."""
    return _card(dataclasses.replace(entity, description=""))


def _fresh(stale: _Stale, shown: str) -> bool:
    """Whether a page that showed these entities (``PageKeys.context``'s second part) shows
    nothing that changed of them."""
    if not stale.described:  # nor shown: an entity whose brief card changed has its card changed too
        return True
    full, _, brief = shown.partition("|")
    return stale.described.isdisjoint(full.split()) and stale.shown.isdisjoint(brief.split())


class PageKeys:
    """Page keys: a digest of everything a page is rendered from, in two parts:
    its data (``context``) and the body it shows (``key``)."""

    def __init__(self, base: str, cards: dict[int, str] | None = None, briefs: dict[int, str] | None = None,
                 described: Mapping[str, frozenset[str] | None] | None = None) -> None:
        self.base = base
        self.buffer = io.BytesIO()
        self.pickler = _KeyPickler(self.buffer, cards or {}, briefs or {})
        self.described = described or {}
        """Template -> whose descriptions it shows (``render.describing``); a template not in it: any."""

    def context(self, plan: PagePlan, data: dict[str, Any]) -> tuple[str, str]:
        """The digest of a page's data (``plan.data()``), and the ids of the entities it shows:
        those whose descriptions it can show, '|', the others."""
        self.buffer.seek(0)
        self.buffer.truncate()
        self.pickler.shown.clear()
        self.pickler.brief.clear()
        names = self.described.get(plan.template)
        self.pickler.full = None if names is None else {id(data[n]) for n in names if n in data}
        self.pickler.dump((plan.path, plan.template, data))
        return (_digest(self.buffer.getvalue()),
                f"{' '.join(sorted(self.pickler.shown))}|{' '.join(sorted(self.pickler.brief - self.pickler.shown))}")

    def key(self, context: str, body: str) -> str:
        return _digest(self.base, body, context)


def _annotate(chunk: tuple[int, int]) -> list[_Annotation]:
    """Annotate some of the documents in ``_shared['docs']``."""
    return _annotate_all(_shared["docs"][chunk[0]:chunk[1]])


def _annotate_all(docs: Sequence[tuple[Document, str, str | None, str]]) -> list[_Annotation]:
    """Annotate documents (document, link prefix, entity excluded, key), and count the words
    of articles for search; remember their HTML and word counts (each worker writes its own).
    Those stay in the cache: at 10,000 articles they are 130 MB that the parent would
    hold, and pickle twice, for nothing."""
    from .annotate import annotate

    done = [annotate(doc, _shared["names"], link_all=_shared["link_all"], href_prefix=prefix, exclude=exclude,
                     allow_raw_html=_shared["raw"]) for doc, prefix, exclude, _ in docs]
    counted = [words(a.html) if exclude is None else None for (_, _, exclude, _), a in zip(docs, done)]
    summaries = [mentioned(a) for a in done]
    cache = Cache(_shared["cache"])
    try:
        cache.put("html", ((key, a.html.encode()) for (*_, key), a in zip(docs, done)))
        cache.put("words", ((key, pickle.dumps(w)) for (*_, key), w in zip(docs, counted) if w is not None))
    finally:
        cache.close()
    keep = cache.folder is not None
    return [(m, a.diagnostics, None if keep else a.html, None if keep else w) for m, a, w in zip(summaries, done, counted)]


def suggest(root: Path, jobs: int | None = None) -> list[Candidate]:
    """The names in the articles that no entity file covers (``site-builder suggest``);
    BuildFailed if an article or entity file cannot be read."""
    config, jobs = _settings(root, jobs)

    def find(cache: Cache) -> list[Candidate]:
        if cache.info("code") != _code():
            cache.clear()
            cache.set_info("code", _code())
        files = _Files(cache)
        diagnostics: list[Diagnostic] = []
        articles, entities = load_content(config.content_dir, diagnostics, files.parse)
        if errors := [d for d in diagnostics if d.level == "error"]:
            raise BuildFailed(errors)
        return _candidates(config, articles, entities, cache, jobs, files)

    store = Cache(root / CACHE)
    with _working(), contextlib.closing(store):
        try:
            return find(store)
        except CacheCorrupt:
            store.clear()
            return find(Cache(None))


def _candidates(config: Config, articles: list[Article], entities: list[Entity], cache: Cache, jobs: int,
                files: _Files) -> list[Candidate]:
    """What the detector finds that ``entities`` lack. Each article's text and what the detector
    finds in it are cached by the file's digest and the model."""
    from . import discover  # its model loads only when asked for

    model = _digest((Path(discover.__file__).parent / "data" / discover.MODEL).read_bytes())
    keys = [_digest(model, files.digests[id(a)]) for a in articles]
    found = {k: pickle.loads(v) for k, v in cache.get("detected", keys).items()}
    todo = [i for i, k in enumerate(keys) if k not in found]
    _shared["docs"] = [files.bodies.get(str(a.doc.path)) or files.document(a.doc)  # kept for annotation
                       for a in (articles[i] for i in todo)]
    if todo:
        _annotating()
    shares = _map(_detect, _chunks(len(todo), 16), jobs)
    fresh = dict(zip((keys[i] for i in todo), (r for share in shares for r in share)))
    cache.put("detected", ((k, pickle.dumps(v)) for k, v in fresh.items()), drop=cache.keys("detected") - set(keys))
    found.update(fresh)
    texts, spans = [found[k][0] for k in keys], [found[k][1] for k in keys]
    return candidates(texts, spans, entities, rejected_names(config.content_dir))


def _detect(chunk: tuple[int, int]) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """The running text of some articles, and the names the detector finds in it."""
    from .annotate import prose
    from .discover import detect

    texts = [prose(doc.body) for doc in _shared["docs"][chunk[0]:chunk[1]]]
    return [(text, detect(text)) for text in texts]


class _Indexed(NamedTuple):
    """What a build keeps of its search files for the next (as ``built["search"]``)."""

    key: str
    """A digest of everything the files are made from."""
    blocks: list[str]
    """The keys of the index's blocks."""
    paths: list[str]
    layout: Layout
    listed: str
    """A digest of what ``entities.js`` lists."""


@dataclass
class _Search:
    """The search index of a build."""

    files: list[Page]
    """The files to write (the others are linked from the last build's site)."""
    built: _Indexed
    linked: int
    """How many files were linked from the last build's site, unchanged."""


_Rows = list[tuple[str, str, str, str]]
"""A block's articles: title, slug, date and annotation key."""


def _search(found: _Analysis, cache: Cache, jobs: int, staged: Staging, last: _Indexed | None,
            meanwhile: Callable[[], object] = lambda: None, texts: dict[str, str] | None = None) -> _Search:
    """The search files, made from the blocks of articles; only blocks whose articles changed
    are indexed again, by the workers. When nothing they are made from changed since the
    ``last`` build (a description or an entity's body edited), its files are linked instead.
    When some blocks changed, only the files they change are made, from the last build's
    (``update_files``): the others are linked, and the blocks that did not change are not read.
    ``meanwhile``: the parent's work while the workers index (see ``_map``), if they do. ``texts``:
    the last build's annotation key of each article (its ``texts``): when the articles and their
    titles and dates are the same, the blocks of those whose key changed are taken from the
    cache and made again (``_edited_blocks``), without dealing every article into its block."""
    listed = entity_rows(found.entities, found.index.reach)
    entities = _digest(_values(listed))
    if (last is not None and texts is not None and found.moved is not None and not found.moved.added
            and staged.live is not None and len(last.blocks) == block_count(len(found.articles))):
        # The same articles, titles and dates (the same frame): only the edited articles' blocks changed
        edited = {slug: (texts.get(slug, ""), key) for slug, key in found.texts.items() if texts.get(slug) != key}
        index, made = _edited_blocks(cache, last, edited, staged.live_copy, (listed, entities), found.words, jobs,
                                     meanwhile)
        linked = [] if index is None else sorted(set(index.paths) - {page.path for page in made})
        if index is not None and staged.link_all(linked):
            return _Search(made, index, len(linked))
    blocks: list[_Rows] = [[] for _ in range(block_count(len(found.articles)))]
    for article, key in zip(found.articles, found.keys):
        blocks[block_of(article.slug, len(blocks))].append(
            (article.title, article.slug, article.date.isoformat() if article.date else "", key))
    for block in blocks:
        block.sort(key=lambda row: row[1])
    keys = [_block_key(block) for block in blocks]
    key = _digest(*keys, entities)
    if last is not None and last.key == key and staged.link_all(last.paths):
        return _Search([], last, len(last.paths))
    known: dict[str, Block] = {}
    if last is not None and len(last.blocks) == len(keys) and staged.live is not None:
        changed = [b for b, k in enumerate(keys) if k != last.blocks[b]]
        known = _blocks(cache, jobs, found.words, {keys[b]: blocks[b] for b in changed}, [last.blocks[b] for b in changed],
                        meanwhile)
        if all(last.blocks[b] in known for b in changed):  # the cache keeps the last build's blocks till this one ends
            done = update_files(listed, last.layout, {b: (known[last.blocks[b]], known[keys[b]]) for b in changed},
                                staged.live_copy)
            if done is not None and staged.link_all(done[1]):
                made, linked, layout = done
                return _Search(made, _Indexed(key, keys, [*linked, *(page.path for page in made)], layout, entities),
                               len(linked))
    known.update(_blocks(cache, jobs, found.words, {k: b for k, b in zip(keys, blocks) if k not in known}, (),
                         meanwhile))
    files, layout = search_files(listed, [known[k] for k in keys])
    return _Search(files, _Indexed(key, keys, [page.path for page in files], layout, entities), 0)


def _block_key(rows: _Rows) -> str:
    """The key a block of the search index is kept under: everything it is made from."""
    return _digest(_code(), *(part for row in rows for part in row))


def _blocks(cache: Cache, jobs: int, words: dict[str, tuple[str, str]], wanted: dict[str, _Rows],
            old: Sequence[str] = (), meanwhile: Callable[[], object] = lambda: None,
            edits: Mapping[str, tuple[str, dict[int, tuple[str, str]]]] | None = None) -> dict[str, Block]:
    """The blocks of the ``wanted`` keys, from the cache or indexed again, and those of the
    ``old`` keys that the cache has. ``edits``: a wanted block that is an old one with some
    articles edited (key -> the old block's key, and the place of each edited article with its
    annotation keys before and now), made from the old one where it can be (``patch_block``)."""
    known = {k: pickle.loads(v) for k, v in cache.get("search", [*wanted, *old]).items()}
    for key, (then, places) in (edits or {}).items():
        if key not in known and then in known and (block := _patched(cache, words, known[then], wanted[key], places)):
            known[key] = block
            _keep_block(cache, key, block, wanted[key])
    _shared.update(words=words, blocks=[(k, b) for k, b in wanted.items() if k not in known])
    known.update(zip((k for k, _ in _shared["blocks"]), _map(_index_search, range(len(_shared["blocks"])), jobs,
                                                           meanwhile)))
    return known


def _patched(cache: Cache, words: dict[str, tuple[str, str]], block: Block, rows: _Rows,
             places: dict[int, tuple[str, str]]) -> Block | None:
    """``block`` patched to hold ``rows``, that differ from its own in the annotation keys at
    ``places`` (see ``_blocks``); None if the words of one are not at hand."""
    wanted = [k for keys in places.values() for k in keys if k not in words]
    stored = {k: pickle.loads(v) for k, v in cache.get("words", wanted).items()}
    if not stored.keys() >= set(wanted):
        return None
    counted = {**stored, **words}
    edits = {}
    for place, (then, now) in places.items():
        title, slug, date, _ = rows[place]
        edits[place] = Row(title, slug, date, *counted[then]), Row(title, slug, date, *counted[now])
    return patch_block(block, len(rows), edits)


def _index_search(number: int) -> Block:
    """Index one block of articles for search and remember it (each worker writes its own)."""
    key, block = _shared["blocks"][number]
    counted: dict[str, tuple[str, str]] = _shared["words"]
    cache = Cache(_shared["cache"])
    try:
        wanted = [k for *_, k in block if k not in counted]
        stored = {k: pickle.loads(v) for k, v in cache.get("words", wanted).items()}
        if not set(wanted) <= stored.keys():
            raise CacheCorrupt("word counts missing from the cache")
        rows = [Row(title, slug, date, *(counted.get(k) or stored[k])) for title, slug, date, k in block]
        result = index_block(rows)
        _keep_block(cache, key, result, block)
    finally:
        cache.close()
    return result


def _keep_block(cache: Cache, key: str, block: Block, rows: _Rows) -> None:
    """Remember a block of the index under its key, and the rows it was made of (for an edit
    alone, see ``_edited_blocks``)."""
    cache.put("search", [(key, pickle.dumps(block))])
    cache.put("rows", [(key, pickle.dumps(rows))])


def _render(part: int) -> tuple[list[tuple[str, str, str, str, bool]], int]:
    """Render and stage one worker's share of the pages (pages never cross processes);
    a page whose key is unchanged is linked from the current site instead. Also stages
    a share of the static and search files (creating a file costs the system more than
    writing it: it is worth two processes). Returns (path, key, data digest, entities shown,
    written) for each page, and how many of the other files were written.

    The data of a page that is not ``stale`` is the last build's: its digest is not made again."""
    plans: list[PagePlan] = _shared["plans"][part::_shared["parts"]]
    old, bodies, staged = _shared["old"], _shared["bodies"], _shared["staged"]
    page_key = PageKeys(_shared["base"], _shared["cards"], _shared["briefs"], _shared["described"])
    stale: _Stale | None = _shared["stale"]
    cache = Cache(_shared["cache"])  # a connection of this process's own, opened if needed
    env = _shared.get("env") or _shared.setdefault("env", make_environment(_shared["config"], _compiled(cache)))
    done: list[tuple[str, str, str, str, bool]] = []
    try:
        for start in range(0, len(plans), 256):  # a batch at a time: the data of the pages waiting is kept
            todo: list[tuple[PagePlan, str, str, str, dict[str, Any] | None]] = []
            for plan in plans[start:start + 256]:
                body = bodies[plan.body] if plan.body else ""
                last = old.get(plan.path)
                data = None
                if stale is not None and last is not None and plan.path not in stale.paths and _fresh(stale, last[2]):
                    context, shown = last[1], last[2]
                else:
                    data = plan.data()
                    context, shown = page_key.context(plan, data)
                key = page_key.key(context, body)
                if last is not None and last[0] == key and staged.link(plan.path):
                    done.append((plan.path, key, context, shown, False))
                else:
                    todo.append((plan, key, context, shown, data))
            html: dict[str, str] = _shared["html"]
            wanted = [bodies[plan.body] for plan, *_ in todo if plan.body and bodies[plan.body] not in html]
            if wanted:
                html = {**html, **{k: v.decode() for k, v in cache.get("html", wanted).items()}}
                if not set(wanted) <= html.keys():
                    raise CacheCorrupt("annotated text missing from the cache")
            for plan, key, context, shown, data in todo:
                page = render_page(env, _shared["config"], plan, html[bodies[plan.body]] if plan.body else "", data)
                done.append((plan.path, key, context, shown, staged.write(page)))
    finally:
        cache.close()
    return done, sum(staged.write(page) for page in _shared["files"][part::_shared["parts"]])


def _prepare(config: Config, cache: Cache) -> None:
    """What the parent does while the workers annotate many articles (else it waits): import
    the ranking's numpy, load the templates, compiled, for the workers that will render
    (each compiled them, 0.1-0.14 s, when a build found none compiled), and find whose
    descriptions each can show (``describing``, 0.09 s)."""
    importlib.import_module(".related", __package__)
    _shared["describing"] = describing(config)
    env = make_environment(config, _compiled(cache))
    for name in env.list_templates():
        with contextlib.suppress(Exception):  # not a template, or a broken one: rendering will tell, if used
            env.get_template(name)
    _shared["env"] = env


def _compiled(cache: Cache) -> Path | None:
    """Where the cache keeps compiled templates (see ``make_environment``)."""
    return cache.folder / "templates" if cache.folder is not None else None


def _annotating() -> None:
    """Import the annotate stage (and markdown-it) in this process, before it forks workers
    that annotate: each would import it again. A build with nothing to annotate (an edit to
    an entity's description, to a template) never imports it: 0.05-0.09 s."""
    importlib.import_module(".annotate", __package__)


def _chunks(count: int, size: int) -> list[tuple[int, int]]:
    """(start, stop) of each run of ``size`` items of ``count``: one task for a worker."""
    return [(start, min(start + size, count)) for start in range(0, count, size)]


class _Once:
    """A call made the first time only: work that ``_map`` may do meanwhile, and that must be done in any case."""

    def __init__(self, work: Callable[[], object]) -> None:
        self.work: Callable[[], object] | None = work

    def __call__(self) -> None:
        work, self.work = self.work, None
        if work is not None:
            work()


def _map(function: Callable[[T], R], items: Sequence[T], jobs: int,
         meanwhile: Callable[[], object] = lambda: None) -> list[R]:
    """``map`` over forked workers that inherit ``_shared``, in order; in-process for one job.
    ``meanwhile``: work of the parent's that the workers do not need, done while they work
    (else one core would wait for it), or after an in-process map."""
    if jobs == 1 or len(items) < 2:
        done = list(map(function, items))
        meanwhile()
        return done
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        pending = pool.map_async(function, items, chunksize=1)  # the tasks are few and big: taken one at a time
        meanwhile()
        return pending.get()
