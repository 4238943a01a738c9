"""Online surprise-based event segmentation of an embedding stream, after EM-LLM.

Surprise at observation t is the negative log-likelihood of its unit vector x_t under an
isotropic Gaussian N(mu_t, sigma_t^2 I) around the normalised mean of the previous ``k``
vectors, with sigma_t^2 the mean squared prediction residual of the last ``tau`` steps.
A boundary is proposed where surprise exceeds ``mean + gamma * std`` of the last ``tau``
surprises (each entering that history clipped at ``history_clip`` standard deviations),
then moved within ``refine_window`` observations to the split that maximises the
modularity of the local cosine-similarity graph, and kept only if that split is more
modular than ``min_modularity`` (0: than no split at all). ``max_len`` forces a boundary,
``min_len`` forbids one. A segment is emitted once ``max(refine_window, 2)`` observations
past its proposal have been seen (the lag); memory is a bounded window of observations.

Other modalities (speech, entities, pose, screen text) join as named side channels: a scalar per observation (NaN:
no reading), z-scored against that channel's own last ``tau`` readings; the fused surprise is
the vision z-score plus ``weight * max(z, 0)`` of each channel in ``channels``. A proposal that
the side channels carry past ``channel_gamma`` on their own is anchored: the picture need not
change when the speaker does, so it is placed at the fused surprise's peak nearby and is never
rejected for modularity; a weaker one is an ordinary proposal that the picture must confirm.
Two channels are read from the vectors themselves (:mod:`memory.visual_channels`): ``trend``
(gradual transitions: the next ``trend_window`` observations against the ones before) and
``place`` (the next ones against each of the last ``place_memory``); weighted in ``channels``
like the others, but only the part of their z-score beyond ``visual_gate`` counts (they repeat
much of what the vision surprise sees), never anchoring, and they add ``trend_window - 1``
observations to the lag (the similarity graph refinement looks at stays as it was).

A proposal the modularity check rejects is kept where a still view with someone in it ends (``still_spread``: the
observations before it held still, a ``people`` reading says a person was in view, and the next ones depart from
them): an activity starting in front of a camera that holds still, which no block of its own follows.

Resume: every emitted :class:`Segment` carries the segmenter state as of its end boundary
(``Segment.state``, also :meth:`SurpriseSegmenter.state_dict` after the last one). A
segmenter rebuilt with :meth:`SurpriseSegmenter.from_state` and fed the observations from
that boundary on emits exactly the segments the uninterrupted segmenter would have.
"""

from __future__ import annotations

import io
import logging
import math
import zipfile
from collections import deque
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from memory.visual_channels import VISUAL_CHANNELS, VisualChannels

logger = logging.getLogger(__name__)

TURN_READING = "turn"  # the signal that drives turn_gate (not a fused channel): degrees turned in place
CROSSING_READING = "crossing"  # the signal that drives crossing_gate: seconds to the nearest area crossing
PEOPLE_READING = "people"  # the still-view rescue's condition: people in view just before (mean person boxes a frame)
MOVING_READING = "moving"  # > 0: someone in view moved on their own (a box grew or shrank at one world bearing)
POSE = "pose"  # the channel whose anchored cuts crossing_gate leaves alone
ENTITIES = "entities"  # the channel turn_gate silences while the camera turns ...
ENTRIES = "entries"  # ... and this one (people at the threshold of the camera's room: mnemo.segment_channels)
SWEPT = (ENTITIES, ENTRIES)  # channels whose readings a turning camera makes by sweeping people into view

_STATE_VERSION = 1
_STEP_WINDOW = 64  # time steps kept to estimate the median step (end of the final segment)
_TIME_SLACK = 1e-6  # seconds: observations this much before a resume point still count
_CHANNEL_WARMUP = 4  # readings a side channel needs before its z-scores count
_CHANNEL_STD_FLOOR = 0.1  # a side channel's spread is at least this share of (1 + |mean|)
_VISUAL_STD_FLOOR = 0.25  # a visual channel's spread is at least this share of its |mean| (readings ~ 0 when still)
_STILL_BEFORE = 3  # observations before a proposal the still-view rescue needs (the still view)
_STILL_AFTER = 2  # observations from the proposal on whose departure from the still view it reads
_STILL_FLOOR = 1e-4  # least spread of a still view (identical frames: a departure must still be a change)


