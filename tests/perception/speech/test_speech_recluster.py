"""The end-of-stream pass: exact average linkage over windows, and voice ids that stay stable."""

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage

from perception.speech.diarize import Diarizer, SpeakerTurn, VoiceClusterer, relabel_turns
from perception.speech.recluster import (
    StreamHistory,
    VoiceChange,
    absorb_small,
    cluster_pieces,
    merge_levels,
    relabelled,
    resegment_pieces,
    select_clusters,
    silhouette,
    stable_ids,
)


def _units(rng, centre, n, spread=0.15):
    vectors = centre[None] + spread * rng.standard_normal((n, len(centre)))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _partition(labels):
    groups = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, set()).add(i)
    return sorted(map(frozenset, groups.values()), key=min)


def test_pieces_join_as_average_linkage_over_their_windows(rng):
    """Oracle: scipy's average linkage over the windows themselves, each piece being one window
    (pieces of several windows are exact by the same algebra, checked on a second grouping)."""
    dim = 16
    centres = [c / np.linalg.norm(c) for c in rng.standard_normal((3, dim))]
    windows = np.concatenate([_units(rng, c, 12, 0.3) for c in centres])
    threshold = 0.3
    ours = cluster_pieces(windows, np.ones(len(windows), np.int64), threshold)
    distances = np.clip(1 - windows @ windows.T, 0, 2)[np.triu_indices(len(windows), 1)]
    theirs = fcluster(linkage(distances, "average"), t=1 - threshold, criterion="distance")
    assert _partition(ours) == _partition(theirs)
    assert len(set(ours)) == 3


def test_ids_stay_merges_take_the_older_id_new_clusters_get_new_ids():
    # clusters 0..3; pieces carry online voices 3, 5, 7, 3, 8
    labels = np.array([0, 0, 1, 2, 2, 3])
    voices = np.array([3, 5, 7, 3, 3, 8])
    counts = np.array([10, 4, 6, 2, 2, 1])
    kept = stable_ids(labels, voices, counts)
    # voice 3: 10 windows in cluster 0, 4 in cluster 2 -> stays with cluster 0, merged 5 maps to it
    assert kept[0] == 3
    assert kept[1] == 7
    assert kept[2] is None  # the minority of voice 3: a new voice
    assert kept[3] == 8


def test_diarizer_end_of_stream_pass_keeps_answered_ids(rng):
    """Constructed: a block split one speaker into voices 0 and 1 (both answered); the pass merges
    them under the older id 0, keeps voice 2 and changes nothing else."""
    dim = 39  # the spectral embedder's: only the clusterer and the history are exercised
    a, b = (c / np.linalg.norm(c) for c in rng.standard_normal((2, dim)))
    diarizer = Diarizer("spectral", VoiceClusterer(dim, "test", center=False), recluster_threshold=0.5,
                        min_cluster_windows=1)
    clusterer, history = diarizer.clusterer, diarizer.history
    pieces = [(0.0, 4.0, _units(rng, a, 8), 0), (4.0, 8.0, _units(rng, b, 8), 2), (8.0, 12.0, _units(rng, a, 8), 1)]
    for start, end, units, _ in pieces:  # as the online pass gave them out
        clusterer._add_voice(np.zeros(dim), 0)
    for start, end, units, voice in pieces:
        row = clusterer.voices.index(voice)
        clusterer._sums[row] += units.sum(axis=0)
        clusterer._counts[row] += len(units)
        times = np.linspace(start, end - 0.5, len(units))
        history.add("cam", times, times + 0.5, units, np.full(len(units), voice))
    state = diarizer.state_dict()
    changes = diarizer.finish_stream()
    assert changes == [VoiceChange("cam", 8.0, 12.0, 1, 0)]
    assert clusterer.voices == [0, 2] and clusterer.count(0) == 16 and clusterer.count(2) == 8
    assert len(diarizer.history) == 0
    turns = [SpeakerTurn("cam", 0.0, 4.0, 0), SpeakerTurn("cam", 4.0, 8.0, 2), SpeakerTurn("cam", 8.2, 11.0, 1)]
    assert [t.voice for t in relabel_turns(turns, changes)] == [0, 2, 0]
    # the history survives a save and restore (a resume), and the pass then gives the same answer
    again = Diarizer("spectral", VoiceClusterer(dim, "test", center=False), recluster_threshold=0.5,
                     min_cluster_windows=1)
    again.load_state_dict(state)
    assert again.finish_stream() == changes


