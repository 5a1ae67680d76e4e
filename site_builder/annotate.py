"""Stage 2, annotate: one Markdown document -> HTML with entity links, and its mentions.

The only module that imports markdown_it, which a text of paragraphs and
one-line headings without other Markdown syntax (most news text) skips: the HTML
of each is made at once from its text and links (``_plain_blocks``), as
markdown-it would.

Otherwise entity links are made in the token stream, after inline parsing
(like markdown-it's linkify rule): runs of ``text`` and ``softbreak`` tokens
are searched as one string, so a name may cross a soft line break, and the
tokens are split around each match into
``link_open``/``text``/``link_close``. Code spans, links, autolinks, images,
raw HTML and headings are other token types or skipped regions, so they are
never touched, and since only whole text runs outside links are searched no
link can nest in another. Splitting tokens never changes their text: the
visible text is the same with and without annotation.

``[[Name]]`` and ``[[Name|shown text]]`` are an inline rule that yields
``entity_ref`` tokens, resolved here against the name table.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, isLinkClose, isLinkOpen
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore, normalize
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from .errors import Diagnostic
from .highlight import highlight_code
from .model import Annotated, Document, Mention
from .names import NameTable, sentence_at, sentence_starts


@dataclass
class _State:
    """What one document's annotation needs and finds; lives in markdown-it's env."""

    doc: Document
    names: NameTable
    link_all: bool
    href_prefix: str
    exclude: str | None
    seen: set[str] = field(default_factory=set)
    """Entities mentioned in full so far: their short names are now valid."""
    linked: set[str] = field(default_factory=set)
    mentions: list[Mention] = field(default_factory=list)
    mentioned: set[str] = field(default_factory=set)
    sentences: tuple[str, list[int]] = ("", [0])
    """The plain text of the current inline and where its sentences start (computed once)."""
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _entity_ref(state: StateInline, silent: bool) -> bool:
    """Inline rule: ``[[Name]]`` or ``[[Name|shown text]]``."""
    src, start = state.src, state.pos
    if not src.startswith("[[", start):
        return False
    end = src.find("]]", start + 2)
    inner = src[start + 2:end] if end > 0 else ""
    if not inner.strip() or "[" in inner or "]" in inner:
        return False
    if not silent:
        name, _, shown = inner.partition("|")
        token = state.push("entity_ref", "", 0)
        token.meta = {"name": " ".join(name.split()), "text": shown.strip() or name.strip(), "pos": start}
    state.pos = end + 2
    return True


def _entities(state: StateCore) -> None:
    """Core rule: link entity mentions in every inline token."""
    st: _State | None = state.env.get("site_builder")
    if st is None:
        return
    tokens = state.tokens
    line = 0
    for i, token in enumerate(tokens):
        if token.map:
            line = token.map[0]
        if token.type == "inline" and token.children:
            heading = i > 0 and tokens[i - 1].type == "heading_open"
            token.children = _annotate_inline(token.children, token.content, line, heading, st)


def _plain_piece(token: Token) -> str:
    if token.type in ("text", "code_inline"):
        return token.content
    if token.type in ("softbreak", "hardbreak"):
        return " "
    if token.type == "entity_ref":
        return str(token.meta["text"])
    return ""


def _annotate_inline(children: list[Token], content: str, line: int, heading: bool, st: _State) -> list[Token]:
    if len(children) == 1 and children[0].type == "text" and not heading:
        # A paragraph on one line without markup (most of them): one run, whose text is the plain text.
        return _link_run(children, children[0].content, 0, st)
    plain = "".join(_plain_piece(t) for t in children)
    out: list[Token] = []
    run: list[Token] = []
    offset = run_start = 0
    link_depth = html_link_depth = 0
    for token in children:
        if token.type in ("text", "softbreak") and not (heading or link_depth or html_link_depth):
            if not run:
                run_start = offset
            run.append(token)
            offset += len(_plain_piece(token))
            continue
        if run:
            out += _link_run(run, plain, run_start, st)
            run = []
        if token.type == "link_open":
            link_depth += 1
        elif token.type == "link_close":
            link_depth -= 1
        elif token.type == "html_inline":
            html_link_depth += isLinkOpen(token.content) - isLinkClose(token.content)
            html_link_depth = max(html_link_depth, 0)
        elif token.type == "entity_ref":
            out += _explicit(token, plain, offset, content, line, bool(link_depth or html_link_depth), st)
            offset += len(_plain_piece(token))
            continue
        offset += len(_plain_piece(token))
        out.append(token)
    if run:
        out += _link_run(run, plain, run_start, st)
    return out


def _link_tokens(entity_id: str, inner: list[Token], st: _State) -> list[Token]:
    opening = Token("link_open", "a", 1, attrs={
        "class": "entity", "data-entity": entity_id, "href": f"{st.href_prefix}{entity_id}.html"})
    return [opening, *inner, Token("link_close", "a", -1)]


def _record(entity_id: str, text: str, plain: str, at: int, link: bool, st: _State) -> bool:
    """Note a mention; returns whether it becomes a link."""
    link = link and (st.link_all or entity_id not in st.linked)
    if link:
        st.linked.add(entity_id)
    sentence = ""
    if entity_id not in st.mentioned:
        st.mentioned.add(entity_id)
        if st.sentences[0] is not plain:
            st.sentences = (plain, sentence_starts(plain))
        sentence = sentence_at(plain, at, st.sentences[1])
    st.mentions.append(Mention(entity_id, " ".join(text.split()), sentence, link))
    return link


def _explicit(token: Token, plain: str, at: int, content: str, line: int, in_link: bool, st: _State) -> list[Token]:
    name, shown = token.meta["name"], token.meta["text"]
    text = Token("text", "", 0, content=shown)
    entity_id, problem = st.names.lookup(name)
    if entity_id is None:
        where = st.doc.body_line + line + content[: token.meta["pos"]].count("\n")
        st.diagnostics.append(Diagnostic(st.doc.path, where, problem))
        return [text]
    if entity_id == st.exclude:
        return [text]
    st.seen.add(entity_id)
    st.linked.discard(entity_id)  # an explicit link is always a link
    if _record(entity_id, shown, plain, at, not in_link, st):
        return _link_tokens(entity_id, [text], st)
    return [text]


def _link_run(run: list[Token], plain: str, base: int, st: _State) -> list[Token]:
    """Split a run of text/softbreak tokens around the entity names in it."""
    if len(run) == 1 and run[0].type == "text":
        return _link_text(run, plain, base, st)
    return _split_run(run, plain, base, st)


def _split_run(run: list[Token], plain: str, base: int, st: _State) -> list[Token]:
    """``_link_run`` of any run: the tokens cut around the names, links made of tokens."""
    combined = "".join(token.content if token.type == "text" else "\n" for token in run)
    out: list[Token] = []
    cursor = 0
    for m in st.names.find(combined, st.seen, st.exclude):
        if m.entity_id is not None and _record(m.entity_id, combined[m.start:m.end], plain, base + m.start, True, st):
            out += _cut(run, cursor, m.start)
            out += _link_tokens(m.entity_id, _cut(run, m.start, m.end), st)
            cursor = m.end
    if not cursor:  # nothing linked
        return run
    return out + _cut(run, cursor, len(combined))


def _link_text(run: list[Token], plain: str, base: int, st: _State) -> list[Token]:
    """``_link_run`` of a run that is one text token (a paragraph on one line, nearly all): its
    text and links become one token of HTML, made here (``LINKED``), not a token for each
    piece and each tag that the renderer would then turn into the same HTML one by one."""
    html = _linked(run[0].content, plain, base, st)
    return run if html is None else [Token(LINKED, "", 0, content=html)]


def _linked(text: str, plain: str, base: int, st: _State) -> str | None:
    """``text`` as HTML with its entity mentions linked; None if none is linked."""
    html: list[str] = []
    cursor = 0
    for m in st.names.find(text, st.seen, st.exclude):
        if m.entity_id is not None and _record(m.entity_id, text[m.start:m.end], plain, base + m.start, True, st):
            html += (escapeHtml(text[cursor:m.start]), _entity_open(m.entity_id, f"{st.href_prefix}{m.entity_id}.html"),
                     escapeHtml(text[m.start:m.end]), "</a>")
            cursor = m.end
    if not cursor:
        return None
    html.append(escapeHtml(text[cursor:]))
    return "".join(html)


LINKED = "entity_linked_text"
"""A token of text with entity links in it, as HTML (see ``_link_text``)."""


def _cut(run: list[Token], start: int, end: int) -> list[Token]:
    """The tokens of a run between two offsets of its text (a soft break is one character),
    the text tokens at either end cut to fit."""
    pieces = []
    lo = 0
    for token in run:
        hi = lo + (len(token.content) if token.type == "text" else 1)
        if start <= lo and hi <= end and lo < hi:
            pieces.append(token)
        elif max(start, lo) < min(end, hi):
            pieces.append(Token("text", "", 0, content=token.content[max(start, lo) - lo:min(end, hi) - lo]))
        lo = hi
    return pieces


def _normalize(state: StateCore) -> None:
    """markdown-it's first core rule, which rewrites every line ending and NUL byte with two
    regex passes (a tenth of parsing): only when the text holds a carriage return or a NUL,
    the only characters it changes (the load stage has made every line ending a newline)."""
    if "\r" in state.src or "\0" in state.src:
        normalize(state)


_md = MarkdownIt("commonmark", {"html": True, "xhtmlOut": False, "highlight": highlight_code}).enable(["table", "strikethrough"])
_md.core.ruler.at("normalize", _normalize)
_md.inline.ruler.before("link", "entity_ref", _entity_ref)
_md.core.ruler.push("entities", _entities)


def _render_link_open(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                      env: EnvType) -> str:
    """An entity link's opening tag from a format string, other links' as usual: the generic
    renderer escapes each attribute's name and value in turn, a third of what linking adds to
    rendering."""
    attrs = tokens[idx].attrs
    if attrs.get("class") != "entity" or len(attrs) != 3:
        return self.renderToken(tokens, idx, options, env)
    return _entity_open(str(attrs["data-entity"]), str(attrs["href"]))


@functools.lru_cache(maxsize=16384)
def _entity_open(entity_id: str, href: str) -> str:
    """An entity link's opening tag, made once per entity and link prefix (a site links each
    entity from many documents)."""
    return f'<a class="entity" data-entity="{escapeHtml(entity_id)}" href="{escapeHtml(href)}">'


_md.add_render_rule("link_open", _render_link_open)
_md.add_render_rule("link_close", lambda self, tokens, idx, options, env: "</a>")  # what renderToken makes of any
_md.add_render_rule(LINKED, lambda self, tokens, idx, options, env: tokens[idx].content)


_ATTRIBUTES = {tag: set(allowed) for tag, allowed in nh3.ALLOWED_ATTRIBUTES.items()}
for _tag, _extra in {"*": {"class", "lang", "title", "dir"}, "a": {"data-entity", "rel"},
                     "th": {"style"}, "td": {"style"}}.items():
    _ATTRIBUTES[_tag] = _ATTRIBUTES.get(_tag, set()) | _extra
_UNSAFE = re.compile(r"<\s*(script|iframe|object|embed|style|link|meta|form|base)\b|\bon[a-z]+\s*=|\b"
                     r"(?:javascript|vbscript|data)\s*:", re.IGNORECASE)


def sanitize(html: str) -> str:
    """Keep the HTML that Markdown and annotation make, and drop scripts, event handlers,
    ``javascript:`` URLs, frames, styles and forms (nh3: the Rust ammonia sanitizer)."""
    return nh3.clean(html, attributes=_ATTRIBUTES, link_rel=None, filter_style_properties={"text-align"},
                     url_schemes={"http", "https", "mailto", "tel"})


def _raw_html(tokens: list[Token]) -> list[tuple[int, str]]:
    """(line, HTML) of every raw HTML block and inline piece, in order."""
    found, line = [], 0
    for token in tokens:
        if token.map:
            line = token.map[0]
        if token.type == "html_block":
            found.append((line, token.content))
        for child in token.children or ():
            if child.type == "html_inline":
                found.append((line, child.content))
    return found


def annotate(doc: Document, names: NameTable, *, link_all: bool = False,
             href_prefix: str = "", exclude: str | None = None, allow_raw_html: bool = False) -> Annotated:
    """Render ``doc`` to HTML, linking entity mentions to ``href_prefix + id + '.html'``.

    ``exclude`` is the entity whose own page this is: it never links to itself.
    Raw HTML in the Markdown is sanitized unless ``allow_raw_html``.
    """
    st = _State(doc, names, link_all, href_prefix, exclude)
    env: dict[str, Any] = {"site_builder": st}
    html = []
    for offset, piece in _pieces(doc.body):
        st.doc = Document(doc.path, piece, doc.body_line + offset)
        blocks = _plain_blocks(piece)
        if blocks is not None:
            for tag, text in blocks:  # headings are never annotated
                inner = _linked(text, text, 0, st) if tag == "p" else None
                html.append(f"<{tag}>{inner or escapeHtml(text)}</{tag}>\n")
            continue
        tokens = _md.parse(piece, env)
        part = _md.renderer.render(tokens, _md.options, env)
        raw = _raw_html(tokens) if not allow_raw_html else []
        if raw:
            part = sanitize(part)
            for line, snippet in raw:
                if unsafe := _UNSAFE.search(snippet):
                    st.diagnostics.append(Diagnostic(
                        doc.path, st.doc.body_line + line,
                        f"raw HTML with '{unsafe.group().strip()}' was removed (scripts, event handlers, "
                        "javascript: URLs, frames and forms are); set allow_raw_html = true in site.toml to keep it",
                        level="warning"))
        html.append(part)
    st.doc = doc
    return Annotated(html="".join(html), mentions=tuple(st.mentions), diagnostics=tuple(st.diagnostics))


_SYNTAX = "\\`*_]<~\0\r"
"""What may be inline syntax: escapes, code, emphasis, links (each has a ']'), HTML,
strikethrough, and what markdown-it's normalize rule changes..."""
_REFERENCE = re.compile(r"&(?:#|[A-Za-z][A-Za-z0-9]*;)")
"""...and character references (a search for each character is 40 times faster than one regex)."""
_BLOCK = re.compile(r"[ \t#>+\-=|:]|\d+[.)]")
"""What may start a block other than a paragraph, at a line's start, or end the paragraph above:
indented code, a heading, a quote, a list, a heading's or a table's underline."""
_HEADING = re.compile(r"(#{1,6})[ \t]")
"""A heading's start (#, ##, ... and a space or tab)."""


