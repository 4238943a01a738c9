"""Finding and safely loading whisper models: a local checkpoint, the cache, or (if allowed) a download.

Never waits on the network: a name is looked up in the download root (whisper's own cache
layout, ``~/.cache/whisper/<file>.pt``), and a download is tried only when asked for and when
the host answers a TCP connect within a couple of seconds. Checkpoints are read with
``torch.load(weights_only=True)``, never with a full unpickler.
"""

from __future__ import annotations

import logging
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import torch

from perception.encoders.clip_weights import CHECK_TIMEOUT_S, file_digest, host_reachable
from perception.errors import BadCheckpoint, UnknownComponent, WeightsUnavailable

logger = logging.getLogger(__name__)

#: the `test` profile's model: whisper's real code paths at almost no cost (random weights)
TINY_TEST_MODEL = "mnemo-tiny-whisper"

_ENGLISH = 51864  # vocabulary of the English-only models
_MULTILINGUAL = 51865  # of the multilingual ones up to large-v2
_V3 = 51866  # of large-v3 and turbo (one more language)


def _dims(mels: int, state: int, heads: int, layers: int, vocab: int, text_layers: int | None = None) -> dict[str, int]:
    return dict(n_mels=mels, n_audio_ctx=1500, n_audio_state=state, n_audio_head=heads, n_audio_layer=layers,
                n_vocab=vocab, n_text_ctx=448, n_text_state=state, n_text_head=heads,
                n_text_layer=layers if text_layers is None else text_layers)


#: architectures, for random weights (tests) when a model's file is missing and allow_random is set
MODEL_DIMS: dict[str, dict[str, int]] = {
    TINY_TEST_MODEL: _dims(80, 32, 2, 1, _MULTILINGUAL),
    "tiny.en": _dims(80, 384, 6, 4, _ENGLISH), "tiny": _dims(80, 384, 6, 4, _MULTILINGUAL),
    "base.en": _dims(80, 512, 8, 6, _ENGLISH), "base": _dims(80, 512, 8, 6, _MULTILINGUAL),
    "small.en": _dims(80, 768, 12, 12, _ENGLISH), "small": _dims(80, 768, 12, 12, _MULTILINGUAL),
    "medium.en": _dims(80, 1024, 16, 24, _ENGLISH), "medium": _dims(80, 1024, 16, 24, _MULTILINGUAL),
    "large-v1": _dims(80, 1280, 20, 32, _MULTILINGUAL), "large-v2": _dims(80, 1280, 20, 32, _MULTILINGUAL),
    "large-v3": _dims(128, 1280, 20, 32, _V3), "large": _dims(128, 1280, 20, 32, _V3),
    "large-v3-turbo": _dims(128, 1280, 20, 32, _V3, 4), "turbo": _dims(128, 1280, 20, 32, _V3, 4),
}


@dataclass(frozen=True)
class WhisperWeights:
    """Where a whisper model's weights come from."""

    path: str | None  # checkpoint file; None builds random weights
    label: str  # names the weights: the model name, a checkpoint digest, or "random"
    alignment_heads: str | None  # name of the official model whose word-timing heads apply


def available_models() -> list[str]:
    """Official whisper names (files from OpenAI) and the tiny test model."""
    import whisper

    return [*whisper.available_models(), TINY_TEST_MODEL]