def test_small_clusters_join_the_nearest(rng):
    dim = 8
    a, b = (c / np.linalg.norm(c) for c in rng.standard_normal((2, dim)))
    sums = np.stack([_units(rng, a, 5).sum(0), _units(rng, b, 5).sum(0), _units(rng, a, 1).sum(0)])
    counts = np.array([5, 5, 1])
    assert list(absorb_small(sums, counts, np.array([0, 1, 2]), 2)) == [0, 1, 0]


def test_relabelled_spans_need_half_their_length_covered():
    changes = [VoiceChange("s", 0.0, 2.0, 1, 4), VoiceChange("s", 5.0, 6.0, 1, 4)]
    spans = [(0.0, 2.0, 1), (1.5, 5.5, 1), (1.0, 3.0, 1), (0.5, 1.5, 2), (5.5, 5.5, 1), (9.0, 9.5, 1)]
    assert relabelled(spans, changes) == [4, 1, 4, 2, 4, 1]


def test_history_keeps_runs_and_forgets_voices():
    history = StreamHistory(2)
    units = np.array([[1, 0], [1, 0], [0, 1], [1, 0]], np.float32)
    history.add("s", np.arange(4.0), np.arange(4.0) + 1, units, np.array([0, 0, 1, 0]))
    assert history.voices.tolist() == [0, 1, 0] and history.counts.tolist() == [2, 1, 1]
    assert history.ends.tolist() == [2.0, 3.0, 4.0]
    history.forget({0})
    assert history.voices.tolist() == [1]
    history.add("other", np.zeros(1), np.ones(1), units[:1], np.array([3]))  # another stream: the old one goes
    assert history.stream == "other" and history.voices.tolist() == [3]


def test_silhouette_of_single_windows_is_scikit_learns(rng):
    """Oracle: sklearn's silhouette_score with the cosine metric (one window per group)."""
    metrics = pytest.importorskip("sklearn.metrics")
    centres = [c / np.linalg.norm(c) for c in rng.standard_normal((3, 12))]
    windows = np.concatenate([_units(rng, c, n, 0.4) for c, n in zip(centres, (9, 6, 1))])
    labels = np.repeat([0, 1, 2], (9, 6, 1))
    labels[3] = 1  # one window misplaced
    ours = silhouette(windows, np.ones(len(windows)), labels)
    assert ours == pytest.approx(metrics.silhouette_score(windows, labels, metric="cosine"), abs=1e-9)


