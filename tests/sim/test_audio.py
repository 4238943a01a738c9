"""The microphone track: lines where and when they are heard, as voices or as tones."""

from __future__ import annotations

import numpy as np
import pytest

from sim.audio import RATE, AudioTrack, espeak_available


def _pitch(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    freqs = np.fft.rfftfreq(len(samples), 1 / RATE)
    band = (freqs > 80) & (freqs < 400)
    return float(freqs[band][np.argmax(spectrum[band])])


def test_tones_mark_who_speaks(short_episode):
    scenario = short_episode.scenario
    track = AudioTrack(scenario, speech="tones")
    heard = [u for u in scenario.utterances if u.heard]
    assert heard and track.mode == "tones"
    for u in heard[:5]:
        samples = track.render(u.start, u.end)
        assert np.sqrt(np.mean(samples ** 2)) > 0.01
        pitch = scenario.world.get(u.speaker).pitch
        assert _pitch(samples) == pytest.approx(pitch, rel=0.15)  # the speaker's own pitch
    quiet = [(a.end + 0.5, b.start - 0.5) for a, b in zip(heard, heard[1:]) if b.start - a.end > 2]
    start, end = quiet[0]
    assert np.sqrt(np.mean(track.render(start, end) ** 2)) < 0.005  # only the room tone between lines


def test_any_cut_of_the_track_gives_the_same_samples(short_episode):
    track = AudioTrack(short_episode.scenario, speech="tones")
    whole = track.render(10.0, 40.0)
    parts = np.concatenate([track.render(10.0, 17.3), track.render(17.3, 29.05), track.render(29.05, 40.0)])
    assert np.array_equal(whole, parts)
    assert len(whole) == 30 * RATE and whole.dtype == np.float32


@pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_espeak_voices(short_episode):
    track = AudioTrack(short_episode.scenario, speech="espeak")
    u = next(u for u in short_episode.scenario.utterances if u.heard)
    samples = track.render(u.start, u.end)
    assert track.mode == "espeak" and np.sqrt(np.mean(samples ** 2)) > 0.01


def test_unknown_speech_mode_is_refused(short_episode):
    with pytest.raises(ValueError, match="speech='loud'"):
        AudioTrack(short_episode.scenario, speech="loud")