def _plain_blocks(text: str) -> list[tuple[str, str]] | None:
    """The blocks of a text that is nothing but paragraphs and one-line headings without other
    Markdown syntax (most articles), or None: (tag, text) for each, a paragraph's lines joined
    by newlines. Each is what markdown-it would parse to text tokens (and soft breaks) in a
    paragraph or a heading: parsing them takes half of annotating, and is skipped. What may
    be syntax is never taken for plain (a line starting ``3.5``, a heading ending in '#', a
    space before a line break): markdown-it-py parses those texts as before."""
    if any(c in text for c in _SYNTAX) or ("&" in text and _REFERENCE.search(text)):
        return None
    blocks: list[tuple[str, str]] = []
    lines: list[str] = []  # those of the paragraph being read
    for line in (*text.split("\n"), ""):
        heading, blank = _HEADING.match(line), not line.strip(" \t")
        if lines and (heading or blank):  # the paragraph ends
            if (paragraph := _trimmed("\n".join(lines))) is None:
                return None
            blocks.append(("p", paragraph))
            lines = []
        if heading:
            title = _trimmed(line[heading.end():])
            if title is None or title.endswith("#"):  # (a closing sequence of #s, perhaps)
                return None
            blocks.append((f"h{len(heading.group(1))}", title))
        elif blank:
            continue
        elif _BLOCK.match(line) or lines and lines[-1].endswith(" "):  # (a space before a line break: a break)
            return None
        else:
            lines.append(line)
    return blocks


