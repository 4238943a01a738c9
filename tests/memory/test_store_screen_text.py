"""Screen text lines: stored with their event, read back exactly, deleted with it; the schema 2 -> 3 upgrade."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from memory.event import Checkpoint, Event, ScreenText
from memory.entities import entity_ref
from memory.store import SCHEMA_VERSION, MemoryStore, SchemaVersionError


def _event(stream: str, start: float, end: float, lines=()) -> Event:
    return Event(stream=stream, start=start, end=end, text="\n".join(s.text for s in lines),
                 vectors={"image/x": np.ones(4, np.float32) / 2}, screen_text=list(lines))


def test_lines_round_trip_with_their_event(tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        store.add_stream("s", "talk.mp4")
        store.add_stream("t", "other.mp4")
        first = [ScreenText("s", 1.5, "Quarterly review", (0.05, 0.04, 0.61, 0.13), 0.998, model="rapidocr:x"),
                 ScreenText("s", 1.5, "revenue up 4%", (0.05, 0.2, 0.4, 0.26), 0.91, model="rapidocr:x")]
        second = [ScreenText("s", 6.0, "Next steps", (0.1, 0.1, 0.3, 0.2), 0.97)]
        a = store.add_event(_event("s", 0.0, 5.0, first), Checkpoint("s", 5.0))
        b = store.add_event(_event("s", 5.0, 9.0, second), Checkpoint("s", 9.0))
        store.add_event(_event("t", 0.0, 2.0, [ScreenText("t", 0.5, "elsewhere", (0, 0, 1, 1), 0.8)]),
                        Checkpoint("t", 2.0))
        got = store.screen_text(stream="s")
        assert [(g.event_id, g.stream, g.time, g.text, g.box, g.score, g.origin, g.model) for g in got] == [
            (a, "s", 1.5, "Quarterly review", (0.05, 0.04, 0.61, 0.13), 0.998, "ocr", "rapidocr:x"),
            (a, "s", 1.5, "revenue up 4%", (0.05, 0.2, 0.4, 0.26), 0.91, "ocr", "rapidocr:x"),
            (b, "s", 6.0, "Next steps", (0.1, 0.1, 0.3, 0.2), 0.97, "ocr", None)]
        assert [g.id for g in got] == [s.id for s in first + second] and all(s.event_id for s in first)
        assert [g.text for g in store.screen_text(event_id=b)] == ["Next steps"]
        assert len(store.screen_text()) == 4
        assert store.event(a).text == "Quarterly review\nrevenue up 4%"
        store.delete_events([a])
        assert [g.text for g in store.screen_text()] == ["Next steps", "elsewhere"]


def test_a_failed_event_writes_no_line(tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        store.add_stream("s", "a.mp4")
        store.add_event(_event("s", 0.0, 1.0), Checkpoint("s", 1.0))
        bad = _event("s", 1.0, 2.0, [ScreenText("s", 1.2, "lost", (0, 0, 1, 1), 0.9)])
        bad.vectors["image/x"] = np.ones(3, np.float32)  # another dim: the space refuses it
        with pytest.raises(ValueError):
            store.add_event(bad, Checkpoint("s", 2.0))
        assert store.screen_text() == []


def _as_version_2(db) -> None:
    with sqlite3.connect(db) as c:  # what the previous release wrote: no screen_text table
        c.execute("DROP TABLE screen_text")
        c.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")


def test_a_version_2_memory_is_upgraded_in_place(tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        store.add_stream("s", "a.mp4")
        store.add_event(_event("s", 0.0, 1.0), Checkpoint("s", 1.0))
    db = tmp_path / "m" / "memory.db"
    _as_version_2(db)
    with pytest.raises(SchemaVersionError, match="open it writable once"):
        MemoryStore(tmp_path / "m", create=False, readonly=True)
    with MemoryStore(tmp_path / "m", create=False) as store:
        assert store.count_events() == 1 and store.screen_text() == []
        store.add_event(_event("s", 1.0, 2.0, [ScreenText("s", 1.5, "after the upgrade", (0, 0, 1, 1), 0.9)]),
                        Checkpoint("s", 2.0))
        assert [s.text for s in store.screen_text()] == ["after the upgrade"]
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    assert SCHEMA_VERSION == 3


def test_forgetting_a_name_redacts_it_from_the_lines_read_on_screen(tmp_path):
    from memory.entities import REDACTED, EntityRegistry

    with MemoryStore(tmp_path / "m") as store:
        store.add_stream("s", "talk.mp4")
        lines = [ScreenText("s", 1.0, "Speaker: Zephyrine Okoro", (0.1, 0.1, 0.6, 0.2), 0.99),
                 ScreenText("s", 1.0, "Agenda for today", (0.1, 0.3, 0.5, 0.4), 0.98)]
        event_id = store.add_event(_event("s", 0.0, 5.0, lines), Checkpoint("s", 5.0))
        registry = EntityRegistry(store)
        person = registry.add_entity("person")
        registry.name(person, "Zephyrine")
        report = registry.forget(entity_ref(person))
        assert report.redacted_events == (event_id,)
        assert [s.text for s in store.screen_text()] == [f"Speaker: {REDACTED} Okoro", "Agenda for today"]
        assert "Zephyrine" not in store.event(event_id).text