@dataclass(frozen=True)
class SegmenterConfig:
    """How the stream is cut into events."""

    gamma: float = 1.0  # threshold multiplier: boundary where surprise > mean + gamma * std
    tau: int = 32  # surprise (and residual) history window, in observations
    k: int = 6  # predictor window: observations averaged to predict the next one
    min_len: float = 2.0  # shortest event, seconds of media time (> 0)
    max_len: float = 120.0  # longest event, seconds of media time; a boundary is forced there
    refine: bool = True  # move proposals to the most modular split nearby
    refine_window: int = 3  # observations either side of a proposal searched by refinement
    warmup: int = 8  # observations (global count) before any boundary can be proposed
    # a proposed (not forced) boundary is kept only if the modularity of its split of the
    # local similarity graph exceeds this; 0.0 = "more modular than no split"; None = keep all
    min_modularity: float | None = 0.0
    variance_floor: float = 1e-4  # floor of the mean squared residual ||x - mu||^2 (unit vectors)
    # surprises enter the tau history clipped at this z-score, so that one huge boundary does
    # not mask the next ones for tau steps; None = the plain window of EM-LLM
    history_clip: float | None = 3.0
    # side surprise channels fused with the vision surprise, {name: weight}; e.g. {"speech": 1.0}
    # (empty: vision alone). A channel missing from an observation counts as no reading.
    channels: Mapping[str, float] = field(default_factory=dict)
    # a boundary the side channels carry on their own (weighted z-scores summed above this) is
    # anchored: kept at the fused peak without the modularity check; below it, vision decides
    channel_gamma: float = 3.0
    # seconds at least between an anchored boundary and the boundary before or after it (min_len elsewhere):
    # a side channel that marks a change the picture shows too (the camera crossing into a room it saw
    # through the door a second before) gives one boundary, not two
    anchor_gap: float = 2.0
    # an anchored boundary goes to the picture's own surprise peak within refine_window when that passes
    # gamma (False: always to the fused peak, i.e. the side channel's reading)
    anchor_to_picture: bool = False
    # observations averaged on either side of an instant by the visual channels (trend, place);
    # they delay every decision by trend_window - 1 observations when one of them is weighted
    trend_window: int = 4
    place_memory: int = 20  # past observations the visual place channel compares the next ones with
    visual_gate: float = 2.0  # a visual channel adds weight * max(z - visual_gate, 0) to the fused surprise
    # seconds of analysed frames either side of an instant whose detections the entities channel
    # compares (mnemo.segment_channels); the ingest holds observations this long for it
    entity_window_s: float = 2.0
    # labels the entities channel counts (e.g. ("person",)); empty: every label the detectors give
    entity_labels: tuple[str, ...] = ()
    # True: the entities channel reads arrivals only (a label's mean count after an instant above its
    # mean before); False: arrivals and departures alike
    entity_arrivals: bool = False
    # metres: the entries channel counts a person placed this close to the boundary of the camera's map area
    # (either side: at its threshold); mnemo.segment_channels.RoomEntrySignal
    entry_margin_m: float = 1.0
    # metres: the entries channel leaves out a person at the threshold placed this much further out of the camera's
    # area than the nearest person placed in the previous analysed frame (someone stepping out through the doorway,
    # not coming in); None: everyone at the threshold counts
    entry_leaving_m: float | None = 0.2
    # least media seconds between two frames the screen channel reads (OCR, ~1 s a frame on 2 cores):
    # its cost bound (mnemo.screen_channel); it reads only frames where the screen changed and held still
    screen_interval_s: float = 2.0
    # gradual changes (a slow walk into another room): a split the modularity check rejects is kept when
    # the graph of the window's vectors less their mean ("centred": what every frame shares does not count)
    # splits more modularly than this at it; None: off. It must also pass the absolute gate below. Not tried
    # where a pose log and map cover the stream (the pose signal reads): there the pose channel finds rooms
    centred_modularity: float | None = None
    # the absolute gate of a centred split: 1 - cos between the mean vectors of its two sides must exceed
    # this and either side's own spread (mean 1 - cos of its vectors to their mean): compression noise
    # on a still picture is blocky once centred, but the two sides are nearly the same picture
    centred_distance: float = 0.05
    # degrees: where the camera turned in place more than this around an observation (the pose log's "turn"
    # reading, mnemo.segment_channels.PoseSignal), the picture changes because the camera turns, not the
    # scene: no proposal there unless the side channels anchor it, and the entities channel reads nothing
    # there (people swept into view are not arriving). None: off (and nothing changes without a pose log)
    turn_gate: float | None = None
    # the turn gate is lifted where the "moving" reading is > 0 (mnemo.segment_channels.RoomEntrySignal: a person's
    # box grew or shrank by half between two analysed frames at one bearing in the map, within 1 s): the scene
    # changed, not only the view (someone stepping out from behind a door frame, walking up). False: always gated
    turn_movers: bool = True
    # seconds: with a pose log and map areas, a proposal the side channels do not anchor is dropped this close
    # to the logged pose crossing into another area ("crossing" reading): the pose channel cuts at the crossing,
    # and what the picture shows around it is the walk through the doorway (the next room seen early, turns on
    # the way). None: off; inert unless the pose channel is weighted
    crossing_gate: float | None = None
    # someone in a still view starting to do something: a split the modularity check rejects is kept where the
    # observations before it held still (mean 1 - cos to their mean below this), a person was in view there (the
    # "people" reading, from a person detector), and the next observations depart from them by more than
    # still_ratio times that spread. None: off; inert without a people reading (no person detector)
    still_spread: float | None = None
    still_ratio: float = 10.0

    def __post_init__(self) -> None:
        _check(isinstance(self.channels, Mapping), "channels", self.channels, "a mapping of name to weight")
        for name, weight in self.channels.items():
            _check(isinstance(name, str) and name.isidentifier(), "channels", self.channels,
                   "channel names that are identifiers")
            _check(isinstance(weight, (int, float)) and not isinstance(weight, bool) and 0 <= weight < math.inf,
                   f"channels[{name!r}]", weight, "a finite weight >= 0")
        if isinstance(self.entity_labels, list):  # as a profile's YAML gives it
            object.__setattr__(self, "entity_labels", tuple(self.entity_labels))
        _check(isinstance(self.entity_labels, tuple) and all(isinstance(x, str) and x for x in self.entity_labels),
               "entity_labels", self.entity_labels, "a tuple of label names")
        _check(isinstance(self.entity_arrivals, bool), "entity_arrivals", self.entity_arrivals, "True or False")
        _check(isinstance(self.turn_movers, bool), "turn_movers", self.turn_movers, "True or False")
        for name in ("tau", "k", "refine_window", "warmup", "trend_window", "place_memory"):
            value = getattr(self, name)
            _check(isinstance(value, int) and not isinstance(value, bool), name, value, "an integer")
        for name in ("gamma", "min_len", "max_len", "variance_floor", "history_clip", "min_modularity",
                     "channel_gamma", "anchor_gap", "entity_window_s", "entry_margin_m", "entry_leaving_m",
                     "visual_gate",
                     "screen_interval_s", "centred_modularity",
                     "centred_distance", "turn_gate", "crossing_gate", "still_spread", "still_ratio"):
            value = getattr(self, name)
            if value is not None:
                _check(isinstance(value, (int, float)) and not isinstance(value, bool), name, value, "a number")
        _check(self.gamma >= 0 and math.isfinite(self.gamma), "gamma", self.gamma, "a finite number >= 0")
        _check(self.tau >= 2, "tau", self.tau, "an integer >= 2")
        _check(self.channel_gamma >= 0 and math.isfinite(self.channel_gamma), "channel_gamma", self.channel_gamma,
               "a finite number >= 0")
        _check(self.k >= 1, "k", self.k, "an integer >= 1")
        _check(0 <= self.anchor_gap < math.inf, "anchor_gap", self.anchor_gap, "seconds >= 0")
        _check(0 < self.min_len < math.inf, "min_len", self.min_len, "seconds > 0")
        _check(self.max_len > self.min_len, "max_len", self.max_len, f"seconds > min_len ({self.min_len})")
        _check(self.refine_window >= 0, "refine_window", self.refine_window, "an integer >= 0")
        _check(self.warmup >= 0, "warmup", self.warmup, "an integer >= 0")
        _check(0 < self.entity_window_s < math.inf, "entity_window_s", self.entity_window_s, "seconds > 0")
        _check(0 < self.entry_margin_m < math.inf, "entry_margin_m", self.entry_margin_m, "metres > 0")
        if self.entry_leaving_m is not None:
            _check(0 <= self.entry_leaving_m < math.inf, "entry_leaving_m", self.entry_leaving_m,
                   "None or metres >= 0")
        _check(0 <= self.screen_interval_s < math.inf, "screen_interval_s", self.screen_interval_s, "seconds >= 0")
        _check(self.visual_gate >= 0 and math.isfinite(self.visual_gate), "visual_gate", self.visual_gate,
               "a finite number >= 0")
        _check(self.trend_window >= 1, "trend_window", self.trend_window, "an integer >= 1")
        _check(self.place_memory >= self.trend_window, "place_memory", self.place_memory,
               f"an integer >= trend_window ({self.trend_window})")
        _check(self.variance_floor > 0, "variance_floor", self.variance_floor, "a number > 0")
        if self.history_clip is not None:
            _check(self.history_clip > 0, "history_clip", self.history_clip, "None or a number > 0")
        if self.centred_modularity is not None:
            _check(-0.5 <= self.centred_modularity < 1, "centred_modularity", self.centred_modularity,
                   "None or a number in [-0.5, 1)")
        if self.turn_gate is not None:
            _check(0 <= self.turn_gate < math.inf, "turn_gate", self.turn_gate, "None or degrees >= 0")
        if self.crossing_gate is not None:
            _check(0 <= self.crossing_gate < math.inf, "crossing_gate", self.crossing_gate, "None or seconds >= 0")
        if self.still_spread is not None:
            _check(0 < self.still_spread < 2, "still_spread", self.still_spread, "None or a number in (0, 2)")
        _check(1 <= self.still_ratio < math.inf, "still_ratio", self.still_ratio, "a finite number >= 1")
        _check(0 <= self.centred_distance < 2, "centred_distance", self.centred_distance, "a number in [0, 2)")
        if self.min_modularity is not None:
            _check(-0.5 <= self.min_modularity < 1, "min_modularity", self.min_modularity,
                   "None or a number in [-0.5, 1)")

    @property
    def visual_delay(self) -> int:
        """Observations the visual channels wait for past an instant (0 unless one is weighted)."""
        return self.trend_window - 1 if any(n in VISUAL_CHANNELS for n in self.channels) else 0

    @property
    def lookahead(self) -> int:
        """Observations past a proposal seen before it is resolved: the segmenter's lag."""
        return max(self.refine_window, 2) + self.visual_delay

    @property
    def history(self) -> int:
        """Observations kept: the similarity graph around a proposal, and a little slack."""
        return self.refine_window + 2 * self.lookahead + 2


