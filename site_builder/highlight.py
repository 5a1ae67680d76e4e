"""Pygments, behind two functions: highlight fenced code, and its stylesheet."""

from __future__ import annotations

from html import escape

from pygments import highlight as _highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"
_FORMATTER = HtmlFormatter(nowrap=True)


def highlight_code(code: str, lang: str, _attrs: str = "") -> str:
    """markdown-it's ``highlight`` hook: a whole <pre> block, or '' to let it escape plainly."""
    if not lang:
        return ""
    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return ""
    body = _highlight(code, lexer, _FORMATTER)
    return f'<pre class="highlight"><code class="language-{escape(lang)}">{body}</code></pre>\n'


def stylesheet() -> str:
    """Token colours for light pages, and for dark ones: chosen with the theme toggle
    (``data-theme="dark"``), or by the system unless the reader chose light."""
    light = HtmlFormatter(style=LIGHT_STYLE).get_style_defs(".highlight")  # type: ignore[no-untyped-call]
    chosen = HtmlFormatter(style=DARK_STYLE).get_style_defs(  # type: ignore[no-untyped-call]
        ':root[data-theme="dark"] .highlight')
    system = HtmlFormatter(style=DARK_STYLE).get_style_defs(  # type: ignore[no-untyped-call]
        ':root:not([data-theme="light"]) .highlight')
    system = "\n".join("  " + line for line in system.splitlines())
    return f"{light}\n{chosen}\n@media (prefers-color-scheme: dark) {{\n{system}\n}}\n"