def default_download_root() -> Path:
    """whisper's own cache: ``$XDG_CACHE_HOME/whisper``, else ``~/.cache/whisper``."""
    cache = os.getenv("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "whisper"


def resolve_weights(
    model: str,
    checkpoint: str | None = None,
    download_root: str | None = None,
    allow_download: bool = False,
    allow_random: bool = False,
    verify_checksum: bool = True,
) -> WhisperWeights:
    """The weights to use, in order: checkpoint file, cache, download, random; else WeightsUnavailable."""
    import whisper

    if checkpoint or (model not in MODEL_DIMS and Path(model).expanduser().is_file()):
        path = Path(checkpoint or model).expanduser()
        if not path.is_file():
            raise WeightsUnavailable(f"whisper model {model!r}: checkpoint {str(path)!r} does not exist")
        heads = model if model in whisper._ALIGNMENT_HEADS else None
        return WhisperWeights(str(path), file_digest(path)[:8], heads)
    if model == TINY_TEST_MODEL:
        if not allow_random:
            raise WeightsUnavailable(f"whisper model {TINY_TEST_MODEL!r} has no weights: it is built with "
                                     "allow_random=True, for tests only")
        return WhisperWeights(None, "random", None)
    if model not in whisper._MODELS:
        raise UnknownComponent(
            f"unknown whisper model {model!r}; available: {', '.join(available_models())}, "
            "or a path to a whisper .pt checkpoint"
        )
    url = whisper._MODELS[model]
    root = Path(download_root).expanduser() if download_root else default_download_root()
    target = root / os.path.basename(url)
    if target.is_file() and (not verify_checksum or _checksum_ok(target, url)):
        logger.info("whisper %s: weights from %s", model, target)
        return WhisperWeights(str(target), model, model)
    reason = _why_no_download(allow_download, url)
    if reason is None:
        return WhisperWeights(_download(model, url, root), model, model)
    if allow_random:
        logger.warning("whisper %s: no weights at %s (%s); building random weights (tests only)", model, target, reason)
        return WhisperWeights(None, "random", model)
    found = " (its SHA-256 does not match: a partial download?)" if target.is_file() else ""
    download = "" if allow_download else ", or allow_download=True where the host is reachable"
    raise WeightsUnavailable(
        f"no weights for whisper model {model!r}: {str(target)!r} is absent{found}; {reason}. Fix: put "
        f"{os.path.basename(url)} in {str(root)!r} (or pass download_root=<dir holding it>), or pass "
        f"checkpoint=<path to a whisper .pt>{download}."
    )


def _checksum_ok(path: Path, url: str) -> bool:
    expected = url.split("/")[-2]
    if file_digest(path) == expected:
        return True
    logger.warning("ignoring %s: its SHA-256 does not match %s (a partial download?)", path, url)
    return False


def _why_no_download(allow_download: bool, url: str) -> str | None:
    if not allow_download:
        return "downloads are off (allow_download=False)"
    parts = urlsplit(url)
    proxy = os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")
    if proxy:
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    if not host_reachable(host, port, CHECK_TIMEOUT_S):
        return f"{host}:{port} is not reachable (no connection within {CHECK_TIMEOUT_S:g} s)"
    return None


def _download(model: str, url: str, root: Path) -> str:
    import whisper

    logger.info("whisper %s: downloading %s to %s", model, url, root)
    try:
        return whisper._download(url, str(root), in_memory=False)
    except (OSError, RuntimeError, ValueError) as error:
        raise WeightsUnavailable(f"whisper model {model!r}: the download from {url} failed: {error}") from error


def load_model(weights: WhisperWeights, model: str, seed: int = 0) -> Any:
    """A ``whisper.model.Whisper`` on cpu, fp32, with the weights (or seeded random ones)."""
    from whisper.model import ModelDimensions, Whisper

    if weights.path is None:
        net = _random_model(model, seed)
    else:
        checkpoint = _read_checkpoint(weights.path)
        net = Whisper(ModelDimensions(**checkpoint["dims"]))
        try:
            net.load_state_dict(checkpoint["model_state_dict"], strict=True)
        except RuntimeError as error:
            raise BadCheckpoint(f"whisper checkpoint {weights.path!r} does not fit its dims: {error}") from error
    if weights.alignment_heads:
        import whisper

        heads = whisper._ALIGNMENT_HEADS.get(weights.alignment_heads)
        if heads is not None and _fits_heads(net, weights.alignment_heads):
            net.set_alignment_heads(heads)
    return net.eval()


def _random_model(model: str, seed: int) -> Any:
    from whisper.model import ModelDimensions, Whisper

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = Whisper(ModelDimensions(**MODEL_DIMS[model]))
        # created uninitialised by whisper (checkpoints fill it): give it small random values
        torch.nn.init.normal_(net.decoder.positional_embedding, std=0.02)
    logger.warning("whisper model %r has random weights (seed %d): for tests only", model, seed)
    return net


def _fits_heads(net: Any, name: str) -> bool:
    dims = MODEL_DIMS.get(name)
    return dims is not None and dims["n_text_layer"] == net.dims.n_text_layer and dims["n_text_head"] == net.dims.n_text_head


def _read_checkpoint(path: str) -> dict[str, Any]:
    """A whisper checkpoint ``{"dims": {...}, "model_state_dict": {...}}``, read without running pickled code."""
    from whisper.model import ModelDimensions

    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise BadCheckpoint(
            f"refusing whisper checkpoint {path!r}: it holds objects other than tensors and plain containers, "
            "and loading it would run pickled code"
        ) from error
    except (RuntimeError, OSError, EOFError, ValueError) as error:
        raise BadCheckpoint(f"whisper checkpoint {path!r} cannot be read: {error}") from error
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("dims"), dict) \
            or not isinstance(checkpoint.get("model_state_dict"), dict):
        raise BadCheckpoint(f"{path!r} is not a whisper checkpoint: expected a dict with 'dims' and 'model_state_dict'")
    expected = set(ModelDimensions.__dataclass_fields__)
    if set(checkpoint["dims"]) != expected:
        raise BadCheckpoint(f"whisper checkpoint {path!r}: dims keys {sorted(checkpoint['dims'])}; "
                            f"expected {sorted(expected)}")
    return checkpoint


def save_checkpoint(net: Any, path: str | os.PathLike) -> None:
    """Write a model in whisper's own checkpoint format (loadable by ``whisper.load_model(path)``)."""
    from dataclasses import asdict

    torch.save({"dims": asdict(net.dims), "model_state_dict": net.state_dict()}, path)