def test_a_piece_scores_by_the_windows_of_the_other_pieces_of_its_cluster(rng):
    """Oracle, window by window: a piece's cohesion is its windows' mean distance to the windows of
    the other pieces of its cluster (its own windows overlap in time: left out), its separation
    their mean distance to the nearest other cluster; a piece alone in its cluster scores 0, or as
    cohesive as ``lone_cos`` when given."""
    a, b = (c / np.linalg.norm(c) for c in rng.standard_normal((2, 8)))
    windows = np.concatenate([_units(rng, a, 6, 0.4), _units(rng, b, 6, 0.4)])
    piece = np.repeat([0, 1, 2, 3, 4], [2, 2, 2, 3, 3])
    labels = np.array([0, 0, 0, 1, 1])
    sums = np.stack([windows[piece == p].sum(0) for p in range(5)])
    counts = np.bincount(piece)
    distance = 1 - windows @ windows.T
    expected = []
    for p in range(5):
        mine = piece == p
        same = (labels[piece] == labels[p]) & ~mine
        other = labels[piece] != labels[p]
        own, apart = distance[np.ix_(mine, same)].mean(), distance[np.ix_(mine, other)].mean()
        expected += [(apart - own) / max(own, apart)] * int(mine.sum())
    assert silhouette(sums, counts, labels) == pytest.approx(np.mean(expected), abs=1e-9)
    # scored as cohesive as the floor, lone pieces of one voice gain nothing by being split, and
    # two lone pieces of two voices are still told apart
    alone = np.array([0, 0, 0, 1, 2])  # b's pieces 3 and 4 each alone in a cluster
    assert silhouette(sums, counts, alone, lone_cos=0.5) < silhouette(sums, counts, labels, lone_cos=0.5)
    two = sums[[0, 3]], counts[[0, 3]], np.array([0, 1])
    assert silhouette(*two) == 0.0 and silhouette(*two, lone_cos=0.5) > 0.3


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_select_clusters_finds_the_number_of_voices(k, rng):
    """Windows of one voice sit at cosine ~0.68, of two voices near 0: the floor (0.5) joins a voice's
    windows for sure; the silhouette then finds how many voices (one: nothing left to split)."""
    centres = [c / np.linalg.norm(c) for c in rng.standard_normal((k, 32))]
    windows = np.concatenate([_units(rng, c, 10, 0.12) for c in centres])
    labels = select_clusters(windows, np.ones(len(windows)), min_windows=3, floor=0.5)
    assert _partition(labels) == _partition(np.repeat(np.arange(k), 10))


def test_select_clusters_keeps_to_max_clusters_and_small_groups_join(rng):
    centres = [c / np.linalg.norm(c) for c in rng.standard_normal((4, 32))]
    windows = np.concatenate([_units(rng, c, n, 0.12) for c, n in zip(centres, (10, 10, 10, 2))])
    labels = select_clusters(windows, np.ones(len(windows)), min_windows=3, floor=0.5)
    assert len(set(labels)) == 3 and len(set(labels[-2:])) == 1  # two windows are no voice of their own
    assert len(set(select_clusters(windows, np.ones(len(windows)), 3, 0.5, max_clusters=2))) <= 2


def test_merge_levels_end_in_one_cluster_and_start_at_the_floor(rng):
    windows = np.concatenate([_units(rng, c / np.linalg.norm(c), 5, 0.1) for c in rng.standard_normal((3, 16))])
    levels = merge_levels(windows, np.ones(15), floor=0.5)
    assert [int(labels.max()) + 1 for labels in levels] == [3, 2, 1]
    assert _partition(levels[0]) == _partition(cluster_pieces(windows, np.ones(15), 0.5))


def test_resegment_pieces_moves_a_piece_to_its_nearest_centroid(rng):
    a, b = (c / np.linalg.norm(c) for c in rng.standard_normal((2, 16)))
    sums = np.stack([_units(rng, a, 6).sum(0), _units(rng, a, 6).sum(0), _units(rng, b, 6).sum(0),
                     _units(rng, a, 2).sum(0)])
    counts = np.array([6, 6, 6, 2])
    assert resegment_pieces(sums, counts, np.array([0, 0, 1, 1]), 2).tolist() == [0, 0, 1, 0]
    assert resegment_pieces(sums, counts, np.array([0, 0, 1, 1]), 0).tolist() == [0, 0, 1, 1]


