"""The ``sim`` perception backend: ground truth turned into what real perception would give.

From the truth of an episode it makes what a detector + tracker + re-identifier + speech
recogniser + diariser would report on real home video, with the errors they make (defaults per
EVAL.md): missed detections (small and far things more often), false detections with plausible
labels, look-alike label confusion, identity swaps between tracks, ambiguous appearance vectors,
position noise and odometry drift, word errors with similar-sounding words and misspelt names, and
speech given to the wrong voice. ``NoiseConfig.clean()`` switches every error off, for debugging;
it is never the default. Each record keeps the truth it came from (``true_id``, ``true_speaker``)
for scoring only. Deterministic by (truth seed, seed).

What reaches mnemo: the detector ``sim`` (sim/detector.py) passes on only each detection's box,
label, score and container state; its track id, appearance vector and position stay here (they
shape the noise: swaps, look-alikes) and are never handed to memory. Transcripts reach it as heard
lines with voice labels; odometry as the pose log (mnemo/evaluation/sim_perception.py).
"""

from __future__ import annotations

import logging
import math
import re
import zlib
from dataclasses import dataclass, fields, replace

import numpy as np

from sim.catalogue import lookalike_group
from sim.truth import Observation, Truth

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NoiseConfig:
    """How wrong perception is. Defaults are EVAL.md's: what real models give on indoor video."""

    miss_rate: float = 0.15  # share of true detections dropped per frame (small or far things more often)
    false_rate: float = 0.05  # share of reported detections that are false, with plausible labels
    false_persist_s: float = 3.0  # mean seconds a false detection stays at its place (a poster, a reflection)
    confusion_rate: float = 0.05  # share of tracks labelled as a look-alike for their whole life (mug/cup)
    swap_rate: float = 0.02  # identity swaps (or track breaks) per track per minute
    appearance_dim: int = 64  # length of the appearance vectors
    appearance_noise: float = 0.4  # per-detection noise: same identity cosine ~0.8, different ~0.2-0.6
    box_jitter: float = 0.05  # box edges move by about this share of the box size
    position_sigma: float = 0.05  # metres of noise on the position of a detection, near the camera ...
    range_sigma: float = 0.05  # ... plus this share of its distance (depth from a monocular camera)
    odometry_drift: float = 0.015  # odometry error per metre travelled (1-2 % of the distance)
    heading_drift: float = 0.003  # gyro bias of the odometry heading, radians per minute
    asr_wer: float = 0.12  # word error rate of transcripts (similar-word substitutions, deletions, a few insertions)
    misattribution: float = 0.05  # share of speech segments given to the wrong voice
    timing_jitter: float = 0.1  # seconds of noise on the start and end of speech segments
    state_error: float = 0.1  # share of container detections whose open/closed state is read wrong

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "appearance_dim":
                if not isinstance(value, int) or value < 8:
                    raise ValueError(f"NoiseConfig.appearance_dim={value!r}: expected an integer >= 8")
                continue
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"NoiseConfig.{f.name}={value!r}: expected a number >= 0")
        for name in ("miss_rate", "false_rate", "confusion_rate", "asr_wer", "misattribution", "state_error"):
            value = getattr(self, name)
            if value >= 1:
                raise ValueError(f"NoiseConfig.{name}={value!r}: expected a fraction in [0, 1)")

    @classmethod
    def clean(cls) -> "NoiseConfig":
        """No errors at all: for debugging the layers above, never for reported figures."""
        return cls(miss_rate=0.0, false_rate=0.0, confusion_rate=0.0, swap_rate=0.0, appearance_noise=0.0,
                   box_jitter=0.0, position_sigma=0.0, range_sigma=0.0, odometry_drift=0.0, heading_drift=0.0, asr_wer=0.0,
                   misattribution=0.0, timing_jitter=0.0, state_error=0.0)


@dataclass(frozen=True, eq=False)
class Detection:
    time: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 pixels
    label: str  # category as the detector names it
    track_id: int  # the tracker's identity for it
    appearance: np.ndarray  # (appearance_dim,) float32, unit length
    score: float  # detector confidence in (0, 1]
    position: tuple[float, float]  # estimated place in the odometry frame, metres
    true_id: str | None  # the entity it really is; None for a false detection (for evaluation only)
    state: str = ""  # containers (fridge, cabinet, wardrobe): "open" or "closed" as read; "" for the rest


