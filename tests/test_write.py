from __future__ import annotations

import array
import os
import random
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from site_builder import write
from site_builder.errors import SiteError
from site_builder.model import Page
from site_builder.write import MARKER, SCRATCH, Staging, check_output, read_stamp, staging


def write_site(pages: Iterable[Page], out: Path, stamp: dict[str, object] | None = None) -> int:
    """What the pipeline does, minus the workers."""
    with staging(out, stamp) as staged:
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


def stage_like_the_pipeline(out: Path, pages: dict[str, bytes], last: dict[str, bytes]) -> None:
    """A page whose bytes are the last build's is linked (the pipeline knows it by its key), else written."""
    with staging(out, reuse=(out / MARKER).exists()) as staged:
        for path, content in pages.items():
            if not (last.get(path) == content and staged.link(path)):
                staged.write(Page(path, content))
        staged.prune(set(pages))


def test_each_build_starts_from_the_site_it_replaced_and_ends_exact(tmp_path: Path) -> None:
    """Random edits, one build each: the site is always exactly the pages given, an unchanged
    page keeps its file (inode), and the replaced site is kept for the next build only."""
    out, rng = tmp_path / "public", random.Random(7)
    pages = {f"{folder}/p{n}.html": b"v0" for folder in ("a", "b", "c/d") for n in range(40)} | {"z/y/only.html": b"z"}
    last: dict[str, bytes] = {}
    inodes: dict[str, int] = {}
    for step in range(12):
        stage_like_the_pipeline(out, pages, last)
        found = {p.relative_to(out).as_posix(): p for p in out.rglob("*") if p.is_file() and p.name != MARKER}
        assert {path: p.read_bytes() for path, p in found.items()} == pages
        assert all(found[path].stat().st_ino == inodes[path] for path in pages if last.get(path) == pages[path])
        assert sorted(p.name for p in tmp_path.iterdir()) == ([".public.prev"] if step else []) + ["public"]
        assert (out / "z").exists() == (step == 0)  # emptied folders go
        assert (tmp_path / ".public.prev" / ".gitignore").exists() == (step > 0)  # out of git's sight
        inodes = {path: p.stat().st_ino for path, p in found.items()}
        last = dict(pages)
        for path in rng.sample(sorted(pages), 5):
            pages[path] = f"v{step + 1}".encode()  # edited
        for path in rng.sample(sorted(pages), 3):
            del pages[path]  # removed
        pages[f"e/new{step}.html"] = b"new"
        pages.pop("z/y/only.html", None)


def test_a_build_started_from_the_replaced_site_never_writes_into_the_live_one(tmp_path: Path) -> None:
    out = tmp_path / "public"
    stage_like_the_pipeline(out, {"a.html": b"one", "b.html": b"one"}, {})
    stage_like_the_pipeline(out, {"a.html": b"one", "b.html": b"two"}, {"a.html": b"one", "b.html": b"one"})
    live = (out / "a.html").stat().st_ino
    stage_like_the_pipeline(out, {"a.html": b"three", "b.html": b"two"}, {"a.html": b"one", "b.html": b"two"})
    assert (out / "a.html").read_bytes() == b"three" and (out / "a.html").stat().st_ino != live
    assert (tmp_path / ".public.prev" / "a.html").read_bytes() == b"one"  # the site replaced, as it was


def test_a_mostly_rewritten_site_is_not_started_from(tmp_path: Path) -> None:
    """Deleting most of the replaced site would cost more than linking the few unchanged pages."""
    out = tmp_path / "public"
    first = {f"p{n}.html": b"one" for n in range(10)}
    stage_like_the_pipeline(out, first, {})
    second = {path: b"two" for path in first}
    stage_like_the_pipeline(out, second, first)
    with staging(out, reuse=True) as staged:
        assert staged.kept == frozenset()
        for path, content in second.items():
            assert staged.link(path)
        staged.prune(set(second))
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != MARKER} == second


def test_a_site_with_most_pages_rewritten_is_still_started_from(tmp_path: Path) -> None:
    """Deleting six pages costs less than linking the ten again (after an edit to a common
    entity's description, 8,000 of 14,000 pages are new)."""
    out = tmp_path / "public"
    first = {f"p{n}.html": b"one" for n in range(10)}
    stage_like_the_pipeline(out, first, {})
    second = {path: b"two" if n < 6 else b"one" for n, path in enumerate(first)}
    stage_like_the_pipeline(out, second, first)
    with staging(out, reuse=True) as staged:
        assert staged.kept == {f"p{n}.html" for n in range(6, 10)}
        for path, content in second.items():
            assert staged.link(path)
        staged.prune(set(second))
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != MARKER} == second


