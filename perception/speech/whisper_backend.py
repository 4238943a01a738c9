"""openai-whisper behind :class:`Transcriber`: VAD segments decoded in batches, on media time.

Each segment (at most 30 s, as the VAD guarantees) becomes one padded mel window; the encoder
runs once per batch, languages are detected from the encoded audio, and segments of one
language are decoded together with whisper's ``decode`` (greedy or beam search at temperature 0,
then higher temperatures for the segments that fail whisper's quality checks). Timestamp tokens
split a segment into sentences; word times come from whisper's cross-attention alignment.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np
import torch

from perception.devices import pick_device
from perception.errors import UnknownComponent
from perception.options import build_options
from perception.speech.asr import Transcriber, Transcript, Word, min_samples_for_asr
from perception.speech.vad import SpeechSegment
from perception.speech.whisper_weights import MODEL_DIMS, load_model, resolve_weights

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WhisperOptions:
    # official name ("tiny", "base", "small", "medium", "large-v3", "turbo", ...), the tiny test
    # model "mnemo-tiny-whisper", or a path to a whisper .pt checkpoint
    model: str = "small"
    # local whisper checkpoint ({"dims", "model_state_dict"}); wins over the cache
    checkpoint: str | None = None
    # where official weights are looked for (and downloaded to); None: ~/.cache/whisper
    download_root: str | None = None
    # download official weights that are not cached, when the host is reachable
    allow_download: bool = False
    # build random weights (tests) when no file is found, instead of failing
    allow_random: bool = False
    # torch seed of random weights
    seed: int = 0
    # "auto", "cpu", "cuda", "cuda:1"
    device: str = "auto"
    # spoken language ("en", "fr", ...); None detects it per segment
    language: str | None = None
    # "transcribe", or "translate" (to English)
    task: str = "transcribe"
    # segments per decoding batch
    batch_size: int = 8
    # beam width at temperature 0; None decodes greedily
    beam_size: int | None = None
    # temperatures tried in turn while a segment fails the quality checks below
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    # most tokens sampled per segment; None: whisper's default (224)
    sample_len: int | None = None
    # word-level timestamps (cross-attention alignment)
    word_timestamps: bool = True
    # a text compressing better than this (gzip) is repetitive: retry warmer
    compression_ratio_threshold: float | None = 2.4
    # a mean token log-probability under this is unreliable: retry warmer
    logprob_threshold: float | None = -1.0
    # a segment more likely silent than this (and unreliable) gives no transcript
    no_speech_threshold: float | None = 0.6
    # check an official file's SHA-256 before loading it
    verify_checksum: bool = True
    # fp16 on cuda (always fp32 on cpu)
    fp16: bool = True

    def __post_init__(self) -> None:
        if self.task not in ("transcribe", "translate"):
            raise ValueError(f"WhisperOptions.task={self.task!r}: expected 'transcribe' or 'translate'")
        if self.batch_size < 1:
            raise ValueError(f"WhisperOptions.batch_size={self.batch_size!r}: expected >= 1")
        if not self.temperatures or any(not 0 <= t <= 2 for t in self.temperatures):
            raise ValueError(f"WhisperOptions.temperatures={self.temperatures!r}: expected values in [0, 2]")
        if self.beam_size is not None and self.beam_size < 1:
            raise ValueError(f"WhisperOptions.beam_size={self.beam_size!r}: expected None or >= 1")
        if self.sample_len is not None and self.sample_len < 1:
            raise ValueError(f"WhisperOptions.sample_len={self.sample_len!r}: expected None or >= 1")


class WhisperTranscriber(Transcriber):
    """openai-whisper: any official model, a local checkpoint, or the tiny random test model."""

    def __init__(self, **options) -> None:
        options = {**options, "temperatures": tuple(options.get("temperatures", WhisperOptions.temperatures))}
        self.options = build_options(WhisperOptions, "transcriber 'whisper'", options)
        opts = self.options
        weights = resolve_weights(opts.model, opts.checkpoint, opts.download_root, opts.allow_download,
                                  opts.allow_random, opts.verify_checksum)
        model_name = opts.model if opts.model in MODEL_DIMS else "checkpoint"
        self.device = pick_device(opts.device)
        self.model = load_model(weights, opts.model if opts.model in MODEL_DIMS else "", opts.seed).to(self.device)
        self.fp16 = opts.fp16 and self.device.type == "cuda"  # weights stay fp32; whisper casts per layer
        self.name = f"whisper:{model_name}:{weights.label}"
        self._check_language(opts.language)
        logger.info("whisper transcriber %s on %s", self.name, self.device)

    # ---- the interface

    def transcribe(self, segments: Sequence[SpeechSegment], prompt: str | None = None) -> list[Transcript]:
        usable = [s for s in segments if len(s.samples) >= min_samples_for_asr(s.sample_rate)]
        transcripts: list[Transcript] = []
        for first in range(0, len(usable), self.options.batch_size):
            transcripts += self._transcribe_batch(usable[first : first + self.options.batch_size], prompt)
        return sorted(transcripts, key=lambda t: (t.start, t.end))

    def detect_language(self, samples: np.ndarray) -> dict[str, float]:
        mel, _ = self._mel(np.asarray(samples, dtype=np.float32))
        with torch.inference_mode():
            features = self.model.embed_audio(mel[None].to(self.device, self._dtype))
        return self._detect(features)[0][1]

    # ---- steps

    @property
    def _dtype(self) -> torch.dtype:
        return torch.float16 if self.fp16 else torch.float32

    def _transcribe_batch(self, segments: list[SpeechSegment], prompt: str | None) -> list[Transcript]:
        mels, frames = zip(*(self._mel(s.samples) for s in segments))
        mel = torch.stack(mels).to(self.device, self._dtype)
        with torch.inference_mode():
            features = self.model.embed_audio(mel)
        languages = self._languages(features)
        results: list[Any] = [None] * len(segments)
        for language in sorted({lang for lang, _ in languages}):
            rows = [i for i, (lang, _) in enumerate(languages) if lang == language]
            for row, result in zip(rows, self._decode_with_fallback(features[rows], language, prompt)):
                results[row] = result
        transcripts = []
        for segment, mel_i, n_frames, (language, probs), result in zip(segments, mels, frames, languages, results):
            if self._is_silence(result):
                logger.debug("no speech in %.2f-%.2f s of %s (p=%.2f)", segment.start, segment.end,
                             segment.stream, result.no_speech_prob)
                continue
            probability = probs.get(language, math.nan) if self.options.language is None else math.nan
            transcripts += self._to_transcripts(segment, mel_i, n_frames, language, probability, result)
        return transcripts

    def _mel(self, samples: np.ndarray) -> tuple[torch.Tensor, int]:
        """The padded 30 s log-mel window of ``samples`` and the number of frames holding audio."""
        from whisper.audio import N_FRAMES, N_SAMPLES, log_mel_spectrogram, pad_or_trim

        samples = samples[:N_SAMPLES]
        audio = torch.from_numpy(np.array(samples, dtype=np.float32))  # a copy: segments may be read-only views
        mel = log_mel_spectrogram(audio, self.model.dims.n_mels, padding=N_SAMPLES)
        n_frames = min(N_FRAMES, len(samples) // 160)
        return pad_or_trim(mel[:, :n_frames], N_FRAMES), n_frames

    def _languages(self, features: torch.Tensor) -> list[tuple[str, dict[str, float]]]:
        """(language, probabilities) per row: the given language, or whisper's detection."""
        if self.options.language is not None:
            return [(self.options.language, {})] * len(features)
        return self._detect(features)

    def _detect(self, features: torch.Tensor) -> list[tuple[str, dict[str, float]]]:
        """whisper's language identification per row (English for an English-only model)."""
        if not self.model.is_multilingual:
            return [("en", {"en": 1.0})] * len(features)
        from whisper.decoding import detect_language

        with torch.inference_mode():
            _, probabilities = detect_language(self.model, features, self._tokenizer("en"))
        return [(max(p, key=p.get), p) for p in probabilities]

    def _decode_with_fallback(self, features: torch.Tensor, language: str, prompt: str | None) -> list[Any]:
        """Decode rows at the first temperature; rows failing the checks again at the next ones."""
        from whisper.decoding import decode

        results: list[Any] = [None] * len(features)
        todo = list(range(len(features)))
        for temperature in self.options.temperatures:
            options = self._decoding_options(language, temperature, prompt)
            with torch.inference_mode():
                decoded = decode(self.model, features[todo], options)
            for row, result in zip(todo, decoded):
                results[row] = result
            todo = [row for row in todo if self._needs_fallback(results[row])]
            if not todo:
                break
        return results

    def _decoding_options(self, language: str, temperature: float, prompt: str | None) -> Any:
        from whisper.decoding import DecodingOptions

        opts = self.options
        return DecodingOptions(
            task=opts.task,
            language=language,
            temperature=temperature,
            sample_len=opts.sample_len,
            beam_size=opts.beam_size if temperature == 0 else None,
            prompt=prompt,
            fp16=self.fp16,
        )

    def _needs_fallback(self, result: Any) -> bool:
        opts = self.options
        failed = (opts.compression_ratio_threshold is not None
                  and result.compression_ratio > opts.compression_ratio_threshold) or \
                 (opts.logprob_threshold is not None and result.avg_logprob < opts.logprob_threshold)
        return failed and not self._is_silence(result)

    def _is_silence(self, result: Any) -> bool:
        opts = self.options
        return (opts.no_speech_threshold is not None and result.no_speech_prob > opts.no_speech_threshold
                and opts.logprob_threshold is not None and result.avg_logprob < opts.logprob_threshold)

    def _to_transcripts(self, segment: SpeechSegment, mel: torch.Tensor, n_frames: int, language: str,
                        probability: float, result: Any) -> list[Transcript]:
        """Sentences of one decoded segment, with words, shifted onto media time and clamped to it."""
        tokenizer = self._tokenizer(language)
        pieces = split_on_timestamps(result.tokens, tokenizer.timestamp_begin, segment.duration)
        if self.options.word_timestamps and pieces:
            self._add_words(pieces, tokenizer, mel, n_frames)
        transcripts = []
        for piece in pieces:
            text = tokenizer.decode([t for t in piece["tokens"] if t < tokenizer.eot]).strip()
            if not text:
                continue
            words = tuple(_clamp_word(segment, w) for w in piece.get("words", ()))
            start, end = _clamp_span(segment, piece["start"], piece["end"])
            if words:  # the sentence covers its words
                start, end = min(start, words[0].start), max(end, words[-1].end)
            transcripts.append(Transcript(
                stream=segment.stream, start=start, end=end, text=text, language=language, words=words,
                avg_logprob=float(result.avg_logprob), no_speech_prob=float(result.no_speech_prob),
                language_probability=float(probability),
            ))
        return transcripts

    def _add_words(self, pieces: list[dict], tokenizer: Any, mel: torch.Tensor, n_frames: int) -> None:
        from whisper.timing import add_word_timestamps

        for piece in pieces:
            piece["seek"] = 0
        with torch.inference_mode():
            add_word_timestamps(segments=pieces, model=self.model, tokenizer=tokenizer,
                                mel=mel.to(self.device, self._dtype), num_frames=n_frames,
                                last_speech_timestamp=0.0)

    def _tokenizer(self, language: str) -> Any:
        from whisper.tokenizer import get_tokenizer

        return get_tokenizer(self.model.is_multilingual, num_languages=self.model.num_languages,
                             language=language if self.model.is_multilingual else None, task=self.options.task)

    def _check_language(self, language: str | None) -> None:
        if language is None:
            return
        from whisper.tokenizer import LANGUAGES, TO_LANGUAGE_CODE

        if language not in LANGUAGES:
            if language.lower() in TO_LANGUAGE_CODE:
                self.options = replace(self.options, language=TO_LANGUAGE_CODE[language.lower()])
                return
            raise UnknownComponent(f"unknown language {language!r} for whisper; use a code such as "
                                   f"'en', 'fr', 'de' (known: {', '.join(sorted(LANGUAGES))})")


