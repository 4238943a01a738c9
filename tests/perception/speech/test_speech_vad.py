import numpy as np
import pytest

from perception.errors import UnknownComponent
from perception.speech.vad import SpeechSegment, VadOptions, create_vad, detect_speech, list_vads
from streams import AudioChunk

RATE = 16_000
SPANS = [(1.0, 2.5), (4.0, 4.8), (6.0, 9.0)]
TOTAL = 10.0


def _f1(audio, segments: list[SpeechSegment], spans, total: float) -> float:
    hyp = audio.frame_labels([(s.start, s.end) for s in segments], total)
    ref = audio.frame_labels(spans, total)
    return 2 * float((hyp & ref).sum()) / float(hyp.sum() + ref.sum())


@pytest.mark.parametrize("backend", ["energy", "webrtc"])
@pytest.mark.parametrize("voice", ["VOICE_A", "VOICE_B"])
def test_speech_frames_are_found(backend, voice, audio, rng):
    samples = audio.bursts(SPANS, TOTAL, rng, noise_db=-45, voice=getattr(audio, voice))
    segments = detect_speech(samples, vad=backend)
    assert _f1(audio, segments, SPANS, TOTAL) > 0.85
    assert len(segments) == len(SPANS)
    for segment, (start, end) in zip(segments, SPANS):  # padding, not drift
        assert start - 0.35 <= segment.start <= start + 0.1
        assert end - 0.1 <= segment.end <= end + 0.45


def test_webrtc_in_louder_noise(audio, rng):
    samples = audio.bursts(SPANS, TOTAL, rng, noise_db=-30)
    assert _f1(audio, detect_speech(samples, vad="webrtc"), SPANS, TOTAL) > 0.85


@pytest.mark.parametrize("backend", ["energy", "webrtc"])
def test_silence_noise_and_empty_give_nothing(backend, rng):
    assert detect_speech(np.zeros(5 * RATE, np.float32), vad=backend) == []
    noise = (0.01 * rng.standard_normal(5 * RATE)).astype(np.float32)
    assert detect_speech(noise, vad=backend) == []
    assert detect_speech(np.zeros(0, np.float32), vad=backend) == []
    assert detect_speech(np.zeros(7, np.float32), vad=backend) == []  # shorter than a frame
    detector = create_vad(backend)
    assert detector.push(AudioChunk("s", 0.0, np.zeros(0, np.float32))) == []
    assert detector.flush() == []


def test_segments_carry_their_samples_and_media_time(audio, rng):
    samples = audio.bursts(SPANS, TOTAL, rng, noise_db=-45)
    for segment in detect_speech(samples, start=100.0, stream="cam", vad="energy"):
        assert segment.stream == "cam" and segment.start >= 100.0 and segment.end <= 100.0 + TOTAL
        assert len(segment.samples) == round(segment.duration * RATE)
        first = round((segment.start - 100.0) * RATE)
        np.testing.assert_array_equal(segment.samples, samples[first : first + len(segment.samples)])


@pytest.mark.parametrize("chunk", [0.1, 0.37, 3.0])
def test_chunking_does_not_change_segments(chunk, audio, rng):
    samples = audio.bursts(SPANS, TOTAL, rng, noise_db=-45)
    reference = [(s.start, s.end) for s in detect_speech(samples, vad="energy", chunk_seconds=1.0)]
    other = [(s.start, s.end) for s in detect_speech(samples, vad="energy", chunk_seconds=chunk)]
    np.testing.assert_allclose(other, reference, atol=1e-9)


def test_long_speech_is_split_under_the_maximum(audio, rng):
    words = [(0.5 + 1.4 * i, 0.5 + 1.4 * i + 1.2) for i in range(14)]  # 0.2 s pauses: shorter than min_silence
    samples = audio.bursts(words, 20.0, rng, noise_db=-45)
    segments = detect_speech(samples, vad="energy", max_segment_s=6.0)
    assert len(segments) >= 3
    assert all(s.duration <= 6.0 + 1e-9 for s in segments)
    for before, after in zip(segments, segments[1:]):
        assert after.start >= before.end - 1e-9  # ordered, not overlapping
    assert segments[0].start < 0.6 and segments[-1].end > words[-1][1] - 0.1


def test_a_gap_in_the_chunks_closes_the_open_segment(audio, rng):
    samples = audio.bursts([(0.1, 0.9), (1.1, 2.0), (2.1, 2.9)], 3.0, rng, noise_db=-45)
    detector = create_vad("energy")
    closed = []
    for chunk in audio.as_chunks(samples[: 2 * RATE], 0.5):
        closed += detector.push(chunk)
    later = AudioChunk("s", 50.0, samples[2 * RATE :])
    closed += detector.push(later)  # 48 s later: the first segment ends at 2 s
    assert len(closed) == 1 and closed[0].end <= 2.0 + 1e-9
    rest = detector.flush()
    assert len(rest) == 1 and rest[0].start >= 50.0


def test_memory_is_bounded_during_long_silence(audio, rng):
    detector = create_vad("energy")
    for chunk in audio.as_chunks(np.zeros(60 * RATE, np.float32), 1.0):
        detector.push(chunk)
    assert len(detector._buffer) <= RATE  # padding plus one partial chunk, not a minute


def test_bad_chunks_are_named():
    detector = create_vad("energy")
    with pytest.raises(ValueError, match="sample_rate=8000"):
        detector.push(AudioChunk("cam", 1.0, np.zeros(800, np.float32), sample_rate=8000))
    with pytest.raises(ValueError, match="expected mono"):
        detector.push(AudioChunk("cam", 1.0, np.zeros((2, 800), np.float32)))


def test_registry_and_options():
    assert list_vads() == ["energy", "silero", "webrtc"]
    with pytest.raises(UnknownComponent, match="available: energy, silero, webrtc"):
        create_vad("pyannote")
    with pytest.raises(ValueError, match="frame_ms=25"):
        VadOptions(frame_ms=25)
    with pytest.raises(ValueError, match="aggressiveness"):
        VadOptions(aggressiveness=5)
    with pytest.raises(TypeError, match="unknown option.*padding"):
        create_vad("energy", padding=3)
