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

from memory.entity_history import registry_at

if TYPE_CHECKING:  # pragma: no cover
    from memory.store import MemoryStore

SAID = ("asr", "subtitle", "sidecar")  # utterance origins that carry what was said (vad ones carry no text)


def spoken(store: "MemoryStore", until: float | None = None) -> list[tuple[str, float, float, str, str]]:
    """(stream, start, end, text, speaker) of every utterance with text that ended by ``until`` (all when
    None: a recogniser gives a line once it ends), by start; the speaker under the name its voice had at
    ``until`` (now when None: a name given later, by a line heard or a user, is not known then)."""
    cut = math.inf if until is None else float(until)
    marks = ",".join("?" * len(SAID))
    with store._read() as c:
        rows = c.execute(f'SELECT stream, start, "end", text, voice FROM utterances WHERE origin IN ({marks}) '
                         f"AND text != '' AND \"end\" <= ? ORDER BY start, id", (*SAID, cut)).fetchall()
        speakers = _speakers(c, {r[4] for r in rows if r[4]}, until)
    return [(s, float(a), float(b), text, speakers[voice] if voice else "") for s, a, b, text, voice in rows]


def entity_names(store: "MemoryStore", entities: Iterable[int], until: float | None = None) -> dict[int, str]:
    """Entity id -> the name its entity had at media time ``until`` (now when None), followed through the
    merges made by then, for those that had one: a person a user named (``mnemo name entity:7 Ana``) is
    called so wherever they were seen, from the time the name was given."""
    with store._read() as c:
        registry = registry_at(c, until)
    named = {int(e): registry.name(int(e)) for e in entities}
    return {e: n for e, n in named.items() if n}


def _speakers(c: sqlite3.Connection, voices: set[str], until: float | None) -> dict[str, str]:
    """voice label -> the name of its entity at ``until`` (the label itself while unnamed or unlinked)."""
    registry = registry_at(c, until)
    out: dict[str, str] = {}
    for voice in voices:
        row = _one(c, "SELECT entity_id FROM entity_keys WHERE key = ?", (voice,))
        out[voice] = (registry.name(int(row[0])) if row is not None else None) or voice
    return out


def _one(c: sqlite3.Connection, sql: str, params: tuple) -> tuple | None:
    try:
        return c.execute(sql, params).fetchone()
    except sqlite3.OperationalError as err:  # a memory that never registered an entity has no such tables
        if "no such table" in str(err):
            return None
        raise
