"""mnemo entities / entity / name / merge / forget over voices found in real speech."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest


def mnemo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mnemo", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def ingested(shared_data, tmp_path_factory) -> Path:
    """The two real recordings ingested once; each test changes a copy of its own."""
    memory = tmp_path_factory.mktemp("voices") / "m"
    for audio in ("two-speakers/sample.wav", "jfk.flac"):
        run = mnemo("ingest", str(shared_data / "audio" / audio), "--memory", str(memory), "-q")
        assert run.returncode == 0, run.stderr
    return memory


@pytest.fixture
def voices(ingested, tmp_path) -> Path:
    return Path(shutil.copytree(ingested, tmp_path / "m"))


def entities(memory: Path) -> list[dict]:
    run = mnemo("entities", "--memory", str(memory), "--json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_voices_become_entities_with_timelines(voices):
    rows = entities(voices)
    assert len(rows) >= 2 and all(r["kind"] == "voice" and r["appearances"] > 0 for r in rows)
    run = mnemo("entity", rows[0]["ref"], "--memory", str(voices), "--json")
    timeline = json.loads(run.stdout)["timeline"]
    assert len(timeline) == rows[0]["appearances"]
    assert [t["start"] for t in timeline] == sorted(t["start"] for t in timeline)


def test_name_and_merge_are_exact(voices):
    a, b = entities(voices)[:2]
    assert mnemo("name", a["ref"], "Alice", "--memory", str(voices)).returncode == 0
    run = mnemo("merge", a["ref"], b["ref"], "--memory", str(voices))
    assert run.returncode == 0, run.stderr
    after = {r["ref"]: r for r in entities(voices)}
    assert b["ref"] not in after and after[a["ref"]]["name"] == "Alice"
    assert after[a["ref"]]["appearances"] == a["appearances"] + b["appearances"]
    merged = json.loads(mnemo("entity", b["ref"], "--memory", str(voices), "--json").stdout)
    assert merged["id"] == a["id"]  # the merged id resolves to the survivor


def test_forget_leaves_nothing_of_the_voice(voices):
    target = entities(voices)[0]
    assert mnemo("name", target["ref"], "Zebediah", "--memory", str(voices)).returncode == 0
    with sqlite3.connect(voices / "memory.db") as db:
        keys = [k for (k,) in db.execute("SELECT key FROM entity_keys WHERE entity_id = ?", (target["id"],))]
        voice_ids = {int(k.split(":")[1]) for k in keys if k.startswith("voice:")}
        labelled = db.execute(f"SELECT COUNT(*) FROM utterances WHERE voice IN ({','.join('?' * len(keys))})",
                              keys).fetchone()[0]
    assert voice_ids and labelled > 0
    run = mnemo("forget", target["ref"], "--memory", str(voices), "--yes")
    assert run.returncode == 0, run.stderr
    assert "verified" in run.stdout
    with sqlite3.connect(voices / "memory.db") as db:
        assert db.execute(f"SELECT COUNT(*) FROM utterances WHERE voice IN ({','.join('?' * len(keys))})",
                          keys).fetchone()[0] == 0
        blob = db.execute("SELECT value FROM memory_state WHERE key = 'voices'").fetchone()[0]
        events = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    import io

    with np.load(io.BytesIO(blob)) as state:
        assert not voice_ids & set(state["ids"].tolist())  # the centroid is gone
    assert events > 0  # the events stay, anonymous
    raw = b"".join(p.read_bytes() for p in voices.glob("memory.db*"))
    assert b"Zebediah" not in raw
    row = next(r for r in entities(voices) if r["id"] == target["id"])
    assert row["forgotten"] and row["name"] is None


def test_unknown_entity_is_one_clear_error(voices):
    run = mnemo("entity", "entity:999", "--memory", str(voices))
    assert run.returncode == 2 and "entity:999" in run.stderr and "Traceback" not in run.stderr


def test_forget_re_embeds_the_text_of_events_that_named_the_entity(sample, tmp_path):
    import mnemo

    with mnemo.open(tmp_path / "m", profile="lite", create=True) as memory:
        memory.ingest(sample.video)
        holder = next(e for e in memory.events() if "Alice" in e.text)
        key = memory.encoders.text_key
        voice = memory.entities.entity_for("voice:99", "voice")
        memory.entities.name(voice, "Alice")
        before = memory.store.event(holder.id).vectors[key]
        report = memory.forget(voice)
        after = memory.store.event(holder.id)
        hits = memory.search("Alice", k=10)
    assert holder.id in report.redacted_events and "Alice" not in after.text
    assert not np.allclose(before, after.vectors[key], atol=1e-3)  # the vector follows the redacted text
    expected = memory_text_vector(after.text)
    assert np.allclose(after.vectors[key], expected, atol=2e-3)
    assert all("Alice" not in h.text for h in hits)


def memory_text_vector(text: str) -> np.ndarray:
    from perception import create_text_embedder

    return create_text_embedder("minilm").embed([text])[0]
