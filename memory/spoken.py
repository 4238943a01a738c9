"""What was said, as the world reads it: the stored utterances that carry text (speech recognised by
the ingest's recogniser, subtitles, sidecar transcripts), each with who said it.

Who said it is the utterance's voice (``voice:N``, the diariser's label) under the name its entity
has (``mnemo name``, or a name that conversation or subtitles gave it); an unnamed voice keeps its
label, and a line without a voice has none (""). Forgetting a voice's entity takes its name and
unlinks its label (``EntityRegistry.forget``), so its lines keep the bare label. The
simulator's ``heard`` table (``memory.perceived.heard``) holds the same kind of row for memories
fed by a perception log; readers take both.
"""

from __future__ import annotations

import math
import sqlite3
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from memory.store import MemoryStore

SAID = ("asr", "subtitle", "sidecar")  # utterance origins that carry what was said (vad ones carry no text)


def spoken(store: "MemoryStore", until: float | None = None) -> list[tuple[str, float, float, str, str]]:
    """(stream, start, end, text, speaker) of every utterance with text that ended by ``until`` (all when
    None: a recogniser gives a line once it ends), by start."""
    cut = math.inf if until is None else float(until)
    marks = ",".join("?" * len(SAID))
    with store._read() as c:
        rows = c.execute(f'SELECT stream, start, "end", text, voice FROM utterances WHERE origin IN ({marks}) '
                         f"AND text != '' AND \"end\" <= ? ORDER BY start, id", (*SAID, cut)).fetchall()
        speakers = _speakers(c, {r[4] for r in rows if r[4]})
    return [(s, float(a), float(b), text, speakers[voice] if voice else "") for s, a, b, text, voice in rows]


def entity_names(store: "MemoryStore", entities: Iterable[int]) -> dict[int, str]:
    """Entity id -> the name its entity has now (followed through merges), for those that have one: a
    person a user named (``mnemo name entity:7 Ana``) is called so wherever they were seen."""
    out: dict[int, str] = {}
    with store._read() as c:
        for entity in {int(e) for e in entities}:
            named = _one(c, "SELECT name FROM entities WHERE id = ?", (_root(c, entity),))
            if named and named[0]:
                out[entity] = named[0]
    return out


def _speakers(c: sqlite3.Connection, voices: set[str]) -> dict[str, str]:
    """voice label -> the name of its entity (the label itself while unnamed or unlinked)."""
    out: dict[str, str] = {}
    for voice in voices:
        row = _one(c, "SELECT entity_id FROM entity_keys WHERE key = ?", (voice,))
        if row is None:
            out[voice] = voice
            continue
        root = _root(c, int(row[0]))
        named = _one(c, "SELECT name FROM entities WHERE id = ?", (root,))
        out[voice] = (named[0] if named else None) or voice
    return out


def _root(c: sqlite3.Connection, entity: int) -> int:
    """The entity that ``entity`` was merged into, following the chain (union-find without writes)."""
    seen = set()
    while entity not in seen:
        seen.add(entity)
        row = _one(c, "SELECT merged_into FROM entities WHERE id = ?", (entity,))
        if row is None or row[0] is None:
            return entity
        entity = int(row[0])
    return entity


def _one(c: sqlite3.Connection, sql: str, params: tuple) -> tuple | None:
    try:
        return c.execute(sql, params).fetchone()
    except sqlite3.OperationalError as err:  # a memory that never registered an entity has no such tables
        if "no such table" in str(err):
            return None
        raise
