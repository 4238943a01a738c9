from pathlib import Path

import pytest

from mnemo.config import list_profiles, load_profile, profile_from_dict
from mnemo.errors import ConfigError


def test_shipped_profiles_load():
    assert {"full", "lite", "standard", "test"} <= set(list_profiles())
    for name in list_profiles():
        profile = load_profile(name)
        assert profile.name == name
        assert profile.frame_encoder.name
    assert load_profile("full").fallback == "lite"
    standard = load_profile("standard")  # the default: real models that install with the project
    assert standard.fallback == "lite" and standard.ocr.name == "rapidocr"
    assert (standard.speech.vad, standard.speech.voices, standard.speech.asr) == ("silero", "campplus", "faster-whisper")


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(ConfigError, match=r"unknown profile 'nope'; available: full, lite, standard, test"):
        load_profile("nope")


def test_unknown_key_names_file_section_and_allowed(tmp_path: Path):
    path = tmp_path / "mine.yaml"
    path.write_text("sampling:\n  fsp: 3\n")
    with pytest.raises(ConfigError) as info:
        load_profile(path)
    message = str(info.value)
    assert str(path) in message and "'fsp'" in message and "sampling" in message and "fps" in message


def test_bad_value_is_named():
    with pytest.raises(ConfigError, match="fps"):
        profile_from_dict({"sampling": {"fps": -1}})
    with pytest.raises(ConfigError, match="jpeg_quality"):
        profile_from_dict({"ingest": {"jpeg_quality": 0}})


def test_sampling_overrides_keep_the_rest():
    lite = load_profile("lite")
    faster = lite.with_sampling(fps=None, keyframes_only=True)
    assert faster.sampling.keyframes_only and faster.sampling.fps == lite.sampling.fps
    assert faster.frame_encoder == lite.frame_encoder
