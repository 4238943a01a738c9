"""Files beside the database (indexes, thumbnails), written so that readers never see half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, durable: bool = False) -> None:
    """Write ``data`` to a temporary file in the same folder, then rename it over ``path``; ``durable``:
    through to the disk before and after the rename (a record that must survive a power cut, not a cache)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if durable:
            durable_replace(Path(tmp), path)
        else:
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def durable_replace(written: Path, path: Path) -> None:
    """Rename a finished file or folder over ``path`` so that even a power cut leaves the old or the new
    one whole: its data reaches the disk (fsync) before the rename, and the rename before we return."""
    for file in [written] if written.is_file() else [p for p in written.rglob("*") if p.is_file()]:
        _fsync(file, os.O_RDONLY)
    os.replace(written, path)
    _fsync(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
