"""open_clip frame encoder with a text tower: frames and text queries in one vector space.

Frames are preprocessed with cv2 and numpy (never PIL), matching open_clip's own eval
transform (resize, centre crop, normalise) within interpolation differences.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import perception.torchvision_compat  # noqa: F401 - must precede the first open_clip import

import numpy as np
import open_clip
import torch

from perception.devices import pick_device
from perception.encoders.base import FrameEncoder, l2_normalize
from perception.encoders.clip_weights import WeightsSource, load_state_dict, resolve_weights
from perception.encoders.frames import as_rgb_frame, resize
from perception.errors import BadCheckpoint, UnknownComponent, WeightsUnavailable
from perception.options import build_options

logger = logging.getLogger(__name__)

MODEL_CONFIGS = Path(__file__).parent / "model_configs"
#: the tiny architecture of the `test` profile: real code paths at almost no cost
TINY_MODEL = "mnemo-tiny-clip"
open_clip.add_model_config(MODEL_CONFIGS)

_PRECISIONS = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
# tag config keys that override the model's image preprocessing
_PREPROCESS_KEYS = ("mean", "std", "interpolation", "resize_mode", "fill_color")
_EXAMPLE_MODELS = ("ViT-B-32", "ViT-B-16", "ViT-L-14", "ViT-H-14", "convnext_base_w", TINY_MODEL)


@dataclass(frozen=True)
class OpenClipOptions:
    # open_clip architecture name (see open_clip.list_models()), e.g. "ViT-B-32"
    model: str = "ViT-B-32"
    # pretrained tag of that architecture, e.g. "openai", "laion2b_s34b_b79k"; None for none
    pretrained: str | None = None
    # local weights file (.safetensors, .pt, .pth, .bin); wins over the tag's cache and download
    checkpoint: str | None = None
    # where downloaded weights live; None uses open_clip's and Hugging Face's default caches
    cache_dir: str | None = None
    # "auto" (cuda when available, else cpu), "cpu", "cuda", "cuda:1", ...
    device: str = "auto"
    # frames (or texts) per forward pass
    batch_size: int = 64
    # compute precision on cuda: "fp32", "fp16" or "bf16"; always fp32 on cpu
    precision: str = "fp32"
    # download the tag's weights when they are not cached and the hub is reachable
    allow_download: bool = False
    # with neither pretrained nor checkpoint, build random weights (tests) instead of failing
    allow_random: bool = False
    # torch seed for random weights, so that a random model is the same in every process
    seed: int = 0

    def __post_init__(self) -> None:
        if self.precision not in _PRECISIONS:
            raise ValueError(f"precision={self.precision!r}: expected one of {', '.join(_PRECISIONS)}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size={self.batch_size}: expected a positive number of items")
        if not self.model:
            raise ValueError("model='': expected an open_clip architecture name, e.g. 'ViT-B-32'")


class OpenClipEncoder(FrameEncoder):
    """Any open_clip model: weights from a checkpoint, the cache, or (if allowed) a download."""

    def __init__(self, **options) -> None:
        self.options = build_options(OpenClipOptions, "frame encoder 'openclip'", options)
        opts = self.options
        _check_model_name(opts.model)
        self.device = pick_device(opts.device)
        self._dtype = _pick_dtype(opts.precision, self.device)
        source = resolve_weights(
            opts.model, opts.pretrained, opts.checkpoint, opts.cache_dir, opts.allow_download, opts.allow_random
        )
        self.model = _build_model(opts.model, source, opts.seed).to(self.device).eval()
        self.space = f"openclip:{opts.model}:{source.label}"
        self.dim = int(open_clip.get_model_config(opts.model)["embed_dim"])
        self._preprocess = _Preprocess.from_model(self.model, self.device)
        self.frame_size = self._preprocess.frame_size
        self._tokenizer: Any = None
        logger.info("open_clip encoder %s on %s (%s)", self.space, self.device, str(self._dtype).split(".")[-1])

    @property
    def supports_text(self) -> bool:
        return True

    def encode_frames(self, images: Sequence[np.ndarray]) -> np.ndarray:
        chunks = []
        for start in range(0, len(images), self.options.batch_size):
            batch = images[start : start + self.options.batch_size]
            pixels = self._preprocess(batch, first_index=start)
            with torch.inference_mode(), self._autocast():
                chunks.append(self.model.encode_image(pixels).float().cpu().numpy())
        return self._finish(chunks)

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        tokenizer = self._get_tokenizer()
        chunks = []
        for start in range(0, len(texts), self.options.batch_size):
            tokens = tokenizer(list(texts[start : start + self.options.batch_size])).to(self.device)
            with torch.inference_mode(), self._autocast():
                chunks.append(self.model.encode_text(tokens).float().cpu().numpy())
        return self._finish(chunks)

    def _finish(self, chunks: list[np.ndarray]) -> np.ndarray:
        if not chunks:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalize(np.concatenate(chunks))

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self._dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self._dtype)

    def _get_tokenizer(self) -> Any:
        if self._tokenizer is None:
            try:
                self._tokenizer = open_clip.get_tokenizer(self.options.model, cache_dir=self.options.cache_dir)
            except OSError as error:
                raise WeightsUnavailable(
                    f"the tokenizer of open_clip model {self.options.model!r} is not available offline: {error}"
                ) from error
        return self._tokenizer


def _check_model_name(model: str) -> None:
    known = open_clip.list_models()
    if model not in known:
        examples = [name for name in _EXAMPLE_MODELS if name in known]
        raise UnknownComponent(
            f"unknown open_clip model {model!r}; available: {', '.join(examples)}, ... "
            f"({len(known)} in all, see open_clip.list_models())"
        )


def _pick_dtype(precision: str, device: torch.device) -> torch.dtype:
    if device.type == "cpu" and precision != "fp32":
        logger.info("precision=%s runs as fp32 on cpu", precision)
        return torch.float32
    return _PRECISIONS[precision]


def _build_model(model: str, source: WeightsSource, seed: int) -> torch.nn.Module:
    """The architecture on cpu, fp32, with the source's weights (or seeded random ones)."""
    overrides = {k: source.tag_cfg[k] for k in _PREPROCESS_KEYS if k in source.tag_cfg}
    try:
        # seeded without disturbing the caller's random state; the model is built on cpu
        with torch.random.fork_rng(devices=[]), _quiet_random_init_warning():
            torch.manual_seed(seed)
            net = open_clip.create_model(
                model,
                pretrained=None,
                device="cpu",
                force_quick_gelu=bool(source.tag_cfg.get("quick_gelu", False)),
                force_preprocess_cfg=overrides or None,
                pretrained_image=False,
                pretrained_text=False,
            )
    except OSError as error:  # an HF text tower whose config is not cached
        raise WeightsUnavailable(
            f"open_clip model {model!r} needs files that are not available offline: {error}"
        ) from error
    if source.path is None:
        logger.warning("open_clip model %r has random weights (seed %d): for tests only", model, seed)
    else:
        _load_weights(net, source.path)
    return net


