"""Silero VAD (v5/v6) as a frame classifier: the ONNX model inside the ``silero-vad`` package.

The network reads 512-sample (32 ms) chunks of 16 kHz audio, each preceded by the 64 samples
before it, and carries a recurrent state from chunk to chunk: the classifier keeps both across
calls, so it works online on a stream of frames of any length. It runs on onnxruntime (one
thread); silero-vad's own Python code (which imports torch) is not imported. Frames of the
detector (10-30 ms) take the probability of the last chunk completed by their end (at most one
chunk late), with hysteresis: speech starts at ``probability`` and lasts down to 0.15 below it.
With ``gain_target_db`` the chunks are loudness-normalised before the network reads them
(:mod:`perception.speech.loudness`; the segments keep the audio as it was). With
``support_probability`` a frame is also speech when its probability reaches that lower value and
the energy detector (speech-band energies over the room's noise floor) calls it voiced: speech the
network hears as unlikely (heavy reverberation, a band-limited channel, a short "yeah") but which
rises over the noise; noise that rises over the floor without the network leaning to speech does not.
"""

from __future__ import annotations

import importlib.util
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np

from perception.errors import WeightsUnavailable
from perception.speech.loudness import LoudnessNormaliser
from perception.speech.vad import EnergyClassifier, FrameClassifier, VadOptions, register_vad
from streams.packets import AUDIO_RATE

logger = logging.getLogger(__name__)

_CHUNK, _CONTEXT = 512, 64  # samples the 16 kHz model reads per step, and of context before them
_MODEL_FILE = "silero_vad.onnx"
# speech probability thresholds per aggressiveness level (silero's own default is 0.5)
_THRESHOLDS = (0.3, 0.4, 0.5, 0.6)
_HYSTERESIS = 0.15  # speech continues until the probability falls this far below the threshold


def silero_model_path() -> Path:
    """Path of ``silero_vad/data/silero_vad.onnx``; WeightsUnavailable when the package is missing."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise WeightsUnavailable(
            "voice activity detector 'silero' needs the model inside the silero-vad package: "
            "pip install silero-vad (or use vad: energy)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / _MODEL_FILE
    if not path.is_file():
        raise WeightsUnavailable(f"voice activity detector 'silero': {path} is missing from the silero-vad package")
    return path


@lru_cache(maxsize=2)
def _session(path: str):
    """One onnxruntime session per model file, shared by every detector (the recurrent state is
    passed in and out of each call, so detectors do not interfere); it costs tens of ms to create,
    and ingest creates a detector per event."""
    try:
        import onnxruntime
    except ImportError as error:
        raise WeightsUnavailable("voice activity detector 'silero' needs onnxruntime: pip install onnxruntime") from error
    settings = onnxruntime.SessionOptions()
    settings.intra_op_num_threads = 1
    settings.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(path, sess_options=settings, providers=["CPUExecutionProvider"])


@register_vad("silero")
class SileroClassifier(FrameClassifier):
    """Silero VAD speech probabilities per 32 ms chunk, thresholded with hysteresis."""

    def __init__(self, options: VadOptions) -> None:
        super().__init__(options)
        self._session = _session(str(silero_model_path()))
        self.threshold = options.probability if options.probability is not None else _THRESHOLDS[options.aggressiveness]
        self.probabilities: list[float] = []  # every chunk's probability since the last reset (for inspection)
        self.normaliser = None if options.gain_target_db is None else LoudnessNormaliser(
            options.gain_target_db, options.max_gain_db, options.gain_release_db_s, options.gain_ceiling_db,
            options.noise_window_s, _CHUNK)
        self.support = None if options.support_probability is None else EnergyClassifier(options)
        self.reset()

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), np.float32)
        self._context = np.zeros(_CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)  # samples not yet in a complete chunk
        self._last = 0.0  # probability of the last complete chunk
        self._speaking = False
        self.probabilities = []
        if self.normaliser is not None:
            self.normaliser.reset()
        if self.support is not None:
            self.support.reset()

    def chunk_probability(self, chunk: np.ndarray) -> float:
        """Speech probability of the next 512 samples of the stream (advances the recurrent state)."""
        if self.normaliser is not None:
            chunk = self.normaliser(chunk)
        window = np.concatenate([self._context, chunk])[None].astype(np.float32, copy=False)
        out, self._state = self._session.run(
            None, {"input": window, "state": self._state, "sr": np.array(AUDIO_RATE, dtype=np.int64)}
        )
        self._context = window[0, -_CONTEXT:].copy()
        return float(out.reshape(-1)[0])

    def classify(self, frames: np.ndarray) -> np.ndarray:
        voiced = np.zeros(len(frames), dtype=bool)
        rises = self.support.classify(frames) if self.support is not None else np.zeros(len(frames), dtype=bool)
        for i, frame in enumerate(frames):
            self._pending = np.concatenate([self._pending, np.asarray(frame, np.float32)])
            while len(self._pending) >= _CHUNK:
                self._last = self.chunk_probability(self._pending[:_CHUNK])
                self.probabilities.append(self._last)
                self._pending = self._pending[_CHUNK:]
            if self._last >= self.threshold:
                self._speaking = True
            elif self._last < self.threshold - _HYSTERESIS:
                self._speaking = False
            voiced[i] = self._speaking or (rises[i] and self._last >= self.options.support_probability)
        return voiced
