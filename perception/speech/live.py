"""Speech recognition of a live stream with bounded latency: overlapping windows, words de-duplicated.

The audio is cut into windows of ``window_s`` seconds on a fixed grid of media time (window k
starts at ``k * (window_s - overlap_s)``, so a resumed ingest cuts the same windows), and every window is recognised as soon
as its audio is in. A word belongs to the window that holds its middle best: the one whose span,
shrunk by half the overlap at each shared edge, contains the word's midpoint. So each word is
taken once, from a window where it is not cut by the window's edge, and it is final at most
``window_s`` seconds of media time after it was said (``window_s - overlap_s / 2`` after the
first window), plus the time the recogniser takes.

    live = LiveTranscriber(create_transcriber("whisper", model="small"), window_s=10, overlap_s=2)
    for chunk in audio_chunks:
        for transcript in live.push(chunk):
            ...  # final: never revised, never repeated
    rest = live.flush()
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, replace

import numpy as np

from perception.options import build_options
from perception.speech.asr import Transcriber, Transcript, Word
from perception.speech.vad import SpeechSegment
from streams.packets import AUDIO_RATE, AudioChunk

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveOptions:
    # seconds of audio recognised at once (whisper sees at most 30 s)
    window_s: float = 10.0
    # seconds each window shares with the next; words near a window's edge come from its neighbour
    overlap_s: float = 2.0
    # pass the text already final as the prompt of the next window (more consistent text, but an
    # ingest that resumes mid-stream then hears its first window without that prompt)
    condition_on_previous: bool = False
    # characters of previous text kept as prompt
    prompt_chars: int = 200

    def __post_init__(self) -> None:
        if not 1.0 <= self.window_s <= 30.0:
            raise ValueError(f"LiveOptions.window_s={self.window_s!r}: expected seconds in [1, 30]")
        if not 0.0 <= self.overlap_s <= self.window_s / 2:
            raise ValueError(f"LiveOptions.overlap_s={self.overlap_s!r}: expected seconds in [0, window_s / 2]")
        if self.prompt_chars < 0:
            raise ValueError(f"LiveOptions.prompt_chars={self.prompt_chars!r}: expected >= 0")

    @property
    def step_s(self) -> float:
        """Seconds between the starts of consecutive windows."""
        return self.window_s - self.overlap_s

    def first_window(self, position: float) -> int:
        """The first window that keeps words said at ``position``."""
        return max(0, math.floor((position - (self.window_s - self.overlap_s / 2)) / self.step_s + 1e-9) + 1)

    def read_from(self, position: float) -> float:
        """Where the audio must start for words from ``position`` on: the start of their window."""
        return self.first_window(position) * self.step_s

    @property
    def latency_s(self) -> float:
        """Most media time between a word's middle and the moment it is final (decoding aside):
        a window's length (``window_s - overlap_s / 2`` for every window but the first)."""
        return self.window_s


