"""Keyframe images: JPEG bytes live in ``memory.db``; thumbnail files under ``<dir>/thumbs`` are
written from it on demand (a part of ``MemoryStore``, memory/store.py)."""

from __future__ import annotations

import logging
from pathlib import Path

from memory.files import atomic_write
from memory.store_base import StoreBase

logger = logging.getLogger("memory.store")  # the store's log, whichever part writes it


class StoreKeyframes(StoreBase):
    """Keyframe thumbnails (a part of MemoryStore)."""

    def keyframe_path(self, event_id: int, ordinal: int = 0) -> Path:
        """The thumbnail file of a keyframe, written from the database when missing."""
        path = self._thumb_file(event_id, ordinal)
        if path.exists():
            return path
        row = self._conn.execute("SELECT jpeg FROM keyframes WHERE event_id = ? AND ordinal = ?",
                                 (int(event_id), int(ordinal))).fetchone()
        if row is None or row[0] is None:
            raise KeyError(f"event {event_id} has no keyframe image {ordinal} in memory {self.directory}")
        atomic_write(path, bytes(row[0]))
        return path

    def _thumb_file(self, event_id: int, ordinal: int) -> Path:
        return self.directory / "thumbs" / f"{int(event_id)}_{int(ordinal)}.jpg"

    def _thumbnail(self, event_id: int, ordinal: int, data: bytes | None) -> Path | None:
        path = self._thumb_file(event_id, ordinal)
        if path.exists():
            return path
        try:
            if data is None:
                return self.keyframe_path(event_id, ordinal)
            atomic_write(path, bytes(data))
        except OSError as exc:
            logger.warning("cannot write thumbnail %s: %s", path, exc)
            return None
        return path
