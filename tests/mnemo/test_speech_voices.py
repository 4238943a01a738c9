"""GE2E voices and Silero VAD through ingest: the end-of-stream pass, and ids stable across kill -9."""

from __future__ import annotations

import importlib.util
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml

import mnemo
from mnemo.config import profile_from_dict
from mnemo.speech import drop_voices

if importlib.util.find_spec("resemblyzer") is None or importlib.util.find_spec("silero_vad") is None:
    pytest.skip("resemblyzer (GE2E weights) or silero-vad is not installed", allow_module_level=True)

PROFILE = {"name": "voices", "frame_encoder": {"name": "descriptor"}, "text_embedder": None,
           "segmenter": {"min_len": 2.0, "max_len": 3.0, "channels": {"speech": 1.0}},  # surprise: spectral
           "speech": {"vad": "silero", "voices": "ge2e", "asr": None}}


@pytest.fixture(scope="module")
def two_speakers(shared_data):
    path = shared_data / "audio" / "two-speakers" / "sample.wav"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


def _state(store) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(store.state("voices")), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _voice_rows(memory) -> list[tuple]:
    with sqlite3.connect(memory / "memory.db") as db:
        return db.execute('SELECT start, "end", voice FROM utterances ORDER BY start, id').fetchall()


def test_ingest_finds_the_two_voices_and_ends_with_the_pass(two_speakers, tmp_path):
    with mnemo.open(tmp_path / "m", profile=profile_from_dict(PROFILE), create=True) as memory:
        memory.ingest(two_speakers)
        said = memory.transcript()
        state = _state(memory.store)
    voices = {u.voice for u in said}
    assert 2 <= len(voices) <= 3  # two speakers (3 measured: a short mixed stretch stays apart)
    assert len(state["history_voices"]) == 0  # the pass ran and emptied the stream's history
    assert voices <= {f"voice:{i}" for i in state["ids"]}  # every label is a voice the memory knows
    assert str(state["space"]) == "voice:ge2e-v1"
    # forgetting a voice also drops it from the history of a stream being read
    state["history_voices"] = np.array([0, 1, 0])
    for name in ("history_starts", "history_ends", "history_counts", "history_seconds"):
        state[name] = np.zeros(3)
    state["history_mixed"] = np.zeros(3, bool)
    state["history_sums"] = np.zeros((3, 256), np.float16)
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    with np.load(io.BytesIO(drop_voices(buffer.getvalue(), ["voice:0"]))) as left:
        assert left["history_voices"].tolist() == [1] and 0 not in left["ids"].tolist()
        assert len(left["history_mixed"]) == len(left["history_seconds"]) == 1


def test_voice_ids_survive_kill_9_and_resume(two_speakers, tmp_path):
    """A subprocess ingest killed mid-way then resumed labels every utterance as one run does."""
    profile = tmp_path / "voices.yaml"
    profile.write_text(yaml.safe_dump(PROFILE))
    env = {**os.environ, "NO_COLOR": "1"}

    def ingest(memory):
        return [sys.executable, "-m", "mnemo", "ingest", str(two_speakers), "--memory", str(memory),
                "--profile", str(profile), "-q"]

    whole = tmp_path / "whole"
    run = subprocess.run(ingest(whole), env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    killed = tmp_path / "killed"
    process = subprocess.Popen(ingest(killed), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with sqlite3.connect(killed / "memory.db") as db:
                if db.execute("SELECT count(*) FROM events").fetchone()[0] >= 2:
                    break
        except sqlite3.Error:
            pass
        time.sleep(0.01)
    assert process.poll() is None, "ingest ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = _voice_rows(killed)
    run = subprocess.run(ingest(killed), env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    resumed, reference = _voice_rows(killed), _voice_rows(whole)
    assert len(partial) < len(resumed)
    assert resumed == reference
    assert len({v for _, _, v in reference}) >= 2


def test_the_same_people_in_a_second_stream_keep_their_voices(two_speakers, tmp_path):
    """Oracle: the same recording again (another file, 2 dB quieter) is heard as the same voices."""
    import soundfile

    samples, rate = soundfile.read(two_speakers, dtype="float32")
    again = tmp_path / "again.wav"
    soundfile.write(again, 0.8 * samples, rate)
    with mnemo.open(tmp_path / "m", profile=profile_from_dict(PROFILE), create=True) as memory:
        memory.ingest(two_speakers)
        memory.ingest(again)
        said = memory.transcript()
    streams = sorted({u.stream for u in said})
    assert len(streams) == 2
    instants = np.arange(0.05, 30.0, 0.1)
    first, second = ([next((u.voice for u in said if u.stream == s and u.start <= t < u.end), None) for t in instants]
                     for s in streams)
    both = [(a, b) for a, b in zip(first, second) if a and b]
    assert len(both) > 0.6 * len(instants)  # events may be cut a little differently: the voices may not
    assert sum(a == b for a, b in both) >= 0.95 * len(both)
    assert len({a for a, _ in both}) >= 2


def test_missing_voice_weights_turn_voices_off_not_ingest(monkeypatch, caplog):
    from mnemo import speech
    from perception.errors import WeightsUnavailable

    def missing(name, **options):
        raise WeightsUnavailable(f"voice embedder {name!r} needs the resemblyzer package")

    monkeypatch.setattr(speech, "create_voice_embedder", missing)
    stage = speech.SpeechStage(speech.SpeechConfig(vad="energy", voices="ge2e"))
    assert stage.diarizer is None and stage.state() == b""
    assert "voices off" in caplog.text and "resemblyzer" in caplog.text
