"""Fixtures of the speech tests: the synthetic-audio helpers and the real speech file."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest


def _load_helpers() -> ModuleType:
    name = "mnemo_tests_speech_audio"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("speech_audio.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def audio() -> ModuleType:
    """Synthetic voices, bursts with known spans, file writers (see speech_audio.py)."""
    return _load_helpers()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


@pytest.fixture(scope="session")
def jfk(shared_data) -> Path:
    path = shared_data / "audio" / "jfk.flac"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="session")
def whisper_base():
    """faster-whisper base from the verified model cache (the standard profile's recogniser)."""
    from perception.errors import WeightsUnavailable
    from perception.speech.asr import create_transcriber

    try:
        return create_transcriber("faster-whisper", model="base", device="cpu")
    except WeightsUnavailable as error:
        pytest.skip(f"faster-whisper base is not set up: {error}")
