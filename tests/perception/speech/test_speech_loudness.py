"""Loudness normalisation of a detector's input: quiet audio raised to the target, never noise past the ceiling."""

import numpy as np
import pytest

from perception.speech.loudness import LoudnessNormaliser
from perception.speech.vad import VadOptions


def _tone(level_db, n=512, hz=220.0):
    """A sine block at ``level_db`` dBFS RMS."""
    return (np.sqrt(2) * 10 ** (level_db / 20) * np.sin(2 * np.pi * hz * np.arange(n) / 16000)).astype(np.float32)


def _level(block):
    return 10 * np.log10(np.mean(np.square(block, dtype=np.float64)))


def test_quiet_audio_reaches_the_target_and_loud_audio_is_untouched():
    norm = LoudnessNormaliser(target_db=-20.0, max_gain_db=30.0, ceiling_db=-55.0)
    # a silent room first (floor -80 dBFS), then speech-like audio at -45 dBFS
    for _ in range(40):
        norm(_tone(-80.0))
    out = norm(_tone(-45.0))
    assert _level(out) == pytest.approx(-20.0, abs=0.1)
    loud = _tone(-10.0)
    assert np.array_equal(LoudnessNormaliser(-20.0)(loud), loud)  # never turned down


def test_gain_is_bounded_by_max_gain_and_by_the_noise_ceiling():
    norm = LoudnessNormaliser(target_db=-20.0, max_gain_db=30.0, ceiling_db=-55.0)
    for _ in range(40):
        norm(_tone(-100.0))
    norm(_tone(-70.0))
    assert norm.gain_db == pytest.approx(30.0)  # max gain, not the 50 dB the target asks
    noisy = LoudnessNormaliser(target_db=-20.0, max_gain_db=30.0, ceiling_db=-55.0)
    for _ in range(40):  # a room whose noise is at -62 dBFS: raised by 7 dB at most
        noisy(_tone(-62.0))
    noisy(_tone(-45.0))
    assert noisy.gain_db == pytest.approx(7.0, abs=0.2)
    loud_room = LoudnessNormaliser(target_db=-20.0, ceiling_db=-55.0)
    loud_room(_tone(-50.0))
    assert loud_room.gain_db == 0.0  # noise above the ceiling: nothing raised


def test_gain_rises_again_at_the_release_rate_after_loud_audio():
    norm = LoudnessNormaliser(target_db=-20.0, max_gain_db=40.0, release_db_s=2.0, ceiling_db=0.0)
    norm(_tone(-20.0))
    assert norm.gain_db == pytest.approx(0.0, abs=0.1)
    for _ in range(125):  # 4 s of blocks at -60 dBFS after the loud block
        norm(_tone(-60.0))
    assert norm.gain_db == pytest.approx(2.0 * 125 * 512 / 16000, abs=0.1)
    norm.reset()
    norm(_tone(-60.0))
    assert norm.gain_db == pytest.approx(40.0)


def test_options_are_checked():
    with pytest.raises(ValueError, match="max_gain_db"):
        VadOptions(max_gain_db=-1.0)
    with pytest.raises(ValueError, match="gain_release_db_s"):
        VadOptions(gain_release_db_s=0.0)
    with pytest.raises(ValueError, match="gain_target_db"):
        VadOptions(gain_target_db=3.0)