def split_on_timestamps(tokens: Sequence[int], timestamp_begin: int, duration: float,
                        precision: float = 0.02) -> list[dict]:
    """Sentences of a decoded token list, as whisper's own ``transcribe`` cuts them.

    Two consecutive timestamp tokens end one sentence and start the next; a trailing unfinished
    sentence runs to ``duration``. Times are seconds from the start of the segment.
    """
    tokens = list(tokens)
    is_time = [t >= timestamp_begin for t in tokens]
    cuts = [i + 1 for i in range(len(tokens) - 1) if is_time[i] and is_time[i + 1]]
    if not cuts:  # one sentence: from the start to its last timestamp, else to the end
        times = [(t - timestamp_begin) * precision for t, timed in zip(tokens, is_time) if timed]
        end = times[-1] if times and times[-1] > 0 else duration
        pieces = [{"start": 0.0, "end": end, "tokens": tokens}]
    else:
        if len(tokens) >= 2 and is_time[-1] and not is_time[-2]:  # a single timestamp ends the last sentence
            cuts.append(len(tokens))
        pieces, first = [], 0
        for cut in cuts:
            piece = tokens[first:cut]
            start = (piece[0] - timestamp_begin) * precision if is_time[first] else 0.0
            end = (piece[-1] - timestamp_begin) * precision if is_time[cut - 1] else duration
            pieces.append({"start": start, "end": max(end, start), "tokens": piece})
            first = cut
        if first < len(tokens):  # an unfinished sentence after the last timestamps: to the end
            start = (tokens[first] - timestamp_begin) * precision if is_time[first] else pieces[-1]["end"]
            pieces.append({"start": start, "end": max(duration, start), "tokens": tokens[first:]})
    return [p for p in pieces if any(t < timestamp_begin for t in p["tokens"])]


def _clamp_span(segment: SpeechSegment, start: float, end: float) -> tuple[float, float]:
    start = min(max(segment.start + float(start), segment.start), segment.end)
    end = min(max(segment.start + float(end), start), segment.end)
    return start, end


def _clamp_word(segment: SpeechSegment, word: dict) -> Word:
    start, end = _clamp_span(segment, word["start"], word["end"])
    return Word(word["word"], start, end, float(word["probability"]))
