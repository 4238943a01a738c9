"""What was said and read: utterances with their voices, and screen text (a part of ``MemoryStore``,
memory/store.py). Both are written with their event by ``MemoryStore.add_event``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from memory.event import ScreenText, Utterance
from memory.store_streams import StoreStreams
from memory.words import rank_by_words


class StoreText(StoreStreams):
    """Utterances, voices and screen text (a part of MemoryStore; forgetting voices rewrites the voice state,
    so it stands on the streams-and-state part)."""

    @staticmethod
    def _put_utterances(c: sqlite3.Connection, event_id: int, utterances) -> None:
        for u in utterances:
            cur = c.execute('INSERT INTO utterances(event_id, stream, start, "end", text, voice, origin, language, '
                            "words, confidence, model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (event_id, u.stream, float(u.start), float(u.end), u.text, u.voice, u.origin,
                             u.language, json.dumps([list(w) for w in u.words]), u.confidence, u.model))
            u.id, u.event_id = int(cur.lastrowid), event_id

    @staticmethod
    def _put_screen_text(c: sqlite3.Connection, event_id: int, lines: Sequence[ScreenText]) -> None:
        for line in lines:
            x0, y0, x1, y1 = (float(v) for v in line.box)
            cur = c.execute("INSERT INTO screen_text(event_id, stream, time, text, x0, y0, x1, y1, score, origin, "
                            "model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (event_id, line.stream, float(line.time), line.text, x0, y0, x1, y1, float(line.score),
                             line.origin, line.model))
            line.id, line.event_id = int(cur.lastrowid), event_id

    def screen_text(self, stream: str | None = None, event_id: int | None = None) -> list[ScreenText]:
        """Lines read on screen, ordered by stream and time, optionally of one stream or event."""
        where, params = _equal_to(stream=stream, event_id=event_id)
        rows = self._conn.execute(
            "SELECT id, event_id, stream, time, text, x0, y0, x1, y1, score, origin, model FROM screen_text "
            f"WHERE {where} ORDER BY stream, time, id", params).fetchall()
        return [ScreenText(stream=r[2], time=r[3], text=r[4], box=(r[5], r[6], r[7], r[8]), score=r[9], origin=r[10],
                           model=r[11], event_id=r[1], id=r[0]) for r in rows]

    def search_screen_text(self, query: str, k: int = 10, stream: str | None = None) -> list[tuple[int, float]]:
        """Top-k (event id, share of the query's wording) among events whose screen text holds at least
        half of the query's words (memory/words.py); a scan of the lines, fine for ~10^5 of them."""
        where, params = ("stream = ?", [stream]) if stream is not None else ("1", [])
        rows = self._conn.execute(f"SELECT event_id, text FROM screen_text WHERE event_id IS NOT NULL AND {where}",
                                  params)
        return rank_by_words(((int(r[0]), r[1]) for r in rows), query, k)

    def forget_voices(self, voices: Sequence[str], state: bytes | None = None, key: str = "voices") -> int:
        """Remove voice labels from utterances and (optionally) replace the voice state, in one transaction.

        Returns the number of utterances that lost their label. The old state's pages are
        overwritten (secure_delete), so the forgotten centroids do not linger in the file.
        """
        voices = list(voices)
        if not voices:
            return 0
        marks = ",".join("?" * len(voices))
        self._conn.execute("PRAGMA secure_delete = ON")
        with self._write() as c:
            changed = c.execute(f"UPDATE utterances SET voice = NULL WHERE voice IN ({marks})", voices).rowcount
            if state is not None:
                self._put_state(c, key, state)
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return changed

    def set_utterance_voices(self, voices: Sequence[tuple[int, str | None]]) -> int:
        """Set the voice of utterances by id, in one transaction (the diariser's end-of-stream
        relabelling); returns how many rows changed."""
        if not voices:
            return 0
        with self._write() as c:
            return sum(c.execute("UPDATE utterances SET voice = ? WHERE id = ?", (voice, int(uid))).rowcount
                       for uid, voice in voices)

    def utterances(self, stream: str | None = None, event_id: int | None = None,
                   voice: str | None = None) -> list[Utterance]:
        """Utterances ordered by stream and time, optionally of one stream, event or voice."""
        where, params = _equal_to(stream=stream, event_id=event_id, voice=voice)
        rows = self._conn.execute(
            'SELECT id, event_id, stream, start, "end", text, voice, origin, language, words, confidence, model '
            f"FROM utterances WHERE {where} ORDER BY stream, start, id", params).fetchall()
        return [Utterance(stream=r[2], start=r[3], end=r[4], text=r[5], voice=r[6], origin=r[7], language=r[8],
                          words=[tuple(w) for w in json.loads(r[9])], confidence=r[10], model=r[11],
                          event_id=r[1], id=r[0]) for r in rows]


def _equal_to(**columns: object) -> tuple[str, list]:
    """A WHERE clause (and its parameters) asking each column given a value to equal it."""
    given = {column: value for column, value in columns.items() if value is not None}
    return " AND ".join([f"{column} = ?" for column in given] or ["1"]), list(given.values())
