"""What the store's parts share: opening a memory directory (connection, schema check, creation,
migration), its errors, transactions, backup, summary and closing (memory/store.py composes
``MemoryStore`` from this base and its parts)."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from memory.index import DEFAULT_FACTORY, VectorIndex
from memory.schema import ensure_registered
from memory.store_schema import _MIGRATIONS, _SCHEMA, APPLICATION, DB_NAME, SCHEMA_VERSION

logger = logging.getLogger("memory.store")  # the store's log, whichever part writes it

_Store = TypeVar("_Store", bound="StoreBase")


class StoreError(Exception):
    """A memory directory cannot be used."""


class StorageError(StoreError):
    """The memory's folder cannot be written: a full disk, a file-size limit, a read-only folder."""


# SQLite's words for storage that refuses a write, and what to tell the user
_STORAGE = {
    "database or disk is full": "the disk is full",
    "disk I/O error": "a write failed (disk full, a file-size limit or a failing disk)",
    "attempt to write a readonly database": "its folder or database is read-only",
    "unable to open database file": "its database cannot be opened for writing (a read-only folder?)",
}


def storage_error(directory: Path, exc: sqlite3.Error) -> StorageError | None:
    """A StorageError naming the memory when ``exc`` says its storage refused a write; else None."""
    problem = next((text for key, text in _STORAGE.items() if key in str(exc)), None)
    if problem is None:
        return None
    return StorageError(f"memory {directory}: {problem} ({exc}); what was committed is intact: "
                        "fix it and run the same command again to resume")


class NotAMemoryError(StoreError):
    """The directory holds a ``memory.db`` that is not a mnemo memory."""


class SchemaVersionError(StoreError):
    """The memory was written by a newer mnemo."""


class StoreBase:
    """One memory directory's SQLite connection: opening, checks, transactions (a part of MemoryStore)."""

    def __init__(self, directory: str | os.PathLike, create: bool = True, readonly: bool = False,
                 index_factory: str = DEFAULT_FACTORY, nprobe: int = 16) -> None:
        self.directory = Path(directory)
        self.readonly = readonly
        self.index_factory = index_factory
        self.nprobe = nprobe
        self._indexes: dict[str, VectorIndex] = {}
        self._conn = self._open(create and not readonly)

    # ------------------------------------------------------------ opening
    @property
    def db_path(self) -> Path:
        return self.directory / DB_NAME

    def _open(self, create: bool) -> sqlite3.Connection:
        d = self.directory
        if d.exists() and not d.is_dir():
            raise NotADirectoryError(f"memory {d} is not a directory")
        if not d.exists():
            if not create:
                how = "a read-only open cannot create one" if self.readonly else "open with create=True to make one"
                raise FileNotFoundError(f"memory directory {d} does not exist ({how})")
            d.mkdir(parents=True)
        db = self.db_path
        if db.exists() and not db.is_file():
            raise NotAMemoryError(f"{db} is not a mnemo memory: not a file")
        if not db.exists() and not create:
            raise FileNotFoundError(f"{d} is not a mnemo memory: it has no {DB_NAME}")
        conn = self._connect(db)
        try:
            self._check_schema(conn, create)
        except sqlite3.OperationalError as exc:
            conn.close()
            raise storage_error(self.directory, exc) or exc
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect(self, db: Path) -> sqlite3.Connection:
        try:
            if self.readonly:
                uri = f"file:{urllib.parse.quote(str(db.resolve()))}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30.0)
            else:
                conn = sqlite3.connect(db, isolation_level=None, timeout=30.0)
            conn.execute("PRAGMA foreign_keys = ON")
            if not self.readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            raise storage_error(self.directory, exc) or NotAMemoryError(f"{db} is not a mnemo memory: {exc}") from exc
        return conn

    def _check_schema(self, conn: sqlite3.Connection, create: bool) -> None:
        db = self.db_path
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise NotAMemoryError(f"{db} is not a mnemo memory: {exc}") from exc
        if not tables:
            if not create:
                raise NotAMemoryError(f"{db} is an empty database, not a mnemo memory")
            self._create_schema(conn)
            return
        meta = {}
        if "meta" in tables:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("application") != APPLICATION:
            raise NotAMemoryError(f"{db} is not a mnemo memory (an SQLite database with tables {sorted(tables)})")
        version = int(meta.get("schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(f"{db} has schema version {version}; this mnemo reads versions up to "
                                     f"{SCHEMA_VERSION}: upgrade mnemo to open it")
        if version < SCHEMA_VERSION:
            self._migrate(conn, version)
        if not self.readonly:
            self._ensure_extensions(conn)

    @staticmethod
    def _ensure_extensions(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            ensure_registered(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _migrate(self, conn: sqlite3.Connection, version: int) -> None:
        """Bring an older schema up to date in one transaction (only adds tables)."""
        db = self.db_path
        if self.readonly:
            raise SchemaVersionError(f"{db} has schema version {version}: open it writable once to upgrade it")
        if any(v not in _MIGRATIONS for v in range(version, SCHEMA_VERSION)):
            raise SchemaVersionError(f"{db} has schema version {version}, which this mnemo cannot migrate")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for v in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[v]:
                    conn.execute(statement)
            ensure_registered(conn)
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        logger.info("upgraded %s from schema version %d to %d", db, version, SCHEMA_VERSION)

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            fresh = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0
            for statement in _SCHEMA:
                conn.execute(statement)
            ensure_registered(conn)
            conn.executemany("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)",
                             [("application", APPLICATION), ("schema_version", str(SCHEMA_VERSION)),
                              ("created", repr(time.time()))])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        if fresh:  # caches left from another database would be wrong for this one
            for cache in ("index", "thumbs"):
                shutil.rmtree(self.directory / cache, ignore_errors=True)
            logger.info("created memory %s", self.directory)

    def backup(self, target: Path) -> None:
        """A consistent copy of the database at ``target`` (SQLite's online backup: a writer may be
        ingesting meanwhile; the copy holds what was committed when it began)."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(target)
        try:
            self._conn.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            copy.close()

    def summary(self) -> dict:
        """Streams, events, media seconds covered (per stream: last event end) and files on disk."""
        with self._read() as c:
            streams, events = (c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("streams", "events"))
            media = c.execute('SELECT COALESCE(SUM(last), 0) FROM (SELECT MAX("end") AS last FROM events '
                              "GROUP BY stream)").fetchone()[0]
            first, last = c.execute("SELECT MIN(added), MAX(added) FROM streams").fetchone()
        size = sum(p.stat().st_size for p in self.directory.rglob("*") if p.is_file())
        return {"directory": str(self.directory), "streams": streams, "events": events,
                "media_seconds": float(media), "bytes": size, "first_added": first, "last_added": last}

    def close(self) -> None:
        self._conn.close()
        self._indexes.clear()

    def __enter__(self: _Store) -> _Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MemoryStore({str(self.directory)!r}{', readonly=True' if self.readonly else ''})"

    # ------------------------------------------------------------ transactions
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self.readonly:
            raise PermissionError(f"memory {self.directory} is open read-only")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:  # SQLite may have rolled back already (a full disk)
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise storage_error(self.directory, exc) or exc

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot across several queries."""
        if self._conn.in_transaction:
            yield self._conn
            return
        self._conn.execute("BEGIN")
        try:
            yield self._conn
        finally:
            self._conn.execute("COMMIT")

    @staticmethod
    def _require_stream(c: sqlite3.Connection, stream: str) -> None:
        if c.execute("SELECT 1 FROM streams WHERE id = ?", (stream,)).fetchone() is None:
            raise ValueError(f"unknown stream {stream!r}: add_stream it first")
