"""Stage 1, load: content/ -> Articles and Entities, with every error found.

Reading is strict and complete: each problem becomes a Diagnostic naming the
file and line, and loading goes on so that one run reports them all.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from .config import closest
from .errors import Diagnostic
from .model import ENTITY_TYPES, Article, Document, Entity

ARTICLE_KEYS = ("title", "date", "author", "publication", "source", "summary", "tags")
ENTITY_KEYS = ("name", "type", "aliases", "short_names", "description", "links", "match_case", "draft")
_SLUG_RE = re.compile(r"^\w[\w.-]*$")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader (libyaml's when built in: 10x faster) that leaves dates as text,
    so a bad date is our error, not a crash."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Fields:
    """Front matter values with the line each key is on, and the errors found reading them."""

    def __init__(self, path: Path, data: dict[str, Any], lines: dict[str, int],
                 diagnostics: list[Diagnostic]) -> None:
        self.path, self.data, self.lines, self.diagnostics = path, data, lines, diagnostics

    def error(self, key: str, message: str) -> None:
        self.diagnostics.append(Diagnostic(self.path, self.lines.get(key, 1), message))

    def text(self, key: str, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, f"missing required '{key}' in the front matter")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.error(key, f"'{key}' must be non-empty text, not {value!r}")
            return ""
        return value.strip()

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(key, f"'{key}' must be a list of text, like [a, b]")
            return ()
        return tuple(v.strip() for v in value)


def read_document(path: Path, diagnostics: list[Diagnostic]) -> tuple[dict[str, Any], dict[str, int], Document] | None:
    """Split a file into front matter (values and key lines) and a Markdown body."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        diagnostics.append(Diagnostic(path, 0, f"cannot read: {err.strerror}"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        diagnostics.append(Diagnostic(path, line, f"not valid UTF-8 (byte {err.start}); save the file as UTF-8"))
        return None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        diagnostics.append(Diagnostic(path, 1, "no front matter: the file must start with a '---' line"))
        return None
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        diagnostics.append(Diagnostic(path, 1, "front matter is not closed: add a '---' line after it"))
        return None
    loader = _Loader("\n".join(lines[1:close]))
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = min(mark.line + 2, close) if mark is not None else 1  # end of input: its last line
        problem = getattr(err, "problem", None) or str(err)
        diagnostics.append(Diagnostic(path, line, f"invalid front matter: {problem}"))
        return None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        diagnostics.append(Diagnostic(path, 2, "front matter must be 'key: value' lines, not a list or text"))
        return None
    key_lines = {str(k.value): k.start_mark.line + 2 for k, _ in node.value} if node is not None else {}
    body = "\n".join(lines[close + 1:])
    return data, key_lines, Document(path=path, body=body, body_line=close + 2)


def _known_keys(fields: _Fields, known: tuple[str, ...]) -> None:
    for key in fields.data:
        if key not in known:
            fields.diagnostics.append(Diagnostic(
                fields.path, fields.lines.get(str(key), 1),
                f"unknown front matter key '{key}'{closest(str(key), known)}", level="warning"))


def _stem(path: Path, diagnostics: list[Diagnostic]) -> str | None:
    stem = path.stem
    if not _SLUG_RE.match(stem) or ".." in stem:
        diagnostics.append(Diagnostic(path, 0, f"file name '{path.name}' cannot be used in a URL: "
                                      "use letters, digits, '-', '_' and '.'"))
        return None
    return stem


def _front(path: Path, known: tuple[str, ...], diagnostics: list[Diagnostic]) -> tuple[str, Document, _Fields] | None:
    """A content file's stem, body and front matter fields (unknown keys warned about)."""
    stem = _stem(path, diagnostics)
    read = read_document(path, diagnostics)
    if read is None or stem is None:
        return None
    data, lines, doc = read
    fields = _Fields(path, data, lines, diagnostics)
    _known_keys(fields, known)
    return stem, doc, fields


def load_article(path: Path, diagnostics: list[Diagnostic]) -> Article | None:
    front = _front(path, ARTICLE_KEYS, diagnostics)
    if front is None:
        return None
    slug, doc, f = front
    errors_before = len(diagnostics)
    title = f.text("title", required=True)
    date = _date(f)
    source = f.text("source")
    if source and not re.match(r"https?://\S+$", source):
        f.error("source", f"'source' must be a URL starting with http:// or https://, not {source!r}")
    article = Article(slug=slug, title=title, doc=doc, date=date, author=f.text("author"),
                      publication=f.text("publication"), source=source,
                      summary=f.text("summary"), tags=f.text_list("tags"))
    return article if not _new_errors(diagnostics, errors_before) else None


def _date(f: _Fields) -> dt.date | None:
    value = f.data.get("date")
    if value is None:
        return None
    if re.fullmatch(r"\d{4}-\d\d-\d\d", str(value)):
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            pass
    f.error("date", f"'date' must be a real date written YYYY-MM-DD, not {value!r}")
    return None