@dataclass(frozen=True)
class TranscriptSegment:
    start: float
    end: float
    text: str  # what the recogniser heard
    speaker: str  # the voice it was given to ("voice:2": the diariser's label, never a name)
    true_speaker: str  # person id (for evaluation only)
    true_text: str  # what was said (for evaluation only)
    utterance: str  # utterance id (for evaluation only)


@dataclass(frozen=True, eq=False)
class Odometry:
    times: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    yaws: np.ndarray


class SimPerception:
    """Noisy perception of one episode's truth; the results are computed once and kept."""

    def __init__(self, truth: Truth, config: NoiseConfig | None = None, seed: int = 0) -> None:
        self.truth, self.config, self.seed = truth, config or NoiseConfig(), int(seed)
        self._labels = _labels(truth)
        self._detections: list[Detection] | None = None
        self._transcripts: list[TranscriptSegment] | None = None
        self._odometry: Odometry | None = None
        self._swaps = 0

    # ------------------------------------------------------------------------------- odometry

    def odometry(self, rate: float = 20.0) -> Odometry:
        """The agent's pose as drifting odometry reports it, sampled at ``rate`` Hz from time 0."""
        agent = next(p for p in self.truth.paths if p.entity == "agent")
        times = np.arange(0.0, self.truth.duration + 1e-9, 1.0 / rate)
        xs = np.interp(times, agent.times, agent.xs)
        ys = np.interp(times, agent.times, agent.ys)
        yaws = np.interp(times, agent.times, agent.yaws)
        rng = np.random.default_rng([self.truth.seed, self.seed, 21])
        return drift(times, xs, ys, yaws, self.config.odometry_drift, self.config.heading_drift, rng)

    # ----------------------------------------------------------------------------- detections

    def detections(self) -> list[Detection]:
        """Every detection of the episode in time order (at the truth's observation rate)."""
        if self._detections is None:
            self._detections = self._detect()
        return self._detections

    def detections_at(self, time: float, tolerance: float = 1e-6) -> list[Detection]:
        return [d for d in self.detections() if abs(d.time - time) <= tolerance]

    def _detect(self) -> list[Detection]:
        c = self.config
        rng = np.random.default_rng([self.truth.seed, self.seed, 22])
        appearance = _Appearance(self.truth, c.appearance_dim, np.random.default_rng([self.truth.seed, self.seed, 23]))
        odometry = self.odometry(rate=max(self.truth.observation_rate, 1.0))
        weights = _miss_weights(self.truth.observations)
        tracker = _Tracker(self.truth)
        self._track_labels: dict[int, str] = {}
        clutter: list[_Clutter] = []  # false detections still standing
        frames = max(c.false_persist_s * self.truth.observation_rate, 1.0)  # a false detection's mean life, frames
        result: list[Detection] = []
        previous = None
        for obs in self.truth.observations:
            dt = 0.0 if previous is None else obs.time - previous
            previous = obs.time
            pose = _pose_at(odometry, obs.time)
            true_pose = _true_pose(self.truth, obs.time)
            kept = []
            for seen in obs.entities:
                p_miss = min(c.miss_rate * weights.get((obs.time, seen.entity), 1.0), 0.95)
                if rng.random() >= p_miss:
                    kept.append(seen)
            ids = tracker.step(obs.time, [s.entity for s in kept], c.swap_rate * dt / 60.0, rng)
            for seen in kept:
                result.append(self._true_detection(obs, seen, ids[seen.entity], pose, true_pose, appearance, rng))
            clutter = [k for k in clutter if k.until > obs.time]
            n_new = rng.binomial(len(kept), min(c.false_rate / (1 - c.false_rate) / frames, 1.0)) \
                if kept and c.false_rate else 0
            for _ in range(n_new):
                life = max(rng.exponential(c.false_persist_s), 0.5 / self.truth.observation_rate)
                clutter.append(self._clutter(obs, tracker.fresh(), pose, appearance, rng, obs.time + life))
            for item in clutter:
                result.append(self._false_detection(obs, item, rng))
        self._swaps = tracker.swaps
        return self._read_states(result)

    def _read_states(self, detections: list[Detection]) -> list[Detection]:
        """Give container detections the open/closed state a classifier on the crop would read (visible
        in the frames: the doors are drawn open), wrong on ``state_error`` of them. Its own random
        stream, so the other errors stay as they were without states."""
        containers = {f.id for f in self.truth.furniture if f.container}
        spans: dict[str, list[tuple[float, float]]] = {}
        for span in self.truth.open_spans:
            spans.setdefault(span.furniture, []).append((span.start, span.end))
        rng = np.random.default_rng([self.truth.seed, self.seed, 24])
        out = []
        for d in detections:
            if d.true_id in containers:
                is_open = any(a <= d.time < b for a, b in spans.get(d.true_id, ()))
                if rng.random() < self.config.state_error:
                    is_open = not is_open
                d = replace(d, state="open" if is_open else "closed")
            out.append(d)
        return out

    def _true_detection(self, obs: Observation, seen, track_id, pose, true_pose, appearance, rng) -> Detection:
        c = self.config
        label = self._track_label(track_id, self._labels[seen.entity], rng)
        small = 1.0 / math.sqrt(max(seen.pixels, 1) / 400.0)  # > 1 for things smaller than 20x20 pixels
        vector = appearance.sample(seen.entity, c.appearance_noise * float(np.clip(small, 0.8, 1.8)), rng)
        x, y = _to_odometry(seen.position, true_pose, pose)
        sigma = c.position_sigma + c.range_sigma * math.dist(seen.position, true_pose[:2])
        x, y = x + rng.normal(0, sigma), y + rng.normal(0, sigma)
        score = float(np.clip(0.95 - 0.1 * small + rng.normal(0, 0.05), 0.3, 1.0))
        return Detection(obs.time, self._jitter(seen.box, rng), label, track_id, vector, round(score, 4),
                         (float(x), float(y)), seen.entity)

    def _track_label(self, track_id: int, label: str, rng) -> str:
        """The label a track is given, decided when it starts: a look-alike for its whole life on
        ``confusion_rate`` of tracks (a detector that calls a mug a cup keeps doing so while it looks)."""
        if track_id not in self._track_labels:
            group = [g for g in lookalike_group(label) if g != label]
            confused = bool(group) and self.config.confusion_rate and rng.random() < self.config.confusion_rate
            self._track_labels[track_id] = group[int(rng.integers(len(group)))] if confused else label
        return self._track_labels[track_id]

    def _clutter(self, obs: Observation, track_id: int, pose, appearance, rng, until: float) -> "_Clutter":
        """A false detection that stays where it appeared until ``until``: a box in the frame, a plausible
        label, a place in front of the camera."""
        labels = sorted(set(self._labels.values()) - {"person"})
        label = labels[int(rng.integers(len(labels)))]
        w, h = self.truth.width, self.truth.height
        bw, bh = rng.uniform(0.03, 0.15) * w, rng.uniform(0.03, 0.15) * h
        x0, y0 = rng.uniform(0, w - bw), rng.uniform(h * 0.3, h - bh)
        distance = rng.uniform(1.0, 5.0)
        bearing = pose[2] + rng.uniform(-0.6, 0.6)
        place = (float(pose[0] + distance * math.cos(bearing)), float(pose[1] + distance * math.sin(bearing)))
        vector = appearance.clutter(label, self.config.appearance_noise, rng)
        return _Clutter(track_id, label, (float(x0), float(y0), float(x0 + bw), float(y0 + bh)), place, vector,
                        until)

    def _false_detection(self, obs: Observation, item: "_Clutter", rng) -> Detection:
        sigma = self.config.position_sigma
        x, y = item.place[0] + rng.normal(0, sigma), item.place[1] + rng.normal(0, sigma)
        return Detection(obs.time, self._jitter(item.box, rng), item.label, item.track_id, item.vector,
                         round(float(rng.uniform(0.3, 0.7)), 4), (float(x), float(y)), None)

    def _jitter(self, box, rng) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = (float(v) for v in box)
        s = self.config.box_jitter
        w, h = x1 - x0, y1 - y0
        x0, x1 = x0 + rng.normal(0, s * w), x1 + rng.normal(0, s * w)
        y0, y1 = y0 + rng.normal(0, s * h), y1 + rng.normal(0, s * h)
        return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    @property
    def swaps(self) -> int:
        """Tracks whose identity changed (two per swap, one per break), over the episode."""
        self.detections()
        return self._swaps

    # ---------------------------------------------------------------------------- transcripts

    def transcripts(self) -> list[TranscriptSegment]:
        """A segment per line the microphone heard, with recognition and diarisation errors."""
        if self._transcripts is None:
            self._transcripts = self._transcribe()
        return self._transcripts

    def _transcribe(self) -> list[TranscriptSegment]:
        c = self.config
        rng = np.random.default_rng([self.truth.seed, self.seed, 24])
        names = {p.id: p.name for p in self.truth.people}
        voices = self.voices()
        vocabulary = sorted({_bare(w) for u in self.truth.utterances for w in u.text.split()} - {""})
        segments = []
        for u in self.truth.utterances:
            if not u.heard:
                continue
            text = recognise(u.text, c.asr_wer, rng, vocabulary, set(names.values()))
            speaker = voices[u.speaker]
            if c.misattribution and len(voices) > 1 and rng.random() < c.misattribution:
                others = sorted(v for pid, v in voices.items() if pid != u.speaker)
                speaker = others[int(rng.integers(len(others)))]
            start = max(0.0, u.start + rng.normal(0, c.timing_jitter)) if c.timing_jitter else u.start
            end = max(start + 0.1, u.end + rng.normal(0, c.timing_jitter)) if c.timing_jitter else u.end
            segments.append(TranscriptSegment(round(start, 3), round(end, 3), text, speaker, u.speaker, u.text, u.id))
        return segments

    def voices(self) -> dict[str, str]:
        """Person id -> the diariser's label for their voice ("voice:1", ...): numbered in the order
        the voices are first heard, as a diariser numbers clusters. A diariser knows no names: they come
        from what is said (planners/addressing.py) or from a user."""
        order = [u.speaker for u in sorted(self.truth.utterances, key=lambda u: u.start) if u.heard]
        order += [p.id for p in self.truth.people]
        return {pid: f"voice:{k + 1}" for k, pid in enumerate(dict.fromkeys(order))}


