"""Finding and safely loading open_clip weights: a local checkpoint, the cache, or a download.

Never waits on the network: the cache is read without it, and a download is tried only when
asked for and when the hub answers a TCP connect within a couple of seconds. Checkpoints are
read with safetensors or ``torch.load(weights_only=True)``, never with a full unpickler.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import socket
import threading
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import torch

from perception.errors import BadCheckpoint, UnknownComponent, WeightsUnavailable

logger = logging.getLogger(__name__)

#: seconds a reachability check of the download host may take before the host counts as down
CHECK_TIMEOUT_S = 2.0
# keys of OpenAI's TorchScript archives that are not parameters
_JIT_EXTRA_KEYS = ("input_resolution", "context_length", "vocab_size")


@dataclass(frozen=True)
class WeightsSource:
    """Where an encoder's weights come from."""

    # weights file to load; None builds a randomly initialised model
    path: str | None
    # names the weights in the vector space: the pretrained tag, a checkpoint digest, or "random"
    label: str
    # open_clip's pretrained config of the tag (mean/std, quick_gelu, ...); empty without a tag
    tag_cfg: dict[str, Any] = field(default_factory=dict)


def resolve_weights(
    model: str,
    pretrained: str | None,
    checkpoint: str | None,
    cache_dir: str | None,
    allow_download: bool,
    allow_random: bool,
) -> WeightsSource:
    """The weights to use, in order: checkpoint file, cache, download; else WeightsUnavailable."""
    tag_cfg = pretrained_cfg(model, pretrained) if pretrained else {}
    if checkpoint:
        path = Path(checkpoint).expanduser()
        if not path.is_file():
            raise WeightsUnavailable(f"open_clip model {model!r}: checkpoint {str(path)!r} does not exist")
        return WeightsSource(str(path), file_digest(path)[:8], tag_cfg)
    if not pretrained:
        if allow_random:
            return WeightsSource(None, "random")
        raise WeightsUnavailable(
            f"open_clip model {model!r}: no weights asked for (pretrained=None, checkpoint=None). "
            f"Fix: pass pretrained=<tag> (known: {', '.join(pretrained_tags(model)) or 'none'}) "
            "or checkpoint=<local file>; allow_random=True builds random weights, for tests only."
        )
    found, looked = find_cached(tag_cfg, cache_dir)
    if found:
        logger.info("open_clip %s/%s: weights from the cache at %s", model, pretrained, found)
        return WeightsSource(found, pretrained, tag_cfg)
    path = _download(model, pretrained, tag_cfg, cache_dir, allow_download, looked)
    return WeightsSource(path, pretrained, tag_cfg)


def pretrained_cfg(model: str, tag: str) -> dict[str, Any]:
    """open_clip's config of a pretrained tag, or UnknownComponent listing the model's tags."""
    from open_clip.pretrained import get_pretrained_cfg

    cfg = get_pretrained_cfg(model, tag)
    if not cfg:
        raise UnknownComponent(
            f"unknown pretrained tag {tag!r} for open_clip model {model!r}; "
            f"available: {', '.join(pretrained_tags(model)) or 'none (use checkpoint=<file>)'}"
        )
    return dict(cfg)


def pretrained_tags(model: str) -> list[str]:
    from open_clip.pretrained import list_pretrained_tags_by_model

    return list(list_pretrained_tags_by_model(model))


def find_cached(tag_cfg: dict[str, Any], cache_dir: str | None) -> tuple[str | None, list[str]]:
    """A weights file for the tag already on disk (no network), and the places looked at."""
    looked: list[str] = []
    if tag_cfg.get("file"):
        looked.append(tag_cfg["file"])
        if os.path.isfile(tag_cfg["file"]):
            return tag_cfg["file"], looked
    if tag_cfg.get("hf_hub"):
        found, where = _find_in_hf_cache(tag_cfg["hf_hub"], cache_dir)
        looked.append(where)
        if found:
            return found, looked
    if tag_cfg.get("url"):
        found, where = _find_in_url_cache(tag_cfg["url"], cache_dir)
        looked.append(where)
        if found:
            return found, looked
    return None, looked


