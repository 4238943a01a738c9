"""Odd input files through the stream layer into the VAD and the voice embedding."""

import numpy as np
import pytest

from perception.speech.diarize import Diarizer
from perception.speech.vad import create_vad

SPANS = [(0.8, 2.2), (3.5, 5.5)]
TOTAL = 6.5


def _segments(chunks, backend="energy"):
    detector = create_vad(backend)
    segments = []
    for chunk in chunks:
        segments += detector.push(chunk)
    return segments + detector.flush()


@pytest.mark.parametrize(
    "rate, layout, channels",
    [(8_000, "mono", 1), (96_000, "stereo", 2), (44_100, "5.1", 6)],
    ids=["8kHz-mono", "96kHz-stereo", "6-channel"],
)
def test_rates_and_layouts_are_resampled_and_found(rate, layout, channels, audio, tmp_path):
    rng = np.random.default_rng(3)
    voice = audio.bursts(SPANS, TOTAL, rng, noise_db=-50, rate=rate)
    signal = np.stack([voice * (0.5 + 0.1 * c) for c in range(channels)])  # every channel speaks
    path = audio.write_audio(tmp_path / f"speech-{rate}-{channels}.wav", signal, rate, layout)
    chunks = audio.read_chunks(path)
    assert chunks and all(c.sample_rate == 16_000 and c.samples.ndim == 1 for c in chunks)
    for backend in ("energy", "webrtc"):
        segments = _segments(chunks, backend)
        assert len(segments) == len(SPANS), backend
        for segment, (start, end) in zip(segments, SPANS):
            assert abs(segment.start - start) < 0.4 and abs(segment.end - end) < 0.5
            assert 0.0 <= segment.start < segment.end <= TOTAL + 0.05


def test_one_silent_channel_of_six_still_speaks(audio, tmp_path):
    rng = np.random.default_rng(4)
    voice = audio.bursts(SPANS, TOTAL, rng, noise_db=-50, rate=48_000)
    signal = np.zeros((6, len(voice)), np.float32)
    signal[0] = signal[1] = voice  # front left and right speak; the rest are silent
    chunks = audio.read_chunks(audio.write_audio(tmp_path / "fronts.wav", signal, 48_000, "5.1"))
    assert len(_segments(chunks)) == len(SPANS)


@pytest.mark.parametrize("rate", [8_000, 96_000])
def test_silent_files_give_no_speech_and_no_voices(rate, audio, tmp_path):
    path = audio.write_audio(tmp_path / f"silence-{rate}.wav", np.zeros((1, 3 * rate), np.float32), rate, "mono")
    chunks = audio.read_chunks(path)
    assert sum(len(c.samples) for c in chunks) == pytest.approx(3 * 16_000, abs=400)
    for backend in ("energy", "webrtc"):
        assert _segments(chunks, backend) == []
    diarizer = Diarizer("spectral")
    assert diarizer.finish() == []


def test_a_very_short_file(audio, tmp_path):
    rng = np.random.default_rng(5)
    blip = audio.synth_voice(0.12, 150.0, (700.0, 1200.0), rng, rate=8_000)[None]
    chunks = audio.read_chunks(audio.write_audio(tmp_path / "blip.wav", blip, 8_000, "mono"))
    assert _segments(chunks) == []  # shorter than min_speech_ms