# ------------------------------------------------------------------------------------- odometry

def drift(times: np.ndarray, xs: np.ndarray, ys: np.ndarray, yaws: np.ndarray, rate: float,
          heading_bias: float, rng: np.random.Generator) -> Odometry:
    """Dead reckoning from true poses: every metre travelled adds about ``rate`` metres of error in a
    slowly wandering direction (so the error stays near ``rate`` of the distance, as wheel slip and
    scale errors give), and a gyro bias of about ``heading_bias`` rad/min turns the heading."""
    step = np.hypot(np.diff(xs), np.diff(ys))
    walked = np.concatenate([[0.0], np.cumsum(step)])
    # the drift direction wanders by about a radian every 30 m walked
    knots = np.arange(0.0, walked[-1] + 30.0, 30.0)
    angles = np.cumsum(rng.normal(0, 1.0, len(knots))) + rng.uniform(-np.pi, np.pi)
    phi = np.interp(walked[:-1], knots, angles)
    ex = np.concatenate([[0.0], np.cumsum(rate * step * np.cos(phi))])
    ey = np.concatenate([[0.0], np.cumsum(rate * step * np.sin(phi))])
    bias = rng.normal(0, heading_bias) / 60.0 if heading_bias else 0.0  # rad per second
    return Odometry(times, xs + ex, ys + ey, yaws + bias * (times - times[0]))