def _check(ok: bool, name: str, value: object, expected: str) -> None:
    if not ok:
        raise ValueError(f"SegmenterConfig.{name} = {value!r}: expected {expected}")


@dataclass(frozen=True)
class Segment:
    """A span of observations [start_index, end_index) cut from the stream."""

    start_index: int  # global observation counter, inclusive
    end_index: int  # exclusive: the first observation of the next segment
    start: float  # media time of the first observation, seconds
    end: float  # media time of the next segment's first observation (final: last + median step)
    surprise: float  # z-score of the boundary at ``start``; 0 for the stream's first segment
    state: bytes = field(default=b"", repr=False, compare=False)  # resume state at ``end``; b"" for the final one

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class _Obs:
    index: int
    time: float
    vector: np.ndarray  # float32 unit vector
    step: float | None  # time since the previous observation
    residual: float | None  # ||x - mu||^2 against the prediction; None without a prediction
    surprise: float | None  # NLL; None while no residual history exists
    z: float  # fused surprise z-score against the previous tau surprises (0 when undefined)
    side: float = 0.0  # the given side channels' weighted positive z-scores, summed (anchoring)
    # the predictor, residual, surprise and step windows just before this observation:
    # what a segmenter resuming at this observation needs (shared references, no copies)
    before: tuple[tuple[np.ndarray, ...], tuple[float, ...], tuple[float, ...], tuple[float, ...]] = ()
    channels_before: dict[str, tuple[float, ...]] = field(default_factory=dict)  # side channel histories
    turning: bool = False  # the camera turned in place past turn_gate around it (no unanchored proposal)
    crossing: bool = False  # within crossing_gate seconds of an area crossing (no unanchored proposal)
    posed: bool = False  # a pose log and map cover it (a "crossing" reading): rooms are the pose channel's job
    people: float = math.nan  # people in view just before it (the "people" reading; NaN: no person detector)

    def fuse(self, z: float, weight: float) -> None:
        """Add one channel's z-score to the fused one: ``weight * max(z, 0)``."""
        self.z += weight * max(z, 0.0)


