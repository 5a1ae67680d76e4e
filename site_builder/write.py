"""Stage 5, write: the only code that touches the output folder.

Pages go into a temporary folder beside the output; only when every page is
written does it replace the old output, by an atomic exchange where the system
offers one (Linux renameat2), else by two renames. A build that fails or is
killed part-way leaves the previous site exactly as it was. The temporary
folder is new, or the site that the last build replaced, brought up to date.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Any, BinaryIO

from . import __version__
from .config import theme_dir
from .errors import Diagnostic, SiteError
from .model import BuildResult, Config, Page

try:
    import fcntl
except ImportError:  # Windows: no locks, and no deleting in the background either
    fcntl = None  # type: ignore[assignment]

MARKER = ".site-builder"
"""Written into every output folder: we only ever replace a folder that has it."""
SCRATCH = ".new-"
"""Folders of a staging (one a process) where its pages are made before they are linked into place."""
HOP, SLOW = 64, 0.0001
"""A process makes its next pages in a new scratch folder when its last ``HOP`` took more than
``SLOW`` seconds each to create (0.03 ms where inodes are found at once; up to 0.5 ms among
the inodes of a site just deleted, see ``_spread``)."""


def check_output(out: Path, project: Path) -> None:
    """Refuse output folders whose replacement would destroy something else."""
    out, project = out.resolve(), project.resolve()
    if out == project or project.is_relative_to(out):
        raise SiteError(f"refusing to write the site to {out}: it contains the project itself")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise SiteError(f"refusing to replace {out}: it exists and was not made by site-builder; "
                        "remove it or choose another --out")


def _safe_target(root: Path | str, relative: str) -> str:
    """``root/relative``, refusing any path that could leave ``root``."""
    parts = relative.split("/")
    if relative.startswith("/") or "\\" in relative or "\0" in relative or any(p in ("..", ".", "") for p in parts):
        raise SiteError(f"refusing to write outside the output folder: {relative!r}")
    return os.path.join(root, relative)


def read_stamp(out: Path) -> dict[str, Any] | None:
    """What the last build recorded in ``out``'s marker (see staging), or None."""
    try:
        stamp = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


Stats = dict[str, "tuple[int, ...] | None"]
"""What a file's stat tells of whether it changed (``changed_by``), by path."""


def changed_by(info: os.stat_result) -> tuple[int, ...]:
    """What of a file's stat tells whether it changed: mtime, ctime, size, inode."""
    return info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino


def fingerprint(config: Config, stats: Stats | None = None) -> str:
    """A digest of everything a build reads: the size and mtime of every input file,
    of the theme, and of site-builder's own code. Equal digests mean equal output.
    ``stats`` gets each file's stat, by path (None where it cannot be had: a dangling
    link), in the order looked at: the build needs them next (13,000 files asked twice cost
    0.05 s), and lists the content from them (``load.markdown_files``)."""
    stats = stats if stats is not None else {}
    package = Path(__file__).resolve().parent
    for top in (config.root / "site.toml", config.content_dir, config.root / "templates", theme_dir(config), package):
        paths = [] if os.path.isdir(top) else [str(top)]  # a folder: its files (its own time changes with any)
        for folder, folders, names in os.walk(top):
            folders[:] = sorted(f for f in folders if f != "__pycache__")  # Python's, written as it imports
            paths += (os.path.join(folder, name) for name in sorted(names))
        for path in paths:
            try:
                stats[path] = changed_by(os.stat(path))
            except OSError:
                stats[path] = None
    return _fingerprint(stats)


def _fingerprint(stats: Stats) -> str:
    """The digest of the files' ``stats``, in the order ``fingerprint`` looked at them."""
    lines = (f"{path}\0{stat[0]}\0{stat[2]}\n" for path, stat in stats.items() if stat is not None)
    return hashlib.blake2b(f"{__version__}\0{sys.version}{''.join(lines)}".encode("utf-8", "surrogateescape")).hexdigest()


LOOK_AGAIN = 200
"""At most so many files told changed are asked again alone (see ``look_again``)."""


