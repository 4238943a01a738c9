"""Causal answers (issue #26): a question asked at t is answered from what was perceived up to t only.

A seeded simulator episode is rendered small and fed to a memory the way ``mnemo eval --suite sim``
feeds it (its video ingested with the simulator's detector: sightings as ingest's tracker,
re-identification, colour reading and pose-log placement stored them; drifting odometry, the map), with
events every 10 s. What was said is stored as a recogniser's utterances would be (the simulator's noisy
transcripts under voice labels, standing in for the speech stack, which costs too much here). Memories
holding the episode only up to a time T are made from it as an ingest stopped at T would have left them:
the sightings and poses up to T, the lines whose recognition had ended by T, the events begun before T
(the one still running cut at T, with no text yet). Every question the generator makes of the episode, asked at T,
must get the identical answer (text, value, kind, evidence) from the whole memory and from the one
holding it up to T; and an answer at T must not change as perception after T is added.

Those memories are made of the whole ingest's rows, so they cannot see what the entity registry
learnt after T. The ingest itself is therefore also copied as it stood when it had stored the episode
up to T (its entity tables as they were then), and the whole ingest, given later merges and names
(re-identification's, and a user's ``mnemo merge`` and ``mnemo name``), must group and name the people
seen by T and answer every question at T as that copy does.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from memory.event import Checkpoint, Event, Utterance
from memory.store import MemoryStore
import mnemo
from memory.entities import EntityRegistry
from memory.perceived import seen, track_entities
from mnemo.entities import EntityStage
from mnemo.evaluation.sim_perception import feed_sim_perception
from mnemo.evaluation.sim_suite import sim_profile
from mnemo.reasoner import Reasoner
from planners.world import World
from sim import NoiseConfig, RenderConfig, SimPerception, generate_questions, load_truth, render_episode
from streams.identity import stream_id

SEED = 4
MINUTES = 4.0
STREAM = "s"
EVENT_SECONDS = 10.0
CUTS = (61.3, 117.9, 173.4)  # media seconds the cut memories end at (inside events, never on a boundary)


def _events(store: MemoryStore, duration: float, lines: list[Utterance], until: float = np.inf) -> None:
    """Events every EVENT_SECONDS up to ``until`` (the last one still running then cut there, textless), each
    with the recognised ``lines`` that start in it and had ended by ``until``."""
    for k, start in enumerate(np.arange(0.0, min(duration, until), EVENT_SECONDS)):
        end = min(start + EVENT_SECONDS, duration)
        running = end > until
        said = [u for u in lines if start <= u.start < start + EVENT_SECONDS and u.end <= until]
        store.add_event(Event(STREAM, float(start), float(min(end, until)), text="" if running else f"event {k}",
                              utterances=said), Checkpoint(STREAM, float(min(end, until))))


def _recognised(truth) -> list[Utterance]:
    """The lines heard, as a recogniser stores them: noisy words under the diariser's voice labels."""
    return [Utterance(STREAM, s.start, s.end, s.text, s.speaker, "asr")
            for s in SimPerception(truth, NoiseConfig(), SEED).transcripts()]


def _cut_copy(full: Path, directory: Path, duration: float, lines: list[Utterance], until: float) -> MemoryStore:
    """A memory holding the episode up to ``until``: perception rows copied over (schema-agnostic), events
    re-made as an ingest stopped at ``until`` would have stored them."""
    store = MemoryStore(directory, create=True)
    store.add_stream(STREAM, "sim://episode")
    _events(store, duration, lines, until)
    conn: sqlite3.Connection = store._conn
    conn.execute("ATTACH DATABASE ? AS src", (str(full / "memory.db"),))
    with conn:
        for table, where, order in (("sightings", "time <= ?", "id"), ("poses", "time <= ?", "time"),
                                    ("map_areas", "? IS NOT NULL", "name")):
            columns = ", ".join(f'"{r[1]}"' for r in conn.execute(f"PRAGMA src.table_info({table})"))
            conn.execute(f"INSERT INTO main.{table}({columns}) SELECT {columns} FROM src.{table} WHERE {where} "
                         f"ORDER BY {order}", (until,))
    conn.execute("DETACH DATABASE src")
    return store


