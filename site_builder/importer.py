"""``site-builder import``: text files and saved web pages -> Markdown articles with front matter.

Plain text, as copied from a web page: the first line is the title; the lines
before the first paragraph hold the byline (author, publication, date, reading
time, image credit), which go to front matter or are dropped; short lines
standing alone become headings; separator lines and the author box after them
are dropped.

Saved web pages: trafilatura finds the article body (F1 0.958 over word
shingles on the 127 saved news pages of ../shared/corpora/news-html, against
0.726 for the hand-written BeautifulSoup extractor below; see
benchmarks/extraction.py) and the title, author, date, site name and
canonical URL from the page's metadata (meta tags, OpenGraph, JSON-LD).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SiteError
from .new import slugify, write_content

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], tuple[int, int, int]]], ...] = (
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?!\d)"), lambda m: (int(m[1]), int(m[2]), int(m[3]))),
    # no \b before the month: pages glue it on ("3 min readJun 20, 2024")
    (re.compile(r"([A-Z][a-z]{2})[a-z]*\.? (\d{1,2}),? (\d{4})\b"),
     lambda m: (int(m[3]), _MONTHS.get(m[1].lower(), 0), int(m[2]))),
    (re.compile(r"\b(\d{1,2}) ([A-Z][a-z]{2})[a-z]*\.? (\d{4})\b"),
     lambda m: (int(m[3]), _MONTHS.get(m[2].lower(), 0), int(m[1]))),
)
_READING_TIME = re.compile(r"\b\d+\s*min(ute)?s?\s+read", re.IGNORECASE)
_CREDIT = re.compile(r"^(credit|photo|image|picture|source|illustration)( credit)?s?\s*:", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\s*([-*_=~•·]\s*){2,}$")
_LABELS = re.compile(r"^(published in|editor for|written by|follow|share|listen|sign up|member-only story)$",
                     re.IGNORECASE)


@dataclass
class Imported:
    """An article taken from a file: front matter fields and a Markdown body."""

    title: str
    body: str
    date: dt.date | None = None
    author: str = ""
    publication: str = ""
    source: str = ""
    summary: str = ""

    def front_matter(self) -> dict[str, object]:
        fields = {"title": self.title, "date": self.date, "author": self.author, "publication": self.publication,
                  "source": self.source, "summary": self.summary}
        return {key: value for key, value in fields.items() if value}


def find_date(text: str) -> dt.date | None:
    """The first date in a line such as '3 min readJun 20, 2024', '20 June 2024' or '2024-06-20'."""
    for pattern, parts in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            try:
                return dt.date(*parts(match))
            except ValueError:
                continue
    return None


def from_text(text: str) -> Imported:
    """An article from plain text copied from a web page (see the module docstring)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    if not blocks:
        raise SiteError("the file is empty")
    lines = blocks[0].split("\n")
    title, header = lines[0].strip(), [line.strip() for line in lines[1:]]
    blocks = blocks[1:]
    while blocks and _is_header(blocks[0]):  # byline blocks before the first paragraph
        header += [line.strip() for line in blocks.pop(0).split("\n")]
    found = Imported(title=title, body="", date=None)
    names = []
    for line in header:
        if _READING_TIME.search(line) or find_date(line):
            found.date = found.date or find_date(line)
        elif _CREDIT.match(line) or _LABELS.match(line) or not line:
            continue
        else:
            names.append(re.sub(r"^by\s+", "", line, flags=re.IGNORECASE))
    found.author = names[0] if names else ""
    found.publication = names[1] if len(names) > 1 else ""
    found.body = "\n\n".join(_markdown_block(b) for b in _drop_author_box(blocks, found.author)) + "\n"
    return found


def _is_header(block: str) -> bool:
    lines = block.split("\n")
    return all(len(line) < 80 and not line.rstrip().endswith((".", "?", "!", "”", '"')) for line in lines) and (
        len(lines) > 1 or bool(_CREDIT.match(lines[0]) or _READING_TIME.search(lines[0]) or find_date(lines[0])))


def _drop_author_box(blocks: list[str], author: str) -> list[str]:
    """Cut at the first separator line; what follows it is the author box, share links..."""
    for i, block in enumerate(blocks):
        if _SEPARATOR.match(block):
            rest = " ".join(b for b in blocks[i + 1:] if not _SEPARATOR.match(b))
            if not rest or (author and rest.startswith(author)):
                return blocks[:i]
    return [b for b in blocks if not _SEPARATOR.match(b)]