def _find_in_hf_cache(hf_hub: str, cache_dir: str | None) -> tuple[str | None, str]:
    """Look up an 'org/repo/filename' entry the way open_clip downloads it, safetensors first."""
    from huggingface_hub import constants, try_to_load_from_cache
    from open_clip.constants import HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME

    repo_id, filename = os.path.split(hf_hub)
    filename = filename or HF_WEIGHTS_NAME
    candidates = [filename]
    if filename == HF_WEIGHTS_NAME:
        candidates.insert(0, HF_SAFE_WEIGHTS_NAME)
    elif filename.endswith((".bin", ".pth")):
        candidates.insert(0, filename[:-4] + ".safetensors")
    for name in candidates:
        found = try_to_load_from_cache(repo_id, name, cache_dir=cache_dir)
        if isinstance(found, str) and os.path.isfile(found):
            return found, f"{name} from {repo_id}"
    where = f"Hugging Face cache {cache_dir or constants.HF_HUB_CACHE} (repo {repo_id})"
    return None, where


def _find_in_url_cache(url: str, cache_dir: str | None) -> tuple[str | None, str]:
    """open_clip's URL download location, accepted when its SHA-256 prefix (if any) matches."""
    path = Path(cache_dir or "~/.cache/clip").expanduser() / os.path.basename(url)
    if not path.is_file():
        return None, str(path)
    expected = _expected_sha256(url)
    if expected and not file_digest(path).startswith(expected):
        logger.warning("ignoring %s: its SHA-256 does not match %s (a partial download?)", path, url)
        return None, f"{path} (checksum mismatch)"
    return str(path), str(path)


def _expected_sha256(url: str) -> str:
    """The checksum prefix open_clip encodes in its download URLs, '' when there is none."""
    filename = os.path.basename(url)
    if "openaipublic" in url:
        return url.split("/")[-2]
    if "mlfoundations" in url:
        return os.path.splitext(filename)[0].split("-")[-1]
    return ""


def _download(
    model: str,
    tag: str,
    tag_cfg: dict[str, Any],
    cache_dir: str | None,
    allow_download: bool,
    looked: list[str],
) -> str:
    """Download the tag's weights if allowed and the host answers; else WeightsUnavailable."""
    url = _download_url(tag_cfg)
    reason = _why_no_download(allow_download, url)
    if reason is None:
        from open_clip.pretrained import download_pretrained

        logger.info("open_clip %s/%s: downloading weights from %s", model, tag, url)
        try:
            return download_pretrained(tag_cfg, cache_dir=cache_dir)
        except (OSError, RuntimeError, ValueError) as error:
            reason = f"the download failed ({error})"
    raise WeightsUnavailable(
        f"no weights for open_clip model {model!r} with pretrained={tag!r}: not in "
        f"{' nor in '.join(looked) or 'any cache'}; {reason}. Fix: place a weights file and pass "
        "checkpoint=<path>, or point cache_dir (or HF_HUB_CACHE) at a cache holding these weights, "
        "or allow_download=True where the hub is reachable."
    )


def _download_url(tag_cfg: dict[str, Any]) -> str:
    """Where open_clip would download the tag from (it prefers the Hugging Face hub)."""
    from huggingface_hub import constants

    if tag_cfg.get("hf_hub"):
        endpoint = os.environ.get("HF_ENDPOINT") or constants.ENDPOINT
        return f"{endpoint.rstrip('/')}/{tag_cfg['hf_hub']}"
    return tag_cfg.get("url", "")


