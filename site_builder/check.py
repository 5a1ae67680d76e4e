"""``site-builder check``: what a build would report, and what only a reader would notice.

Beyond the build's own errors and warnings: entities no article mentions,
articles that mention no entity, and links in articles and entity pages that
lead to no page of the site.
"""

from __future__ import annotations

import posixpath
import re
import urllib.parse
from collections.abc import Iterable

from .errors import Diagnostic
from .index import SiteIndex
from .model import Document

_HREF = re.compile(r"""<(?:a|img)\b[^>]*?\b(href|src)="([^"]*)\"""")


def findings(index: SiteIndex, documents: Iterable[tuple[str, Document, str]], pages: set[str]) -> list[Diagnostic]:
    """Findings about the indexed site; ``documents`` are (page path, source, annotated HTML),
    ``pages`` every file the site will have."""
    found: list[Diagnostic] = []
    for entity in index.entities.values():
        if not index.reach.get(entity.id) and not index.credits.get(entity.id):
            found.append(Diagnostic(entity.doc.path, 1, f"no article mentions '{entity.name}'", "warning"))
    for article in index.articles:
        if not index.mention_counts.get(article.slug):
            found.append(Diagnostic(article.doc.path, 1, f"'{article.title}' mentions no entity", "warning"))
    for page, doc, html in documents:
        for _, target in _HREF.findall(html):
            resolved = _local_target(page, target)
            if resolved is not None and resolved not in pages:
                found.append(Diagnostic(doc.path, _line_of(doc, target),
                                        f"link to '{target}' leads to no page of the site"))
    return found


def _local_target(page: str, href: str) -> str | None:
    """The site path a relative link points to, or None for external links and anchors."""
    href = href.replace("&amp;", "&")
    parts = urllib.parse.urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    path = urllib.parse.unquote(parts.path)
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    return target + "/index.html" if path.endswith("/") else target


def _line_of(doc: Document, target: str) -> int:
    """The line of the file where ``target`` is written (documents come without their body)."""
    try:
        text = doc.path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeError):
        return doc.body_line
    at = text.find(target, text.find("\n", 1))
    return text.count("\n", 0, at) + 1 if at >= 0 else doc.body_line