def load_entity(path: Path, diagnostics: list[Diagnostic]) -> Entity | None:
    front = _front(path, ENTITY_KEYS, diagnostics)
    if front is None:
        return None
    entity_id, doc, f = front
    data = f.data
    errors_before = len(diagnostics)
    name = f.text("name", required=True)
    kind = f.text("type") or "thing"
    if kind not in ENTITY_TYPES:
        f.error("type", f"'type' must be one of {', '.join(ENTITY_TYPES)}, not {kind!r}{closest(kind, ENTITY_TYPES)}")
    match_case, draft = data.get("match_case", True), data.get("draft", False)
    for key, value in (("match_case", match_case), ("draft", draft)):
        if not isinstance(value, bool):
            f.error(key, f"'{key}' must be true or false")
    links = data.get("links") or {}
    if not isinstance(links, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in links.items()):
        f.error("links", "'links' must be a map of label: URL")
        links = {}
    entity = Entity(id=entity_id, name=name, doc=doc, type=kind, aliases=f.text_list("aliases"),
                    short_names=f.text_list("short_names"), description=f.text("description"),
                    links=tuple(links.items()), match_case=bool(match_case), draft=draft is True)
    return entity if not _new_errors(diagnostics, errors_before) else None


def _new_errors(diagnostics: list[Diagnostic], since: int) -> bool:
    return any(d.level == "error" for d in diagnostics[since:])


Parse = Callable[[str, Callable[[Path, list[Diagnostic]], Any]], tuple[Any, list[Diagnostic]]]
"""Reads one file (by path) with a loader: (item or None, its diagnostics). The pipeline
passes one that remembers files it has read before."""


def parse_file(path: str | Path, load: Callable[[Path, list[Diagnostic]], Any]) -> tuple[Any, list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    return load(Path(path), diagnostics), diagnostics


def markdown_files(folder: Path, seen: Iterable[str] | None = None) -> list[str]:
    """The paths of the ``.md`` files under ``folder``, in a fixed order; names starting with
    '_' or '.' are left out (drafts, editor files), and so are folders starting with '.' and
    Python's ``__pycache__``. Text, not Path: a rebuild only looks up most of them (among what
    it read before), and making, printing and hashing 13,000 Paths took a tenth of a second.

    ``seen``: every file path under ``folder`` (and others), as a walk of it sorted as this one
    found them (``write.fingerprint``'s): picked from, without walking again (0.03 s at
    10,000 articles)."""
    if seen is not None:
        prefix = os.path.join(folder, "")
        return [path for path in seen if path.startswith(prefix) and path.endswith(".md") and _listed(path[len(prefix):])]
    found = []
    for top, folders, names in os.walk(folder):
        folders[:] = sorted(f for f in folders if not f.startswith(".") and f != "__pycache__")
        found += [os.path.join(top, name) for name in sorted(names) if _listed(name)]
    return found


def _listed(relative: str) -> bool:
    """Whether a file at this path (under a content folder) is content, by its names."""
    if os.sep not in relative:  # most: no folder
        return relative.endswith(".md") and not relative.startswith(("_", "."))
    *folders, name = relative.split(os.sep)
    return _listed(name) and not any(f.startswith(".") or f == "__pycache__" for f in folders)


def _load_all(folder: Path, load: Callable[[Path, list[Diagnostic]], Any], key: Callable[[Any], str], what: str,
              diagnostics: list[Diagnostic], parse: Parse, paths: list[str] | None = None) -> list[Any]:
    items: list[Any] = []
    first: dict[str, str] = {}
    for path in markdown_files(folder) if paths is None else paths:
        item, found = parse(path, load)
        diagnostics += found
        if item is None:
            continue
        if key(item) in first:
            diagnostics.append(Diagnostic(Path(path), 1, f"two {what} '{key(item)}': {first[key(item)]} and {path}; rename one"))
            continue
        first[key(item)] = path
        items.append(item)
    return items


def load_articles(content_dir: Path, diagnostics: list[Diagnostic], parse: Parse = parse_file,
                  paths: list[str] | None = None) -> list[Article]:
    """Every article under ``content_dir/articles`` (``paths``: its ``markdown_files``, if
    listed already); problems go to ``diagnostics``."""
    return _load_all(content_dir / "articles", load_article, lambda a: a.slug, "articles have the slug",
                     diagnostics, parse, paths)


def load_entities(content_dir: Path, diagnostics: list[Diagnostic], parse: Parse = parse_file,
                  paths: list[str] | None = None) -> list[Entity]:
    """Every entity under ``content_dir/entities`` (``paths``: its ``markdown_files``, if listed
    already); problems go to ``diagnostics``."""
    return _load_all(content_dir / "entities", load_entity, lambda e: e.id, "entities have the id",
                     diagnostics, parse, paths)


def load_content(content_dir: Path, diagnostics: list[Diagnostic],
                 parse: Parse = parse_file) -> tuple[list[Article], list[Entity]]:
    """Every article and entity under ``content_dir``; problems go to ``diagnostics``."""
    return load_articles(content_dir, diagnostics, parse), load_entities(content_dir, diagnostics, parse)