def _why_no_download(allow_download: bool, url: str) -> str | None:
    """None when a download may be tried, else why not."""
    if not allow_download:
        return "downloads are off (allow_download=False)"
    if not url:
        return "open_clip knows no download location for it"
    from huggingface_hub import constants

    if "huggingface" in url and constants.HF_HUB_OFFLINE:
        return "the Hugging Face hub is in offline mode (HF_HUB_OFFLINE was set when it was imported)"
    host, port = _connect_target(url)
    if not host_reachable(host, port, CHECK_TIMEOUT_S):
        return f"{host}:{port} is not reachable (no connection within {CHECK_TIMEOUT_S:g} s)"
    return None


def _connect_target(url: str) -> tuple[str, int]:
    """The host and port a download of ``url`` connects to first (the proxy, when one is set)."""
    parts = urlsplit(url)
    proxy = os.environ.get(f"{parts.scheme}_proxy".upper()) or os.environ.get(f"{parts.scheme}_proxy")
    if proxy:
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    default_port = 443 if parts.scheme == "https" else 80
    return parts.hostname or "", parts.port or default_port


def host_reachable(host: str, port: int, timeout: float = CHECK_TIMEOUT_S) -> bool:
    """Whether a TCP connect to host:port succeeds within ``timeout`` seconds, DNS included.

    The connect runs in a daemon thread, because name resolution ignores socket timeouts.
    """
    if not host:
        return False
    result: list[bool] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=attempt, name=f"reach-{host}", daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file, hex, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A checkpoint's tensors, without running pickled code.

    ``.safetensors`` through safetensors; other files through ``torch.load(weights_only=True)``
    (a TorchScript archive, as OpenAI ships, through ``torch.jit.load``). Unwraps ``state_dict``
    / ``model`` entries and strips DistributedDataParallel's ``module.`` prefix.
    """
    path = str(path)
    if path.endswith(".safetensors"):
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(path, device="cpu")
        except (SafetensorError, OSError) as error:
            raise BadCheckpoint(f"checkpoint {path!r} is not a readable safetensors file: {error}") from error
    if _is_torchscript(path):
        state = _load_torchscript(path)
    else:
        state = _load_pickle_safely(path)
    return _as_state_dict(state, path)


def _load_pickle_safely(path: str) -> Any:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise BadCheckpoint(
            f"refusing checkpoint {path!r}: it holds objects other than tensors and plain containers "
            f"({_unpickler_reason(error)}), and loading it would run pickled code. "
            "Save the weights with safetensors or as a plain state_dict."
        ) from error
    except (RuntimeError, OSError, EOFError, ValueError) as error:
        raise BadCheckpoint(f"checkpoint {path!r} cannot be read: {error}") from error


def _unpickler_reason(error: Exception) -> str:
    """The one line of torch's long weights-only error that names the offending object."""
    for line in str(error).splitlines():
        if "WeightsUnpickler error:" in line:
            return line.split("WeightsUnpickler error:", 1)[1].strip().split(". ")[0]
    return "unsupported content"


def _is_torchscript(path: str) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith("/constants.pkl") or name == "constants.pkl" for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _load_torchscript(path: str) -> dict[str, torch.Tensor]:
    """A TorchScript archive's parameters; TorchScript deserialisation runs no Python code."""
    try:
        with warnings.catch_warnings():  # torch deprecates jit.load, but OpenAI's files need it
            warnings.simplefilter("ignore", DeprecationWarning)
            state = torch.jit.load(path, map_location="cpu").state_dict()
    except RuntimeError as error:
        raise BadCheckpoint(f"TorchScript checkpoint {path!r} cannot be read: {error}") from error
    for key in _JIT_EXTRA_KEYS:
        state.pop(key, None)
    return state


def _as_state_dict(state: Any, path: str) -> dict[str, torch.Tensor]:
    for wrapper in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
    if not isinstance(state, dict) or not state:
        raise BadCheckpoint(f"checkpoint {path!r} holds no state dict (got {type(state).__name__})")
    not_tensors = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise BadCheckpoint(f"checkpoint {path!r}: entries are not tensors: {', '.join(map(str, not_tensors[:5]))}")
    return {(k[len("module."):] if k.startswith("module.") else k): v for k, v in state.items()}
