"""Several memories: find and describe them, and move them (snapshot export and import)."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import tarfile
import tempfile
import time
from pathlib import Path

from memory.store import DB_NAME, MemoryStore
from mnemo.errors import MemoryNotFound

logger = logging.getLogger(__name__)

MANIFEST = "mnemo-snapshot.json"


def find_memories(root: str | Path, depth: int = 3) -> list[Path]:
    """Memory directories (holding a memory.db) at or below ``root``, at most ``depth`` levels down."""
    root = Path(root)
    if not root.is_dir():
        raise MemoryNotFound(f"{root}: no such directory")
    found, level = [], [root]
    for _ in range(depth + 1):
        found += [d for d in level if (d / DB_NAME).is_file()]
        level = [c for d in level if not (d / DB_NAME).is_file() for c in sorted(d.iterdir()) if c.is_dir()]
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
    """Write a consistent snapshot of a memory (its database; caches are rebuilt) to a .tar.gz."""
    directory, archive = Path(directory), Path(archive)
    if not (directory / DB_NAME).is_file():
        raise MemoryNotFound(f"{directory}: no mnemo memory here")
    with MemoryStore(directory, create=False) as store, tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / DB_NAME
        store.backup(copy)
        manifest = {**store.summary(), "format": 1, "exported": time.time(), "source": str(directory.resolve())}
        (Path(tmp) / MANIFEST).write_text(json.dumps(manifest, indent=1))
        archive.parent.mkdir(parents=True, exist_ok=True)
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(Path(tmp) / MANIFEST, arcname=MANIFEST)
            tar.add(copy, arcname=DB_NAME)
        partial.replace(archive)
    logger.info("exported %s to %s", directory, archive)
    return manifest


def import_memory(archive: str | Path, directory: str | Path) -> dict:
    """Unpack a snapshot into a new memory directory, checking it before it takes the name."""
    archive, directory = Path(archive), Path(directory)
    if not archive.is_file():
        raise FileNotFoundError(f"{archive}: no such snapshot file")
    if directory.exists() and any(directory.iterdir()):
        raise FileExistsError(f"{directory}: not empty; import into a new directory")
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=directory.parent if directory.parent.exists() else None))
    try:
        manifest = _unpack(archive, staging)
        _check_database(staging / DB_NAME, archive)
        directory.parent.mkdir(parents=True, exist_ok=True)
        if directory.exists():
            directory.rmdir()
        shutil.move(str(staging), directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    (directory / MANIFEST).unlink(missing_ok=True)
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