def look_again(seen: Inputs, stats: Stats, changed: Collection[str]) -> Inputs | None:
    """``look`` once a watcher told that only the files at ``changed`` paths changed since it
    gave ``seen``, whose ``stats`` they were (a build uses ``seen.stats`` up): those files are
    asked again, not all 13,000 of a 10,000-article site (0.08 s). None if a file or folder
    was added or removed, or too many changed: then look at every file."""
    if len(changed) > LOOK_AGAIN:
        return None
    stats = dict(stats)
    for path in changed:
        key = path if path in stats else os.path.relpath(path)  # as the project's folder was given
        try:
            info = os.stat(key)
        except OSError:
            if key in stats:  # removed
                return None
            continue  # made and removed (an editor's scratch file): no look would see it
        if key not in stats or not S_ISREG(info.st_mode):
            return None
        stats[key] = changed_by(info)
    return Inputs(seen.config, seen.out, _fingerprint(stats), stats, read_stamp(seen.out))


@dataclass
class Inputs:
    """What a build reads, as ``look`` found it, and what the site in ``out`` was built from."""

    config: Config
    out: Path
    fingerprint: str
    stats: Stats
    """Each input file's stat, by path (see ``fingerprint``)."""
    last: dict[str, Any] | None
    """The stamp of the site in ``out`` (see ``read_stamp``)."""

    def unchanged(self, seconds: float) -> BuildResult | None:
        """What building again would do, having taken ``seconds``, if the site in ``out`` was
        built from these very inputs (nothing: its last warnings are said again); else None."""
        if self.last is None or self.last.get("fingerprint") != self.fingerprint:
            return None
        return BuildResult(self.out, 0, stamp_warnings(self.last), seconds, int(self.last["pages"]), {})


def stamp_warnings(stamp: dict[str, Any]) -> tuple[Diagnostic, ...]:
    """The warnings a build recorded in its stamp."""
    return tuple(Diagnostic(Path(p), line, message, "warning") for p, line, message in stamp["warnings"])


def look(config: Config, out: Path) -> Inputs:
    """The inputs of a build of ``config``'s project into ``out``, without reading any: cheap
    enough (and light enough to import: no Markdown, no templates) to tell first whether
    there is anything to build."""
    stats: Stats = {}
    return Inputs(config, out, fingerprint(config, stats), stats, read_stamp(out))


def live_page(out: Path | str, relative: str) -> bytes | None:
    """The bytes of a page of the site in ``out`` (None if it has none)."""
    try:
        with open(_safe_target(out, relative), "rb") as page:
            return page.read()
    except OSError:
        return None


_COPYING: dict[Path, int] = {}
"""Output folder -> the process making its replaced site from the live one (``copy_for_next``)."""


def copy_for_next(out: Path) -> None:
    """Start making, in a child process, the replaced site that the next ``staging`` with
    ``reuse`` starts from, out of hard links to the live site's files, when there is none
    (after a clean build, or a first one): else that build links every page of the site
    again (a second at 10,000 articles, twelve at 100,000). Called when a rebuild begins,
    so that it is made while the build reads and indexes, on the other core. ``staging``
    waits for it. Where a build put one in place meanwhile, it is thrown away; a file the
    live site replaced meanwhile is not its file, and is deleted by ``_keep`` as any other."""
    out = out.resolve()
    if (out in _COPYING or _previous(out).exists() or not (out / MARKER).is_file()
            or not hasattr(os, "fork") or fcntl is None):
        return
    child = os.fork()
    if child:
        _COPYING[out] = child
        return
    code = 1
    try:
        folder = tempfile.mkdtemp(prefix=f".{out.name}.new-{os.getpid()}-", dir=out.parent)
        try:
            made: set[str] = set()
            for relative in _files(out):
                parent = os.path.dirname(os.path.join(folder, relative))
                if parent not in made:
                    os.makedirs(parent, exist_ok=True)
                    made.add(parent)
                os.link(os.path.join(out, relative), os.path.join(folder, relative), follow_symlinks=False)
            os.chmod(folder, 0o755)
            os.rename(folder, _previous(out))  # refused if a build has put one there meanwhile
            _ignored(_previous(out))
            code = 0
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        os._exit(code)


def copied(out: Path) -> None:
    """Wait for ``copy_for_next``'s child, if one is making ``out``'s replaced site."""
    child = _COPYING.pop(out.resolve(), None)
    if child is not None:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child, 0)