def _markdown_block(block: str) -> str:
    """A paragraph as Markdown: a short line standing alone, without final punctuation, is a heading."""
    if "\n" not in block and len(block) < 90 and block[:1].isupper() and not block.rstrip().endswith(
            (".", ",", ";", ":", "?", "!", "”", '"', ")")):
        return f"## {block.strip()}"
    return _escape(block)


def _escape(text: str) -> str:
    """Plain text that Markdown would read as markup ('1. ' lists, '# ' headings, '<tags>') kept as text."""
    return _escape_starts(text).replace("<", "&lt;")


def _escape_starts(text: str) -> str:
    """Lines that Markdown would read as a list, heading or quote, kept as text."""
    text = re.sub(r"^(\s*)([#>+*-])(\s)", r"\1\\\2\3", text, flags=re.MULTILINE)
    return re.sub(r"^(\s*\d+)([.)])(\s)", r"\1\\\2\3", text, flags=re.MULTILINE)


def from_html(html: str | bytes, extractor: str = "trafilatura") -> Imported:
    """An article from a saved web page: its body as Markdown and its metadata."""
    import trafilatura  # imported on demand: it takes a third of a second

    if extractor == "trafilatura":
        clean = trafilatura.extract(html, output_format="html", include_comments=False, include_tables=True,
                                    include_links=True, include_images=True, include_formatting=True)
        body = to_markdown(clean) if clean else ""
    else:
        body = extract_with_soup(html)
    if len(re.findall(r"\w+", body)) < 10:  # a menu or a cookie notice is not an article
        raise SiteError("no article text found in the page")
    meta = trafilatura.extract_metadata(html)
    title = (meta.title if meta else "") or _first_heading(body) or "Untitled"
    body = _drop_title(body, title)
    date = None
    if meta and meta.date:
        try:
            date = dt.date.fromisoformat(meta.date[:10])
        except ValueError:
            date = None
    source = meta.url if meta and meta.url and meta.url.startswith(("http://", "https://")) else ""
    return Imported(title=title.strip(), body=body.strip() + "\n", date=date,
                    author=(meta.author or "").strip() if meta else "",
                    publication=(meta.sitename or "").strip() if meta else "", source=source,
                    summary=(meta.description or "").strip() if meta else "")


def to_markdown(html: str) -> str:
    """Clean article HTML (as trafilatura gives it) as Markdown: headings, paragraphs, lists,
    quotes, links, images with their alt text, emphasis, code and simple tables."""
    from bs4 import BeautifulSoup

    root = BeautifulSoup(html, "html.parser")
    return "\n\n".join(b for b in _blocks(root.body or root) if b.strip()) + "\n"


def _blocks(node: Any) -> list[str]:
    from bs4.element import NavigableString, Tag

    out: list[str] = []
    loose: list[str] = []
    for child in node.children:
        if isinstance(child, NavigableString) or (isinstance(child, Tag) and child.name not in _BLOCK_TAGS):
            loose.append(_inline(child))
            continue
        if "".join(loose).strip():
            out.append(" ".join("".join(loose).split()))
        loose = []
        name = child.name
        if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            out.append("#" * int(name[1]) + " " + " ".join(_inline(child).split()))
        elif name == "p":
            text = " ".join(_inline(child).split())
            out.append(_escape_starts(text))
        elif name == "blockquote":
            inner = "\n\n".join(_blocks(child))
            out.append("\n".join(f"> {line}" if line else ">" for line in inner.split("\n")))
        elif name in ("ul", "ol"):
            items = [li for li in child.find_all("li", recursive=False)]
            out.append("\n".join(f"{f'{i}.' if name == 'ol' else '-'} {' '.join(_inline(li).split())}"
                                 for i, li in enumerate(items, 1)))
        elif name == "pre":
            out.append(f"```\n{child.get_text().strip(chr(10))}\n```")
        elif name == "table":
            rows = [[" ".join(_inline(c).split()).replace("|", "\\|") for c in tr.find_all(["td", "th"])]
                    for tr in child.find_all("tr")]
            if rows and rows[0]:
                width = max(len(r) for r in rows)
                rows = [r + [""] * (width - len(r)) for r in rows]
                out.append("\n".join(["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width,
                                      *("| " + " | ".join(r) + " |" for r in rows[1:])]))
        else:
            out.extend(_blocks(child))
    if "".join(loose).strip():
        out.append(" ".join("".join(loose).split()))
    return out


