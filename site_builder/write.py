"""Stage 5, write: the only code that touches the output folder.

Pages go into a fresh temporary folder beside the output; only when every page
is written does it replace the old output, by an atomic exchange where the
system offers one (Linux renameat2), else by two renames. A build that fails
or is killed part-way leaves the previous site exactly as it was.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import SiteError
from .render import Page

MARKER = ".site-builder"
"""Written into every output folder: we only ever replace a folder that has it."""


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


@contextlib.contextmanager
def staging(out: Path, stamp: dict[str, Any] | None = None, background: bool = False) -> Iterator[Path]:
    """A new empty folder beside ``out``; put in place of ``out`` if the block ends without error.

    Pages are put into it with ``Staging`` (from any process); on any
    error, or if the process is killed, ``out`` is left as it was. ``stamp``
    is kept in the marker file, for the next build to read. With
    ``background``, the replaced site is deleted by a detached process
    (deleting 10,000 files takes a second or two that nobody needs to wait for).
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    for leftover in out.parent.glob(f".{out.name}.old-*"):  # from a deletion that was killed
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in out.parent.glob(f".{out.name}.new-*"):  # from a build that was killed
        if not _alive(leftover.name.split("-")[-2]):
            shutil.rmtree(leftover, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-{os.getpid()}-", dir=out.parent))
    try:
        os.chmod(folder, 0o755)
        yield folder
        note = {"note": "This folder is replaced whole by each site-builder build.", **(stamp or {})}
        (folder / MARKER).write_text(json.dumps(note, indent=1) + "\n", encoding="utf-8")
        _replace(folder, out, background)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


class Staging:
    """Puts pages into a staging folder: written from bytes, or hard-linked from the
    live site when unchanged (cheap, and the file keeps its time for sync tools)."""

    def __init__(self, folder: Path, live: Path | None = None) -> None:
        self.folder, self.live = folder, live
        self._made: set[str] = set()

    def _target(self, relative: str) -> str:
        target = _safe_target(self.folder, relative)
        parent = os.path.dirname(target)
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        return target

    def link(self, relative: str) -> bool:
        """Link the live site's copy of the page; False if there is none."""
        if self.live is None:
            return False
        try:
            os.link(_safe_target(self.live, relative), self._target(relative), follow_symlinks=False)
        except OSError:
            return False
        return True

    def link_all(self, paths: list[str]) -> bool:
        """Link the live site's copies of all ``paths``, or of none (False)."""
        for done, relative in enumerate(paths):
            if not self.link(relative):
                for made in paths[:done]:
                    os.unlink(_safe_target(self.folder, made))
                return False
        return True

    def write(self, page: Page) -> bool:
        """Stage ``page``; False if the live site had it byte for byte (then it is linked)."""
        if self.live is not None:
            try:
                with open(_safe_target(self.live, page.path), "rb") as old:
                    same = old.read() == page.content
            except OSError:
                same = False
            if same and self.link(page.path):
                return False
        with open(self._target(page.path), "xb") as new:  # never through a link into the live site
            new.write(page.content)
        return True


def _replace(new: Path, out: Path, background: bool) -> None:
    if not out.exists():
        os.rename(new, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    if _exchange(new, out):
        os.rename(new, old / "site")
    else:
        os.rename(out, old / "site")
        os.rename(new, out)
    if background and hasattr(os, "fork"):
        _discard(old)
    else:
        shutil.rmtree(old, ignore_errors=True)


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


def _discard(folder: Path) -> None:
    """Delete ``folder`` in a detached grandchild process (no zombie, nothing to wait for)."""
    child = os.fork()
    if child == 0:
        try:
            if os.fork() == 0:
                # Let go of the caller's pipes and files, so nobody waits on this process.
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.closerange(3, 65536)
                shutil.rmtree(folder, ignore_errors=True)
        finally:
            os._exit(0)
    os.waitpid(child, 0)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    return bool(renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0)