def test_speech_seconds_sum_to_the_union_of_the_windows(rng):
    """Oracle: the length of the union of the spans, counted on a fine grid."""
    from perception.speech.recluster import speech_seconds

    starts = np.sort(rng.uniform(0, 20, 30)).round(2)
    ends = starts + rng.choice([0.5, 1.0, 1.5], 30)
    grid = np.arange(0, 25, 0.001) + 0.0005
    union = np.any((grid[:, None] >= starts[None]) & (grid[:, None] < ends[None]), axis=1).sum() * 0.001
    assert speech_seconds(starts, ends).sum() == pytest.approx(union, abs=0.01)
    assert np.allclose(speech_seconds(np.array([0.0, 0.5, 0.9]), np.array([1.5, 2.0, 2.4])), [1.5, 0.5, 0.4])
    assert np.allclose(speech_seconds(np.array([1.0]), np.array([2.5]), covered=2.0), [0.5])


def test_small_clusters_can_be_measured_in_seconds(rng):
    """Three windows of one short segment (2.4 s of speech) are fewer than 4 windows but more
    than 2 s: measured in seconds they stay a cluster."""
    dim = 8
    a, b = (c / np.linalg.norm(c) for c in rng.standard_normal((2, dim)))
    sums = np.stack([_units(rng, a, 8).sum(0), _units(rng, b, 3).sum(0)])
    counts, seconds = np.array([8, 3]), np.array([5.0, 2.4])
    assert list(absorb_small(sums, counts, np.array([0, 1]), 4)) == [0, 0]
    assert list(absorb_small(sums, counts, np.array([0, 1]), 2.0, seconds)) == [0, 1]


def test_pieces_of_overlapped_speech_are_kept_apart_and_take_the_nearest_cluster(rng):
    """Windows heard as two voices at once are their own pieces; the pass clusters the clean pieces
    (two voices) and gives a mixed piece, which sits between them, the nearer one."""
    from perception.speech.recluster import recluster

    dim = 32
    a, b = (c / np.linalg.norm(c) for c in rng.standard_normal((2, dim)))
    mixture = _units(rng, 0.6 * a + 0.4 * b, 8, 0.05)
    units = np.concatenate([_units(rng, a, 10, 0.1), mixture, _units(rng, b, 10, 0.1)]).astype(np.float32)
    mixed = np.repeat([False, True, False], [10, 8, 10])
    starts = np.arange(28) * 0.5
    history = StreamHistory(dim)
    history.add("s", starts, starts + 1.5, units, np.repeat([0, 0, 1], [10, 8, 10]), mixed)
    assert history.mixed.tolist() == [False, True, False] and history.counts.tolist() == [10, 8, 10]
    assert history.seconds.sum() == pytest.approx(28 * 0.5 + 1.0)
    labels, kept = recluster(history, 0.5, select=True, min_seconds=2.0)
    assert labels.tolist() == [0, 0, 1] and kept == [0, 1]
    nearer_b = StreamHistory(dim)
    shifted = np.concatenate([units[:10], _units(rng, 0.4 * a + 0.6 * b, 8, 0.05), units[18:]])
    nearer_b.add("s", starts, starts + 1.5, shifted, np.repeat([0, 0, 1], [10, 8, 10]), mixed)
    assert recluster(nearer_b, 0.5, select=True, min_seconds=2.0)[0].tolist() == [0, 1, 1]
    # saved and restored with the history; a state saved before these fields existed still loads
    again = StreamHistory(dim)
    again.load_state_dict(history.state_dict())
    assert again.mixed.tolist() == history.mixed.tolist() and np.allclose(again.seconds, history.seconds)
    old = {k: v for k, v in history.state_dict().items() if k not in ("history_mixed", "history_seconds")}
    again.load_state_dict(old)
    assert not again.mixed.any() and np.allclose(again.seconds, history.ends - history.starts)


def test_the_least_speech_of_a_voice_is_a_share_of_little_speech():
    from perception.speech.recluster import least_speech

    assert least_speech(1.5, 0.1, np.array([8.0, 6.0, 5.0])) == 1.5  # 19 s of speech: the absolute floor
    assert least_speech(1.5, 0.1, np.array([1.0, 0.8, 1.2, 1.0])) == pytest.approx(0.4)  # 4 s: a tenth
    assert least_speech(1.5, 0.0, np.array([1.0, 1.0])) == 1.5  # share 0: off


