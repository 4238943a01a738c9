"""VAD-gated recognition batched across events: the same words as one segment at a time, fewer
decoder windows, and words final within the promised latency."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perception.speech.asr import Transcriber
from perception.speech.gated import GatedTranscriber
from streams.packets import AUDIO_RATE, AudioChunk


class Counting(Transcriber):
    """A real transcriber that counts the windows it was asked to decode."""

    def __init__(self, inner: Transcriber) -> None:
        self.inner, self.name, self.calls = inner, inner.name, 0

    def transcribe(self, segments, prompt=None):
        self.calls += 1
        return self.inner.transcribe(segments, prompt)

    def detect_language(self, samples):
        return self.inner.detect_language(samples)


@pytest.fixture(scope="module")
def jfk_samples(jfk) -> np.ndarray:
    import av

    with av.open(str(jfk)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        parts = [o.to_ndarray()[0] for f in container.decode(audio=0) for o in resampler.resample(f)]
    return np.concatenate(parts).astype(np.float32)


def _chunks(samples: np.ndarray, stream: str = "s", size: float = 0.5):
    step = int(size * AUDIO_RATE)
    for first in range(0, len(samples), step):
        yield AudioChunk(stream, first / AUDIO_RATE, samples[first:first + step])


def _words(transcripts) -> list[str]:
    return [w.text.strip(" ,.").lower() for t in transcripts for w in t.words]


def test_three_sayings_decode_in_one_window_with_the_words_of_each(whisper_base, jfk_samples):
    gap = np.zeros(4 * AUDIO_RATE, np.float32)
    audio = np.concatenate([jfk_samples, gap, jfk_samples[: 8 * AUDIO_RATE], gap])
    counting = Counting(whisper_base)
    gated = GatedTranscriber(counting, vad="silero", fill_s=30.0, max_wait_s=60.0)
    out, finals = [], []
    for chunk in _chunks(audio):
        out += gated.push(chunk)
        finals.append(gated.final_until)
    out += gated.flush()
    assert counting.calls == 1  # 19 s of speech: one window, not one per saying
    words = _words(out)
    assert words[:6] == ["and", "so", "my", "fellow", "americans", "ask"]
    assert words.count("country") == 3 and words.count("americans") == 2
    later = [t for t in out if t.start > 15.0]
    assert later and later[0].start >= 14.5  # the second saying keeps its own times
    assert all(a <= b for a, b in zip(finals, finals[1:])) and gated.final_until == math.inf


def test_a_saying_waits_at_most_max_wait_s(whisper_base, jfk_samples):
    audio = np.concatenate([jfk_samples, np.zeros(20 * AUDIO_RATE, np.float32)])
    gated = GatedTranscriber(whisper_base, vad="silero", fill_s=30.0, max_wait_s=5.0)
    emitted = []  # (transcript, media time it came out)
    for chunk in _chunks(audio):
        emitted += [(t, chunk.end) for t in gated.push(chunk)]
    assert _words([t for t, _ in emitted])[-1] == "country"  # all of it, before the end of the audio
    for transcript, when in emitted:  # no longer than max_wait_s (+ VAD hangover, a chunk)
        assert when <= transcript.end + 5.0 + 1.2, (transcript.text, when)
    first, when = emitted[0]
    assert when >= first.end + 5.0 - 0.1  # the oldest waited for later speech to share its window
    assert gated.final_until >= 11.0


def test_resuming_at_a_position_forgets_what_was_before(whisper_base, jfk_samples):
    gated = GatedTranscriber(whisper_base, vad="silero", fill_s=30.0, max_wait_s=60.0)
    gated.reset(6.0)
    assert gated.read_from(6.0) == 6.0 and gated.final_until == 6.0
    out = []
    for chunk in _chunks(jfk_samples):
        if chunk.end > 6.0:
            out += gated.push(chunk)
    out += gated.flush()
    assert all(t.start >= 5.9 for t in out)
    assert "fellow" not in _words(out) and _words(out)[-1] == "country"


def test_bad_options_name_the_field():
    with pytest.raises(ValueError, match="fill_s=40"):
        GatedTranscriber(Counting.__new__(Counting), fill_s=40)
