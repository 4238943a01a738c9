"""memory/schema.py: the modules of memory/ register their tables; the store creates them without
importing those modules."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

import memory.schema as schema
from memory.store import MemoryStore

MEMORY = Path(__file__).resolve().parents[2] / "memory"


def _tables(store: MemoryStore) -> set[str]:
    return {row[0] for row in store._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_a_fresh_memory_has_every_table_memory_declares(tmp_path):
    # oracle: the CREATE TABLE statements written anywhere in memory/, read from the source
    declared = set()
    for path in MEMORY.glob("*.py"):
        declared |= set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", path.read_text()))
    assert {"entities", "poses", "sightings", "episodes", "facts", "tombstones"} <= declared
    with MemoryStore(tmp_path / "m") as store:
        assert declared <= _tables(store)


def test_the_store_imports_none_of_the_modules_that_use_it():
    # entities, perceived and consolidation read and write through the store (poses is a leaf of
    # records the store uses); tests/test_imports.py checks for cycles in general
    source = (MEMORY / "store.py").read_text()
    for name in ("entities", "perceived", "consolidation", "hierarchy", "places", "states", "facts", "budget"):
        assert not re.search(rf"^\s*(from memory\.{name} |import memory\.{name}\b)", source, re.M), name
    assert schema.schema_names() == ["entities", "entity_history", "poses", "perceived", "consolidation"]  # their order


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(schema, "_SCHEMAS", dict(schema._SCHEMAS))  # registrations here leave no trace
    return schema


def _notes(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")


def test_a_registered_schema_is_created_at_every_writable_open(registry, tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        assert "notes" not in _tables(store)
    registry.register_schema("notes", _notes, order=1000)
    registry.register_schema("notes", _notes, order=1000)  # again (a reloaded module): no error
    assert registry.schema_names()[-1] == "notes"
    with MemoryStore(tmp_path / "m") as store:  # an existing memory gains it
        assert "notes" in _tables(store)


def test_bad_registrations_say_what_is_wrong(registry):
    def other(conn: sqlite3.Connection) -> None:
        pass

    with pytest.raises(ValueError, match="'entities' is already registered .*known: entities, entity_history, poses"):
        registry.register_schema("entities", other, order=1001)
    with pytest.raises(ValueError, match="order 10 is taken by 'entities'"):
        registry.register_schema("other", other, order=10)
    with pytest.raises(ValueError, match="non-empty string"):
        registry.register_schema("", other, order=1002)
    with pytest.raises(TypeError, match="callable"):
        registry.register_schema("x", "not a function", order=1003)
