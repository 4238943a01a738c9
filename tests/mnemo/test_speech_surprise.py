"""The segmenter's speech channel through ingest: a speaker change in a still picture is an event boundary."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import mnemo
from mnemo.config import load_profile

CHANGES = (10.0, 20.0)  # seconds: voice A, then voice B, then voice A again
SECONDS = 30.0


def _speech_audio():
    name = "mnemo_tests_speech_audio"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "perception" / "speech" / "speech_audio.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _still_video_with_two_voices(path: Path) -> Path:
    """A grey picture that never changes; voice A speaks, then voice B, then voice A (CHANGES)."""
    import av

    audio = _speech_audio()
    rng = np.random.default_rng(3)
    rate = audio.RATE
    spans = np.diff([0.0, *CHANGES, SECONDS])
    voices = [audio.synth_voice(span, *(audio.VOICE_A, audio.VOICE_B)[i % 2], rng) for i, span in enumerate(spans)]
    samples = np.concatenate(voices)
    samples += (0.002 * rng.standard_normal(len(samples))).astype(np.float32)
    fps = 5
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.options = {"preset": "ultrafast"}
        sound = out.add_stream("pcm_s16le", rate=rate)
        sound.layout = "mono"
        grey = np.full((48, 64, 3), 128, np.uint8)
        block = rate // fps  # interleaved: one picture, then its span of audio
        for i in range(int(SECONDS * fps)):
            frame = av.VideoFrame.from_ndarray(grey, format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
            first = i * block
            frame = av.AudioFrame.from_ndarray(samples[None, first : first + block], format="flt", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, first, Fraction(1, rate)
            out.mux(sound.encode(frame))
        out.mux(video.encode(None))
        out.mux(sound.encode(None))
    return path


@pytest.fixture(scope="module")
def still_video(tmp_path_factory) -> Path:
    return _still_video_with_two_voices(tmp_path_factory.mktemp("still") / "still.mkv")


def _profile(weight: float | None):
    lite = load_profile("lite")
    channels = {} if weight is None else {"speech": weight}
    return dataclasses.replace(lite, segmenter=dataclasses.replace(lite.segmenter, channels=channels))


def _boundaries(video: Path, directory: Path, weight: float | None) -> list[float]:
    with mnemo.open(directory, profile=_profile(weight), create=True) as memory:
        memory.ingest(video)
        return [e.start for e in memory.events()[1:]]


def test_a_speaker_change_cuts_a_still_picture_only_with_speech_fusion(still_video, tmp_path):
    assert _boundaries(still_video, tmp_path / "off", None) == []
    cuts = _boundaries(still_video, tmp_path / "on", 1.0)
    assert len(cuts) == len(CHANGES) and all(abs(c - t) <= 1.0 for c, t in zip(cuts, CHANGES)), cuts


class _Stop(KeyboardInterrupt):
    pass


def test_resume_with_speech_fusion_equals_one_run(still_video, tmp_path):
    profile = _profile(1.0)
    with mnemo.open(tmp_path / "whole", profile=profile, create=True) as memory:
        memory.ingest(still_video)
        whole = [(e.start, e.end, e.surprise) for e in memory.events()]

    def interrupt(done: float, total: float | None) -> None:
        if done > CHANGES[0] + 4.0:
            raise _Stop

    with mnemo.open(tmp_path / "resumed", profile=profile, create=True) as memory:
        with pytest.raises(_Stop):
            memory.ingest(still_video, progress=interrupt)
        assert len(memory.events()) == 1  # the boundary at the change was committed
        report = memory.ingest(still_video)
        resumed = [(e.start, e.end, e.surprise) for e in memory.events()]
    assert report.resumed_from is not None and report.resumed_from > 0
    assert resumed == whole


@pytest.mark.parametrize("data, named", [
    ({"segmenter": {"channels": {"speech": -1}}}, "channels"),
    ({"speech": {"vad": "energy", "surprise_options": {"window_s": 20}}}, "window_s"),
    ({"speech": {"vad": "energy", "live_asr": {"window": 3}}}, "live_asr"),
])
def test_bad_speech_surprise_and_live_settings_are_config_errors(data, named):
    from mnemo.config import profile_from_dict
    from mnemo.errors import ConfigError

    with pytest.raises(ConfigError, match=named):
        profile_from_dict(data)


def test_shipped_lite_and_full_fuse_speech():
    assert load_profile("lite").segmenter.channels["speech"] == 1.0
    assert load_profile("full").segmenter.channels["speech"] == 1.0
