"""The build cache in ``.site-cache/``: what earlier builds worked out, by key.

Only the pipeline uses it. Entries live in namespaces ('files', 'html', ...)
under keys that name everything an entry was made from, so an entry is either
right or absent. Every value carries a checksum: a cache that was truncated,
corrupted or written by another version raises CacheCorrupt, and the
pipeline deletes it and builds without it. SQLite (in the standard library)
gives one file with transactions, so a killed build never leaves half a write.
"""

from __future__ import annotations

import shutil
import sqlite3
import zlib
from collections.abc import Iterable
from pathlib import Path

FORMAT = "site-builder cache 3"
_CHECK = 4
"""Bytes of checksum (CRC-32) in front of every stored value: it is there to catch a damaged
or misplaced entry, not forgery, and a rebuild reads 30 MB (blake2b took 0.04 s, CRC-32 0.01 s)."""
_BATCH = 500
"""Keys per SELECT (SQLite limits the number of parameters)."""


class CacheCorrupt(Exception):
    """The cache cannot be trusted; delete it and build without it."""


class Cache:
    """Key -> bytes, in namespaces, in one SQLite file. Use one instance per process.
    ``Cache(None)`` remembers nothing."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._db: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        assert self.folder is not None
        if self._db is None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                for name, text in (("CACHEDIR.TAG", ("Signature: 8a477f597d28d172789f06886806bc55\n"
                                                     "# site-builder's build cache: safe to delete.\n")),
                                   (".gitignore", "# site-builder's build cache\n*\n")):
                    if not (self.folder / name).exists():
                        (self.folder / name).write_text(text, encoding="utf-8")
                db = sqlite3.connect(self.folder / "cache.sqlite", timeout=30, isolation_level=None)
                # A rollback journal survives a killed process; without syncs, a power cut can
                # damage the file, which the checksums and SQLite's own checks then catch. The
                # journal is emptied after each transaction, not deleted: a clean build commits
                # 500 of them, and creating a file can cost a quarter of a millisecond.
                db.execute("PRAGMA synchronous=OFF")
                db.execute("PRAGMA journal_mode=TRUNCATE")
                db.execute("CREATE TABLE IF NOT EXISTS entries (ns TEXT, key TEXT, value BLOB, PRIMARY KEY (ns, key))")
                db.execute("CREATE TABLE IF NOT EXISTS info (name TEXT PRIMARY KEY, value TEXT)")
                row = db.execute("SELECT value FROM info WHERE name = 'format'").fetchone()
                if row is None:
                    db.execute("INSERT INTO info VALUES ('format', ?)", (FORMAT,))
                elif row[0] != FORMAT:  # made by another version of site-builder: start afresh
                    db.close()
                    shutil.rmtree(self.folder)
                    return self._open()
            except (sqlite3.Error, OSError) as err:
                raise CacheCorrupt(str(err)) from err
            self._db = db
        return self._db

    def get(self, ns: str, keys: Iterable[str]) -> dict[str, bytes]:
        """The stored values of those ``keys`` that are present."""
        keys = list(keys)
        found: dict[str, bytes] = {}
        if self.folder is None:
            return found
        try:
            db = self._open()
            for i in range(0, len(keys), _BATCH):
                batch = keys[i:i + _BATCH]
                rows = db.execute(f"SELECT key, value FROM entries WHERE ns = ? AND key IN "
                                  f"({','.join('?' * len(batch))})", (ns, *batch))
                for key, value in rows:
                    found[key] = _checked(ns, key, value)
        except sqlite3.Error as err:
            raise CacheCorrupt(str(err)) from err
        return found

    def keys(self, ns: str) -> set[str]:
        if self.folder is None:
            return set()
        try:
            return {key for (key,) in self._open().execute("SELECT key FROM entries WHERE ns = ?", (ns,))}
        except sqlite3.Error as err:
            raise CacheCorrupt(str(err)) from err

    def put(self, ns: str, items: Iterable[tuple[str, bytes]], drop: Iterable[str] = ()) -> None:
        """Store ``items`` and delete the keys in ``drop``, in one transaction."""
        if self.folder is None:
            return
        try:
            db = self._open()
            db.execute("BEGIN")
            try:
                db.executemany("DELETE FROM entries WHERE ns = ? AND key = ?", ((ns, key) for key in drop))
                db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
                               ((ns, key, _checksum(ns, key, value) + value) for key, value in items))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as err:
            raise CacheCorrupt(str(err)) from err

    def info(self, name: str) -> str | None:
        if self.folder is None:
            return None
        try:
            row = self._open().execute("SELECT value FROM info WHERE name = ?", (name,)).fetchone()
        except sqlite3.Error as err:
            raise CacheCorrupt(str(err)) from err
        return None if row is None else str(row[0])

    def set_info(self, name: str, value: str) -> None:
        if self.folder is None:
            return
        try:
            self._open().execute("INSERT OR REPLACE INTO info VALUES (?, ?)", (name, value))
        except sqlite3.Error as err:
            raise CacheCorrupt(str(err)) from err

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def clear(self) -> None:
        """Delete the cache (it is rebuilt by the next use)."""
        self.close()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _checksum(ns: str, key: str, value: bytes) -> bytes:
    """Covers the key too, so a value can never pass for another's."""
    return zlib.crc32(value, zlib.crc32(f"{ns}\0{key}\0".encode())).to_bytes(_CHECK, "big")


def _checked(ns: str, key: str, stored: bytes) -> bytes:
    value = stored[_CHECK:]
    if len(stored) < _CHECK or _checksum(ns, key, value) != stored[:_CHECK]:
        raise CacheCorrupt("a cache entry does not match its checksum")
    return value
