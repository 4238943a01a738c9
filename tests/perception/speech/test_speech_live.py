"""Live recognition in overlapping windows: ordered, each word once, final within the bound."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pytest

from perception.speech.asr import Transcriber, Transcript, Word
from perception.speech.live import LiveOptions, LiveTranscriber
from perception.speech.vad import SpeechSegment
from perception.speech.whisper_backend import WhisperTranscriber
from perception.speech.whisper_weights import TINY_TEST_MODEL

TINY = dict(allow_random=True, device="cpu", temperatures=(0.0,), sample_len=12,
            no_speech_threshold=None, logprob_threshold=None)


class ScriptReader(Transcriber):
    """Recognises a known script: the words said within a segment, with times jittered and the
    words cut by the segment's edges clipped to it (what a recogniser does at a window edge)."""

    name = "script"

    def __init__(self, words: list[Word]):
        self.words = words
        self.calls: list[tuple[float, float]] = []

    def transcribe(self, segments: Sequence[SpeechSegment], prompt: str | None = None) -> list[Transcript]:
        out = []
        for segment in segments:
            self.calls.append((segment.start, segment.end))
            heard = []
            for i, word in enumerate(self.words):
                if word.end <= segment.start or word.start >= segment.end:
                    continue
                jitter = 0.06 * np.sin(13.7 * i + 3.1 * segment.start)  # differs per window, repeatable
                start = min(max(word.start + jitter, segment.start), segment.end)
                end = min(max(word.end + jitter, start), segment.end)
                heard.append(Word(word.text, start, end, 0.9))
            if heard:
                out.append(Transcript(segment.stream, heard[0].start, heard[-1].end,
                                      "".join(w.text for w in heard).strip(), "en", tuple(heard)))
        return out

    def detect_language(self, samples: np.ndarray) -> dict[str, float]:
        return {"en": 1.0}


def _live(transcriber: Transcriber, samples: np.ndarray, chunk_s: float = 0.5, position: float = 0.0, **options):
    """Feed ``samples`` as a live stream heard from ``position`` on; (transcript, media time it
    became final) pairs."""
    from streams import AudioChunk

    live = LiveTranscriber(transcriber, **options)
    live.reset(position)
    step = int(chunk_s * 16_000)
    emitted = []
    for first in range(int(round(live.read_from(position) * 16_000)), len(samples), step):
        chunk = AudioChunk("live", first / 16_000, samples[first : first + step])
        emitted += [(t, chunk.end) for t in live.push(chunk)]
    end = len(samples) / 16_000
    return emitted + [(t, end) for t in live.flush()], live


def _script(seed: int) -> tuple[list[Word], np.ndarray]:
    rng = np.random.default_rng(seed)
    words, t = [], 0.0
    for i in range(120):  # about 50 s of speech, words of 0.15-0.5 s with short gaps
        length = rng.uniform(0.15, 0.5)
        words.append(Word(f" w{i}", t, t + length, 1.0))
        t += length + rng.uniform(0.0, 0.15)
    return words, np.zeros(int((t + 0.3) * 16_000), np.float32)


def test_each_scripted_word_comes_once_in_order_within_the_bound():
    words, samples = _script(1)
    reader = ScriptReader(words)
    emitted, live = _live(reader, samples, window_s=8.0, overlap_s=2.0)
    got = [w for transcript, _ in emitted for w in transcript.words]
    assert [w.text for w in got] == [w.text for w in words]  # every word, once, in order
    starts = [transcript.start for transcript, _ in emitted]
    assert starts == sorted(starts)
    assert len(reader.calls) > 6 and all(b - a <= 8.0 + 1e-6 for a, b in reader.calls)
    truth = {w.text: w for w in words}
    for transcript, final_at in emitted[:-1]:  # the last comes at the end of the stream
        for word in transcript.words:
            middle = (truth[word.text].start + truth[word.text].end) / 2
            bound = live.latency_s if middle < 8.0 - 1.0 else 8.0 - 2.0 / 2  # the first window, then W - O/2
            assert final_at - middle <= bound + 0.5 + 0.1  # + a chunk + the jitter


def test_a_resumed_live_transcriber_emits_what_the_whole_run_emitted_from_there():
    words, samples = _script(2)
    whole, _ = _live(ScriptReader(words), samples, window_s=8.0, overlap_s=2.0)
    for position in (5.0, 13.3, 30.0):
        resumed, _ = _live(ScriptReader(words), samples, position=position, window_s=8.0, overlap_s=2.0)
        later = [w for t, _ in whole for w in t.words if (w.start + w.end) / 2 >= position]
        assert [w for t, _ in resumed for w in t.words] == later


@pytest.fixture(scope="module")
def whisper_tiny() -> WhisperTranscriber:
    return WhisperTranscriber(model=TINY_TEST_MODEL, **TINY)


def test_tiny_whisper_on_real_speech_as_a_live_stream(whisper_tiny, jfk):
    from streams import AudioChunk, SamplingPolicy, open_source

    policy = SamplingPolicy(video=False, audio=True, text=False, audio_chunk=0.5)
    with open_source(str(jfk), policy, require_video=False) as source:
        chunks = [p for p in source.packets() if isinstance(p, AudioChunk)]
    live = LiveTranscriber(whisper_tiny, window_s=4.0, overlap_s=1.0)
    emitted = []
    for chunk in chunks:
        emitted += [(t, chunk.end) for t in live.push(chunk)]
    emitted += [(t, chunks[-1].end) for t in live.flush()]
    assert emitted, "the tiny whisper produced nothing"
    words = [w for t, _ in emitted for w in t.words]
    middles = [(w.start + w.end) / 2 for w in words]
    assert middles == sorted(middles)  # ordered; the overlaps give no word twice at one time
    step = LiveOptions(window_s=4.0, overlap_s=1.0).step_s
    for t, final_at in emitted:
        assert 0.0 <= t.start <= t.end <= 11.0 + 1e-6 and t.stream == chunks[0].stream
        for w in t.words:  # a word's window ended at most latency_s after its middle
            assert final_at - (w.start + w.end) / 2 <= live.latency_s + 0.5 + 1e-6 or final_at == chunks[-1].end
    windows = {round((t.start - chunks[0].time) // step) for t, _ in emitted}
    assert len(windows) >= 2  # text arrived window by window, not at the end


@pytest.mark.parametrize("options", [dict(window_s=40.0), dict(window_s=0.5), dict(overlap_s=6.0, window_s=10.0),
                                     dict(prompt_chars=-1)])
def test_bad_live_options_name_the_field(options):
    with pytest.raises(ValueError, match="LiveOptions"):
        LiveOptions(**options)
