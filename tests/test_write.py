from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from site_builder.errors import SiteError
from site_builder.render import Page
from site_builder.write import MARKER, Staging, check_output, read_stamp, staging


def write_site(pages: Iterable[Page], out: Path, stamp: dict[str, object] | None = None) -> int:
    """What the pipeline does, minus the workers."""
    with staging(out, stamp) as folder:
        staged = Staging(folder)
        return sum(staged.write(page) for page in pages)


def test_writes_then_replaces_whole(tmp_path: Path) -> None:
    out = tmp_path / "public"
    write_site([Page("index.html", b"one"), Page("a/b.html", b"two")], out)
    assert (out / "a" / "b.html").read_bytes() == b"two" and (out / MARKER).exists()
    assert oct(out.stat().st_mode & 0o777) == oct(0o755)
    write_site([Page("index.html", b"three")], out)
    assert (out / "index.html").read_bytes() == b"three" and not (out / "a").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]


def test_an_error_while_writing_keeps_the_old_site(tmp_path: Path) -> None:
    out = tmp_path / "public"
    write_site([Page("index.html", b"old")], out)

    def pages() -> Iterator[Page]:
        yield Page("index.html", b"new")
        raise RuntimeError("template blew up")

    with pytest.raises(RuntimeError):
        write_site(pages(), out)
    assert (out / "index.html").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]


@pytest.mark.parametrize("path", ["../escape.html", "/etc/passwd", "a/../../x.html", ""])
def test_never_writes_outside_the_output_folder(tmp_path: Path, path: str) -> None:
    with pytest.raises(SiteError, match="outside the output folder"):
        write_site([Page(path, b"x")], tmp_path / "public")
    assert not (tmp_path / "escape.html").exists() and not (tmp_path / "public").exists()


def test_refuses_to_replace_a_folder_it_did_not_make(tmp_path: Path) -> None:
    other = tmp_path / "docs"
    other.mkdir()
    (other / "precious.txt").write_text("keep me")
    with pytest.raises(SiteError, match="not made by site-builder"):
        check_output(other, tmp_path / "project")
    with pytest.raises(SiteError, match="contains the project"):
        check_output(tmp_path, tmp_path / "project")
    check_output(tmp_path / "new", tmp_path / "project")  # a missing folder is fine


def test_stamp_is_kept_in_the_marker(tmp_path: Path) -> None:
    out = tmp_path / "public"
    assert read_stamp(out) is None
    write_site([Page("index.html", b"x")], out, {"fingerprint": "abc", "pages": 1})
    stamp = read_stamp(out)
    assert stamp is not None and (stamp["fingerprint"], stamp["pages"]) == ("abc", 1)


def test_a_page_is_never_written_through_a_link_into_the_live_site(tmp_path: Path) -> None:
    live, new = tmp_path / "live", tmp_path / "new"
    (live / "a").mkdir(parents=True)
    (live / "a" / "page.html").write_bytes(b"old")
    staged = Staging(new, live)
    assert staged.link("a/page.html")
    with pytest.raises(FileExistsError):  # staged twice: a mistake, never a write into the live copy
        staged.write(Page("a/page.html", b"new"))
    assert (live / "a" / "page.html").read_bytes() == b"old"
    assert staged.write(Page("a/other.html", b"x" * 100_000))  # a new page, whole
    assert (new / "a" / "other.html").read_bytes() == b"x" * 100_000