class LiveTranscriber:
    """Recognises a live stream's audio in overlapping windows; emits each word once, in order."""

    def __init__(self, transcriber: Transcriber, **options) -> None:
        self.transcriber = transcriber
        self.options = build_options(LiveOptions, "LiveTranscriber", options)
        self.reset()

    def reset(self, position: float = 0.0) -> None:
        """Forget the stream; the next one is heard from media time ``position`` on (words said
        before it are not emitted). Feed audio from :meth:`read_from` (``position``) on."""
        self._stream = ""
        self._window = self.options.first_window(position)  # index of the next window to recognise
        self._start: float | None = None  # media time of _samples[0]
        self._samples = np.zeros(0, np.float32)
        self._taken_until = position if position > 0 else -math.inf  # words with middles before were emitted
        self._last: Word | None = None
        self._previous_text = ""

    def read_from(self, position: float) -> float:
        """Where the audio must start for words from ``position`` on: the start of their window."""
        return self.options.read_from(position)

    @property
    def final_until(self) -> float:
        """Words whose middles lie before this media time have all been emitted."""
        return self._taken_until

    @property
    def latency_s(self) -> float:
        return self.options.latency_s

    def push(self, chunk: AudioChunk) -> list[Transcript]:
        """Transcripts made final by ``chunk`` (16 kHz mono), in media-time order."""
        if self._start is None:
            self._stream = chunk.stream
            self._window = max(self._window, math.floor(chunk.time / self.options.step_s + 1e-9))
            self._start = self._window_start(self._window)  # the audio before the chunk is silence
        self._append(chunk.time, np.asarray(chunk.samples, dtype=np.float32))
        out: list[Transcript] = []
        while self._window_end(self._window) <= self._end + 1e-9:
            out += self._recognise(self._window, last=False)
            self._window += 1
        return out

    def flush(self) -> list[Transcript]:
        """The rest of the stream (end of stream): the open window, cut at the end of the audio."""
        if self._start is None or self._window_start(self._window) >= self._end - 1e-9:
            return []
        out = self._recognise(self._window, last=True)
        self._window += 1
        return out

    # ---- steps

    @property
    def _end(self) -> float:
        return (self._start or 0.0) + len(self._samples) / AUDIO_RATE

    def _window_start(self, k: int) -> float:
        return k * self.options.step_s

    def _window_end(self, k: int) -> float:
        return self._window_start(k) + self.options.window_s

    def _append(self, time: float, samples: np.ndarray) -> None:
        offset = int(round((time - self._end) * AUDIO_RATE))
        if offset < 0:
            samples = samples[-offset:]
        elif offset > 0:
            samples = np.concatenate([np.zeros(offset, np.float32), samples])
        self._samples = np.concatenate([self._samples, samples])

    def _recognise(self, k: int, last: bool) -> list[Transcript]:
        start, end = self._window_start(k), min(self._window_end(k), self._end)
        first = max(0, int(round((start - self._start) * AUDIO_RATE)))
        segment = SpeechSegment(self._stream, start, end,
                                self._samples[first : first + int(round((end - start) * AUDIO_RATE))].copy())
        prompt = self._previous_text[-self.options.prompt_chars :] if self.options.condition_on_previous else None
        transcripts = self.transcriber.transcribe([segment], prompt=prompt or None)
        keep_until = math.inf if last else end - self.options.overlap_s / 2
        out = self._keep(transcripts, keep_until)
        self._taken_until = keep_until
        self._drop_before(self._window_start(k + 1))
        if out:
            self._previous_text = " ".join(t.text for t in out).strip()
        return out

    def _keep(self, transcripts: list[Transcript], until: float) -> list[Transcript]:
        """The parts of a window's transcripts whose middles lie in [taken_until, until)."""
        kept = []
        for transcript in transcripts:
            if not transcript.words:  # no word times: the sentence as a whole
                if self._taken_until <= _middle(transcript.start, transcript.end) < until:
                    kept.append(transcript)
                continue
            words = [w for w in transcript.words if self._taken_until <= _middle(w.start, w.end) < until]
            if words and self._last is not None and _same_word(words[0], self._last):
                words = words[1:]  # said once, heard by both windows with times either side of the cut
            if not words:
                continue
            self._last = words[-1]
            text = "".join(w.text for w in words).strip()
            kept.append(replace(transcript, start=words[0].start, end=words[-1].end, text=text, words=tuple(words)))
        return kept

    def _drop_before(self, time: float) -> None:
        count = max(0, min(len(self._samples), int(round((time - self._start) * AUDIO_RATE))))
        self._samples = self._samples[count:]
        self._start += count / AUDIO_RATE


def _middle(start: float, end: float) -> float:
    return (start + end) / 2


def _same_word(a: Word, b: Word) -> bool:
    return _norm(a.text) == _norm(b.text) and min(a.end, b.end) - max(a.start, b.start) > -0.1


def _norm(text: str) -> str:
    return re.sub(r"[^\w]", "", text.lower())
