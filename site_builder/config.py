"""site.toml -> Config. Unknown keys are errors that suggest the closest valid key."""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path

from .errors import ContentError
from .model import LINK_MODES, Config

BUILTIN_THEMES = Path(__file__).resolve().parent / "themes"
TOP_KEYS = ("title", "description", "language", "theme", "base_url", "allow_raw_html", "annotate")
ANNOTATE_KEYS = ("link", "discover")
BASE_URL = re.compile(r"""https?://[^/\s<>"']+(/[^\s<>"']*)?$""")


def closest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """'; did you mean X?' for the nearest choice, or '' if nothing is near."""
    near = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f"; did you mean '{near[0]}'?" if near else ""


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*(\[\s*)?['\"]?{re.escape(key)}['\"]?\s*[=\]]", line):
            return number
    return 1


def load_config(root: Path) -> Config:
    """Read ``root/site.toml``; a missing file gives the defaults."""
    path = root / "site.toml"
    if not path.exists():
        return Config(root=root)
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(err))) else 1
        raise ContentError(path, line, f"invalid TOML: {err}") from None
    for key in data:
        if key not in TOP_KEYS:
            raise ContentError(path, _line_of(text, key), f"unknown key '{key}'{closest(key, TOP_KEYS)}")
    annotate = data.pop("annotate", {})
    if not isinstance(annotate, dict):
        raise ContentError(path, _line_of(text, "annotate"), "'annotate' must be a table: [annotate]")
    for key in annotate:
        if key not in ANNOTATE_KEYS:
            raise ContentError(path, _line_of(text, key),
                               f"unknown key 'annotate.{key}'{closest(key, ANNOTATE_KEYS)}")
    for key, value in data.items():
        if key == "allow_raw_html":
            if not isinstance(value, bool):
                raise ContentError(path, _line_of(text, key), "'allow_raw_html' must be true or false")
        elif not isinstance(value, str):
            raise ContentError(path, _line_of(text, key), f"'{key}' must be a string")
    if "base_url" in data:
        base = data["base_url"]
        if not BASE_URL.match(base):
            raise ContentError(path, _line_of(text, "base_url"),
                               f"base_url must be an http(s) URL such as https://example.org/news/, not {base!r}")
        data["base_url"] = base if base.endswith("/") else base + "/"
    link = annotate.get("link", "first")
    if link not in LINK_MODES:
        raise ContentError(path, _line_of(text, "link"),
                           f"annotate.link must be one of {', '.join(LINK_MODES)}, not {link!r}")
    discover = annotate.get("discover", False)
    if not isinstance(discover, bool):
        raise ContentError(path, _line_of(text, "discover"), "annotate.discover must be true or false")
    return Config(root=root, link=link, discover=discover, **data)


def _builtin_themes() -> Path:
    """Themes shipped with the package: site_builder/themes when installed, ./themes in a checkout."""
    if BUILTIN_THEMES.is_dir():
        return BUILTIN_THEMES
    return Path(__file__).resolve().parent.parent / "themes"


def theme_dir(config: Config) -> Path:
    """The folder of the configured theme: the project's own themes/ first, then the built-in ones."""
    for base in (config.root / "themes", _builtin_themes()):
        if (base / config.theme / "templates").is_dir():
            return base / config.theme
    available = sorted(p.name for base in (config.root / "themes", _builtin_themes()) if base.is_dir()
                       for p in base.iterdir() if (p / "templates").is_dir())
    raise ContentError(config.root / "site.toml", 1,
                       f"unknown theme '{config.theme}'; available: {', '.join(available) or 'none'}")