@dataclass
class _Proposal:
    index: int
    forced: bool  # max_len reached: never rejected, never moved
    anchored: bool = False  # side channels alone pass channel_gamma: placed at the fused peak, never rejected


class SurpriseSegmenter:
    """Cuts a stream of (time, embedding) observations into segments, online."""

    def __init__(self, config: SegmenterConfig | None = None) -> None:
        self.config = config or SegmenterConfig()
        c = self.config
        self._history: deque[_Obs] = deque(maxlen=c.history)
        self._predictor: deque[np.ndarray] = deque(maxlen=c.k)
        self._residuals: deque[float] = deque(maxlen=c.tau)
        self._surprises: deque[float] = deque(maxlen=c.tau)
        self._steps: deque[float] = deque(maxlen=_STEP_WINDOW)
        self._channels: dict[str, deque[float]] = {name: deque(maxlen=c.tau) for name in sorted(c.channels)}
        self._visual = VisualChannels(c.channels, c.trend_window, c.place_memory, keep=c.history)
        self._next_index = 0
        self._last_time: float | None = None
        self._dim: int | None = None
        self._boundary: tuple[int, float, float] | None = None  # (index, time, z) of the open segment's start
        self._anchored = False  # whether the open segment's start is an anchored boundary
        self._resume_time: float | None = None
        self._cursor = 0  # next observation to examine for a proposal
        self._pending: _Proposal | None = None
        self._closed = False
        self._state = self._encode_state(None)

    # ---------------------------------------------------------------- public
    def push(self, time: float, vector: np.ndarray, signals: Mapping[str, float] | None = None) -> list[Segment]:
        """Add one observation; returns the segments that became final (usually none).

        ``signals``: the side channels' readings at this observation ({name: value}; NaN or a
        missing name is no reading); channels the config does not weigh are ignored.
        """
        if self._closed:
            raise RuntimeError("SurpriseSegmenter.push after flush: create a new segmenter")
        time = float(time)
        if not math.isfinite(time):
            raise ValueError(f"observation time {time!r} is not finite")
        if self._resume_time is not None:
            if time < self._resume_time - _TIME_SLACK:
                logger.debug("dropping observation at %.3f s before the resume point %.3f s", time, self._resume_time)
                return []
            if time > self._resume_time + _TIME_SLACK:
                logger.warning("first observation after resume is at %.3f s, state expects %.3f s",
                               time, self._resume_time)
            self._resume_time = None
        if self._last_time is not None and time < self._last_time:
            raise ValueError(f"observation time {time} s goes back (previous {self._last_time} s)")
        self._observe(time, self._unit(vector, time), signals or {})
        return self._scan(flushing=False)

    def flush(self, end_time: float | None = None) -> list[Segment]:
        """End of stream: resolve what is pending and emit the final segment."""
        if self._closed:
            return []
        if end_time is not None and self._last_time is not None and end_time < self._last_time:
            raise ValueError(f"end_time {end_time} s is before the last observation at {self._last_time} s")
        self._closed = True
        out = self._scan(flushing=True)
        if self._boundary is None or not self._history or self._history[-1].index < self._boundary[0]:
            return out
        b_index, b_time, b_z = self._boundary
        last = self._history[-1]
        if end_time is None:
            end = last.time + (float(np.median(self._steps)) if self._steps else 0.0)
        else:
            end = float(end_time)
        out.append(Segment(b_index, last.index + 1, b_time, end, b_z))
        return out

    @property
    def last_surprise(self) -> float:
        """The surprise z-score of the latest observation (0.0 before there is a history)."""
        return float(self._history[-1].z) if self._history else 0.0

    def state_dict(self) -> bytes:
        """Resume state as of the last emitted boundary (npz bytes, no pickle)."""
        return self._state

    @classmethod
    def from_state(cls, config: SegmenterConfig | None, state: bytes) -> SurpriseSegmenter:
        """A segmenter that continues from ``state``; feed it observations from its boundary on."""
        seg = cls(config)
        if not state:
            return seg
        try:
            with np.load(io.BytesIO(state), allow_pickle=False) as z:
                arrays = {name: z[name] for name in z.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise ValueError(f"segmenter state is not readable ({len(state)} bytes): {exc}") from exc
        seg._load_state(arrays)
        seg._state = bytes(state)
        return seg

    # ------------------------------------------------------------ surprise
    def _unit(self, vector: np.ndarray, time: float) -> np.ndarray:
        x = np.asarray(vector, dtype=np.float64).reshape(-1)
        if self._dim is None:
            self._dim = x.size
        elif x.size != self._dim:
            raise ValueError(f"observation at {time} s has dim {x.size}, expected {self._dim}")
        norm = float(np.linalg.norm(x))
        if not (norm > 0 and math.isfinite(norm)):
            raise ValueError(f"observation at {time} s has norm {norm}: expected a finite non-zero vector")
        return (x / norm).astype(np.float32)

    def _observe(self, time: float, x: np.ndarray, signals: Mapping[str, float]) -> None:
        residual = surprise = None
        z = clipped = 0.0
        if self._predictor:
            mu = np.mean(np.stack(self._predictor).astype(np.float64), axis=0)
            mu /= max(float(np.linalg.norm(mu)), 1e-12)
            residual = float(np.sum((x.astype(np.float64) - mu) ** 2))
            if self._residuals:
                surprise = self._nll(residual)
                z, clipped = self._zscore(surprise)
        step = None if self._last_time is None else time - self._last_time
        before = (tuple(self._predictor), tuple(self._residuals), tuple(self._surprises), tuple(self._steps))
        channels_before = {name: tuple(h) for name, h in self._channels.items()}
        obs = _Obs(self._next_index, time, x, step, residual, surprise, z, 0.0, before, channels_before,
                   turning=self._turning(signals), crossing=self._crossing(signals), posed=_posed(signals),
                   people=_reading(signals, PEOPLE_READING))
        self._side_channels(obs, signals)
        if step is not None:
            self._steps.append(step)
        if residual is not None:
            self._residuals.append(residual)
        if surprise is not None:
            self._surprises.append(clipped)
        self._predictor.append(x)
        self._history.append(obs)
        self._read_visual(obs.index, x)
        self._last_time = time
        self._next_index += 1
        if self._boundary is None:  # the stream's first observation opens the first segment
            self._boundary = (obs.index, time, 0.0)
            self._cursor = obs.index + 1

    def _nll(self, residual: float) -> float:
        dim = self._dim or 1
        variance = max(float(np.mean(self._residuals)), self.config.variance_floor) / dim
        return 0.5 * (dim * math.log(2 * math.pi * variance) + residual / variance)

    def _turning(self, signals: Mapping[str, float]) -> bool:
        """Whether the camera turned in place past ``turn_gate`` around this observation, with nobody in view
        moving on their own there (``turn_movers``: the "moving" reading)."""
        gate, turn = self.config.turn_gate, signals.get(TURN_READING)
        if gate is None or turn is None or not math.isfinite(float(turn)) or not float(turn) > gate:
            return False
        return not (self.config.turn_movers and _reading(signals, MOVING_READING) > 0)

    def _crossing(self, signals: Mapping[str, float]) -> bool:
        """Whether the logged pose crosses into another area within ``crossing_gate`` seconds."""
        gate, seconds = self.config.crossing_gate, signals.get(CROSSING_READING)
        if gate is None or not self.config.channels.get(POSE) or seconds is None:
            return False  # without the pose channel nothing would cut at the crossing: no gate
        return float(seconds) <= gate

    def _side_channels(self, obs: _Obs, signals: Mapping[str, float]) -> None:
        """Fuse the given side channels' readings into the observation; their histories take them."""
        for name in self._channels:
            value = signals.get(name)
            if name in VISUAL_CHANNELS or value is None or not math.isfinite(float(value)):
                continue
            if obs.turning and name in SWEPT:  # things swept into view by the turning camera
                continue
            z = self._channel_z(name, float(value), _CHANNEL_STD_FLOOR, 1.0)
            if z is not None:
                weight = self.config.channels[name]
                obs.fuse(z, weight)
                obs.side += weight * max(z, 0.0)

    def _read_visual(self, index: int, x: np.ndarray) -> None:
        """The visual channels' readings of the observation they now see far enough past: added to its z."""
        read = self._visual.push(index, x)
        if read is None:
            return
        target, readings = read
        if target < self._history[0].index:  # before the resume point: read before the interruption
            return
        obs = self._obs(target)
        for name in self._visual.names:
            obs.channels_before[name] = tuple(self._channels[name])
            z = self._channel_z(name, readings[name], _VISUAL_STD_FLOOR, 0.0) if name in readings else None
            if z is not None:  # they repeat much of what the vision surprise sees: only a clear reading adds
                obs.fuse(z - self.config.visual_gate, self.config.channels[name])

    def _channel_z(self, name: str, value: float, floor: float, offset: float) -> float | None:
        """The z-score of a reading against its channel's history, which takes it (None while warming up).

        The history's spread is floored at ``floor * (offset + |mean|)``."""
        history = self._channels[name]
        z, kept = None, value
        if len(history) >= _CHANNEL_WARMUP:
            values = np.asarray(history, dtype=np.float64)
            mean = float(values.mean())
            std = max(float(values.std()), floor * (offset + abs(mean)), 1e-9)
            z = (value - mean) / std
            clip = self.config.history_clip
            kept = value if clip is None or z <= clip else mean + clip * std
        history.append(kept)
        return z

    def _zscore(self, surprise: float) -> tuple[float, float]:
        """The z-score of a surprise against the history, and the value the history keeps."""
        if len(self._surprises) < 2:
            return 0.0, surprise
        history = np.asarray(self._surprises, dtype=np.float64)
        mean = float(history.mean())
        std = max(float(history.std()), 1e-9 * (1.0 + abs(mean)))
        z = (surprise - mean) / std
        clip = self.config.history_clip
        return z, surprise if clip is None or z <= clip else mean + clip * std

    # ------------------------------------------------------------ decisions
    def _obs(self, index: int) -> _Obs:
        return self._history[index - self._history[0].index]

    def _scan(self, flushing: bool) -> list[Segment]:
        out: list[Segment] = []
        while self._boundary is not None:
            if self._pending is None and not self._propose(flushing):
                break
            assert self._pending is not None
            if not flushing and self._history[-1].index < self._pending.index + self.config.lookahead:
                break
            segment = self._resolve(self._pending)
            self._pending = None
            if segment is not None:
                out.append(segment)
        return out

    def _propose(self, flushing: bool = False) -> bool:
        """Examine observations from the cursor on (those the visual channels have read); set a pending
        proposal at the first one."""
        c = self.config
        assert self._boundary is not None
        b_index, b_time, _ = self._boundary
        last = self._history[-1].index - (0 if flushing else c.visual_delay)
        while self._cursor <= last:
            obs = self._obs(self._cursor)
            self._cursor += 1
            length = obs.time - b_time
            if length > c.max_len:
                forced_at = obs.index - 1 if obs.index - 1 > b_index else obs.index
                self._pending = _Proposal(forced_at, forced=True)
                return True
            anchored = obs.side > c.channel_gamma
            if (obs.turning or obs.crossing) and not anchored:
                continue
            shortest = max(c.min_len, c.anchor_gap) if anchored or self._anchored else c.min_len
            if obs.index >= c.warmup and length >= shortest and obs.z > c.gamma:
                self._pending = _Proposal(obs.index, forced=False, anchored=anchored)
                return True
        return False

    def _candidates(self, proposal: _Proposal) -> list[int]:
        c = self.config
        assert self._boundary is not None
        b_index, b_time, _ = self._boundary
        last = self._history[-1].index
        if proposal.forced or not c.refine:  # a forced boundary stays at max_len
            return [proposal.index]
        r = c.refine_window
        out = []
        for i in range(proposal.index - r, min(proposal.index + r, last) + 1):
            if i <= b_index:
                continue
            obs = self._obs(i)
            if not proposal.anchored and (obs.turning or obs.crossing):
                continue  # the gates hold for the split as for the proposal: refinement does not move a cut there
            length = obs.time - b_time
            if c.min_len <= length <= c.max_len:
                out.append(i)
        return out or [proposal.index]

    def _resolve(self, proposal: _Proposal) -> Segment | None:
        """Refine a proposal; emit the segment it closes, or reject it (None)."""
        c = self.config
        assert self._boundary is not None
        b_index, b_time, b_z = self._boundary
        ahead = c.lookahead - c.visual_delay  # the graph's extent does not depend on the channels' wait
        lo = max(b_index, proposal.index - c.refine_window - ahead, self._history[0].index)
        hi = min(self._history[-1].index, proposal.index + ahead)
        vectors = np.stack([self._obs(i).vector for i in range(lo, hi + 1)])
        candidates = self._candidates(proposal)
        scores = split_modularity(vectors, [i - lo for i in candidates])
        best = max(range(len(candidates)),
                   key=lambda j: (scores[j], -abs(candidates[j] - proposal.index), -candidates[j]))
        split, score = candidates[best], scores[best]
        if proposal.anchored:  # the picture's own peak nearby if it has one, else the fused one's
            split = self._anchor_split(candidates, proposal.index)
        elif not proposal.forced and c.min_modularity is not None and not score > c.min_modularity:
            proposed = self._obs(proposal.index)
            if self._still_onset(vectors, proposal.index - lo, proposed.people):
                split = proposal.index
            else:
                gradual = None if proposed.posed else \
                    self._centred_split(vectors, [i - lo for i in candidates], proposal.index - lo)
                if gradual is None:
                    logger.debug("boundary proposed at observation %d rejected: modularity %.4f", proposal.index, score)
                    return None
                split = gradual + lo
        end = self._obs(split)
        self._boundary = (split, end.time, end.z)
        self._anchored = proposal.anchored
        self._cursor = split + 1
        self._state = self._encode_state(split)
        return Segment(b_index, split, b_time, end.time, b_z, state=self._state)

    def _anchor_split(self, candidates: list[int], proposed: int) -> int:
        """Where an anchored boundary goes: where the picture changes most (its surprise without the side
        channels) when it passes ``gamma`` nearby (a side channel may read the change a little early or late:
        a drifting pose log), else the fused surprise's peak (the picture need not change at all)."""
        c = self.config

        def closeness(i: int) -> tuple[float, int]:
            return -abs(i - proposed), -i

        picture = max(candidates, key=lambda i: (self._obs(i).z - self._obs(i).side, *closeness(i)))
        if c.anchor_to_picture and self._obs(picture).z - self._obs(picture).side > c.gamma:
            return picture
        return max(candidates, key=lambda i: (self._obs(i).z, *closeness(i)))

    def _still_onset(self, vectors: np.ndarray, proposed: int, people: float) -> bool:
        """Whether a rejected proposal ends a still view with someone in it (``still_spread``): the observations
        before it (at least 3 of the graph's window) held still, a person was in view, and the next two depart
        from them by more than ``still_ratio`` times their spread. The change that follows is often no block
        of its own (the person walks off, the camera turns after them), so the modularity check rejects it."""
        c = self.config
        if c.still_spread is None or not people > 0 or proposed < _STILL_BEFORE:
            return False
        x = np.asarray(vectors, dtype=np.float64)
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        mean = x[:proposed].mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        spread = float(np.mean(1.0 - x[:proposed] @ mean))
        departure = float(np.mean(1.0 - x[proposed:proposed + _STILL_AFTER] @ mean))
        return spread < c.still_spread and departure > c.still_ratio * max(spread, _STILL_FLOOR)

    def _centred_split(self, vectors: np.ndarray, splits: list[int], proposed: int) -> int | None:
        """The split of a gradual change, when ``centred_modularity`` is set and one passes both gates."""
        c = self.config
        if c.centred_modularity is None:
            return None
        scores = split_modularity(centred(vectors), splits)
        best = max(range(len(splits)), key=lambda j: (scores[j], -abs(splits[j] - proposed), -splits[j]))
        split = splits[best]
        if not scores[best] > c.centred_modularity:
            return None
        distance, spread = side_distance(vectors, split)
        return split if distance > c.centred_distance and distance > spread else None

    # ------------------------------------------------------------ state
    def _encode_state(self, at: int | None) -> bytes:
        """The state a fresh segmenter needs to continue from observation ``at`` (None: the start)."""
        if at is None:
            return b""
        obs = self._obs(at)
        vectors, residuals, surprises, steps = obs.before
        last_time = math.nan if obs.step is None else obs.time - obs.step
        buf = io.BytesIO()
        np.savez(
            buf,
            version=np.int64(_STATE_VERSION),
            index=np.int64(at),
            times=np.array([obs.time, obs.z, last_time], dtype=np.float64),
            predictor=np.stack(vectors) if vectors else np.zeros((0, obs.vector.size), np.float32),
            residuals=np.asarray(residuals, dtype=np.float64),
            surprises=np.asarray(surprises, dtype=np.float64),
            steps=np.asarray(steps, dtype=np.float64),
            visual=self._visual.past(at),
            anchored=np.bool_(self._anchored),
            **{f"channel_{name}": np.asarray(h, dtype=np.float64) for name, h in obs.channels_before.items()},
        )
        return buf.getvalue()

    def _load_state(self, arrays: dict[str, np.ndarray]) -> None:
        try:
            version = int(arrays["version"])
            if version != _STATE_VERSION:
                raise ValueError(f"segmenter state version {version}, this code reads {_STATE_VERSION}")
            index = int(arrays["index"])
            b_time, b_z, last_time = (float(v) for v in arrays["times"])
            predictor = np.asarray(arrays["predictor"], dtype=np.float32)
            residuals, surprises, steps = arrays["residuals"], arrays["surprises"], arrays["steps"]
        except KeyError as exc:
            raise ValueError(f"segmenter state lacks {exc}") from exc
        if predictor.ndim != 2:
            raise ValueError(f"segmenter state predictor has shape {predictor.shape}, expected (n, dim)")
        self._dim = predictor.shape[1] if len(predictor) else None
        self._predictor.extend(predictor)
        self._residuals.extend(float(v) for v in residuals)
        self._surprises.extend(float(v) for v in surprises)
        self._steps.extend(float(v) for v in steps)
        for name, history in self._channels.items():  # absent from older states: an empty history
            history.extend(float(v) for v in arrays.get(f"channel_{name}", ()))
        visual = np.asarray(arrays.get("visual", np.zeros((0, 0))), dtype=np.float32)
        if len(visual):
            self._visual.load(index, visual)
        self._next_index = index
        self._last_time = None if math.isnan(last_time) else last_time
        self._boundary = (index, b_time, b_z)
        self._anchored = bool(arrays.get("anchored", False))  # absent from older states: not anchored
        self._cursor = index + 1
        self._resume_time = b_time


def _reading(signals: Mapping[str, float], name: str) -> float:
    """A reading that is no fused channel (NaN when absent)."""
    value = signals.get(name)
    return math.nan if value is None else float(value)


def _posed(signals: Mapping[str, float]) -> bool:
    """Whether the pose signal reads at this observation (a stored pose log and map cover it)."""
    seconds = signals.get(CROSSING_READING)
    return seconds is not None and not math.isnan(float(seconds))


def centred(vectors: np.ndarray) -> np.ndarray:
    """Unit vectors less their mean: what every one of them shares does not count."""
    x = np.asarray(vectors, dtype=np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return x - x.mean(axis=0)


def side_distance(vectors: np.ndarray, split: int) -> tuple[float, float]:
    """(1 - cos between the mean vectors of [:split] and [split:], the larger side's spread: the mean
    1 - cos of its vectors to its own mean)."""
    x = np.asarray(vectors, dtype=np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    means, spreads = [], []
    for side in (x[:split], x[split:]):
        if not len(side):
            return 0.0, 0.0
        mean = side.mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        means.append(mean)
        spreads.append(float(np.mean(1.0 - side @ mean)))
    return float(1.0 - means[0] @ means[1]), max(spreads)


def split_modularity(vectors: np.ndarray, splits: list[int]) -> list[float]:
    """Newman modularity of each two-community split [:s] | [s:] of the cosine-similarity graph.

    Edge weights are cosine similarities clipped at 0, without self-loops. A split at 0 or
    len(vectors) is the one-community partition (modularity 0).
    """
    x = np.asarray(vectors, dtype=np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    adjacency = np.clip(x @ x.T, 0.0, None)
    np.fill_diagonal(adjacency, 0.0)
    degree = adjacency.sum(axis=1)
    total = float(degree.sum())
    if total <= 0:
        return [0.0 for _ in splits]
    scores = []
    for s in splits:
        inside = adjacency[:s, :s].sum() + adjacency[s:, s:].sum()
        share = degree[:s].sum() / total
        scores.append(float(inside / total - (share**2 + (1.0 - share) ** 2)))
    return scores
