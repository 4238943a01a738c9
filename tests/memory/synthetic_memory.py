"""Seeded synthetic memories for the consolidation tests: streams of events drawn from known scenes."""

from __future__ import annotations

import sqlite3

import numpy as np

from memory.event import Checkpoint, Event, Keyframe, Utterance
from memory.store import MemoryStore

DIM = 32
IMAGE = "image/test"
TEXT = "text/test"


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def scene_vectors(seed: int, scenes: int) -> np.ndarray:
    return np.stack([unit(v) for v in np.random.default_rng(seed).standard_normal((scenes, DIM))])


def add_events(store: MemoryStore, stream: str, plan: list[tuple[int, float]], seed: int = 0,
               wall_clock: float | None = None, jpeg_bytes: int = 2000, start: float = 0.0,
               texts: dict[int, str] | None = None, voice: str | None = None) -> list[int]:
    """Commit one event per (scene, seconds) of ``plan``; vectors are the scene's plus a little noise."""
    rng = np.random.default_rng(seed)
    scenes = scene_vectors(1234, max(s for s, _ in plan) + 1)
    if not any(s["id"] == stream for s in store.streams()):
        store.add_stream(stream, f"synthetic://{stream}", {"wall_clock": wall_clock})
    ids, t = [], start
    for number, (scene, seconds) in enumerate(plan):
        event = Event(stream=stream, start=t, end=t + seconds,
                      vectors={IMAGE: unit(scenes[scene] + 0.02 * rng.standard_normal(DIM)),
                               TEXT: unit(rng.standard_normal(DIM))},
                      keyframes=[Keyframe(t, rng.bytes(jpeg_bytes))], text=(texts or {}).get(number, ""))
        if event.text:
            event.utterances = [Utterance(stream, t, t + seconds, event.text, voice, "subtitle")]
        ids.append(store.add_event(event, Checkpoint(stream, t + seconds, b"")))
        t += seconds
    return ids


def table(store: MemoryStore, sql: str) -> list[tuple]:
    conn: sqlite3.Connection = store._conn
    return conn.execute(sql).fetchall()