def _ingest(video: Path, truth, directory: Path, snapshots: dict[float, Path]) -> dict[float, Path]:
    """The episode's video ingested with the simulator's detector (as the sim suite does) into ``directory``;
    the memory as the ingest had written it (entity tables and all) when it first stored an event ending at
    or after each key of ``snapshots``, copied to its directory: {that event's end: the copy's directory}."""
    made: dict[float, Path] = {}
    committed = EntityStage.committed

    def snapshot(stage: EntityStage, event) -> None:
        committed(stage, event)
        for want, target in snapshots.items():
            if event.end >= want and want not in {w for w, _ in made.values()}:
                target.mkdir(parents=True)
                with sqlite3.connect(target / "memory.db") as copy:
                    stage.store._conn.backup(copy)
                made[float(event.end)] = (want, target)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(EntityStage, "committed", snapshot)
        with mnemo.open(directory, profile=sim_profile("lite", truth, video.parent / "truth.json", NoiseConfig(),
                                                       SEED), create=True) as memory:
            stream = stream_id(str(video))
            memory.store.add_stream(stream, str(video))
            feed_sim_perception(memory.store, truth, stream, NoiseConfig(), SEED)
            memory.ingest(str(video))
    return {end: target for end, (_, target) in made.items()}


def _ingested_sightings(full: MemoryStore, directory: Path) -> None:
    """The sightings of the ingest in ``directory``, as it stored them, copied into ``full`` under STREAM."""
    conn: sqlite3.Connection = full._conn
    conn.execute("ATTACH DATABASE ? AS src", (str(directory / "memory.db"),))
    with conn:
        columns = [f'"{r[1]}"' for r in conn.execute("PRAGMA src.table_info(sightings)") if r[1] not in ("id", "stream")]
        conn.execute(f"INSERT INTO main.sightings(stream, {', '.join(columns)}) SELECT ?, {', '.join(columns)} "
                     "FROM src.sightings ORDER BY time, id", (STREAM,))
    conn.execute("DETACH DATABASE src")


@pytest.fixture(scope="module")
def episode(tmp_path_factory):
    """(truth, video, the whole ingest's directory, {T: the ingest's memory as it was when it had stored the
    episode up to T}), the whole ingest then given a user's merge and name (``mnemo merge``, ``mnemo name``)."""
    root = tmp_path_factory.mktemp("causal")
    small = RenderConfig(160, 120, fps=5.0, observation_rate=5.0)
    files = render_episode(SEED, MINUTES, root / "episode", render=small, speech="tones", bag=False, overwrite=True,
                           name="episode")
    truth = load_truth(files.truth)
    stopped = _ingest(files.video, truth, root / "ingested", {t: root / f"stopped-{t:g}" for t in CUTS})
    with MemoryStore(root / "ingested") as store:
        registry = EntityRegistry(store)
        people = Counter(s.entity for s in seen(store, kinds=("person",), until=min(stopped)) if s.entity)
        (a, _), (b, _) = people.most_common(2)
        registry.merge(a, b)  # the user says the two people seen most by the first cut are one
        registry.name(a, "Zed")  # and names them
    return truth, files.video, root / "ingested", stopped


@pytest.fixture(scope="module")
def memories(tmp_path_factory, episode):
    """(questions, the whole memory's reasoner, {T: reasoner of the memory holding the episode up to T})."""
    truth, video, ingested, _ = episode
    root = tmp_path_factory.mktemp("causal-rows")
    full = MemoryStore(root / "full", create=True)
    full.add_stream(STREAM, str(video))
    feed_sim_perception(full, truth, STREAM, NoiseConfig(), SEED)
    _ingested_sightings(full, ingested)
    lines = _recognised(truth)
    _events(full, truth.duration, lines)
    full._conn.execute("PRAGMA wal_checkpoint(FULL)")
    stores = {t: _cut_copy(root / "full", root / f"cut-{t:g}", truth.duration, lines, t) for t in CUTS}
    questions = generate_questions(truth, seed=SEED, per_type=6)
    reasoners = {t: Reasoner(s, embedders={}) for t, s in stores.items()}
    yield questions, Reasoner(full, embedders={}), reasoners
    for s in [full, *stores.values()]:
        s.close()