def test_staging_from_the_replaced_site_must_be_pruned(tmp_path: Path) -> None:
    out = tmp_path / "public"
    stage_like_the_pipeline(out, {"a.html": b"one"}, {})
    stage_like_the_pipeline(out, {"a.html": b"one"}, {"a.html": b"one"})
    with pytest.raises(AssertionError, match="pruned"):
        with staging(out, reuse=True) as staged:
            assert staged.kept == {"a.html"}
    assert (out / "a.html").read_bytes() == b"one"


def test_a_leftover_being_deleted_is_left_to_its_deleter(tmp_path: Path) -> None:
    """Deleting the last site takes a second or two in the background: the next build must
    not join in (it would wait for it), but one that was abandoned is deleted."""
    fcntl = pytest.importorskip("fcntl")
    out = tmp_path / "public"
    busy, abandoned = tmp_path / ".public.old-busy", tmp_path / ".public.old-gone"
    for folder in (busy, abandoned):
        (folder / "site").mkdir(parents=True)
        (folder / "site" / "page.html").write_bytes(b"x")
    lock = os.open(busy, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        write_site([Page("index.html", b"one")], out)
        assert (busy / "site" / "page.html").exists() and not abandoned.exists()
    finally:
        os.close(lock)


def in_child(work: Callable[[], object]) -> str:
    """Run ``work`` in a forked process (as a build's workers do); the name of what it raised, or ''."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            work()
            outcome = b""
        except BaseException as err:  # reported to the parent, whatever it is
            outcome = type(err).__name__.encode()
        os.write(write, outcome)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as reader:
        outcome = reader.read()
    os.waitpid(pid, 0)
    return outcome.decode()


def test_pages_staged_by_worker_processes_land_in_place_and_leave_no_scratch(tmp_path: Path) -> None:
    """Workers make their pages in folders of their own, then link them into place: the site is
    the same, a page staged twice is still refused, and nothing of theirs is left in it."""
    live, out = tmp_path / "live", tmp_path / "public"
    (live / "a").mkdir(parents=True)
    (live / "a" / "kept.html").write_bytes(b"old")
    with staging(out) as staged:
        staged.live = live
        assert staged.link("a/kept.html")
        pages = [Page(f"a/p{n}.html", f"page {n}".encode()) for n in range(20)]
        assert in_child(lambda: [staged.write(page) for page in pages[:8]]) == ""
        assert in_child(lambda: [staged.write(page) for page in pages[8:16]]) == ""
        assert all(staged.write(page) for page in pages[16:])  # and the parent's own
        assert in_child(lambda: staged.write(Page("a/p3.html", b"again"))) == "FileExistsError"
        assert in_child(lambda: staged.write(Page("a/kept.html", b"new"))) == "FileExistsError"
        assert any(p.name.startswith(SCRATCH) for p in staged.folder.iterdir())  # they were used
        staged.live = None
    assert (live / "a" / "kept.html").read_bytes() == b"old"  # never written through
    assert {p.name: p.read_bytes() for p in (out / "a").iterdir()} == {
        **{f"p{n}.html": f"page {n}".encode() for n in range(20)}, "kept.html": b"old"}
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "a"]


def test_the_staging_folder_is_marked_as_a_top_folder_where_the_file_system_allows(tmp_path: Path) -> None:
    """So that ext4 places the folders where pages are made away from the inodes the last
    site left when it was deleted (see write._spread)."""
    fcntl = pytest.importorskip("fcntl")
    probe = tmp_path / "probe"
    probe.mkdir()
    fd = os.open(probe, os.O_RDONLY)
    try:
        fcntl.ioctl(fd, write._GETFLAGS, array.array("i", [0]))
    except OSError:
        pytest.skip("no file attribute flags here")
    finally:
        os.close(fd)
    out = tmp_path / "public"
    write_site([Page("index.html", b"x"), Page("a/b.html", b"y")], out)
    flags = array.array("i", [0])
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.ioctl(fd, write._GETFLAGS, flags)
    finally:
        os.close(fd)
    assert flags[0] & write._TOPDIR


@pytest.mark.parametrize("slow, folders", [(0.0, 4), (60.0, 1)])
def test_pages_move_to_a_new_scratch_folder_while_creating_files_is_slow(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow: float, folders: int) -> None:
    """Where creating a file takes long (ext4 skipping the inodes of a site just deleted), the
    next pages are made in a new scratch folder, placed elsewhere; where it is fast, in one."""
    monkeypatch.setattr(write, "HOP", 4)
    monkeypatch.setattr(write, "SLOW", slow)
    made = []
    real = tempfile.mkdtemp
    monkeypatch.setattr(write.tempfile, "mkdtemp", lambda **kw: made.append(real(**kw)) or made[-1])
    pages = [Page(f"a/p{n}.html", f"page {n}".encode()) for n in range(16)]
    out = tmp_path / "public"
    write_site(pages, out)
    scratch = [m for m in made if os.path.basename(m).startswith(SCRATCH)]
    assert len(scratch) == folders
    assert {p.name: p.read_bytes() for p in (out / "a").iterdir()} == {p.path[2:]: p.content for p in pages}
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "a"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_folders_are_exchanged_atomically_on_linux(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "one").write_text("1", encoding="utf-8")
    (b / "two").write_text("2", encoding="utf-8")
    assert write._exchange(a, b)
    assert [p.name for p in a.iterdir()] == ["two"] and [p.name for p in b.iterdir()] == ["one"]


def test_the_fingerprint_covers_every_input_but_pythons_bytecode(tmp_path: Path) -> None:
    """Files Python writes as it imports (any __pycache__, in the package or a theme) change no
    output: a first run that writes them must not make the next one build again."""
    from site_builder.config import load_config
    from site_builder.write import fingerprint

    project = tmp_path / "site"
    (project / "content" / "articles").mkdir(parents=True)
    (project / "site.toml").write_text('title = "T"\n', encoding="utf-8")
    (project / "content" / "articles" / "a.md").write_text("---\ntitle: A\n---\nText.\n", encoding="utf-8")
    config = load_config(project)
    before = fingerprint(config)
    (project / "content" / "__pycache__").mkdir()
    (project / "content" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert fingerprint(config) == before
    (project / "content" / "articles" / "b.md").write_text("---\ntitle: B\n---\nText.\n", encoding="utf-8")
    assert fingerprint(config) != before


def test_looking_again_at_the_files_a_watcher_told_of_is_looking_at_all(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from site_builder.config import load_config
    from site_builder.write import look, look_again

    project = tmp_path / "site"
    articles = project / "content" / "articles"
    articles.mkdir(parents=True)
    (project / "site.toml").write_text('title = "T"\n', encoding="utf-8")
    for name in ("a", "b", "c"):
        (articles / f"{name}.md").write_text(f"---\ntitle: {name}\n---\nText.\n", encoding="utf-8")
    config = load_config(project)
    seen = look(config, project / "public")
    stats = dict(seen.stats)

    def same(again: write.Inputs | None) -> None:
        full = look(config, project / "public")
        assert again is not None and (again.fingerprint, again.stats) == (full.fingerprint, full.stats)
        assert list(again.stats) == list(full.stats)  # in the order looked at

    b = articles / "b.md"
    b.write_text("---\ntitle: b\n---\nLonger text.\n", encoding="utf-8")
    (articles / "scratch.tmp").write_text("x", encoding="utf-8")
    (articles / "scratch.tmp").unlink()  # an editor's, made and removed
    again = look_again(seen, stats, [str(b), str(articles / "scratch.tmp")])
    same(again)
    assert again is not None and again.fingerprint != seen.fingerprint
    monkeypatch.chdir(project)  # a watcher tells absolute paths, the project may be given relative
    relative = load_config(Path("."))
    seen = look(relative, Path("public"))
    b.write_text("---\ntitle: b\n---\nText once more.\n", encoding="utf-8")
    again = look_again(seen, dict(seen.stats), [str(b)])
    assert again is not None and again.fingerprint == look(relative, Path("public")).fingerprint
    (articles / "d.md").write_text("---\ntitle: d\n---\nText.\n", encoding="utf-8")
    assert look_again(seen, dict(seen.stats), [str(articles / "d.md")]) is None  # added: its place is not known
    (articles / "a.md").unlink()
    assert look_again(seen, dict(seen.stats), [str(articles / "a.md")]) is None
    assert look_again(seen, dict(seen.stats), [str(b)] * (write.LOOK_AGAIN + 1)) is None