def _pose_at(odometry: Odometry, t: float) -> tuple[float, float, float]:
    return (float(np.interp(t, odometry.times, odometry.xs)), float(np.interp(t, odometry.times, odometry.ys)),
            float(np.interp(t, odometry.times, odometry.yaws)))


def _true_pose(truth: Truth, t: float) -> tuple[float, float, float]:
    agent = next(p for p in truth.paths if p.entity == "agent")
    return (float(np.interp(t, agent.times, agent.xs)), float(np.interp(t, agent.times, agent.ys)),
            float(np.interp(t, agent.times, agent.yaws)))


def _to_odometry(position, true_pose, pose) -> tuple[float, float]:
    """Where the robot, believing its odometry, puts a point it sees at ``position``."""
    dx, dy = position[0] - true_pose[0], position[1] - true_pose[1]
    c, s = math.cos(pose[2] - true_pose[2]), math.sin(pose[2] - true_pose[2])
    return (pose[0] + c * dx - s * dy, pose[1] + s * dx + c * dy)


# ----------------------------------------------------------------------------- detection pieces

def _labels(truth: Truth) -> dict[str, str]:
    labels = {f.id: f.category for f in truth.furniture}
    labels.update({o.id: o.category for o in truth.objects})
    labels.update({p.id: "person" for p in truth.people})
    return labels


