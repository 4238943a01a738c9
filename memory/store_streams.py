"""The store's streams, their checkpoints and camera poses, and per-memory state blobs (a part of
``MemoryStore``, memory/store.py)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence

from memory.event import Checkpoint
from memory.poses import Pose, PoseTrack, add_poses, pose_at, pose_track
from memory.store_base import StoreBase


class StoreStreams(StoreBase):
    """Streams, checkpoints, poses and per-memory state (a part of MemoryStore)."""

    # ------------------------------------------------------------ poses
    def add_poses(self, poses: Sequence[Pose]) -> int:
        """Log where the camera was (see memory/poses.py); one transaction."""
        with self._write() as c:
            for stream in {p.stream for p in poses}:
                self._require_stream(c, stream)
            return add_poses(c, poses)

    def poses(self, stream: str, start: float | None = None, end: float | None = None) -> PoseTrack:
        with self._read() as c:
            return pose_track(c, stream, start, end)

    def pose_at(self, stream: str, t: float, within: float = 2.0) -> Pose | None:
        """Where the stream's camera was at media time ``t`` (see memory.poses.pose_at), None if unknown."""
        with self._read() as c:
            return pose_at(c, stream, t, within)

    # ------------------------------------------------------------ streams and checkpoints
    def add_stream(self, stream_id: str, uri: str, info: dict | None = None) -> None:
        """Register a stream (again: updates its uri and info)."""
        try:
            info_json = json.dumps(info or {}, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"stream {stream_id!r}: info is not JSON-serialisable: {exc}") from exc
        with self._write() as c:
            c.execute("INSERT INTO streams(id, uri, info, added) VALUES (?, ?, ?, ?) "
                      "ON CONFLICT(id) DO UPDATE SET uri = excluded.uri, info = excluded.info",
                      (stream_id, str(uri), info_json, time.time()))

    def forget_empty_stream(self, stream_id: str) -> bool:
        """Remove a stream that nothing refers to (an ingest that failed before its first commit);
        False, and nothing removed, when any row of any table names it."""
        with self._write() as c:
            tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'streams'")]
            for table in tables:
                columns = {row[1] for row in c.execute(f'PRAGMA table_info("{table}")')}
                if "stream" in columns and c.execute(  # noqa: S608 - table names come from the schema
                        f'SELECT 1 FROM "{table}" WHERE stream = ? LIMIT 1', (stream_id,)).fetchone():
                    return False
            c.execute("DELETE FROM streams WHERE id = ?", (stream_id,))
        return True

    def streams(self) -> list[dict]:
        rows = self._conn.execute("SELECT id, uri, info, added FROM streams ORDER BY added, id").fetchall()
        return [{"id": i, "uri": u, "info": json.loads(info), "added": a} for i, u, info, a in rows]

    def checkpoint(self, stream: str) -> Checkpoint | None:
        row = self._conn.execute("SELECT position, state, done FROM checkpoints WHERE stream = ?",
                                 (stream,)).fetchone()
        return None if row is None else Checkpoint(stream, row[0], bytes(row[1]), bool(row[2]))

    def set_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Record where a stream stands without adding an event (e.g. done)."""
        with self._write() as c:
            self._require_stream(c, checkpoint.stream)
            self._put_checkpoint(c, checkpoint)

    @staticmethod
    def _put_checkpoint(c: sqlite3.Connection, cp: Checkpoint) -> None:
        c.execute("INSERT INTO checkpoints(stream, position, state, done, updated) VALUES (?, ?, ?, ?, ?) "
                  "ON CONFLICT(stream) DO UPDATE SET position = excluded.position, state = excluded.state, "
                  "done = excluded.done, updated = excluded.updated",
                  (cp.stream, float(cp.position), bytes(cp.state), int(cp.done), time.time()))

    @staticmethod
    def _put_state(c: sqlite3.Connection, key: str, value: bytes) -> None:
        c.execute("INSERT INTO memory_state(key, value, updated) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
                  "SET value = excluded.value, updated = excluded.updated", (key, bytes(value), time.time()))

    def state(self, key: str) -> bytes | None:
        """A per-memory state blob (e.g. ``"voices"``), None when never written."""
        row = self._conn.execute("SELECT value FROM memory_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])
