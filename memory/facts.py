"""Semantic facts distilled from repeated episodes: "entity:7 is usually in the kitchen",
"entity:3 is usually in the garden in the morning", "entity:5 often says 'coffee'".

Each fact carries its support (distinct episodes that show it), a confidence (the share of the
subject's episodes that agree) and provenance (the supporting event ids). Facts are recomputed
as a whole from events, places, entities and utterances (a derived table: one transaction).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from memory.hierarchy import DAY, has_tables, wall_clocks

if TYPE_CHECKING:
    from memory.store import MemoryStore

logger = logging.getLogger(__name__)

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS facts (
        subject TEXT NOT NULL,                    -- entity:7
        relation TEXT NOT NULL,                   -- usually_in, usually_in@morning, often_says
        object TEXT NOT NULL,                     -- area:2, place:5, or a word
        support INTEGER NOT NULL,                 -- distinct episodes that show it
        confidence REAL NOT NULL,                 -- share of the subject's episodes (of that kind) that agree
        evidence TEXT NOT NULL,                   -- JSON list of supporting event ids (at most MAX_EVIDENCE)
        PRIMARY KEY (subject, relation, object)
    ) WITHOUT ROWID""",
]

MAX_EVIDENCE = 50
DAYPARTS = (("night", 0, 6), ("morning", 6, 12), ("afternoon", 12, 18), ("evening", 18, 24))
_WORD = re.compile(r"[a-z][a-z']{3,}")
_STOP = frozenset("""this that there here with from have been were will would could should about what when where
which their them they your yours into over under just like some very than then also only other more most
much many such does done doing said says going well okay yeah right back left next the and for""".split())


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the fact table if it is missing (inside the caller's transaction)."""
    for statement in SCHEMA:
        conn.execute(statement)


@dataclass(frozen=True)
class FactConfig:
    """When a regularity becomes a fact."""

    min_support: int = 2  # distinct episodes showing it
    min_confidence: float = 0.5  # share of the subject's episodes that agree
    words_per_subject: int = 3  # often_says facts kept per subject

    def __post_init__(self) -> None:
        if not (isinstance(self.min_support, int) and self.min_support >= 1):
            raise ValueError(f"FactConfig.min_support must be an integer >= 1, got {self.min_support!r}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"FactConfig.min_confidence must be within [0, 1], got {self.min_confidence!r}")


@dataclass(frozen=True)
class Fact:
    subject: str
    relation: str
    object: str
    support: int
    confidence: float
    evidence: tuple[int, ...]

    def to_dict(self) -> dict:
        return {"subject": self.subject, "relation": self.relation, "object": self.object, "support": self.support,
                "confidence": self.confidence, "evidence": list(self.evidence)}


def daypart(timeline_seconds: float) -> str:
    hour = (timeline_seconds % DAY) / 3600.0
    return next(name for name, lo, hi in DAYPARTS if lo <= hour < hi)


def distill(store: "MemoryStore", config: FactConfig | None = None) -> int:
    """Recompute every semantic fact (one transaction); returns how many there are."""
    config = config or FactConfig()
    with store._write() as c:
        if not has_tables(c, "entity_appearances", "entities", "episode_events", "event_places"):
            return 0
        found = _location_facts(c, config) + _speech_facts(c, config)
        c.execute("DELETE FROM facts")
        c.executemany("INSERT INTO facts(subject, relation, object, support, confidence, evidence) "
                      "VALUES (?, ?, ?, ?, ?, ?)", [(f.subject, f.relation, f.object, f.support, f.confidence,
                                                     json.dumps(list(f.evidence))) for f in found])
    return len(found)


def _location_facts(c: sqlite3.Connection, config: FactConfig) -> list[Fact]:
    clocks = wall_clocks(c)
    rows = c.execute(
        "SELECT DISTINCT COALESCE(en.merged_into, en.id), a.event_id, e.stream, e.start, m.episode_id, p.place_id, "
        "pl.area_id FROM entity_appearances a JOIN entities en ON en.id = a.entity_id JOIN events e ON e.id = a.event_id "
        "JOIN episode_events m ON m.event_id = e.id JOIN event_places p ON p.event_id = e.id "
        "JOIN places pl ON pl.id = p.place_id WHERE en.forgotten IS NULL ORDER BY a.event_id").fetchall()
    seen: dict[tuple[int, str], dict[str, dict[int, list[int]]]] = defaultdict(lambda: defaultdict(dict))
    for entity, event_id, stream, start, episode_id, place, area in rows:
        where = f"area:{area}" if area is not None else f"place:{place}"
        t = (clocks.get(stream) or 0.0) + start
        for relation in ("usually_in", f"usually_in@{daypart(t)}"):
            seen[(entity, relation)][where].setdefault(episode_id, []).append(event_id)
    return _regularities(seen, config, keep=1)


def _speech_facts(c: sqlite3.Connection, config: FactConfig) -> list[Fact]:
    if not has_tables(c, "entity_keys", "utterances"):
        return []
    # a key keeps the entity it was given; a merge points that entity at the survivor (merged_into: a root)
    rows = c.execute("SELECT en.id, u.event_id, m.episode_id, u.text FROM utterances u "
                     "JOIN entity_keys k ON k.key = u.voice JOIN episode_events m ON m.event_id = u.event_id "
                     "JOIN entities given ON given.id = k.entity_id "
                     "JOIN entities en ON en.id = COALESCE(given.merged_into, given.id) "
                     "WHERE u.text != '' AND en.forgotten IS NULL ORDER BY u.id").fetchall()
    seen: dict[tuple[int, str], dict[str, dict[int, list[int]]]] = defaultdict(lambda: defaultdict(dict))
    for entity, event_id, episode_id, text in rows:
        for word in sorted({w for w in _WORD.findall(text.lower()) if w not in _STOP}):
            seen[(entity, "often_says")][word].setdefault(episode_id, []).append(event_id)
    return _regularities(seen, config, keep=config.words_per_subject)


def _regularities(seen, config: FactConfig, keep: int) -> list[Fact]:
    facts = []
    for (entity, relation), objects in sorted(seen.items()):
        episodes_of_subject = {ep for per_episode in objects.values() for ep in per_episode}
        ranked = sorted(objects.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:keep]
        for obj, per_episode in ranked:
            support = len(per_episode)
            confidence = support / len(episodes_of_subject)
            if support < config.min_support or confidence < config.min_confidence - 1e-12:
                continue
            evidence = sorted({e for events in per_episode.values() for e in events})[:MAX_EVIDENCE]
            facts.append(Fact(f"entity:{entity}", relation, obj, support, round(confidence, 6), tuple(evidence)))
    return facts


def facts(store: "MemoryStore", subject: str | None = None, relation: str | None = None) -> list[Fact]:
    """Semantic facts, strongest first."""
    where, params = ["1"], []
    for column, value in (("subject", subject), ("relation", relation)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    with store._read() as c:
        if not has_tables(c, "facts"):
            return []
        rows = c.execute(f"SELECT subject, relation, object, support, confidence, evidence FROM facts "
                         f"WHERE {' AND '.join(where)} ORDER BY support DESC, subject, relation, object", params)
        return [Fact(s, r, o, n, conf, tuple(json.loads(ev))) for s, r, o, n, conf, ev in rows.fetchall()]