def test_lone_windows_of_several_voices_are_told_apart(rng):
    """One window per person (people who say a second each): a lone window scored 0 (no cohesion),
    four people cannot be four voices; scored as cohesive as the floor, windows of
    different people (cosine ~0) are apart, and windows of one person (above the floor) still join."""
    dim = 32
    centres = np.linalg.qr(rng.standard_normal((dim, 4)))[0].T  # people apart (CAM++: cosine ~0.1)
    people = np.stack([_units(rng, c, 1, 0.1)[0] for c in centres])
    assert _partition(select_clusters(people, np.ones(4), 1, floor=0.5)) != _partition(range(4))
    assert _partition(select_clusters(people, np.ones(4), 1, floor=0.5, lone_windows=True)) == _partition(range(4))
    one = _units(rng, centres[0], 3, 0.1)  # one person, three windows alike above the floor
    assert len(set(select_clusters(one, np.ones(3), 1, floor=0.5, lone_windows=True))) == 1
    two = np.concatenate([_units(rng, centres[0], 6, 0.1), _units(rng, centres[1], 6, 0.1)])
    assert _partition(select_clusters(two, np.ones(12), 1, floor=0.5, lone_windows=True)) == \
        _partition(np.repeat([0, 1], 6))


def test_the_end_of_stream_pass_keeps_voices_of_little_speech(rng):
    """Four people, one 1.2 s window each (4.8 s of speech): under an absolute least of 1.5 s they
    are all absorbed into one voice; with the least a tenth of the speech (0.48 s) and lone windows
    scored, four voices, ids kept."""
    from perception.speech.recluster import recluster

    dim = 32
    centres = np.linalg.qr(rng.standard_normal((dim, 4)))[0].T
    units = np.stack([_units(rng, c, 1, 0.1)[0] for c in centres]).astype(np.float32)
    starts = np.array([0.5, 2.5, 4.5, 6.5])
    history = StreamHistory(dim)
    history.add("s", starts, starts + 1.2, units, np.arange(4))
    labels, _ = recluster(history, 0.5, select=True, min_seconds=1.5)
    assert len(set(labels.tolist())) == 1
    labels, kept = recluster(history, 0.5, select=True, min_seconds=1.5, min_share=0.1, lone_windows=True)
    assert labels.tolist() == [0, 1, 2, 3] and kept == [0, 1, 2, 3]


def test_overlapped_speech_alone_in_a_cluster_keeps_its_voice(rng):
    """Constructed: a stream of one clean piece (voice 0) and one piece of overlapped speech, given
    voice 0 too but unlike it. With fewer than two clean pieces the pass clusters every piece, and
    the overlapped one is a cluster of its own, holding no id's majority: as it was never in a
    centroid, it keeps its voice instead of failing (it was given no id at all)."""
    dim = 39  # the spectral embedder's: only the clusterer and the history are exercised
    a, b = np.linalg.qr(rng.standard_normal((dim, 2)))[0].T
    diarizer = Diarizer("spectral", VoiceClusterer(dim, "test", center=False), clustering="silhouette",
                        link_threshold=0.5, recluster_threshold=0.5, min_cluster_windows=1)
    clean = _units(rng, a, 10, 0.1)
    diarizer.clusterer._add_voice(clean.sum(axis=0), len(clean))
    units = np.concatenate([clean, _units(rng, b, 4, 0.1)]).astype(np.float32)
    starts = np.arange(14) * 0.5
    diarizer.history.add("s", starts, starts + 1.5, units, np.zeros(14, np.int64), np.arange(14) >= 10)
    assert diarizer.finish_stream() == []
    assert diarizer.clusterer.voices == [0] and diarizer.clusterer.count(0) == 10
