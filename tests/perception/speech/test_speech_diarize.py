import numpy as np
import pytest

from perception.speech.der import Turn, diarization_error
from perception.speech.diarize import (
    Diarizer,
    SpeakerTurn,
    VoiceClusterer,
    cluster_windows,
    diarize_segments,
    resegment,
    speaker_change_scores,
    speech_events,
    windows_to_turns,
)
from perception.speech.vad import SpeechSegment
from perception.speech.voice import VoiceWindows

DIM = 39


def blobs(rng, k: int, per: int, spread: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """k well separated Gaussian clusters of ``per`` vectors each (plus a shared offset: the channel)."""
    centres = rng.standard_normal((k, DIM)) * 2.0
    labels = np.repeat(np.arange(k), per)
    vectors = centres[labels] + spread * rng.standard_normal((k * per, DIM)) + 5.0
    order = rng.permutation(len(labels))
    return vectors[order], labels[order]


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    return all(len(set(b[a == label])) == 1 for label in set(a)) and len(set(a)) == len(set(b))


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_cluster_windows_finds_the_speakers(k, rng):
    vectors, truth = blobs(rng, k, 15)
    assert same_partition(cluster_windows(vectors), truth)


def test_cluster_windows_small_and_empty():
    assert cluster_windows(np.zeros((0, DIM))).tolist() == []
    assert cluster_windows(np.ones((1, DIM))).tolist() == [0]


def test_online_assignment_on_separable_vectors(rng):
    vectors, truth = blobs(rng, 3, 20)
    clusterer = VoiceClusterer(DIM, threshold=0.3)
    for vector in vectors[:30]:  # learn the running mean first: early windows are not centred yet
        clusterer.center(vector)
    ids = np.array([clusterer.assign(v) for v in vectors])
    assert same_partition(ids[30:], truth[30:])
    assert sorted(clusterer.voices) == sorted(set(ids.tolist()))


def test_state_save_restore_continues_exactly(rng, tmp_path):
    vectors, _ = blobs(rng, 3, 20)
    uninterrupted = VoiceClusterer(DIM, "voice:test")
    expected = [uninterrupted.assign(v) for v in vectors]

    first = VoiceClusterer(DIM, "voice:test")
    got = [first.assign(v) for v in vectors[:25]]
    np.savez(tmp_path / "voices.npz", **first.state_dict())  # as the memory layer would store it
    with np.load(tmp_path / "voices.npz") as stored:
        restored = VoiceClusterer.from_state(dict(stored))
    got += [restored.assign(v) for v in vectors[25:]]
    assert got == expected
    for key, value in uninterrupted.state_dict().items():
        np.testing.assert_array_equal(restored.state_dict()[key], value)


def test_state_of_another_space_or_version_is_refused(rng):
    state = VoiceClusterer(DIM, "voice:a").state_dict()
    with pytest.raises(ValueError, match="space 'voice:a'"):
        VoiceClusterer(DIM, "voice:b").load_state_dict(state)
    with pytest.raises(ValueError, match="version"):
        VoiceClusterer(DIM).load_state_dict({**state, "version": np.array(99)})
    with pytest.raises(ValueError, match="dimension 3"):
        VoiceClusterer(DIM).assign(np.zeros(3))


def test_groups_map_one_to_one_onto_known_voices():
    clusterer = VoiceClusterer(3, match_threshold=0.5)
    first = clusterer.assign_groups(np.eye(3)[:2], [10, 10])
    assert first == [0, 1]
    # the same two voices in another order, and a new one
    again = clusterer.assign_groups(np.array([[0.1, 1, 0], [1, 0.1, 0], [0, 0, 1]]), [5, 5, 5])
    assert again == [1, 0, 2]
    # two groups close to voice 0: only one may take it
    twice = clusterer.assign_groups(np.array([[1, 0, 0], [0.9, 0.1, 0]]), [3, 3])
    assert sorted(twice)[0] == 0 and twice.count(0) == 1 and max(twice) == 3
    assert clusterer.count(0) == 10 + 5 + 3


def test_the_least_heard_voice_is_forgotten_beyond_max_voices():
    clusterer = VoiceClusterer(3, max_voices=2, match_threshold=0.99)
    clusterer.assign_groups(np.eye(3)[:2], [5, 1])
    clusterer.assign_groups(np.eye(3)[2:], [3])
    assert clusterer.voices == [0, 2]


def test_windows_to_turns_and_short_runs():
    segment = SpeechSegment("s", 10.0, 14.0, np.zeros(0, np.float32))
    starts = np.array([10.0, 10.75, 11.5, 12.25, 12.5])
    windows = VoiceWindows("s", starts, np.minimum(starts + 1.5, 14.0), np.zeros((5, DIM), np.float32))
    turns = windows_to_turns(windows, [3, 3, 5, 5, 5], [segment])
    assert [t.voice for t in turns] == [3, 5]
    assert turns[0].start == 10.0 and turns[-1].end == 14.0 and turns[0].end == turns[1].start
    assert turns[0].entity == "voice:3"
    # a lone window of another voice shorter than min_turn is absorbed
    short = windows_to_turns(windows, [3, 3, 3, 3, 3], [segment], min_turn=0.3)
    assert [t.voice for t in short] == [3]


def test_speech_events_and_change_scores():
    turns = [SpeakerTurn("s", 1.0, 3.0, 0), SpeakerTurn("s", 3.0, 5.0, 1), SpeakerTurn("s", 5.2, 6.0, 1),
             SpeakerTurn("s", 9.0, 10.0, 0)]
    events = speech_events(turns, pause=1.0)
    assert [(e.time, e.kind, e.voice) for e in events] == [(1.0, "onset", 0), (3.0, "change", 1), (9.0, "onset", 0)]
    times = np.arange(0.0, 11.0, 0.5)
    scores = speaker_change_scores(turns, times, window=1.0, onset_weight=1.0, change_weight=2.0)
    assert scores[times == 1.0] == 1.0 and scores[times == 3.5] == 2.0 and scores[times == 4.0] == 0.0
    assert scores[times == 9.5] == 1.0 and scores.sum() == 1.0 * 4 + 2.0 * 2


def _conversation(audio, rng, turns):
    """Alternating synthetic voices: (start, end, 'A'|'B') -> samples and segments per turn."""
    total = max(end for _, end, _ in turns) + 0.5
    samples = np.zeros(int(total * 16_000), np.float32)
    for start, end, who in turns:
        voice = audio.synth_voice(end - start, *getattr(audio, f"VOICE_{who}"), rng)
        first = int(start * 16_000)
        samples[first : first + len(voice)] += voice
    return samples


TURNS = [(0.5, 3.0, "A"), (3.4, 6.0, "B"), (6.4, 9.5, "A"), (9.9, 12.0, "B"), (12.4, 15.5, "A"), (15.9, 18.0, "B")]


def test_two_synthetic_voices_are_told_apart_and_persist_across_streams(audio, rng):
    from perception.speech.vad import detect_speech

    reference = [Turn(a, b, who) for a, b, who in TURNS]
    samples = _conversation(audio, rng, TURNS)
    diarizer = Diarizer("spectral")
    turns = diarize_segments(detect_speech(samples, stream="one", vad="energy"), diarizer.embedder,
                             diarizer.clusterer)
    result = diarization_error(reference, [Turn(t.start, t.end, t.entity) for t in turns])
    assert result.der < 0.15 and len({t.voice for t in turns}) == 2
    first_ids = {who: voice for voice, who in ((int(h.split(":")[1]), r) for h, r in result.mapping.items())}

    # a second stream of the same memory: its clusterer restored from the stored state
    state = {k: v.copy() for k, v in diarizer.state_dict().items()}
    later = Diarizer("spectral", VoiceClusterer.from_state(state))
    swapped = [(a, b, "B" if who == "A" else "A") for a, b, who in TURNS]  # now B speaks first
    samples = _conversation(audio, rng, swapped)
    turns = diarize_segments(detect_speech(samples, stream="two", vad="energy"), later.embedder, later.clusterer)
    swapped = [Turn(a, b, who) for a, b, who in swapped]
    result = diarization_error(swapped, [Turn(t.start, t.end, t.entity) for t in turns])
    assert result.der < 0.15
    assert {r: int(h.split(":")[1]) for h, r in result.mapping.items()} == first_ids
    assert len(later.clusterer.voices) == 2


def test_online_mode_and_blocks(audio, rng):
    from perception.speech.vad import detect_speech

    segments = detect_speech(_conversation(audio, rng, TURNS), vad="energy")
    online = Diarizer("spectral", mode="online")
    turns = [t for s in segments for t in online.push(s)]
    assert turns and all(t.end > t.start for t in turns)
    assert online.finish() == []
    blocks = Diarizer("spectral", block_windows=8)
    out = [t for s in segments for t in blocks.push(s)]
    assert out  # a full block is decided before the end
    out += blocks.finish()
    assert sorted(out, key=lambda t: t.start) == out and out[-1].end == pytest.approx(segments[-1].end)


def test_diarizer_on_nothing_and_silence():
    diarizer = Diarizer("spectral")
    assert diarizer.finish() == []
    silent = SpeechSegment("s", 0.0, 2.0, np.zeros(32_000, np.float32))
    assert diarizer.push(silent) == [] and diarizer.finish() == []


def test_a_new_stream_closes_the_block(audio, rng):
    from perception.speech.vad import detect_speech

    samples = _conversation(audio, rng, TURNS[:2])
    diarizer = Diarizer("spectral")
    first = [t for s in detect_speech(samples, stream="a", vad="energy") for t in diarizer.push(s)]
    assert first == []
    second = [t for s in detect_speech(samples, stream="b", vad="energy") for t in diarizer.push(s)]
    assert second and {t.stream for t in second} == {"a"}  # stream a's block, decided on its own
    assert {t.stream for t in diarizer.finish()} == {"b"}


def test_one_real_speaker_is_one_voice(jfk, audio):
    from perception.speech.vad import create_vad

    detector = create_vad("energy")
    segments = [s for chunk in audio.read_chunks(jfk) for s in detector.push(chunk)] + detector.flush()
    turns = diarize_segments(segments)
    assert {t.voice for t in turns} == {0}
    assert turns[0].start < 0.6 and turns[-1].end > 10.5


def test_resegment_gives_each_window_its_nearest_centroid():
    units = np.array([[1, 0], [0.9, 0.1], [0.8, 0.2], [0, 1], [0.1, 0.9], [0.7, 0.3]], np.float64)
    units /= np.linalg.norm(units, axis=1, keepdims=True)
    labels = np.array([0, 0, 0, 1, 1, 1])  # the last window sits nearer the first voice
    assert resegment(units, labels, 2).tolist() == [0, 0, 0, 1, 1, 0]
    assert resegment(units, labels, 0).tolist() == labels.tolist()
    assert resegment(units, np.zeros(6, np.int64), 2).tolist() == [0] * 6


def test_silhouette_clustering_options_are_checked():
    with pytest.raises(ValueError, match="clustering='kmeans'.*'silhouette'"):
        Diarizer("spectral", clustering="kmeans")
    with pytest.raises(ValueError, match="max_clusters=0"):
        Diarizer("spectral", clustering="silhouette", max_clusters=0)
    with pytest.raises(ValueError, match="resegment=-1"):
        Diarizer("spectral", clustering="silhouette", resegment=-1)


def test_silhouette_clustering_finds_synthetic_voices_in_a_block(rng):
    """Three voices in one block, the count not given: each window on its voice, one voice each."""
    centres = [c / np.linalg.norm(c) for c in rng.standard_normal((3, DIM))]
    vectors = np.concatenate([c[None] + 0.12 * rng.standard_normal((12, DIM)) for c in centres])
    truth = np.repeat(np.arange(3), 12)
    diarizer = Diarizer("spectral", VoiceClusterer(DIM, "test", center=False), clustering="silhouette",
                        link_threshold=0.5, min_cluster_windows=3)
    starts = np.arange(len(vectors)) * 0.5
    voices = np.array(diarizer._refine(VoiceWindows("s", starts, starts + 1.5, vectors.astype(np.float32))))
    assert same_partition(voices, truth) and len(diarizer.clusterer.voices) == 3


def test_windows_of_overlapped_speech_are_not_clustered(rng):
    """Two voices and windows where both speak (a mixture of the two and of what overlap adds, which
    the segmentation hears as two speakers): they take the nearer voice instead of making a third,
    and stay out of the voices' centroids."""
    from perception.speech.segmentation import SegmentationResult

    a, b, c = (v / np.linalg.norm(v) for v in rng.standard_normal((3, DIM)))
    def voice(centre, n):
        v = centre[None] + 0.05 * rng.standard_normal((n, DIM))
        return v / np.linalg.norm(v, axis=1, keepdims=True)
    vectors = np.concatenate([voice(a, 12), voice(0.4 * a + 0.3 * b + c, 8), voice(b, 12)]).astype(np.float32)
    starts = np.arange(32) * 0.5
    windows = VoiceWindows("s", starts, starts + 1.5, vectors)
    step = 0.02
    count = np.ones(int(18.0 / step))
    times = step / 2 + step * np.arange(len(count))
    count[(times >= 6.75) & (times < 10.25)] = 2.0  # two speakers: half of the first and last mixed windows
    heard = ("s", SegmentationResult(step / 2, step, count, [], 0.0))
    options = dict(clustering="silhouette", link_threshold=0.5, min_cluster_s=2.0)
    plain = Diarizer("spectral", VoiceClusterer(DIM, "test", center=False), **options)
    plain._heard = [heard]
    assert len(set(plain._refine(windows))) == 3  # the mixture is a voice of its own
    diarizer = Diarizer("spectral", VoiceClusterer(DIM, "test", center=False), max_overlap_share=0.33, **options)
    diarizer._heard = [heard]
    voices = np.array(diarizer._refine(windows))
    assert len(set(voices)) == 2 and len(set(voices[:20])) == 1 and voices[-1] != voices[0]
    assert sorted(diarizer.clusterer.count(v) for v in set(voices)) == [12, 12]
