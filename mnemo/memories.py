"""Several memories: find and describe them, and move them (snapshot export and import)."""

from __future__ import annotations

import errno
import io
import json
import logging
import shutil
import sqlite3
import tarfile
import time
from pathlib import Path

from memory.files import durable_replace
from memory.store import DB_NAME, MemoryStore
from memory.store_base import StorageError
from mnemo.errors import MemoryNotFound, UserError, refused_write

logger = logging.getLogger(__name__)

MANIFEST = "mnemo-snapshot.json"
STAGING = ".import-partial"  # suffix of the folder an import unpacks into before it takes the name


def find_memories(root: str | Path, depth: int = 3) -> list[Path]:
    """Memory directories (holding a memory.db) at or below ``root``, at most ``depth`` levels down."""
    root = Path(root)
    if not root.is_dir():
        raise MemoryNotFound(f"{root}: no such directory")
    found, level = [], [root]
    for _ in range(depth + 1):
        found += [d for d in level if (d / DB_NAME).is_file()]
        level = [c for d in level if not (d / DB_NAME).is_file() for c in sorted(d.iterdir())
                 if c.is_dir() and not c.name.endswith(STAGING)]  # an import in progress (or killed) is no memory
    return sorted(found)


def describe(directory: str | Path) -> dict:
    """What a memory holds: streams, events, media seconds, size on disk."""
    with MemoryStore(directory, create=False, readonly=True) as store:
        return store.summary()


def recorded_profile(directory: str | Path) -> str | None:
    """The profile the memory's last stream was ingested with, None for a new or empty memory."""
    if not (Path(directory) / DB_NAME).is_file():
        return None
    with MemoryStore(directory, create=False, readonly=True) as store:
        streams = store.streams()
    return streams[-1]["info"].get("profile") if streams else None


def export_memory(directory: str | Path, archive: str | Path) -> dict:
    """Write a consistent snapshot of a memory (its database; caches are rebuilt) to a .tar.gz.

    The archive is written beside its final name (``ARCHIVE.partial``, with the database copy in
    ``ARCHIVE.db.partial``) and renamed into place once complete and on disk: an export that is
    killed leaves no file under the archive's name, and the next run replaces what it left.
    """
    directory, archive = Path(directory), Path(archive)
    if not (directory / DB_NAME).is_file():
        raise MemoryNotFound(f"{directory}: no mnemo memory here")
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial, copy = archive.with_name(archive.name + ".partial"), archive.with_name(archive.name + ".db.partial")
    leftovers = [partial, copy, copy.with_name(copy.name + "-journal")]
    try:
        for path in leftovers:  # a killed export's
            path.unlink(missing_ok=True)
        with MemoryStore(directory, create=False) as store:
            store.backup(copy)
            manifest = {**store.summary(), "format": 1, "exported": time.time(), "source": str(directory.resolve())}
        with tarfile.open(partial, "w:gz") as tar:
            text = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(text), int(manifest["exported"]), 0o644
            tar.addfile(info, io.BytesIO(text))
            tar.add(copy, arcname=DB_NAME)
        durable_replace(partial, archive)
    except (OSError, sqlite3.Error) as error:
        if refused_write(error):
            raise UserError(f"{archive}: the snapshot could not be written ({error}: a full disk, a file-size "
                            "limit or a read-only folder?); the memory is unchanged and no archive was left: "
                            "free space and run the same command again") from error
        raise
    finally:
        for path in leftovers:
            path.unlink(missing_ok=True)
    logger.info("exported %s to %s", directory, archive)
    return manifest


def import_memory(archive: str | Path, directory: str | Path) -> dict:
    """Unpack a snapshot into a new memory directory, checking it before it takes the name.

    It is unpacked into ``.NAME.import-partial`` beside the directory and renamed into place once
    checked and on disk: an import that is killed leaves no memory under the name (and nothing
    ``mnemo memories`` lists); the next run removes what it left.
    """
    archive, directory = Path(archive), Path(directory)
    if not archive.is_file():
        raise FileNotFoundError(f"{archive}: no such snapshot file")
    if directory.exists() and any(directory.iterdir()):
        raise FileExistsError(f"{directory}: not empty; import into a new directory")
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = directory.with_name(f".{directory.name}{STAGING}")
    shutil.rmtree(staging, ignore_errors=True)  # a killed import's
    staging.mkdir()
    try:
        manifest = _unpack(archive, staging)
        _check_database(staging / DB_NAME, archive)
        (staging / MANIFEST).unlink()
        if directory.exists():
            directory.rmdir()
        durable_replace(staging, directory)
    except (OSError, sqlite3.Error, StorageError) as error:
        if isinstance(error, StorageError) or refused_write(error):
            raise UserError(f"{directory}: the snapshot could not be unpacked here ({error}: a full disk, a "
                            "file-size limit or a read-only folder?); nothing was created: free space and run "
                            "the same command again") from error
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("imported %s into %s", archive, directory)
    return manifest


def _unpack(archive: Path, staging: Path) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            names = set(tar.getnames())
            if names != {MANIFEST, DB_NAME}:
                raise ValueError(f"{archive}: not a mnemo snapshot (it holds {sorted(names)[:5]})")
            tar.extractall(staging, filter="data")
    except (tarfile.TarError, EOFError, OSError) as error:
        if getattr(error, "errno", None) in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):  # the archive is fine:
            raise  # the folder it is unpacked into is full
        raise ValueError(f"{archive}: not a readable mnemo snapshot ({error})") from error
    try:
        manifest = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{archive}: its manifest {MANIFEST} is not JSON ({error})") from error
    if not isinstance(manifest, dict):
        raise ValueError(f"{archive}: its manifest {MANIFEST} is not a JSON object")
    return manifest


def _check_database(db: Path, archive: Path) -> None:
    try:
        with sqlite3.connect(db) as conn:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise ValueError(f"{archive}: its database is damaged ({error})") from error
    if verdict != "ok":
        raise ValueError(f"{archive}: its database is damaged ({verdict})")
    MemoryStore(db.parent, create=False).close()  # a mnemo memory of a version this code reads