def _miss_weights(observations) -> dict[tuple[float, str], float]:
    """Relative chance of missing each detection: higher for fewer pixels, averaging 1 over the episode."""
    keys, raw = [], []
    for obs in observations:
        for seen in obs.entities:
            keys.append((obs.time, seen.entity))
            raw.append(float(np.clip(math.sqrt(1500.0 / max(seen.pixels, 1)), 0.4, 3.0)))
    if not raw:
        return {}
    raw_arr = np.asarray(raw)
    return dict(zip(keys, (raw_arr / raw_arr.mean()).tolist()))


class _Appearance:
    """Re-identification vectors: a prototype per entity (sharing a common part, a part per look-alike
    group and a colour part, so look-alikes are close) plus noise per detection."""

    def __init__(self, truth: Truth, dim: int, rng: np.random.Generator) -> None:
        self.dim = dim
        self.common = _unit(rng.standard_normal(dim))
        self.colour_basis = rng.standard_normal((3, dim)) / math.sqrt(dim)
        self.prototypes: dict[str, np.ndarray] = {}
        self.seed = truth.seed
        rgb = {f.id: f.rgb for f in truth.furniture}
        rgb.update({o.id: o.rgb for o in truth.objects})
        rgb.update({p.id: p.shirt for p in truth.people})
        for entity, label in sorted(_labels(truth).items()):
            self.prototypes[entity] = self._prototype(entity, label, rgb[entity])

    def _vector(self, key: str) -> np.ndarray:
        rng = np.random.default_rng([self.seed, zlib.crc32(key.encode())])
        return _unit(rng.standard_normal(self.dim))

    def _prototype(self, entity: str, label: str, rgb) -> np.ndarray:
        group = self._vector("group:" + "/".join(lookalike_group(label)))
        colour = _unit(np.asarray(rgb, float) / 255.0 - 0.5 + 1e-3) @ self.colour_basis * math.sqrt(self.dim)
        return _unit(0.7 * self.common + 0.5 * group + 0.35 * _unit(colour) + 0.45 * self._vector(entity))

    def sample(self, entity: str, noise: float, rng: np.random.Generator) -> np.ndarray:
        base = self.prototypes[entity]
        if noise <= 0:
            return base.astype(np.float32)
        sigma = noise * float(np.exp(rng.normal(0, 0.4)))
        return _unit(base + sigma * rng.standard_normal(self.dim) / math.sqrt(self.dim)).astype(np.float32)

    def clutter(self, label: str, noise: float, rng: np.random.Generator) -> np.ndarray:
        group = self._vector("group:" + "/".join(lookalike_group(label)))
        colour = _unit(rng.standard_normal(self.dim))
        base = _unit(0.7 * self.common + 0.5 * group + 0.35 * colour + 0.45 * _unit(rng.standard_normal(self.dim)))
        return _unit(base + noise * rng.standard_normal(self.dim) / math.sqrt(self.dim)).astype(np.float32)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


@dataclass
class _Clutter:
    """A false detection standing at one place for a while."""

    track_id: int
    label: str
    box: tuple[float, float, float, float]
    place: tuple[float, float]
    vector: np.ndarray
    until: float