def _asked(reasoner: Reasoner, questions, at: float) -> list[dict]:
    return [reasoner.ask(q.text, at=at).to_dict() for q in questions]


def _asked_of(store: MemoryStore, questions, at: float) -> list[str]:
    """The answers as JSON, the memory's own directory (in keyframe paths) left out."""
    return [json.dumps(a, sort_keys=True).replace(str(store.directory), "<memory>")
            for a in _asked(Reasoner(store, embedders={}), questions, at)]


def test_the_episode_asks_every_kind_of_question(memories):
    questions, _, _ = memories
    assert {q.type for q in questions} >= {"where_now", "where_at", "when", "who", "how_many", "order", "how_long"}


def test_an_answer_at_t_is_that_of_a_memory_holding_the_episode_up_to_t(memories):
    questions, full, cut = memories
    known = 0
    for t in CUTS:
        expected = _asked(cut[t], questions, t)
        for q, got, want in zip(questions, _asked(full, questions, t), expected):
            assert got == want, f"{q.type} question {q.text!r} at {t} s"
        known += sum(a["kind"] != "unknown" for a in expected)
    # not vacuous: a good share of questions get an answer (36 of 162 when written, with sightings at the lite
    # profile's 1 Hz detection rate on 160x120 frames; 31 with the development wording's phrasings; a third when
    # the simulator handed in 5 Hz sightings; 22 of 159 with the silent person, the twins and re-identification
    # by label and place). Accuracy is mnemo eval's to measure, not this test's.
    assert known >= len(questions) * len(CUTS) // 8


def test_later_perception_never_changes_an_earlier_answer(memories):
    questions, full, cut = memories
    for i, t in enumerate(CUTS):
        earlier = _asked(cut[t], questions, t)
        for later in [cut[u] for u in CUTS[i + 1:]] + [full]:
            assert _asked(later, questions, t) == earlier, f"at {t} s"
    # the memories do differ: the same question asked later gets answers perception after t changed
    first, last = _asked(full, questions, CUTS[0]), _asked(full, questions, CUTS[-1])
    # (5 when the simulator's transcripts were heard lines beside ingest; 3 with a silent person and twins; 2 with
    # re-identification by label and place)
    assert sum(a["answer"] != b["answer"] for a, b in zip(first, last)) >= 2


def test_the_whole_ingest_answers_at_t_as_the_ingest_stopped_at_t(episode):
    """The memory an actual ingest had written by T (its entity registry as it was then) and the whole
    ingest, given merges and names after T (re-identification's on later views, and a user's), group and
    name the people seen by T alike, and answer every question asked at T alike."""
    truth, _, ingested, stopped = episode
    questions = generate_questions(truth, seed=SEED, per_type=6)
    whole = MemoryStore(ingested, readonly=True)
    assert len(stopped) == len(CUTS)
    later = 0
    for end, directory in sorted(stopped.items()):
        t = end - 0.01  # asked just before the event's end: a frame at its end is the next event's
        then = MemoryStore(directory, readonly=True)
        assert track_entities(whole, until=t) == track_entities(then, until=t), f"people grouped at {t} s"
        later += track_entities(whole, until=t) != track_entities(whole)
        worlds = [World(s, until=t) for s in (whole, then)]
        assert [sorted(w.people) for w in worlds][0] == sorted(worlds[1].people), f"people named at {t} s"
        assert _asked_of(whole, questions, t) == _asked_of(then, questions, t), f"answers at {t} s"
        then.close()
    assert later >= 1  # not vacuous: merges made after a cut regroup what was seen by it
    whole.close()
