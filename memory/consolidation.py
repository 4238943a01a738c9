"""Consolidation: events -> places, episodes and sessions, state facts, semantic facts.

``consolidate`` is incremental and idempotent: each step picks up the events it has not seen, in
event order, one transaction per step, so running it after every few events, after a crash or
once at the end gives the same result. The final pass also rewrites summaries and the semantic
facts, which depend on everything seen so far (entity names, late entity links).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from memory.schema import register_schema
from memory import budget, facts as facts_module, hierarchy, places, states
from memory.hierarchy import EpisodeConfig, has_tables, wall_clocks
from memory.places import PlaceConfig
from memory.facts import FactConfig
from memory.states import assert_in

if TYPE_CHECKING:
    from memory.store import MemoryStore

logger = logging.getLogger(__name__)

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS state_sources (   -- entity appearances already turned into state facts
        appearance_id INTEGER PRIMARY KEY REFERENCES entity_appearances(id) ON DELETE CASCADE
    )""",
]


def ensure_schema(conn: sqlite3.Connection) -> None:
    """The tables of the hierarchy, places, state facts, semantic facts and the budget (caller's transaction)."""
    for module in (hierarchy, places, states, facts_module, budget):
        module.ensure_schema(conn)
    for statement in SCHEMA:
        conn.execute(statement)


register_schema("consolidation", ensure_schema, order=40)


@dataclass(frozen=True)
class ConsolidationConfig:
    """How events are consolidated."""

    episodes: EpisodeConfig = field(default_factory=EpisodeConfig)
    places: PlaceConfig = field(default_factory=PlaceConfig)
    facts: FactConfig = field(default_factory=FactConfig)


@dataclass
class ConsolidationReport:
    placed: int = 0  # events given a place
    episodes: int = 0  # events put into episodes
    states: int = 0  # entity appearances turned into state facts
    facts: int | None = None  # semantic facts after the final pass

    def to_dict(self) -> dict:
        return dict(vars(self))


def consolidate(store: "MemoryStore", config: ConsolidationConfig | None = None,
                final: bool = True) -> ConsolidationReport:
    """Bring places, episodes and state facts up to date with the events; with ``final``, also
    summaries and semantic facts."""
    config = config or ConsolidationConfig()
    report = ConsolidationReport()
    report.placed = places.update(store, config.places)
    report.episodes = hierarchy.update(store, config.episodes)
    report.states = _update_states(store)
    if final:
        hierarchy.refresh_summaries(store)
        report.facts = facts_module.distill(store, config.facts)
    if report.placed or report.episodes:
        logger.info("consolidated: %s", report.to_dict())
    return report


def _update_states(store: "MemoryStore") -> int:
    """Every entity appearance tied to a placed event is asserted ``at`` the event's place from the event's
    start, once (appearances linked to their event late are picked up when they are). Returns how many."""
    with store._write() as c:
        if not has_tables(c, "entity_appearances", "entities"):
            return 0
        rows = c.execute(
            'SELECT a.id, a.event_id, COALESCE(en.merged_into, en.id), e.stream, e.start, e."end", p.place_id '
            "FROM entity_appearances a JOIN entities en ON en.id = a.entity_id JOIN events e ON e.id = a.event_id "
            "JOIN event_places p ON p.event_id = e.id LEFT JOIN state_sources s ON s.appearance_id = a.id "
            "WHERE s.appearance_id IS NULL AND en.forgotten IS NULL ORDER BY a.event_id, a.id").fetchall()
        if not rows:
            return 0
        clocks = wall_clocks(c)
        for _, event_id, entity, stream, start, end, place in rows:
            if place is not None:
                offset = clocks.get(stream) or 0.0
                assert_in(c, f"entity:{entity}", "at", f"place:{place}", offset + start, offset + end,
                          f"event:{event_id}")
        c.executemany("INSERT INTO state_sources(appearance_id) VALUES (?)", [(r[0],) for r in rows])
    return len(rows)