_BLOCK_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "blockquote", "ul", "ol", "pre", "table", "div", "section",
               "article", "main", "body", "figure", "figcaption", "dl", "hr"}


def _inline(node: Any) -> str:
    from bs4.element import NavigableString

    if isinstance(node, NavigableString):
        return re.sub(r"([\\`*_\[\]<])", r"\\\1", str(node))
    inner = "".join(_inline(c) for c in node.children)
    name = node.name
    if name == "a" and node.get("href", "").startswith(("http://", "https://", "mailto:")):
        return f"[{inner.strip()}]({_destination(node['href'])})" if inner.strip() else ""
    if name == "img" and node.get("src", "").startswith(("http://", "https://")):
        alt = re.sub(r"([\\\[\]])", r"\\\1", node.get("alt", "").strip())
        return f"![{alt}]({_destination(node['src'])})"
    if name in ("b", "strong") and inner.strip():
        return f"**{inner.strip()}**"
    if name in ("i", "em") and inner.strip():
        return f"*{inner.strip()}*"
    if name == "code" and inner.strip():
        return f"`{node.get_text()}`"
    if name == "br":
        return "\n"
    return inner


def _destination(url: str) -> str:
    """A link destination Markdown reads whole: in <...> when it has spaces or brackets."""
    url = url.replace("<", "%3C").replace(">", "%3E")
    return f"<{url}>" if re.search(r"[\s()]", url) else url


def _first_heading(body: str) -> str:
    match = re.search(r"^#+\s+(.+)$", body, re.MULTILINE)
    return match[1] if match else ""


def _drop_title(body: str, title: str) -> str:
    """The page's own headline repeated at the top of the body."""
    first, _, rest = body.strip().partition("\n")
    return rest if first.lstrip("# ").strip() == title.strip() else body


_NOISE = re.compile(r"comment|share|social|related|promo|advert|\bads?\b|newsletter|subscribe|cookie|footer|"
                    r"\bnav|menu|sidebar|banner|popup|modal|breadcrumb|recommend|outbrain|taboola", re.IGNORECASE)


def extract_with_soup(html: str | bytes) -> str:
    """A hand-written extractor, kept to measure trafilatura against: the element whose
    paragraphs hold the most text, as Markdown."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg",
                     "button", "figure"]):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.attrs is not None and _NOISE.search(f"{tag.get('class')} {tag.get('id')}"):
            tag.decompose()
    scores: dict[int, tuple[int, object]] = {}
    for p in soup.find_all("p"):
        parent = p.parent
        if parent is not None:
            old = scores.get(id(parent), (0, parent))[0]
            scores[id(parent)] = (old + len(p.get_text(" ", strip=True)), parent)
    if not scores:
        return soup.get_text("\n\n", strip=True)
    best = max(scores.values(), key=lambda s: s[0])[1]
    out = []
    for tag in best.find_all(["p", "h2", "h3", "h4", "li", "blockquote"]):  # type: ignore[attr-defined]
        text = tag.get_text(" ", strip=True)
        if text:
            out.append(("## " if tag.name in ("h2", "h3", "h4") else "- " if tag.name == "li" else "") + text)
    return "\n\n".join(out)


def write_article(article: Imported, folder: Path, stem: str, force: bool = False) -> Path:
    """Write ``folder/<slug>.md``; an existing file is an error unless ``force``."""
    slug = slugify(article.title) or slugify(stem) or "article"
    return write_content(folder / f"{slug}.md", article.front_matter(), f"\n{article.body}", force,
                         " (use --force to replace it)")


def import_files(paths: Iterable[Path], folder: Path, force: bool = False,
                 report: Callable[[str], None] = print) -> int:
    """Import each file (``.txt``, ``.html``/``.htm``); returns how many failed or were skipped."""
    problems = 0
    for path in paths:
        try:
            data = path.read_bytes()
            if path.suffix.lower() in (".html", ".htm", ".xhtml"):
                article = from_html(data)
            else:
                try:
                    article = from_text(data.decode("utf-8"))
                except UnicodeDecodeError as err:
                    raise SiteError(f"not valid UTF-8 (byte {err.start}); save the file as UTF-8") from None
            made = write_article(article, folder, path.stem, force)
        except (SiteError, OSError) as err:
            problems += 1
            report(f"{path}: {err.strerror if isinstance(err, OSError) else err}; skipped")
            continue
        report(f"{path} -> {made}")
    return problems
