from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.annotate import annotate
from site_builder.model import Document
from site_builder.names import NameTable

from .conftest import FIXTURES, compact, entity, read_cases

CASES = read_cases(FIXTURES / "matching.md")


def doc(body: str, path: str = "content/articles/a.md", body_line: int = 5) -> Document:
    return Document(Path(path), body, body_line)


@pytest.mark.parametrize(("title", "options", "source", "expected"), CASES, ids=[c[0] for c in CASES])
def test_matching_rules(names: NameTable, title: str, options: list[str], source: str, expected: str) -> None:
    result = annotate(doc(source), names, link_all="first" not in options, href_prefix="../entities/")
    assert compact(result.html).strip() == expected.strip()
    assert not result.diagnostics


def test_fixture_file_has_a_case_per_rule() -> None:
    rules = {title.split(":")[0] for title, *_ in CASES if title.startswith("Rule")}
    assert rules == {f"Rule {n}" for n in range(1, 8)}


def test_link_markup_is_relative_and_carries_the_entity(names: NameTable) -> None:
    html = annotate(doc("Russia"), names, href_prefix="../entities/").html
    assert html == '<p><a class="entity" data-entity="russia" href="../entities/russia.html">Russia</a></p>\n'


def test_links_render_as_markdown_it_renders_them_without_our_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our render rules for links, and the HTML made at once for a paragraph's text with its
    links (``_link_text``), are what markdown-it makes of the same links as tokens."""
    from markdown_it.renderer import RendererHTML

    from site_builder import annotate as module
    from site_builder.annotate import _md, _State
    table = NameTable([entity("at&t", "AT&T")])
    source = doc('[AT&T](https://example.org "A title") and AT&T, [x]() <AT&T> AT&T')
    html = annotate(source, table, href_prefix='"<').html
    monkeypatch.setattr(module, "_link_text", module._split_run)
    tokens = _md.parse(source.body, {"site_builder": _State(source, table, False, '"<', None)})
    assert not any(t.type == module.LINKED for t in tokens[1].children or [])
    assert 'data-entity="at&amp;t" href="&quot;&lt;at&amp;t.html"' in html
    assert html == RendererHTML().render(tokens, _md.options, {})


def test_mentions_are_counted_even_when_not_linked(names: NameTable) -> None:
    result = annotate(doc("Kim Jong Un met Russia. Kim met Russia's envoy.\n\n# Russia"), names)
    assert [(m.entity_id, m.text, m.linked) for m in result.mentions] == [
        ("kim-jong-un", "Kim Jong Un", True), ("russia", "Russia", True),
        ("kim-jong-un", "Kim", False), ("russia", "Russia", False)]


def test_first_mention_keeps_its_sentence(names: NameTable) -> None:
    result = annotate(doc("It began. The U.S. envoy met Kim Jong Un in May. Then\nRussia spoke."), names)
    sentences = {m.entity_id: m.sentence for m in result.mentions}
    assert sentences["kim-jong-un"] == "The U.S. envoy met Kim Jong Un in May."
    assert sentences["russia"] == "Then Russia spoke."


def test_an_entity_never_links_to_itself(names: NameTable) -> None:
    result = annotate(doc("Russia borders North Korea. [[russia|It]] is large."), names, exclude="russia")
    assert compact(result.html) == "<p>Russia borders {north-korea|North Korea}. It is large.</p>\n"
    assert [m.entity_id for m in result.mentions] == ["north-korea"]


def test_the_excluded_entity_still_hides_shorter_names() -> None:
    table = NameTable([entity("north-korea", "North Korea"), entity("korea", "Korea")])
    result = annotate(doc("North Korea is in Korea."), table, exclude="north-korea", link_all=True)
    assert compact(result.html) == "<p>North Korea is in {korea|Korea}.</p>\n"


def test_unknown_explicit_name_is_an_error_with_line_and_suggestions(names: NameTable) -> None:
    result = annotate(doc("First line.\n\nSecond para\nmentions [[Kim Jong Um]]."), names)
    assert len(result.diagnostics) == 1
    d = result.diagnostics[0]
    assert (str(d.path), d.line, d.level) == ("content/articles/a.md", 8, "error")
    assert "unknown entity [[Kim Jong Um]]" in d.message and "Kim Jong Un" in d.message
    assert "Kim Jong Um" in result.html  # the text is kept


def test_ambiguous_explicit_name_is_an_error(names: NameTable) -> None:
    result = annotate(doc("[[Georgia]]"), names)
    assert "ambiguous" in result.diagnostics[0].message
    assert "georgia-country" in result.diagnostics[0].message


def test_explicit_link_inside_a_link_is_not_nested(names: NameTable) -> None:
    # As in CommonMark for [a [b](c)](d): the inner link wins, the outer brackets stay text.
    html = annotate(doc("[see [[Russia]]](https://example.org)"), names).html
    assert compact(html) == "<p>[see {russia|Russia}](https://example.org)</p>\n"
    html = annotate(doc('<a href="x.html">see [[Russia]]</a>'), names).html
    assert html == '<p><a href="x.html">see Russia</a></p>\n'


def test_fenced_code_is_highlighted_and_never_annotated(names: NameTable) -> None:
    html = annotate(doc("```python\nRussia = 1\n```\n"), names).html
    assert '<pre class="highlight"><code class="language-python">' in html
    assert '<span class="n">Russia</span>' in html and "entity" not in html


# Property: annotation adds markup only, and never nests links.

def _visible_text(html: str) -> str:
    """The text a browser shows: runs of whitespace outside <pre> display as one space."""
    from bs4 import BeautifulSoup
    return " ".join(BeautifulSoup(html, "html.parser").get_text().split())


WORDS = ["Russia", "Russia's", "Russia’s", "Kim", "Kim Jong Un", "Kim\nJong Un", "U.S.", "U.N. Security Council",
         "To Lam", "to lam", "Korea", "North Korea", "Georgia", "iPhone", "[[Russia]]", "[[tbilisi|the city]]",
         "the", "and", "`code Russia`", "*Russia*", "**Kim**", "[link Russia](u.html)", "<b>Russia</b>",
         "# Russia", "\n\n", "\n", " ", "> ", "- ", "1. ", "Kimberley", "Lamb", "![Russia](x.png)", "&nbsp;",
         "<https://Russia.example>", "\n```\nRussia\n```\n", "_", "*", "[", "]", "(", ")", "\\", "|", ".", "'"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=40).map("".join))
def test_property_text_unchanged_and_links_never_nested(names: NameTable, source: str) -> None:
    from bs4 import BeautifulSoup
    annotated = annotate(doc(source), names, link_all=True, href_prefix="../entities/")
    # Without entities, [[...]] fall back to their shown text: the reference rendering.
    bare = annotate(doc(source), NameTable([]), link_all=True)
    assert _visible_text(annotated.html) == _visible_text(bare.html)
    soup = BeautifulSoup(annotated.html, "html.parser")
    assert not soup.select("a a")
    assert all(a.get("href", "").endswith(".html") for a in soup.select("a.entity"))


UNSAFE = [
    ("<script>alert(1)</script>\n", "<script", "<script"),
    ('<a href="javascript:alert(1)">x</a>\n', "javascript:", "javascript:"),
    ("<img src=x.png onerror=alert(1)>\n", "onerror", "onerror="),
    ('<iframe src="https://evil.example/"></iframe>\n', "<iframe", "<iframe"),
    ("Text <b onclick=\"steal()\">bold</b> text.\n", "onclick", "onclick="),
    ('<form action="/x"><input name=a></form>\n', "<form", "<form"),
]


@pytest.mark.parametrize(("source", "gone", "named"), UNSAFE, ids=[u[1] for u in UNSAFE])
def test_unsafe_raw_html_is_removed_with_a_warning(names: NameTable, source: str, gone: str, named: str) -> None:
    result = annotate(doc("Kim Jong Un spoke.\n\n" + source), names, href_prefix="../entities/")
    assert gone not in result.html.lower()
    [warning] = result.diagnostics
    assert warning.level == "warning" and warning.line == 5 + 2 and named in warning.message
    assert "allow_raw_html" in warning.message
    assert 'data-entity="kim-jong-un"' in result.html  # annotation is untouched


def test_safe_raw_html_and_our_own_markup_survive_sanitizing(names: NameTable) -> None:
    body = ("<details><summary>More</summary>\n\nKim Jong Un in <mark>Russia</mark>.\n\n</details>\n\n"
            "| a | b |\n|--:|---|\n| Russia | 1 |\n\n```python\nprint('x')\n```\n\n[site](https://example.org/)\n")
    html = annotate(doc(body), names, link_all=True, href_prefix="../entities/").html
    assert "<details><summary>More</summary>" in html and "<mark>" in html
    assert '<a class="entity" data-entity="kim-jong-un" href="../entities/kim-jong-un.html">Kim Jong Un</a>' in html
    assert '<th style="text-align:right">a</th>' in html
    assert '<pre class="highlight"><code class="language-python"><span class="nb">print</span>' in html
    assert '<a href="https://example.org/">site</a>' in html


def test_raw_html_is_kept_when_allowed(names: NameTable) -> None:
    result = annotate(doc("<script>alert(1)</script>\n"), names, allow_raw_html=True)
    assert "<script>alert(1)</script>" in result.html and not result.diagnostics


def test_long_documents_are_annotated_in_pieces_with_the_same_result(names: NameTable,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import site_builder.annotate as module
    body = ("Kim Jong Un met To Lam. Later, Kim spoke.\n\n```\nKim Jong Un in code\n\nstill code\n```\n\n"
            "Russia and North Korea. [[Russia|Moscow's state]] again; Lam left.\n\n") * 40
    whole = annotate(doc(body), names, href_prefix="../entities/")
    monkeypatch.setattr(module, "PIECE", 200)
    pieces = list(module._pieces(body))
    assert len(pieces) > 10 and "".join(p + "\n" for _, p in pieces)[:-1] == body
    assert all(p.count("```") % 2 == 0 for _, p in pieces)  # never cut inside fenced code
    cut = annotate(doc(body), names, href_prefix="../entities/")
    assert (cut.html, cut.mentions, cut.diagnostics) == (whole.html, whole.mentions, whole.diagnostics)
    bad = annotate(doc(body + "[[Nobody]]\n"), names)
    assert [d.line for d in bad.diagnostics] == [5 + body.count("\n")]


LINE_WORDS = [w for w in WORDS if "\n" not in w and w not in ("# Russia", "> ", "- ", "1. ")]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(LINE_WORDS), max_size=30).map("".join), st.booleans())
def test_a_paragraph_of_one_text_token_is_linked_as_a_run_of_several(names: NameTable, text: str,
                                                                    link_all: bool) -> None:
    """A run that is one text token (``_link_text``, the common case) is linked exactly as the
    same text cut into several tokens (``_link_run``'s general way)."""
    from markdown_it.token import Token

    from site_builder.annotate import _link_run, _md, _State
    results = []
    for pieces in ([text], [text[:i] for i in (len(text) // 3,)] + [text[len(text) // 3:]]):
        st_ = _State(doc(text), names, link_all, "../entities/", None)
        run = [Token("text", "", 0, content=p) for p in pieces if p]
        if not run:
            return
        tokens = _link_run(run, text, 0, st_)
        results.append((_md.renderer.renderInline(tokens, _md.options, {}), st_.mentions))
    assert results[0] == results[1]


@pytest.mark.parametrize("body", ["Russia\r\nand Kim\rJong Un\n", "Russia\0 and\0\n\n`\0`\n", "Russia\r\n\r\n```\r\nx\0\r\n```\r\n"])
def test_carriage_returns_and_nul_bytes_are_normalized_as_markdown_it_does(names: NameTable, body: str) -> None:
    """Our normalize rule skips text without '\\r' or NUL; text with them is rewritten as
    markdown-it's own rule does."""
    from markdown_it import MarkdownIt

    html = annotate(doc(body), NameTable([])).html
    reference = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(body)
    assert html == reference


PLAIN = ["Kim Jong Un met To Lam.", "Russia", "Russia’s", "Kim", "U.S.", "U.N. Security Council", " ", "the", "North Korea",
         "Kimberley", "to lam", "AT&T", "3.5", "2024", '"', "!", "é", "\n\n", "\n\n", "\n\n## Talks in Pyongyang\n\n",
         "\n\n# Kim Jong Un\t \n\n", "\n\n###### To Lam\u2002\n\n", "\n\n#\tRussia #1\n\n", "\n\n## Kim\x1c\n\n", "\n", "Kim\nJong Un", "\u00a0\n"]
"""Text that markdown-it parses to paragraphs (text and soft breaks) and headings (one text token)..."""
NOT_PLAIN = [*WORDS, " \t\n\n", "\t", "  ", "\u00a0", "\u3000", "\u2028", "\x0b", "\x0c", "7)", "7) x", "+ x", "&amp;", "&#39;", "&x",
             "#", "=", "+", "-", ">", "~", "~~Russia~~", "_Russia_", "\0", "\r", "\\.", "\\!", "==", "---", "    ", "\n    code", "\u0301", "<", "&", "\n",
             "\n\n####### Seven\n\n", "\n\n# Closed #\n\n", "\n\n# C#\n\n", "\n\n#Tag\n\n", "\n\n#\n\n", "\n\n## \n\n",
             "\n\n#\u3000Russia\n\n", "\n\n # Indented\n\n", "\n## Under a line\n", "\n\n## Over a line\n",
             "  \n", " \n", "\t\n", "\n===", "\n=", "\n---", "\n|---|", "a | b\n:-- | --:", "\n1. item", "\n2) x",
             "\n> q", "\n    lazy", "\\\n", "\n\u3000x", "a | b\n|---|---|", "\n# Heading\nunder it", "\x1c", "\x1c\n\n", "\n\n\x85",
             "\u2003\n\n"]
"""...and what can make it something else."""


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(PLAIN * 6 + NOT_PLAIN), max_size=40).map("".join),
                 st.tuples(st.lists(st.sampled_from(PLAIN), max_size=20).map("".join), st.sampled_from(NOT_PLAIN),
                           st.lists(st.sampled_from(PLAIN), max_size=20).map("".join)).map("".join)), st.booleans())
def test_plain_blocks_are_annotated_as_markdown_it_parses_them(names: NameTable, source: str, link_all: bool) -> None:
    """A text of one-line paragraphs and headings without syntax skips markdown-it (``_plain_blocks``):
    its HTML, mentions and diagnostics are what markdown-it's parse makes of it."""
    _same_either_way(names, source, link_all)


@pytest.mark.parametrize("link_all", [False, True])
def test_each_piece_of_syntax_is_parsed_as_markdown_it_parses_it(names: NameTable, link_all: bool) -> None:
    """The same, for each piece of syntax in each place: where plain text is taken for syntax,
    or syntax for plain text, the HTML differs."""
    for odd in NOT_PLAIN:
        for text in (odd, f"Kim Jong Un met {odd} Russia.", f"Russia.\n\n{odd}\n\nTo Lam", f"Kim{odd}Russia", f"x {odd}x"):
            _same_either_way(names, text, link_all)


def _same_either_way(names: NameTable, text: str, link_all: bool) -> None:
    """Annotation, and the running text the name detector reads (``prose``), are the same whether
    plain paragraphs and headings skip markdown-it or not."""
    import site_builder.annotate as module
    fast = annotate(doc(text), names, link_all=link_all, href_prefix="../entities/", exclude="russia")
    quick = module.prose(text)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(module, "_plain_blocks", lambda text: None)
        slow = annotate(doc(text), names, link_all=link_all, href_prefix="../entities/", exclude="russia")
        assert quick == module.prose(text), repr(text)
    assert (fast.html, fast.mentions, fast.diagnostics) == (slow.html, slow.mentions, slow.diagnostics), repr(text)


def test_most_news_text_is_plain_blocks() -> None:
    from site_builder.annotate import _plain_blocks
    text = "Kim Jong Un met Vladimir Putin in Pyongyang.\n\n## The pact\n\n\"It's 3.5% up,\" said AT&T's chief - again!\n"
    assert _plain_blocks(text) == [("p", "Kim Jong Un met Vladimir Putin in Pyongyang."), ("h2", "The pact"),
                                   ("p", "\"It's 3.5% up,\" said AT&T's chief - again!")]
    assert _plain_blocks("Kim Jong\nUn met  \u3000Putin.\n") == [("p", "Kim Jong\nUn met  \u3000Putin.")]
    for syntax in ("# Title #", "A *b*", "3. list", "a  \nb", "a\n===", "    code", "[[Russia]]", "&amp;", "- x", "> q"):
        assert _plain_blocks(f"Plain.\n\n{syntax}\n") is None, syntax