def _load_weights(net: torch.nn.Module, path: str) -> None:
    """Load a checkpoint file into ``net`` strictly, after open_clip's format fix-ups."""
    from open_clip.convert import convert_state_dict
    from open_clip.model import resize_pos_embed, resize_text_pos_embed

    state = convert_state_dict(net, load_state_dict(path))
    for key in ("logit_scale", "logit_bias"):
        own = getattr(net, key, None)
        if key in state and own is not None and state[key].ndim != own.ndim:
            state[key] = state[key].reshape(own.shape)
    resize_pos_embed(state, net)
    resize_text_pos_embed(state, net)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise BadCheckpoint(f"checkpoint {path!r} does not fit the model: {error}") from error
    logger.info("loaded weights from %s", path)


@contextlib.contextmanager
def _quiet_random_init_warning() -> Iterator[None]:
    """Drop open_clip's "initialized randomly" root-logger warning: weights are loaded next."""

    def keep(record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("No pretrained weights loaded")

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


class _Preprocess:
    """open_clip's eval transform with cv2: resize, centre crop (or pad), normalise, batch."""

    def __init__(self, size: tuple[int, int], cfg: dict[str, Any], device: torch.device) -> None:
        self.size = size  # (height, width) the model takes
        self.frame_size = min(size)
        self.resize_mode = cfg.get("resize_mode", "shortest")
        self.interpolation = cfg.get("interpolation", "bicubic")
        self.fill = int(cfg.get("fill_color", 0))
        self.device = device
        self.mean = torch.tensor(cfg["mean"], dtype=torch.float32, device=device).view(1, 3, 1, 1) * 255.0
        self.std = torch.tensor(cfg["std"], dtype=torch.float32, device=device).view(1, 3, 1, 1) * 255.0
        if self.resize_mode not in ("shortest", "longest", "squash"):
            raise ValueError(f"resize_mode={self.resize_mode!r}: expected 'shortest', 'longest' or 'squash'")

    @classmethod
    def from_model(cls, net: torch.nn.Module, device: torch.device) -> "_Preprocess":
        from open_clip.model import get_model_preprocess_cfg

        cfg = dict(get_model_preprocess_cfg(net))
        size = cfg.get("size", 224)
        size = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
        return cls(size, cfg, device)

    def __call__(self, images: Sequence[np.ndarray], first_index: int = 0) -> torch.Tensor:
        batch = np.stack([self.fit(as_rgb_frame(first_index + i, im)) for i, im in enumerate(images)])
        pixels = torch.from_numpy(batch).to(self.device).permute(0, 3, 1, 2).float()
        return (pixels - self.mean) / self.std

    def fit(self, image: np.ndarray) -> np.ndarray:
        """One frame resized and cropped to exactly the model's input size."""
        height, width = self.size
        if self.resize_mode == "squash":
            return resize(image, height, width, self.interpolation)
        new_h, new_w = self._resized_shape(image.shape[0], image.shape[1])
        return _center_crop_or_pad(resize(image, new_h, new_w, self.interpolation), height, width, self.fill)

    def _resized_shape(self, h: int, w: int) -> tuple[int, int]:
        """The size torchvision's Resize / open_clip's ResizeKeepRatio would give."""
        height, width = self.size
        if self.resize_mode == "shortest" and height == width:
            if h <= w:  # torchvision truncates the longer side
                return height, int(height * w / h)
            return int(width * h / w), width
        ratios = (h / height, w / width)
        ratio = max(ratios) if self.resize_mode == "longest" else min(ratios)
        return round(h / ratio), round(w / ratio)


def _center_crop_or_pad(image: np.ndarray, height: int, width: int, fill: int) -> np.ndarray:
    """Centre crop to height x width, padding with ``fill`` first where the image is smaller."""
    h, w = image.shape[:2]
    if h < height or w < width:
        top, left = max(height - h, 0) // 2, max(width - w, 0) // 2
        padded = np.full((max(h, height), max(w, width), 3), fill, dtype=image.dtype)
        padded[top : top + h, left : left + w] = image
        image, h, w = padded, padded.shape[0], padded.shape[1]
    top = int(round((h - height) / 2.0))
    left = int(round((w - width) / 2.0))
    return image[top : top + height, left : left + width]
