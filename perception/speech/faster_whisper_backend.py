"""faster-whisper (CTranslate2) behind :class:`Transcriber`, where the package is installed.

Models by name ("small", "large-v3", "turbo", ...) from the Hugging Face cache or a download
root, or a local directory holding a converted CTranslate2 model. Without ``allow_download``
nothing is fetched: a model that is not on disk raises WeightsUnavailable at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from perception.errors import WeightsUnavailable
from perception.options import build_options
from perception.speech.asr import Transcriber, Transcript, Word, min_samples_for_asr
from perception.speech.vad import SpeechSegment

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FasterWhisperOptions:
    # model name ("tiny", "small", "large-v3", "turbo", ...) or a local CTranslate2 model directory
    model: str = "small"
    # where models are looked for (and downloaded to); None: the Hugging Face cache
    download_root: str | None = None
    # fetch a model that is not on disk
    allow_download: bool = False
    # "auto", "cpu", "cuda"
    device: str = "auto"
    # CTranslate2 compute type: "default", "int8", "float16", "int8_float16", ...
    compute_type: str = "default"
    # spoken language; None detects it per segment
    language: str | None = None
    # "transcribe" or "translate"
    task: str = "transcribe"
    # beam width
    beam_size: int = 5
    # word-level timestamps
    word_timestamps: bool = True
    # CPU threads (0: CTranslate2's default)
    cpu_threads: int = 0

    def __post_init__(self) -> None:
        if self.task not in ("transcribe", "translate"):
            raise ValueError(f"FasterWhisperOptions.task={self.task!r}: expected 'transcribe' or 'translate'")
        if self.beam_size < 1:
            raise ValueError(f"FasterWhisperOptions.beam_size={self.beam_size!r}: expected >= 1")


class FasterWhisperTranscriber(Transcriber):
    """faster-whisper: the same interface, several times faster on CPU with int8."""

    def __init__(self, **options) -> None:
        self.options = build_options(FasterWhisperOptions, "transcriber 'faster-whisper'", options)
        try:
            from faster_whisper import WhisperModel
        except ImportError as error:
            raise ImportError(
                "transcriber 'faster-whisper' needs the faster-whisper package: pip install faster-whisper "
                "(or use the 'whisper' transcriber)"
            ) from error
        opts = self.options
        try:
            self.model = WhisperModel(opts.model, device=opts.device, compute_type=opts.compute_type,
                                      download_root=opts.download_root, local_files_only=not opts.allow_download,
                                      cpu_threads=opts.cpu_threads)
        except (OSError, ValueError, RuntimeError) as error:
            where = opts.download_root or "the Hugging Face cache"
            raise WeightsUnavailable(
                f"faster-whisper model {opts.model!r} is not available in {where}: {error}. Fix: pass a local "
                "CTranslate2 model directory as model=, or download_root=<dir holding it>, or "
                "allow_download=True where the hub is reachable."
            ) from error
        self.name = f"faster-whisper:{opts.model}"

    def transcribe(self, segments: Sequence[SpeechSegment], prompt: str | None = None) -> list[Transcript]:
        transcripts: list[Transcript] = []
        for segment in segments:
            if len(segment.samples) >= min_samples_for_asr(segment.sample_rate):
                transcripts += self._transcribe_one(segment, prompt)
        return sorted(transcripts, key=lambda t: (t.start, t.end))

    def detect_language(self, samples: np.ndarray) -> dict[str, float]:
        _, info = self.model.transcribe(np.asarray(samples, dtype=np.float32), task=self.options.task,
                                        without_timestamps=True, max_new_tokens=1)
        return dict(info.all_language_probs or [(info.language, info.language_probability)])

    def _transcribe_one(self, segment: SpeechSegment, prompt: str | None) -> list[Transcript]:
        opts = self.options
        pieces, info = self.model.transcribe(
            np.asarray(segment.samples, dtype=np.float32), language=opts.language, task=opts.task,
            beam_size=opts.beam_size, word_timestamps=opts.word_timestamps, initial_prompt=prompt,
            condition_on_previous_text=False, vad_filter=False,
        )
        return [self._to_transcript(segment, piece, info) for piece in pieces if piece.text.strip()]

    def _to_transcript(self, segment: SpeechSegment, piece: Any, info: Any) -> Transcript:
        def clamp(t: float) -> float:
            return min(max(segment.start + float(t), segment.start), segment.end)

        words = tuple(Word(w.word, clamp(w.start), max(clamp(w.end), clamp(w.start)), float(w.probability))
                      for w in (piece.words or ()))
        start, end = clamp(piece.start), max(clamp(piece.end), clamp(piece.start))
        if words:
            start, end = min(start, words[0].start), max(end, words[-1].end)
        return Transcript(
            stream=segment.stream, start=start, end=end, text=piece.text.strip(), language=info.language,
            words=words, avg_logprob=float(piece.avg_logprob), no_speech_prob=float(piece.no_speech_prob),
            language_probability=float(info.language_probability) if self.options.language is None else float("nan"),
        )
