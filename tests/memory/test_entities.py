"""The entity registry: merges (union-find), names, forgetting (verified down to the bytes on disk),
entity search against brute force, re-identification state, and names found in text."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from memory.entities import (
    EntityConfig,
    EntityForgotten,
    EntityNotFound,
    EntityRegistry,
    ensure_schema,
    entity_ref,
    introduced_names,
    parse_entity,
    speaker_label,
)
from memory.event import Checkpoint, Event, Keyframe
from memory.index import VectorIndex
from memory.store import MemoryStore
from memory.thumbnails import encode_jpeg

DIM = 32


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def _image(rng: np.random.Generator, h: int = 48, w: int = 40) -> np.ndarray:
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.fixture
def store(tmp_path):
    with MemoryStore(tmp_path / "mem") as s:
        s.add_stream("cam", "file:///cam.mp4")
        s.add_stream("door", "file:///door.mp4")
        yield s


@pytest.fixture
def registry(store):
    return EntityRegistry(store)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def _counts(store: MemoryStore) -> dict[str, int]:
    c = store._conn
    return {table: c.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("entities", "entity_aliases", "entity_gallery", "entity_appearances", "entity_reid",
                          "entity_keys")}


def _orphans(store: MemoryStore) -> list[str]:
    """Rows owned by an entity that is not a live root (merged away or missing); keys keep the entity they
    were given (it resolves through merges), which must exist."""
    c = store._conn
    found = []
    for table in ("entity_aliases", "entity_gallery", "entity_appearances", "entity_reid", "entity_keys"):
        merged = "" if table == "entity_keys" else " OR e.merged_into IS NOT NULL"
        n = c.execute(f"SELECT COUNT(*) FROM {table} t LEFT JOIN entities e ON e.id = t.entity_id "
                      f"WHERE e.id IS NULL{merged}").fetchone()[0]
        if n:
            found.append(f"{n} in {table}")
    chains = c.execute("SELECT COUNT(*) FROM entities a JOIN entities b ON b.id = a.merged_into "
                       "WHERE b.merged_into IS NOT NULL").fetchone()[0]
    if chains:
        found.append(f"{chains} merge chains longer than one hop")
    return found


def _person(registry: EntityRegistry, rng, n_vectors: int = 3, stream: str = "cam", start: float = 0.0,
            kind: str = "face") -> tuple[int, list[np.ndarray]]:
    base = _unit(rng.standard_normal(DIM))
    vectors = [_unit(base + 0.6 * _unit(rng.standard_normal(DIM))) for _ in range(n_vectors)]
    entity = registry.add_entity(kind, vectors[0], _image(rng), space="clip", time=start, stream=stream)
    for i, v in enumerate(vectors[1:], 1):
        registry.add_gallery(entity, v, "clip", crop=_image(rng), time=start + i, stream=stream)
    registry.add_appearance(entity, stream, start, start + 5, box=(1, 2, 30, 40), keyframe=_image(rng))
    return entity, vectors


# ------------------------------------------------------------------------------ ids and schema


def test_ids_render_and_parse():
    assert entity_ref(7) == "entity:7"
    assert parse_entity("entity:7") == parse_entity(" 7 ") == parse_entity(7) == 7
    for bad in ("voice:7", "entity:", "0", "entity:-3", "seven", True):
        with pytest.raises(ValueError, match="entity"):
            parse_entity(bad)


def test_schema_is_idempotent_and_created_on_first_use(store, tmp_path):
    EntityRegistry(store)
    ensure_schema(store._conn)  # again: nothing changes, nothing fails
    assert EntityRegistry(store).count() == 0
    with MemoryStore(tmp_path / "bare") as bare:
        pass
    with MemoryStore(tmp_path / "bare", create=False, readonly=True) as readonly:
        assert EntityRegistry(readonly).count() == 0  # the store made the tables with the memory


def test_unknown_entities_are_named(registry):
    with pytest.raises(EntityNotFound, match="entity:99"):
        registry.resolve(99)
    with pytest.raises(EntityNotFound):
        registry.timeline("entity:99")
    with pytest.raises(ValueError, match="kind"):
        registry.add_entity("car")
    with pytest.raises(ValueError, match="space"):
        registry.add_entity("face", np.ones(DIM))


# ------------------------------------------------------------------------------ appearances


def test_timeline_listing_and_who_was_there(registry, store, rng):
    a, _ = _person(registry, rng, start=10.0)
    registry.add_appearance(a, "door", 2.0, 4.0)
    registry.add_appearance(a, "cam", 30.0, 31.0, box=[5, 5, 9, 9])
    b = registry.add_entity("object")
    registry.add_appearance(b, "cam", 12.0, 40.0)
    timeline = registry.timeline(entity_ref(a))
    assert [(x["stream"], x["start"]) for x in timeline] == [("door", 2.0), ("cam", 10.0), ("cam", 30.0)]
    assert timeline[1]["box"] == [1.0, 2.0, 30.0, 40.0] and timeline[1]["keyframe"] is True
    listed = {e["id"]: e for e in registry.entities()}
    assert listed[a]["first_seen"] == 2.0 and listed[a]["last_seen"] == 31.0 and listed[a]["appearances"] == 3
    assert listed[a]["streams"] == ["cam", "door"] and listed[a]["gallery"] == 3 and listed[a]["kind"] == "face"
    assert [e["id"] for e in registry.entities(kind="object")] == [b]
    assert registry.entities_at("cam", 14.0, 20.0) == [a, b]
    assert registry.entities_at("cam", 20.0, 25.0) == [b]
    assert registry.entities_at(None, 3.0, 3.5) == [a]
    with pytest.raises(ValueError, match="interval"):
        registry.add_appearance(a, "cam", 5.0, 4.0)
    assert registry.keyframe_path(timeline[1]["appearance"]).read_bytes()[:2] == b"\xff\xd8"


def test_appearances_link_to_events_and_outlive_them(registry, store, rng):
    a, _ = _person(registry, rng, start=1.0)  # 1-6 s
    event = store.add_event(Event("cam", 0.0, 10.0), Checkpoint("cam", 10.0))
    assert registry.link_events("cam", event, 0.0, 10.0) == 1
    assert registry.timeline(a)[0]["event"] == event
    store.delete_events([event])
    assert registry.timeline(a)[0]["event"] is None  # the appearance stays, without its event


def test_add_track_records_an_appearance_and_offers_the_gallery(registry, rng):
    from perception.detection import Detection
    from perception.tracking import make_track

    look = _unit(rng.standard_normal(DIM))
    detections = [Detection(t, (10, 10, 50, 90), 0.9, "person", appearance=look, space="clip",
                            crop=_image(rng)) for t in (3.0, 3.5, 4.0)]
    track = make_track("cam", 0, "person", detections)
    entity = registry.add_entity("person")
    appearance = registry.add_track(track, entity)
    assert registry.timeline(entity) == [{"appearance": appearance, "entity": entity, "stream": "cam",
                                          "start": 3.0, "end": 4.0, "box": [10.0, 10.0, 50.0, 90.0],
                                          "event": None, "keyframe": False}]
    assert registry.search_entities(look, kind="person")[0][0] == entity


# ------------------------------------------------------------------------------ gallery and search


def test_gallery_keeps_the_most_different_vectors(registry, store, rng):
    small = EntityRegistry(store, EntityConfig(gallery_size=3))
    base = [_unit(rng.standard_normal(DIM)) for _ in range(3)]
    entity = small.add_entity("face", base[0], space="clip")
    for v in base[1:]:
        assert small.add_gallery(entity, v, "clip") is not None
    near_copy = _unit(base[1] + 0.01 * rng.standard_normal(DIM))
    kept = small.add_gallery(entity, near_copy, "clip")
    vectors = small.gallery_vectors(entity, "clip")
    assert len(vectors) == 3
    # one of the two near-identical vectors went (the older: ties go by age); the others stay
    assert [(vectors @ b > 0.99).sum() for b in base] == [1, 1, 1]
    assert kept is not None and kept in [g["id"] for g in small.gallery(entity)]
    assert small.add_gallery(entity, _unit(base[0] + 0.01 * rng.standard_normal(DIM)), "clip") is not None
    different = _unit(rng.standard_normal(DIM))
    assert small.add_gallery(entity, different, "clip") is not None  # a new look replaces a redundant one
    assert (small.gallery_vectors(entity, "clip") @ different > 0.99).sum() == 1
    state = small.space_state("entity/clip")
    assert state.count == 3 and state.epoch >= 1  # a deletion is not an append


def test_search_matches_brute_force(registry, rng):
    people = [_person(registry, rng)[0] for _ in range(8)]
    voices = [registry.add_entity("voice", _unit(rng.standard_normal(DIM)), space="clip") for _ in range(3)]
    ids, vectors, owner, kinds = [], [], {}, {}
    for row in registry._conn.execute("SELECT id, entity_id, kind, vector FROM entity_gallery"):
        ids.append(row[0])
        vectors.append(np.frombuffer(row[3], "<f2").astype(np.float32))
        owner[row[0]] = row[1]
        kinds[row[0]] = row[2]
    vectors = np.stack(vectors)
    for _ in range(5):
        q = _unit(rng.standard_normal(DIM))
        for kind in (None, "face"):
            best: dict[int, float] = {}
            for gid, score in zip(ids, vectors @ q):
                if kind is None or kinds[gid] == kind:
                    best[owner[gid]] = max(best.get(owner[gid], -9.0), float(score))
            oracle = sorted(best.items(), key=lambda item: -item[1])[:4]
            found = registry.search_entities(q, kind=kind, k=4)
            assert [e for e, _ in found] == [e for e, _ in oracle]
            assert [s for _, s in found] == pytest.approx([s for _, s in oracle], abs=1e-4)
    assert set(e for e, _ in registry.search_entities(q, kind="voice", k=10)) == set(voices)
    assert people and registry.search_entities(np.ones(5), kind="face") == []  # no 5-d space: nothing
    registry.add_entity("object", np.ones(DIM), space="descriptor")
    with pytest.raises(ValueError, match="several entity spaces"):
        registry.search_entities(q)
    assert registry.search_entities(q, space="descriptor")[0][1] == pytest.approx(float(q.sum() / DIM ** 0.5),
                                                                                 abs=1e-3)


# ------------------------------------------------------------------------------ merging


def test_merge_is_exact_and_resolves_everywhere(registry, store, rng):
    a, va = _person(registry, rng, start=0.0)
    b, vb = _person(registry, rng, start=100.0, stream="door")
    c, vc = _person(registry, rng, start=200.0)
    registry.name(b, "Bob", source="transcript")
    registry.add_alias(c, "Bobby")
    before = _counts(store)
    assert registry.merge(b, c) == b
    assert registry.merge(a, b) == a  # c now resolves through b to a, in one hop
    after = _counts(store)
    # rows moved, nothing copied; the survivor's gallery was trimmed from 9 to its 5 most different
    assert after == before | {"entity_gallery": 5}
    assert registry.resolve(c) == registry.resolve(b) == registry.resolve("entity:%d" % a) == a
    assert store._conn.execute("SELECT merged_into FROM entities WHERE id = ?", (c,)).fetchone()[0] == a
    assert _orphans(store) == []
    survivor = registry.entity(c)
    assert survivor["id"] == a and survivor["name"] == "Bob" and survivor["aliases"] == ["Bobby"]
    assert survivor["appearances"] == 3 and survivor["gallery"] == 5  # 9 vectors, gallery of 5
    assert [e["id"] for e in registry.entities()] == [a]
    assert len(registry.entities(include_merged=True)) == 3
    assert [x["start"] for x in registry.timeline(b)] == [0.0, 100.0, 200.0]
    for v in va + vb + vc:  # search answers the survivor, never a merged id
        assert registry.search_entities(v, kind="face", k=3) == [(a, pytest.approx(
            max(float(v @ g) for g in registry.gallery_vectors(a, "clip")), abs=1e-3))]
    assert registry.merge(c, a) == a  # already one


def test_merge_moves_what_was_seen_and_views_are_roots_only(registry, store, rng):
    from memory.perceived import Sighting, add_sightings, seen

    a, va = _person(registry, rng, kind="person")
    b, vb = _person(registry, rng, start=100.0, kind="person")
    gone, _ = _person(registry, rng, start=200.0, kind="person")
    registry.forget(gone)
    views = registry.gallery_views("person", "clip")
    assert sorted(views) == [a, b]  # the forgotten one has no views
    assert np.allclose(views[a], np.stack(va), atol=1e-3) and views[b].shape == (3, DIM)
    add_sightings(store, [Sighting("cam", 1.0, 1, "person", "person", 0.9, entity=a, box=(1, 2, 30, 40)),
                          Sighting("cam", 101.0, 2, "person", "person", 0.9, entity=b, box=(1, 2, 30, 40))])
    assert registry.merge(a, b) == a
    assert [r.entity for r in seen(store, kinds=["person"])] == [a, a]  # b's sightings are a's now
    assert sorted(registry.gallery_views("person", "clip")) == [a]
    assert registry.gallery_views("person", "other-space") == {}


def test_merge_rules(registry, rng):
    face, _ = _person(registry, rng)
    voice = registry.add_entity("voice", _unit(rng.standard_normal(8)), space="ecapa")
    mug = registry.add_entity("object")
    with pytest.raises(ValueError, match="object is never"):
        registry.merge(face, mug)
    person = registry.bind(face, voice)
    assert person == face and registry.kind(voice) == "person"
    assert {g["kind"] for g in registry.gallery(person)} == {"face", "voice"}
    registry.forget(mug)
    with pytest.raises(EntityForgotten):
        registry.merge(person, mug)
    with pytest.raises(EntityForgotten):
        registry.name(mug, "Mug")


def test_ids_given_elsewhere_map_to_entities(registry):
    voice = registry.entity_for("voice:0", "voice")
    assert registry.entity_for("voice:0", "voice") == voice and registry.kind(voice) == "voice"
    other = registry.entity_for("voice:1", "voice")
    registry.merge(voice, other)
    assert registry.entity_for("voice:1", "voice") == voice  # through the merge
    assert registry.keys(other) == registry.keys(voice) == ["voice:0", "voice:1"]
    assert _orphans(registry.store) == []
    with pytest.raises(ValueError, match="key"):
        registry.entity_for("", "voice")


def test_overlapping_entities_are_two(registry, rng):
    a, _ = _person(registry, rng, start=0.0)
    b, _ = _person(registry, rng, start=3.0)
    c, _ = _person(registry, rng, start=3.0, stream="door")
    assert registry.overlapping(a, b) and not registry.overlapping(a, c)


# ------------------------------------------------------------------------------ names


def test_names_follow_their_sources(registry):
    e = registry.add_entity("person")
    registry.name(e, "Alise", source="transcript")
    registry.name(e, "Alice", source="subtitle")  # weaker than a transcript: an alias
    assert registry.entity(e)["name"] == "Alise" and registry.entity(e)["aliases"] == ["Alice"]
    registry.name(e, "Alice")  # the user's word wins; the old name stays findable
    assert registry.entity(e)["name"] == "Alice" and registry.entity(e)["aliases"] == ["Alise"]
    registry.name(e, "Someone", source="sim")
    assert registry.entity(e)["name"] == "Alice"
    assert registry.find("alise") == registry.find("ALICE") == [e] and registry.find("Bob") == []
    with pytest.raises(ValueError, match="source"):
        registry.name(e, "X", source="guess")
    with pytest.raises(ValueError, match="name"):
        registry.name(e, "   ")


def test_names_in_text():
    assert introduced_names("Hi, I'm Alice. And this is Bob!") == ["Alice", "Bob"]
    assert introduced_names("my name is Carol, call me Caz") == ["Carol", "Caz"]
    assert introduced_names("I'm sorry, I am Tired and I'm going") == []
    assert introduced_names("i\u2019m Dana") == ["Dana"]
    assert speaker_label("ALICE: where are my keys?") == ("Alice", "where are my keys?")
    assert speaker_label("[Bob] on the table") == ("Bob", "on the table")
    assert speaker_label("nothing to see here") is None


# ------------------------------------------------------------------------------ forgetting


def test_forget_deletes_biometrics_and_names_everywhere(registry, store, rng):
    jpeg = encode_jpeg(_image(rng, 32, 32))
    during = store.add_event(Event("cam", 0.0, 20.0, text="Hello, I'm Zephyrine. Zephyrine likes tea.",
                                   keyframes=[Keyframe(3.0, jpeg), Keyframe(15.0, jpeg)]), Checkpoint("cam", 20.0))
    other_stream = store.add_event(Event("door", 0.0, 20.0, keyframes=[Keyframe(3.0, jpeg)]),
                                   Checkpoint("door", 20.0))
    z, vz = _person(registry, rng, start=1.0)  # in view 1-6 s on "cam"
    part, vpart = _person(registry, rng, start=8.0)
    registry.name(z, "Zephyrine", source="transcript")
    registry.add_alias(part, "Zeph")
    voice = registry.entity_for("voice:3", "voice")  # the diariser's id of her voice
    registry.merge(z, part)
    registry.bind(z, voice)
    keep, vkeep = _person(registry, rng, start=1.0, stream="door")
    registry.name(keep, "Keeper")
    crops = [bytes(r[0]) for r in store._conn.execute("SELECT crop FROM entity_gallery WHERE entity_id = ?", (z,))]
    blobs = [bytes(r[0]) for r in store._conn.execute("SELECT vector FROM entity_gallery WHERE entity_id = ?", (z,))]
    for g in registry.gallery(z):
        registry.crop_path(g["id"])  # thumbnails on disk
    for x in registry.timeline(z):
        registry.keyframe_path(x["appearance"])
    store.events()  # event thumbnails on disk
    assert registry.search_entities(vz[0], kind="face")[0][0] == z
    index_file = registry.index_path("clip")
    assert index_file.exists()
    from perception.reid import ReidClusterer

    reid = ReidClusterer(id_source=lambda kind: registry.add_entity(kind))
    for entity, vector in ((z, vz[0]), (keep, vkeep[0])):
        found = reid.assign(vector, "face", space="clip", exclude=[z])
        registry.merge(entity, found)  # what the pipeline does when re-identification and the user agree
        reid.merge(entity, found)
    registry.save_reid(reid.state_dict())
    before = _counts(store)

    report = registry.forget(entity_ref(part))

    assert report.entity == z and report.ids[0] == z and {part, voice} < set(report.ids) and len(report.ids) == 4
    assert report.keys == ("voice:3",) and registry.keys(z) == []
    assert registry.entity_for("voice:3", "voice") not in report.ids  # heard again: a stranger
    assert report.gallery == 5 and report.crops == 5 and report.centroids == 1
    assert report.appearance_keyframes == 2 and report.names == ("Zeph", "Zephyrine")
    assert report.redacted_events == (during,) and report.event_keyframes == 1 and report.wal_truncated
    after = _counts(store)
    assert after["entities"] == before["entities"] + 1 and after["entity_keys"] == before["entity_keys"]
    assert after["entity_appearances"] == before["entity_appearances"]
    assert after["entity_gallery"] == before["entity_gallery"] - 5
    assert after["entity_aliases"] == before["entity_aliases"] - 1
    assert after["entity_reid"] == before["entity_reid"] - 1
    assert registry.verify_forgotten(z) == [] and _orphans(store) == []
    # anonymous events and appearances stay
    described = registry.entity(z)
    assert described["forgotten"] and described["name"] is None and described["aliases"] == []
    assert described["appearances"] == 2 and described["gallery"] == 0
    assert store.event(during).text == "Hello, I'm [forgotten]. [forgotten] likes tea."
    kept_frames = {(k.time, k.jpeg is not None) for k in store.event(during).keyframes}
    assert kept_frames == {(3.0, False), (15.0, True)}  # the one taken while Zephyrine was in view went
    assert store.event(other_stream).keyframes[0].jpeg is not None
    # search no longer returns it; the other person is still found
    for v in vz + vpart:
        assert all(e != z for e, _ in registry.search_entities(v, kind="face", k=10))
    assert registry.search_entities(vkeep[0], kind="face")[0][0] == keep
    assert registry.find("Zephyrine") == [] and registry.find("Keeper") == [keep]
    # the re-identification state has no centroid of it
    state = registry.load_reid()
    assert z not in state["face/ids"].tolist() and keep in state["face/ids"].tolist()
    # nothing of it in the FAISS file
    on_disk = VectorIndex.load(index_file)
    assert on_disk.count == len(registry.gallery(keep))
    stored = np.stack([on_disk._index.reconstruct(int(i)) for i in registry.space_state(
        "entity/clip", with_vectors=True).ids])
    assert (stored @ np.stack(vz + vpart).T).max() < 0.9
    # nor in thumbnails
    thumbs = sorted(p.name for p in (store.directory / "thumbs").iterdir())
    assert all(not name.startswith("appearance-") for name in thumbs)
    assert {name for name in thumbs if name.startswith("entity-")} == {
        f"entity-{g['id']}.jpg" for g in registry.gallery(keep) if g["crop"]} & set(thumbs)
    assert f"{during}_0.jpg" not in thumbs
    # nor anywhere in the database files: secure delete zeroed it and the WAL was emptied
    raw = b"".join(p.read_bytes() for p in store.directory.glob("memory.db*"))
    assert b"Zephyrine" not in raw and b"Zeph" not in raw
    assert not any(blob in raw for blob in blobs)
    assert not any(crop[len(crop) // 2:len(crop) // 2 + 64] in raw for crop in crops)  # past the JPEG tables
    assert b"Keeper" in raw  # the check can see what is there


def test_forgotten_entities_cannot_come_back_through_reid_state(registry, rng):
    from perception.reid import ReidClusterer

    reid = ReidClusterer(id_source=lambda kind: registry.add_entity(kind))
    a = reid.assign(_unit(rng.standard_normal(DIM)), "face", space="clip")
    b = reid.assign(_unit(rng.standard_normal(DIM)), "face", space="clip", exclude=[a])
    registry.forget(a)
    registry.save_reid(reid.state_dict())  # the clusterer was not told: its centroid of a is not written
    restored = ReidClusterer()
    restored.load_state_dict(registry.load_reid())
    assert restored.entities() == [b]
    stranger = ReidClusterer()
    stranger.assign(np.ones(DIM), "face")  # ids the registry never gave
    stranger.assign(-np.ones(DIM), "face")
    with pytest.raises(ValueError, match="id_source"):
        registry.save_reid({k: v for k, v in stranger.state_dict().items()} | {
            "face/ids": np.array([9999, 10000])})


def test_reid_state_round_trip_follows_merges(registry, rng):
    from perception.reid import ReidClusterer

    assert registry.load_reid() is None
    reid = ReidClusterer(id_source=lambda kind: registry.add_entity(kind), center=False, threshold=0.9)
    vectors = [_unit(rng.standard_normal(DIM)) for _ in range(4)]
    ids = [reid.assign(v, "face", space="clip") for v in vectors]
    voice = reid.assign(_unit(rng.standard_normal(8)), "voice", space="ecapa")
    registry.save_reid(reid.state_dict())
    restored = ReidClusterer(center=False, threshold=0.9)
    restored.load_state_dict(registry.load_reid())
    for k, v in reid.state_dict().items():
        assert np.allclose(np.asarray(restored.state_dict()[k], dtype=float), np.asarray(v, dtype=float),
                           atol=1e-6) if np.asarray(v).dtype.kind in "fi" else np.array_equal(
            restored.state_dict()[k], v), k
    registry.bind(ids[0], voice)
    registry.merge(ids[0], ids[1])
    state = registry.load_reid()
    assert sorted(state["face/ids"].tolist()) == [ids[0], ids[2], ids[3]]
    assert state["voice/ids"].tolist() == [ids[0]]
    reid.merge(ids[0], voice)
    reid.merge(ids[0], ids[1])
    restored.load_state_dict(state)
    assert np.allclose(restored.centroid(ids[0], "face"), reid.centroid(ids[0], "face"), atol=1e-6)


def test_reid_labels_and_resting_places_survive_saving_and_merges(registry, rng):
    from perception.reid import ReidClusterer

    reid = ReidClusterer(id_source=lambda kind: registry.add_entity(kind), center=False, threshold=0.9)
    desk = reid.assign(_unit(rng.standard_normal(DIM)), "object", space="clip", label="desk", place=(2.0, 1.0))
    other = reid.assign(_unit(rng.standard_normal(DIM)), "object", space="clip", label="desk", place=(2.4, 1.0))
    mug = reid.assign(_unit(rng.standard_normal(DIM)), "object", space="clip", label="mug")
    registry.save_reid(reid.state_dict())
    restored = ReidClusterer(center=False, threshold=0.9)
    restored.load_state_dict(registry.load_reid())
    for key in ("object/labels", "object/places"):
        assert np.array_equal(restored.state_dict()[key], reid.state_dict()[key]), key
    registry.merge(desk, other)  # two sightings of one desk, merged by hand: one place between them
    state = registry.load_reid()
    rows = dict(zip(state["object/ids"].tolist(), zip(state["object/labels"].tolist(), state["object/places"])))
    assert set(rows) == {desk, mug} and rows[mug][0] == "mug" and rows[mug][1][2] == 0
    assert rows[desk][0] == "desk" and np.allclose(rows[desk][1], [2.2, 1.0, 2.0])


def test_a_reopened_memory_has_its_entities(tmp_path, rng):
    with MemoryStore(tmp_path / "m") as store:
        registry = EntityRegistry(store)
        a = registry.add_entity("face", _unit(rng.standard_normal(DIM)), space="clip")
        registry.name(a, "Ada")
        q = registry.gallery_vectors(a, "clip")[0]
        assert registry.search_entities(q)[0][0] == a
    with MemoryStore(tmp_path / "m", create=False, readonly=True) as store:
        registry = EntityRegistry(store)
        assert registry.entity(a)["name"] == "Ada"
        assert registry.search_entities(q)[0][0] == a
        with pytest.raises(PermissionError):
            registry.name(a, "Bea")


def test_writes_are_atomic(registry, store, rng):
    a, _ = _person(registry, rng)
    before = _counts(store)
    with pytest.raises(ValueError, match="dim"):
        registry.add_entity("face", np.ones(DIM + 1), space="clip")  # the entity row is rolled back too
    assert _counts(store) == before
    with pytest.raises(sqlite3.IntegrityError):
        with registry._write() as c:
            c.execute("INSERT INTO entity_gallery(entity_id, kind, space, vector) VALUES (999, 'face', 'clip', x'00')")
    assert _counts(store) == before
