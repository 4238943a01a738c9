"""Speech recognition gated by voice activity and batched across events, with bounded latency.

Whisper's encoder always reads 30 s of audio, so recognising each event's speech on its own pays
for 30 s per event however little was said (a video with many short shots pays many times over).
:class:`GatedTranscriber` runs its own VAD as the audio arrives, queues the speech segments it
closes, and decodes them together, packed into one window (see the transcriber's packing), once
``fill_s`` seconds of speech are queued or the oldest has waited ``max_wait_s`` of media time.
So a word is final at most ``max_wait_s`` plus one VAD segment (``max_segment_s``) after it was
said, plus the decoding time; silence costs nothing.

It has the interface of :class:`perception.speech.live.LiveTranscriber` (``reset``, ``read_from``,
``push``, ``flush``, ``final_until``), so an ingest holds its events until their words are final
in the same way.

    gated = GatedTranscriber(create_transcriber("faster-whisper"), vad="silero", fill_s=24, max_wait_s=30)
    for chunk in audio_chunks:
        for transcript in gated.push(chunk):
            ...  # final, in order
    rest = gated.flush()
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from perception.options import build_options
from perception.speech.asr import Transcriber, Transcript
from perception.speech.vad import SpeechSegment, create_vad
from streams.packets import AudioChunk

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GatedOptions:
    # voice activity detector that gates recognition (perception.speech.list_vads())
    vad: str = "silero"
    # its options (perception.speech.VadOptions fields)
    vad_options: Mapping[str, Any] = field(default_factory=dict)
    # seconds of queued speech that are decoded at once (whisper reads 30 s windows)
    fill_s: float = 24.0
    # longest a closed speech segment waits for its batch, seconds of media time
    max_wait_s: float = 30.0

    def __post_init__(self) -> None:
        if not 1.0 <= self.fill_s <= 30.0:
            raise ValueError(f"GatedOptions.fill_s={self.fill_s!r}: expected seconds in [1, 30]")
        if self.max_wait_s < 0:
            raise ValueError(f"GatedOptions.max_wait_s={self.max_wait_s!r}: expected seconds >= 0")


class GatedTranscriber:
    """Recognises the speech a VAD finds, batched into full windows; emits transcripts in order."""

    def __init__(self, transcriber: Transcriber, **options) -> None:
        self.transcriber = transcriber
        self.options = build_options(GatedOptions, "GatedTranscriber", options)
        self.detector = create_vad(self.options.vad, **dict(self.options.vad_options))
        self.reset()

    def reset(self, position: float = 0.0) -> None:
        """Forget the stream; the next one is heard from media time ``position`` on."""
        self.detector.reset()
        self._queue: list[SpeechSegment] = []
        self._position = position
        self._audio_end = position
        self._final_until = position if position > 0 else -math.inf

    def read_from(self, position: float) -> float:
        """Where the audio must start for speech from ``position`` on: there (the VAD starts afresh)."""
        return position

    @property
    def final_until(self) -> float:
        """Every word said before this media time has been emitted."""
        return self._final_until

    @property
    def latency_s(self) -> float:
        """Most media time between a word and the moment it is final (decoding aside)."""
        return self.options.max_wait_s + self.detector.options.max_segment_s

    def push(self, chunk: AudioChunk) -> list[Transcript]:
        """Transcripts made final by ``chunk`` (16 kHz mono), in media-time order."""
        if chunk.end <= self._position:
            return []
        self._queue += [s for s in self.detector.push(chunk) if s.end > self._position]
        self._audio_end = max(self._audio_end, chunk.end)
        out: list[Transcript] = []
        if self._due():
            out = self._decode()
        self._advance()
        return out

    def flush(self) -> list[Transcript]:
        """The rest of the stream (end of stream): close the open segment and decode everything."""
        self._queue += [s for s in self.detector.flush() if s.end > self._position]
        out = self._decode()
        self._final_until = math.inf
        return out

    # ---- steps

    def _due(self) -> bool:
        if not self._queue:
            return False
        queued = sum(s.duration for s in self._queue)
        return queued >= self.options.fill_s or self._audio_end - self._queue[0].end >= self.options.max_wait_s

    def _decode(self) -> list[Transcript]:
        batch, self._queue = self._queue, []
        if not batch:
            return []
        return self.transcriber.transcribe(batch)

    def _advance(self) -> None:
        """Final up to the first speech not yet decoded: queued, or still open in the VAD."""
        pending = [s.start for s in self._queue]
        open_since = self.detector.open_since
        if open_since is not None:
            pending.append(open_since)
        # audio the VAD has not classified yet (a partial frame) may still open a segment
        self._final_until = max(self._final_until, min(pending) if pending else self.detector.classified_until)