@contextlib.contextmanager
def staging(out: Path, stamp: dict[str, Any] | None = None, background: bool = False,
            reuse: bool = False) -> Iterator[Staging]:
    """A ``Staging`` of a new folder beside ``out``, put in place of ``out`` if the block ends
    without error.

    Pages are put into it (from any process); on any error, or if the process is killed,
    ``out`` is left as it was. ``stamp`` is kept in the marker file, for the next build to
    read. With ``background``, folders no longer needed are deleted by a detached process
    (deleting 10,000 files takes a second or two that nobody needs to wait for).

    With ``reuse`` (the live site's unchanged pages are to be linked), the site that this
    one replaces is kept beside it, and the next build starts from it: its files that are
    still the live site's (the same inode) are kept as they are, the others deleted. An
    edit then costs a few files, not 16,000 links made and 16,000 deleted. The block must
    then end with ``Staging.prune``.
    """
    out = out.resolve()
    copied(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for leftover in out.parent.glob(f".{out.name}.old-*"):  # from a deletion that was killed
        if not _being_deleted(leftover):
            _discard(leftover, background)
    for leftover in out.parent.glob(f".{out.name}.new-*"):  # from a build that was killed
        if not _alive(leftover.name.split("-")[-2]):
            _discard(_retire(leftover, out), background)
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-{os.getpid()}-", dir=out.parent))
    try:
        previous, kept = _previous(out), frozenset[str]()
        if reuse and (previous / MARKER).is_file() and (out / MARKER).is_file():
            os.rename(previous, folder)  # claimed: no other build can take it now
            kept = _keep(folder, out, background)
        elif previous.exists():
            _discard(_retire(previous, out), background)
        os.chmod(folder, 0o755)
        _spread(folder)
        staged = Staging(folder, out if reuse else None, kept)
        yield staged
        if kept and staged.pruned is None:
            raise AssertionError("a staging started from the last site must be pruned")
        for scratch in folder.glob(f"{SCRATCH}*"):  # empty, unless a write failed
            shutil.rmtree(scratch)
        note = {"note": "This folder is replaced whole by each site-builder build.", **(stamp or {})}
        with contextlib.suppress(FileNotFoundError):
            os.unlink(folder / MARKER)  # the last site's: never written through
        (folder / MARKER).write_text(json.dumps(note, indent=1) + "\n", encoding="utf-8")
        _replace(folder, out, background, keep=reuse)
    except BaseException:
        _discard(_retire(folder, out), background)
        raise


class Staging:
    """Puts pages into a staging folder: written from bytes, or hard-linked from the
    live site when unchanged (cheap, and the file keeps its time for sync tools)."""

    def __init__(self, folder: Path, live: Path | None = None, kept: frozenset[str] = frozenset()) -> None:
        self.folder, self.live, self.kept = folder, live, kept
        """``kept``: the pages in ``folder`` already, each the live site's file (see ``staging``)."""
        self._root = str(folder)
        """``folder`` as text: a path is joined to it for every page (to a Path: a tenth of linking)."""
        self._made: set[str] = set()
        self.pruned: frozenset[str] | None = None
        self._scratch: tuple[int, str] | None = None
        self._count = 0
        self._spent = 0.0
        """Seconds spent creating the last files in the scratch folder (see ``_slow``)."""

    @property
    def live(self) -> Path | None:
        """The live site, whose unchanged pages are linked (None: none is)."""
        return None if self._live is None else Path(self._live)

    @live.setter
    def live(self, folder: Path | None) -> None:
        self._live = None if folder is None else str(folder)

    def _new_file(self) -> BinaryIO:
        """A new file in a folder of this process's own, to be linked into place (``_place``).
        Creating a file holds its folder's lock while the system finds a free inode: two
        processes creating pages in one folder spent as long again waiting for each other.
        And the folder has a random name, so that ext4 places it in a block group of its
        choosing (see ``_spread``); while creating files there is slow, the next ones are
        made in a new folder, placed elsewhere."""
        if self._scratch is None or self._scratch[0] != os.getpid() or self._slow():
            self._scratch = os.getpid(), tempfile.mkdtemp(prefix=SCRATCH, dir=self.folder)
            self._count, self._spent = 0, 0.0
        self._count += 1
        started = time.perf_counter()
        try:
            return open(os.path.join(self._scratch[1], str(self._count)), "xb")
        finally:
            self._spent += time.perf_counter() - started

    def _slow(self) -> bool:
        """Whether the last ``HOP`` files took more than ``SLOW`` seconds each to create (then
        ``_new_file`` moves on); it starts counting again after each ``HOP``."""
        if self._count % HOP:
            return False
        slow, self._spent = self._spent > HOP * SLOW, 0.0
        return slow

    @staticmethod
    def _place(new: BinaryIO, target: str) -> None:
        os.link(new.name, target)  # FileExistsError for a page staged twice: never a write into the live site
        os.unlink(new.name)

    def _target(self, relative: str) -> str:
        target = _safe_target(self._root, relative)
        parent = os.path.dirname(target)
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        return target

    def link(self, relative: str) -> bool:
        """Link the live site's copy of the page; False if there is none."""
        if relative in self.kept:
            return True
        if self._live is None:
            return False
        try:
            os.link(_safe_target(self._live, relative), self._target(relative), follow_symlinks=False)
        except OSError:
            return False
        return True

    def link_all(self, paths: list[str]) -> bool:
        """Link the live site's copies of all ``paths``, or of none (False)."""
        for done, relative in enumerate(paths):
            if not self.link(relative):
                for made in paths[:done]:
                    if made not in self.kept:
                        os.unlink(_safe_target(self._root, made))
                return False
        return True

    def live_copy(self, relative: str) -> bytes | None:
        """The live site's copy of a page (None if there is none, or no live site)."""
        return None if self._live is None else live_page(self._live, relative)

    def write(self, page: Page) -> bool:
        """Stage ``page``; False if the live site had it byte for byte (then it is linked)."""
        if self.live_copy(page.path) == page.content and self.link(page.path):
            return False
        if page.path in self.kept:  # the live site's file: replaced, never written through
            os.unlink(_safe_target(self._root, page.path))
        target = self._target(page.path)
        with self._new_file() as new:
            new.write(page.content)
        self._place(new, target)
        return True

    def prune(self, staged: set[str]) -> None:
        """Delete the kept pages that are not among ``staged`` (every page of the new site),
        and the folders that leaves empty."""
        gone = self.kept - staged
        for relative in gone:
            os.unlink(_safe_target(self._root, relative))
        _remove_empty_folders(self.folder, gone)
        self.pruned = gone


_FLAGS = struct.calcsize("l") << 16 | ord("f") << 8
_GETFLAGS, _SETFLAGS, _TOPDIR = 2 << 30 | _FLAGS | 1, 1 << 30 | _FLAGS | 2, 0x00020000
"""Linux's FS_IOC_GETFLAGS and FS_IOC_SETFLAGS (_IOR and _IOW of a long), and FS_TOPDIR_FL."""


def _spread(folder: Path) -> None:
    """Mark ``folder`` as the top of a hierarchy (``chattr +T``), so that ext2/3/4 place the
    folders made in it as they place top-level ones, each in a block group chosen from a
    hash of its name, not in ``folder``'s. Creating a file takes a free inode of its folder's
    group, and on ext4 without a journal it first skips, one by one, every inode of the group
    deleted in the last minutes: the site that the last build replaced, or that someone just
    deleted, left thousands there. One machine took 4-5 s of CPU to create 16,000 files in a
    folder beside one just deleted, and 0.8 s in a folder placed so. The pages are made in
    folders with random names (``Staging._new_file``), so most likely in groups other than
    the deleted site's. Where the flag means nothing (other file systems, other systems),
    this does nothing; with a journal, ext4 does not skip deleted inodes."""
    if fcntl is None or not sys.platform.startswith("linux"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        flags = array.array("i", [0])  # the kernel reads and writes an int, despite the ioctl's name
        fcntl.ioctl(fd, _GETFLAGS, flags)
        flags[0] |= _TOPDIR
        fcntl.ioctl(fd, _SETFLAGS, flags)
    except OSError:  # not a file system with such flags
        pass
    finally:
        os.close(fd)


def _ignored(previous: Path) -> None:
    """Keep the replaced site out of git's sight (a file not of the site: the next build deletes it)."""
    with contextlib.suppress(OSError):
        (previous / ".gitignore").write_text("# site-builder's last site, kept for the next build\n*\n")


def _previous(out: Path) -> Path:
    """Where the site that a build replaced is kept for the next (see ``staging``)."""
    return out.parent / f".{out.name}.prev"


def _files(root: Path) -> dict[str, int]:
    """Every file under ``root`` (relative path -> inode), from the directory entries alone."""
    found: dict[str, int] = {}
    folders = [("", str(root))]
    while folders:
        prefix, folder = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append((f"{prefix}{entry.name}/", entry.path))
                else:
                    found[prefix + entry.name] = entry.inode()
    return found


KEEP_RATIO = 4
"""A replaced site is started from while at least one of its files in KEEP_RATIO + 1 is the live site's."""


def _keep(folder: Path, live: Path, background: bool) -> frozenset[str]:
    """Delete the files in ``folder`` (a site the live one replaced) that are not the live
    site's; the pages left. When too few are left to be worth it, start from nothing: a
    file is deleted four times faster than one is linked (ext4), so that is when fewer than
    one in five are left, not (as once) one in two, which after an edit to every other page
    linked 14,000 pages again (a second at 10,000 articles) rather than delete 7,000."""
    mine, theirs = _files(folder), _files(live)
    kept = frozenset(p for p, inode in mine.items() if theirs.get(p) == inode and p != MARKER)
    if len(kept) * KEEP_RATIO < len(mine) - len(kept):  # deleting the rest would cost more than linking anew
        _discard(_retire(folder, live), background)
        folder.mkdir()
        return frozenset()
    for relative in mine.keys() - kept:
        os.unlink(os.path.join(folder, relative))
    _remove_empty_folders(folder, mine.keys() - kept)
    return kept


def _remove_empty_folders(root: Path, removed: Iterable[str]) -> None:
    """Remove the folders under ``root`` that the ``removed`` files leave empty."""
    folders = {parent for path in removed for parent in _parents(path)}
    for folder in sorted(folders, key=lambda f: f.count("/"), reverse=True):  # the deepest first
        with contextlib.suppress(OSError):  # not empty
            os.rmdir(os.path.join(root, folder))


def _parents(path: str) -> Iterator[str]:
    while "/" in path:
        path = path.rsplit("/", 1)[0]
        yield path


def _retire(folder: Path, out: Path) -> Path:
    """Move ``folder`` (beside ``out``) where only ``_discard`` looks: no build will use it."""
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rename(folder, old / "site")
    return old


def _replace(new: Path, out: Path, background: bool, keep: bool = False) -> None:
    """Put ``new`` in place of ``out``; the replaced site is deleted, or with ``keep`` kept for the next build."""
    if not out.exists():
        os.rename(new, out)
        return
    if keep and not _previous(out).exists():
        if _exchange(new, out):
            os.rename(new, _previous(out))
        else:
            os.rename(out, _previous(out))
            os.rename(new, out)
        _ignored(_previous(out))
        return
    if _exchange(new, out):
        _discard(_retire(new, out), background)
    else:
        old = _retire(out, out)
        os.rename(new, out)
        _discard(old, background)


def _alive(pid: str) -> bool:
    """Whether the process that made a staging folder may still be using it."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, under another user
    return True


def _being_deleted(folder: Path) -> bool:
    """Whether a process is deleting ``folder`` (``_discard`` locks it while it does)."""
    if fcntl is None:
        return False
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return True  # gone already
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def _discard(folder: Path, background: bool = True) -> None:
    """Delete ``folder``; with ``background`` (where processes fork), in a detached grandchild
    process (no zombie, nothing to wait for) that locks it meanwhile."""
    if not background or not hasattr(os, "fork") or fcntl is None:
        shutil.rmtree(folder, ignore_errors=True)
        return
    child = os.fork()
    if child == 0:
        try:
            if os.fork() == 0:
                # Let go of the caller's pipes and files, so nobody waits on this process.
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.closerange(3, 65536)
                with contextlib.suppress(OSError):
                    fcntl.flock(os.open(folder, os.O_RDONLY), fcntl.LOCK_EX)
                shutil.rmtree(folder, ignore_errors=True)
        finally:
            os._exit(0)
    os.waitpid(child, 0)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported.
    The C library is the one this process has loaded (ctypes.util.find_library would run
    ldconfig in a subprocess at every build)."""
    import ctypes  # here: a build that finds nothing to do never needs it

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except (OSError, TypeError):  # no such thing on this system
        return False
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    return bool(renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0)