class _Tracker:
    """Track ids as a tracker gives them: one per stretch an entity stays in view; now and then two
    tracks in view swap identities (or, alone, the track breaks and gets a new id)."""

    def __init__(self, truth: Truth) -> None:
        self.gap = 2.5 / truth.observation_rate
        self.ids: dict[str, int] = {}
        self.last_seen: dict[str, float] = {}
        self.next_id = 1
        self.swaps = 0

    def fresh(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def step(self, t: float, entities: list[str], swap_chance: float, rng: np.random.Generator) -> dict[str, int]:
        for e in entities:
            if e not in self.ids or t - self.last_seen[e] > self.gap:
                self.ids[e] = self.fresh()
            self.last_seen[e] = t
        for e in entities:
            if not swap_chance:
                break
            others = [o for o in entities if o != e and o.split(":")[0] == e.split(":")[0]]
            # a swap changes two tracks, a break one: either way ``swap_chance`` per track and step
            if rng.random() < swap_chance / (2 if others else 1):
                if others:
                    o = others[int(rng.integers(len(others)))]
                    self.ids[e], self.ids[o] = self.ids[o], self.ids[e]
                    self.swaps += 2
                else:
                    self.ids[e] = self.fresh()
                    self.swaps += 1
        return {e: self.ids[e] for e in entities}


# ------------------------------------------------------------------------------------------- ASR

SIMILAR = {
    "mug": ("mud", "bug"), "cup": ("cop", "cap"), "kitchen": ("chicken",), "keys": ("peas", "cheese"),
    "red": ("read", "bed"), "blue": ("blew", "glue"), "meet": ("meat",), "bedroom": ("bathroom",),
    "bathroom": ("bedroom",), "fridge": ("bridge",), "remote": ("promote",), "phone": ("foam", "bone"),
    "plate": ("plane",), "bowl": ("ball", "bold"), "ball": ("bowl", "wall"), "book": ("look", "cook"),
    "box": ("fox", "socks"), "green": ("screen",), "white": ("right", "wide"), "black": ("back", "block"),
    "pink": ("think", "ink"), "grey": ("great", "gray"), "brown": ("round", "crown"), "table": ("cable",),
    "desk": ("disk",), "shelf": ("self",), "office": ("offers",), "put": ("but", "foot"), "bring": ("ring",),
    "living": ("leaving",), "room": ("broom", "zoom"), "glasses": ("classes", "grasses"), "pen": ("ten", "pan"),
    "pencil": ("stencil",), "jar": ("car",), "bottle": ("battle",), "wallet": ("ballot",), "basket": ("casket",),
    "lamp": ("lamb", "camp"), "bed": ("bad", "bet"), "counter": ("encounter",), "sofa": ("soda",),
    "purple": ("people",), "yellow": ("hello", "fellow"), "orange": ("arrange",), "new": ("knew",),
    "seen": ("scene",), "where": ("wear",), "here": ("hear",), "to": ("two", "too"), "for": ("four",),
    "the": ("a",), "in": ("on",), "on": ("in",), "at": ("that",), "is": ("as",), "I": ("eye",),
    "teal": ("tea", "deal"), "apple": ("chapel",), "laptop": ("lap",), "tablet": ("table",),
    "notebook": ("notebooks",), "umbrella": ("cinderella",), "dining": ("dying",), "hallway": ("holloway",),
}
FILLERS = ("uh", "the", "a", "and", "um")
_PUNCT = re.compile(r"^(\W*)(.*?)(\W*)$")


def recognise(text: str, wer: float, rng: np.random.Generator, vocabulary: list[str], names: set[str]) -> str:
    """``text`` as a recogniser with word error rate ``wer`` hears it: 60% of errors substitute a
    similar-sounding word (names are misspelt), 30% delete a word, 10% insert a filler."""
    out = []
    for token in text.split():
        lead, word, trail = _PUNCT.match(token).groups()
        r = rng.random()
        if r < wer * 0.6 and word:
            out.append(lead + _similar(word, rng, vocabulary, names) + trail)
        elif r < wer * 0.9:
            continue
        elif r < wer:
            out.append(token)
            out.append(FILLERS[int(rng.integers(len(FILLERS)))])
        else:
            out.append(token)
    return " ".join(out)


def _similar(word: str, rng: np.random.Generator, vocabulary: list[str], names: set[str]) -> str:
    if word in names:
        return misspell(word, rng)
    options = SIMILAR.get(word) or SIMILAR.get(word.lower())
    if options:
        return options[int(rng.integers(len(options)))]
    near = sorted((_distance(word.lower(), v.lower()), v) for v in vocabulary if v.lower() != word.lower())
    close = [v for d, v in near[:3]]
    return close[int(rng.integers(len(close)))] if close else misspell(word, rng)


def misspell(name: str, rng: np.random.Generator) -> str:
    """A plausible misspelling: a vowel changed, a letter doubled or dropped."""
    if len(name) < 3:
        return name + name[-1]
    i = int(rng.integers(1, len(name)))
    kind = int(rng.integers(3))
    if kind == 0 and name[i].lower() in "aeiouy":
        vowels = [v for v in "aeiouy" if v != name[i].lower()]
        return name[:i] + vowels[int(rng.integers(len(vowels)))] + name[i + 1:]
    if kind == 1:
        return name[:i] + name[i] + name[i:]
    return name[:i] + name[i + 1:]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, case and punctuation ignored."""
    ref = [_bare(w).lower() for w in reference.split() if _bare(w)]
    hyp = [_bare(w).lower() for w in hypothesis.split() if _bare(w)]
    return _distance(ref, hyp) / max(len(ref), 1)


def _bare(token: str) -> str:
    return _PUNCT.match(token).group(2)


def _distance(a, b) -> int:
    """Levenshtein distance of two sequences (strings or word lists)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]