def _trimmed(text: str) -> str | None:
    """A block's text as markdown-it keeps it, without the spaces and tabs around it; None when
    other white space is there, which versions of markdown-it-py trim differently (all of
    it with str.strip, or CommonMark's with mdTrim)."""
    kept = text.strip(" \t")
    return kept if kept == kept.strip() else None


PIECE = 1 << 20
"""Documents longer than this (in characters) are parsed a piece at a time."""
_FENCE = re.compile(r" {0,3}(```|~~~)")


def _pieces(body: str) -> Iterator[tuple[int, str]]:
    """(line offset, text): the document cut at blank lines outside fenced code into pieces
    of about PIECE characters, so that a 50 MB article is never one token tree. Entity
    state carries over between pieces; a list or a reference link definition that spans a
    cut is read as two."""
    if len(body) <= PIECE:
        yield 0, body
        return
    lines = body.split("\n")
    start = size = 0
    fenced = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        size += len(line) + 1
        if size >= PIECE and not fenced and not line.strip():
            yield start, "\n".join(lines[start:i + 1])
            start, size = i + 1, 0
    if start < len(lines):
        yield start, "\n".join(lines[start:])


_plain = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def prose(markdown: str) -> str:
    """The running text of a Markdown body, a paragraph a line: no code, no markup (what the
    name detector reads)."""
    plain = _plain_blocks(markdown)
    if plain is not None:
        return "\n".join(t.replace("\n", " ") for _, t in plain if t)  # (an empty heading has no text token)
    blocks = []
    for token in _plain.parse(markdown):
        if token.type == "inline" and token.children:
            blocks.append("".join(c.content if c.type in ("text", "code_inline") else
                                  " " if c.type in ("softbreak", "hardbreak") else "" for c in token.children))
    return "\n".join(blocks)
