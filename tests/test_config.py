from __future__ import annotations

from pathlib import Path

import pytest

from site_builder.config import load_config
from site_builder.errors import ContentError


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "site.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_defaults_without_site_toml(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert (config.language, config.theme, config.link) == ("en", "default", "first")


def test_reads_every_key(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'title = "T"\ndescription = "D"\nlanguage = "fr"\n'
                                         'theme = "default"\n[annotate]\nlink = "all"\n'))
    assert (config.title, config.description, config.language, config.link) == ("T", "D", "fr", "all")


def test_unknown_key_names_the_closest_valid_one_and_its_line(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as err:
        load_config(write(tmp_path, 'title = "T"\ntitel = "x"\n'))
    assert err.value.diagnostic.line == 2
    assert "unknown key 'titel'" in str(err.value) and "did you mean 'title'" in str(err.value)


def test_unknown_annotate_key(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match=r"unknown key 'annotate.links'; did you mean 'link'"):
        load_config(write(tmp_path, '[annotate]\nlinks = "all"\n'))


def test_bad_link_mode(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="annotate.link must be one of first, all"):
        load_config(write(tmp_path, '[annotate]\nlink = "some"\n'))


def test_discover_is_true_or_false(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, '[annotate]\ndiscover = true\n')).discover is True
    with pytest.raises(ContentError, match="annotate.discover must be true or false") as err:
        load_config(write(tmp_path, '[annotate]\nlink = "all"\ndiscover = "yes"\n'))
    assert err.value.diagnostic.line == 3


def test_invalid_toml_gives_the_line(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as err:
        load_config(write(tmp_path, 'title = "T"\ndescription = \n'))
    assert err.value.diagnostic.line == 2
