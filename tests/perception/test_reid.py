"""Re-identification: B-cubed scoring, online clustering under EVAL.md's appearance noise, state,
merges, and face-voice binding."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from perception.reid import BinderConfig, FaceVoiceBinder, ReidClusterer, ReidConfig, bcubed

# ------------------------------------------------------------------------------ B-cubed


def _bcubed_brute_force(pred, true, weights):
    n = len(pred)
    precision = recall = 0.0
    for i in range(n):
        same_cluster = [j for j in range(n) if pred[j] == pred[i]]
        same_class = [j for j in range(n) if true[j] == true[i]]
        both = [j for j in same_cluster if true[j] == true[i]]
        w = lambda js: sum(weights[j] for j in js)  # noqa: E731
        precision += weights[i] * w(both) / w(same_cluster)
        recall += weights[i] * w(both) / w(same_class)
    total = sum(weights)
    p, r = precision / total, recall / total
    return p, r, 2 * p * r / (p + r)


def test_bcubed_known_values():
    assert bcubed([1, 1, 2, 2], ["a", "a", "b", "b"]) == (1.0, 1.0, 1.0)
    p, r, f = bcubed([0, 0, 0, 0], ["a", "a", "b", "b"])
    assert (p, r) == (0.5, 1.0) and f == pytest.approx(2 / 3)
    assert bcubed([0, 1, 2, 3], ["a", "a", "b", "b"])[:2] == (1.0, 0.5)


def test_bcubed_matches_brute_force(rng):
    for _ in range(5):
        pred = rng.integers(0, 5, 60).tolist()
        true = rng.integers(0, 4, 60).tolist()
        weights = rng.uniform(0.1, 3.0, 60).tolist()
        assert bcubed(pred, true, weights) == pytest.approx(_bcubed_brute_force(pred, true, weights))
        assert bcubed(pred, true) == pytest.approx(_bcubed_brute_force(pred, true, [1.0] * 60))


def test_bcubed_rejects_bad_input():
    with pytest.raises(ValueError, match="2 predicted labels but 1"):
        bcubed([1, 2], [1])
    with pytest.raises(ValueError, match="no items"):
        bcubed([], [])
    with pytest.raises(ValueError, match="weights"):
        bcubed([1], [1], [-1.0])


# ------------------------------------------------------------------------------ EVAL.md noise


@dataclass
class SynthTrack:
    stream: int
    start: float
    end: float
    vectors: np.ndarray  # (n, dim) per-detection appearance vectors
    truths: np.ndarray  # (n,) true identity of each detection


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def synthetic_tracks(seed: int, people: int = 12, minutes: float = 60.0, streams: int = 2, dim: int = 128,
                     fps: float = 2.0, noise: float = 0.5, track_share: float = 0.8,
                     swaps_per_minute: float = 0.02) -> list[SynthTrack]:
    """Tracks of people seen in visits of one to three at a time, in several streams.

    Appearance (EVAL.md): a prototype per person made of a common part, a look-alike group part
    (four groups: people of a group look alike) and a personal part, plus noise of which most
    (``track_share``) is shared by a track's detections (pose, light) and the rest varies per
    frame; the noise level varies log-normally. Same person: cosine ~0.7-0.9; different people:
    ~0.2-0.6, look-alikes at the top; the tails overlap. Identity swaps: 2% of tracks per minute
    continue as someone else from a random point on.
    """
    rng = np.random.default_rng(seed)
    common, groups = _unit(rng.standard_normal(dim)), _unit(rng.standard_normal((4, dim)))
    group_of = rng.integers(4, size=people)
    protos = _unit(math.sqrt(0.3) * common + math.sqrt(0.4) * groups[group_of]
                   + math.sqrt(0.3) * _unit(rng.standard_normal((people, dim))))
    tracks = []
    for stream in range(streams):
        t = 0.0
        while t < minutes * 60:
            for person in rng.choice(people, size=int(rng.integers(1, 4)), replace=False):
                start, duration = t + rng.uniform(0, 5), float(rng.uniform(3, 60))
                times = np.arange(start, start + duration, 1 / fps)
                truths = np.full(len(times), person)
                if rng.random() < 1 - math.exp(-swaps_per_minute * duration / 60) and len(times) > 2:
                    truths[int(rng.integers(1, len(times))):] = rng.choice([p for p in range(people) if p != person])
                offset = track_share * noise * math.exp(rng.normal(0, 0.35)) * rng.standard_normal(dim) / math.sqrt(dim)
                frame_noise = math.sqrt(1 - track_share ** 2) * noise
                vectors = np.stack([_unit(protos[p] + offset + frame_noise * math.exp(rng.normal(0, 0.35))
                                          * rng.standard_normal(dim) / math.sqrt(dim)) for p in truths])
                tracks.append(SynthTrack(stream, float(times[0]), float(times[-1]), vectors, truths))
            t += float(rng.uniform(20, 120))
    tracks.sort(key=lambda tr: tr.end)  # the order a tracker closes them in
    return tracks


def cluster_like_the_pipeline(tracks: list[SynthTrack], clusterer: ReidClusterer) -> list[int]:
    """Entity per track, as the pipeline does it: tracks seen at the same time in one stream are
    kept apart, and proposed merges are applied (union-find) after each track."""
    parent: dict[int, int] = {}

    def find(e: int) -> int:
        while e in parent:
            e = parent[e]
        return e

    assigned: list[tuple[SynthTrack, int]] = []
    for track in tracks:
        busy = {find(e) for other, e in assigned
                if other.stream == track.stream and other.start <= track.end and track.start <= other.end}
        entity = clusterer.assign(track.vectors.sum(axis=0), "person", weight=len(track.vectors), exclude=busy)
        assigned.append((track, entity))
        for a, b, _ in clusterer.merge_candidates():
            a, b = find(a), find(b)
            if a != b:
                clusterer.merge(a, b)
                parent[b] = a
    return [find(e) for _, e in assigned]


def test_synthetic_noise_is_what_eval_md_says():
    tracks = synthetic_tracks(0)
    vectors = np.concatenate([t.vectors for t in tracks])
    truths = np.concatenate([t.truths for t in tracks])
    pick = np.random.default_rng(1).choice(len(vectors), 2000, replace=False)
    sims = vectors[pick] @ vectors[pick].T
    same = truths[pick][:, None] == truths[pick][None, :]
    upper = np.triu(np.ones_like(same), 1).astype(bool)
    s, d = sims[same & upper], sims[~same & upper]
    assert 0.7 <= np.median(s) <= 0.9 and 0.2 <= np.median(d) <= 0.6
    assert np.percentile(s, 10) > 0.6 and np.percentile(d, 90) < 0.6
    assert d.max() > s.min() + 0.2  # overlapping tails: some strangers look more alike than some twins


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clustering_quality_under_default_noise(seed):
    tracks = synthetic_tracks(seed)
    entities = cluster_like_the_pipeline(tracks, ReidClusterer())
    pred = [e for track, e in zip(tracks, entities) for _ in track.truths]
    true = [int(x) for track in tracks for x in track.truths]
    precision, recall, f1 = bcubed(pred, true)
    assert f1 >= 0.85, (precision, recall, f1)
    assert 12 <= len(set(entities)) <= 24  # twelve people; over-splitting stays bounded


def test_without_centring_or_exclusion_it_is_worse():
    tracks = synthetic_tracks(2)
    true = [int(x) for track in tracks for x in track.truths]

    def f1(clusterer: ReidClusterer) -> float:
        entities = cluster_like_the_pipeline(tracks, clusterer)
        return bcubed([e for track, e in zip(tracks, entities) for _ in track.truths], true)[2]

    assert f1(ReidClusterer(center=False)) < f1(ReidClusterer()) - 0.1


# ------------------------------------------------------------------------------ the clusterer


def test_assign_joins_similar_and_founds_new(rng):
    c = ReidClusterer(threshold=0.5, center=False)
    a, b = _unit(rng.standard_normal(32)), _unit(rng.standard_normal(32))
    ea = c.assign(a, "face")
    assert c.assign(_unit(a + 0.1 * rng.standard_normal(32)), "face") == ea
    eb = c.assign(b, "face")
    assert eb != ea and c.entities("face") == sorted([ea, eb])
    assert c.assign(a, "person") not in (ea, eb)  # kinds never share entities
    assert c.assign(a, "face", exclude=[ea]) not in (ea, eb)  # seen at the same time: someone else
    assert c.assign(b, "face", update=False) == eb and c.assign(-b, "face", update=False) == -1


def test_ids_come_from_the_id_source(rng):
    given = iter([41, 42, 43])
    asked = []

    def source(kind: str) -> int:
        asked.append(kind)
        return next(given)

    c = ReidClusterer(id_source=source, center=False)
    assert c.assign(_unit(rng.standard_normal(8)), "voice") == 41
    assert c.assign(_unit(rng.standard_normal(8)), "object") == 42
    assert asked == ["voice", "object"]


def test_state_round_trip_continues_exactly(rng):
    vectors = [_unit(rng.standard_normal(16) + (i % 3) * 2 * np.eye(16)[i % 3]) for i in range(60)]
    whole = ReidClusterer()
    ids_whole = [whole.assign(v, "person", space="s") for v in vectors]
    first = ReidClusterer()
    ids = [first.assign(v, "person", space="s") for v in vectors[:30]]
    second = ReidClusterer()
    second.load_state_dict({k: v.copy() for k, v in first.state_dict().items()})
    ids += [second.assign(v, "person", space="s") for v in vectors[30:]]
    assert ids == ids_whole
    for k, v in whole.state_dict().items():
        assert np.array_equal(np.asarray(v), np.asarray(second.state_dict()[k])), k


def test_a_probe_of_an_unseen_kind_leaves_no_state(rng):
    c = ReidClusterer()
    c.assign(_unit(rng.standard_normal(8)), "person", space="s")
    assert c.assign(_unit(rng.standard_normal(8)), "object", space="s", update=False) == -1
    again = ReidClusterer()
    again.load_state_dict(c.state_dict())  # no empty "object" kind to load
    assert again.entities() == c.entities() and again.entities("object") == []


def test_merge_and_remove(rng):
    c = ReidClusterer(threshold=0.6, merge_threshold=0.6, center=False)
    base = _unit(rng.standard_normal(16))
    a = c.assign(base, "face")
    b = c.assign(_unit(base + 0.9 * _unit(rng.standard_normal(16))), "face", exclude=[a])
    assert a != b and (a, b) == c.merge_candidates()[0][:2]
    c.merge(a, b)
    assert c.entities("face") == [a] and c.merge_candidates() == []
    voice = c.assign(_unit(rng.standard_normal(8)), "voice")
    c.merge(a, voice)  # a face and a voice bound: one entity with a centroid of each kind
    assert c.entities() == [a] and c.centroid(a, "voice") is not None
    c.remove(a)
    assert c.entities() == [] and c.assign(base, "face") not in (a, b, voice)


def test_views_propose_what_centroids_do_not(rng):
    c = ReidClusterer(center=False, view_kinds=("person",), view_merge_threshold=0.5)
    look = _unit(rng.standard_normal(16))
    near, far = _unit(look + 0.8 * _unit(rng.standard_normal(16))), _unit(look + 0.8 * _unit(rng.standard_normal(16)))
    a = c.assign(near, "person")
    b = c.assign(far, "person", exclude=[a])
    stranger = c.assign(-look, "person", exclude=[a, b])
    assert float(c.centroid(a, "person") @ c.centroid(b, "person")) < c.config.merge_threshold
    assert c.merge_candidates() == []  # centroids alone: two
    views = {a: np.stack([near, _unit(near + look)]), b: np.stack([far, _unit(far + look)]), stranger: -look[None]}
    linkage = float(np.mean(views[a] @ views[b].T))
    assert linkage >= 0.5 and c.merge_candidates(views=views) == [(a, b, pytest.approx(linkage))]
    assert ReidClusterer(center=False).merge_candidates(views=views) == []  # a kind not in view_kinds



def test_view_linkage_is_the_mean_of_every_pair_of_views(rng):
    """Oracle: the linkage of two entities is the mean centred cosine of every view of one with every view of
    the other, computed here pair by pair; -1 for an entity without views."""
    c = ReidClusterer(view_kinds=("person",), view_merge_threshold=0.4)
    ids: list[int] = []
    for _ in range(4):  # four people, seen at once: four entities
        ids.append(c.assign(_unit(rng.standard_normal(8)), "person", exclude=list(ids)))
    assert c.entities("person") == ids
    views = {e: _unit(rng.standard_normal((int(rng.integers(1, 6)), 8))) for e in ids[:3]}  # the last has none
    k = c._kinds["person"]
    linkage = c._view_linkage(k, views)
    centred = {e: c._centre_views(v, k) for e, v in views.items()}
    for a, ea in enumerate(ids):
        for b, eb in enumerate(ids):
            want = -1.0 if a == b or ea not in views or eb not in views else \
                float(np.mean([u @ w for u in centred[ea] for w in centred[eb]]))
            assert linkage[a, b] == pytest.approx(want)

def _two_looks(seed: int, people: int = 5, dim: int = 32, tracks: int = 60) -> list[tuple[int, np.ndarray, int]]:
    """(person, track vector, detections) of tracks of people who each look two ways (near and far, front and
    back): a prototype plus one of two person-specific offsets, plus noise."""
    rng = np.random.default_rng(seed)
    protos, looks = _unit(rng.standard_normal((people, dim))), _unit(rng.standard_normal((people, 2, dim)))
    out = []
    for _ in range(tracks):
        person, look = int(rng.integers(people)), int(rng.integers(2))
        noise = 0.5 * rng.standard_normal(dim) / math.sqrt(dim)
        out.append((person, _unit(protos[person] + looks[person, look] + noise), int(rng.integers(2, 10))))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_views_join_one_person_seen_in_two_looks(seed):
    tracks = _two_looks(seed)

    def scored(clusterer: ReidClusterer) -> tuple[float, float, float]:
        gallery: dict[int, list[np.ndarray]] = {}  # the registry's gallery: each entity's latest 5 views
        entities = []
        for _, vector, n in tracks:  # one at a time, never two in view at once
            entity = clusterer.assign(vector, "person", weight=n)
            gallery[entity] = (gallery.get(entity, []) + [vector])[-5:]
            entities.append(entity)
            for a, b, _ in clusterer.merge_candidates(views={e: np.stack(v) for e, v in gallery.items()}):
                clusterer.merge(a, b)
                gallery[a] = (gallery.get(a, []) + gallery.pop(b, []))[-5:]
                entities = [a if e == b else e for e in entities]
        return bcubed([e for e, (_, _, n) in zip(entities, tracks) for _ in range(n)],
                      [p for p, _, n in tracks for _ in range(n)])

    centroids = scored(ReidClusterer(threshold=0.35))
    views = scored(ReidClusterer(threshold=0.35, view_kinds=("person",), view_merge_threshold=0.4))
    assert views[0] >= max(centroids[0], 0.98), (centroids, views)  # two people are never made one
    assert views[1] >= centroids[1] + 0.08, (centroids, views)  # fewer pieces of one person


def test_labels_never_share_an_entity(rng):
    c = ReidClusterer(threshold=0.5, center=False)
    v = _unit(rng.standard_normal(16))
    mug = c.assign(v, "object", label="mug")
    assert c.assign(v, "object", label="cup") != mug  # the same look, another thing
    assert c.assign(v, "object", label="mug") == mug and c.assign(v, "object") in c.entities("object")


def test_things_that_stay_put_are_told_apart_by_where_they_rest(rng):
    c = ReidClusterer(threshold=0.55, merge_threshold=0.5, center=False)
    look = _unit(rng.standard_normal(16))
    kitchen = c.assign(look, "object", label="chair", place=(1.0, 1.0))
    office = c.assign(look, "object", label="chair", place=(6.0, 1.0))  # a lookalike 5 m away
    assert office != kitchen
    other_view = _unit(look + 1.2 * _unit(rng.standard_normal(16)))  # the same chair from another side
    assert 0.0 <= float(other_view @ look) < 0.55
    assert c.assign(other_view, "object", label="chair", place=(1.4, 0.8)) == kitchen  # resting there: it
    assert c.assign(-look, "object", label="chair", place=(1.2, 1.0)) not in (kitchen, office)  # looks nothing like it
    assert all({a, b} != {kitchen, office} for a, b, _ in c.merge_candidates())  # never proposed as one
    assert c.assign(look, "object", label="chair") in (kitchen, office)  # not placed: by appearance


def test_state_round_trip_keeps_labels_and_places_and_reads_version_1(rng):
    c = ReidClusterer(center=False)
    c.assign(_unit(rng.standard_normal(8)), "object", label="desk", place=(2.0, 3.0))
    restored = ReidClusterer(center=False)
    restored.load_state_dict({k: v.copy() for k, v in c.state_dict().items()})
    for k, v in c.state_dict().items():
        assert np.array_equal(np.asarray(v), np.asarray(restored.state_dict()[k])), k
    old = {k: v for k, v in c.state_dict().items() if not k.endswith(("/labels", "/places"))}
    old["version"] = np.array(1)
    restored.load_state_dict(old)  # a memory written before labels and places
    assert restored.entities("object") == c.entities("object")
    assert restored.state_dict()["object/labels"].tolist() == [""]


def test_bad_vectors_and_config_are_named(rng):
    c = ReidClusterer()
    c.assign(np.ones(4), "face", space="x")
    with pytest.raises(ValueError, match="dim 5"):
        c.assign(np.ones(5), "face")
    with pytest.raises(ValueError, match="space 'y'"):
        c.assign(np.ones(4), "face", space="y")
    with pytest.raises(ValueError, match="kind='car'"):
        c.assign(np.ones(4), "car")
    with pytest.raises(ValueError, match="not finite"):
        c.assign(np.array([1.0, np.nan, 0, 0]), "face")
    with pytest.raises(ValueError, match="threshold"):
        ReidConfig(threshold=2.0)
    assert ReidConfig(kind_thresholds=(("voice", 0.3),)).threshold_for("voice") == 0.3
    with pytest.raises(ValueError, match="view_kinds"):
        ReidConfig(view_kinds=("car",))
    with pytest.raises(ValueError, match="view_merge_threshold"):
        ReidConfig(view_merge_threshold=1.5)
    with pytest.raises(TypeError, match="unknown option"):
        ReidClusterer(treshold=0.5)


# ------------------------------------------------------------------------------ face-voice binding


def test_a_face_alone_while_a_voice_speaks_binds_them():
    binder = FaceVoiceBinder(BinderConfig(min_seconds=3.0, min_share=0.6, frame_s=0.5))
    for i in range(40):  # 20 s at 2 fps
        t = i * 0.5
        faces = [1] if t < 8 else [2, 3] if t < 14 else [2]
        binder.observe_faces(t, faces)
    binder.observe_voice(10, 0.0, 7.0)  # face 1 alone the whole time: 14 frames, 7 s
    binder.observe_voice(11, 8.0, 14.0)  # two faces on screen: no evidence either way
    binder.observe_voice(12, 14.0, 15.5)  # face 2 alone but only 1.5 s
    bound = binder.bindings()
    assert [(b.face, b.voice) for b in bound] == [(1, 10)]
    assert bound[0].seconds == pytest.approx(7.0) and bound[0].share == 1.0
    assert binder.bindings() == []  # reported once
    binder.observe_voice(12, 15.5, 19.0)
    assert [(b.face, b.voice) for b in binder.bindings()] == [(2, 12)]


def test_a_voice_heard_over_many_faces_is_not_bound():
    binder = FaceVoiceBinder(min_seconds=2.0, frame_s=0.5)
    for i in range(40):
        binder.observe_faces(i * 0.5, [i // 10])  # faces 0..3, five seconds each
    binder.observe_voice(7, 0.0, 20.0)  # a narrator: every face as much as the others
    assert binder.bindings() == []
    binder.forget_before(10.0)
    binder.observe_voice(8, 0.0, 10.0)  # the sightings before 10 s are gone
    assert binder.bindings() == []
