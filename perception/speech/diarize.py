"""Who speaks when: voice windows clustered into persistent voice entities (``voice:N``).

:class:`VoiceClusterer` is the memory of voices: centroids and counts, saved and restored as
numpy arrays so that ids survive across streams. :class:`Diarizer` is the stage: speech segments
in, :class:`SpeakerTurn` out, either online (each window joins the nearest voice or starts a new
one) or refined (a block of windows is clustered as a whole, spectral clustering with the
number of speakers from the eigengap, then mapped onto the persistent voices).

Vectors are compared by cosine after removing a running mean (the recording's channel and
average voice), so the same clusterer works for any :class:`VoiceEmbedder`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

import numpy as np

from perception.errors import WeightsUnavailable
from perception.options import build_options
from perception.speech.recluster import (StreamHistory, VoiceChange, least_speech, recluster, relabelled,
                                         select_clusters, speech_seconds)
from perception.speech.turns import SpeakerTurn
from perception.speech.vad import SpeechSegment
from perception.speech.voice import VoiceEmbedder, VoiceWindows, create_voice_embedder

logger = logging.getLogger(__name__)

_STATE_VERSION = 1


@dataclass(frozen=True)
class ClustererOptions:
    # centred cosine similarity a window needs with a voice's centroid to be that voice (online)
    threshold: float = 0.2
    # centred cosine similarity a whole cluster needs with a known voice to be that voice (refined)
    match_threshold: float = 0.5
    # most voices kept; beyond it the least heard voice is forgotten
    max_voices: int = 1000
    # windows the running mean (the centring) averages over; older windows fade out
    mean_memory: int = 400
    # weight, in windows, of the zero prior of the running mean (vectors are background-standardised)
    prior_count: float = 8.0
    # compare vectors after removing the running mean (spectral vectors: the channel dominates them);
    # False compares them as they are (a pretrained embedding such as GE2E, trained for raw cosine)
    center: bool = True

    def __post_init__(self) -> None:
        for name in ("threshold", "match_threshold"):
            if not -1.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"ClustererOptions.{name}={getattr(self, name)!r}: expected a cosine in [-1, 1]")
        if self.max_voices < 1:
            raise ValueError(f"ClustererOptions.max_voices={self.max_voices!r}: expected >= 1")
        if self.mean_memory < 1:
            raise ValueError(f"ClustererOptions.mean_memory={self.mean_memory!r}: expected >= 1 window")
        if self.prior_count < 0:
            raise ValueError(f"ClustererOptions.prior_count={self.prior_count!r}: expected >= 0")


class VoiceClusterer:
    """Online clustering of voice vectors into persistent voice ids (centroids + counts)."""

    def __init__(self, dim: int, space: str = "", **options) -> None:
        self.options = build_options(ClustererOptions, "VoiceClusterer", options)
        self.dim = int(dim)
        self.space = space  # the embedding space; a restored state must match it
        self._ids = np.zeros(0, dtype=np.int64)
        self._sums = np.zeros((0, self.dim), dtype=np.float64)  # sums of unit centred vectors
        self._counts = np.zeros(0, dtype=np.int64)
        self._next_id = 0
        self._mean = np.zeros(self.dim, dtype=np.float64)  # running mean used for centring
        self._mean_count = 0.0

    # ---- ids and centroids
    @property
    def voices(self) -> list[int]:
        return [int(i) for i in self._ids]

    def count(self, voice: int) -> int:
        """Windows heard from ``voice`` (0 for an unknown one)."""
        where = np.flatnonzero(self._ids == voice)
        return int(self._counts[where[0]]) if len(where) else 0

    def centroids(self) -> np.ndarray:
        """(k, dim) unit centroids in :attr:`voices` order."""
        return _unit(self._sums)

    # ---- centring
    def center(self, vectors: np.ndarray, update: bool = True) -> np.ndarray:
        """Unit vectors of ``vectors`` minus the running mean (updated with them first when ``update``)."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
        self._check_dim(vectors)
        if not self.options.center:
            return _unit(vectors)
        out = np.empty_like(vectors)
        for i, vector in enumerate(vectors):
            if update:
                self.observe_mean(vector[None])
            out[i] = vector - self._current_mean()
        return _unit(out)

    def observe_mean(self, vectors: np.ndarray) -> None:
        """Fold ``vectors`` into the running mean (capped at ``mean_memory`` windows)."""
        if not self.options.center:
            return
        for vector in np.atleast_2d(vectors):
            self._mean_count = min(self._mean_count + 1.0, float(self.options.mean_memory))
            self._mean += (vector - self._mean) / self._mean_count

    def _current_mean(self) -> np.ndarray:
        # shrunk towards zero, the background mean of standardised vectors, while few are seen
        n, prior = self._mean_count, self.options.prior_count
        return self._mean * (n / (n + prior)) if n + prior > 0 else self._mean

    # ---- assignment
    def similarities(self, units: np.ndarray) -> np.ndarray:
        """(n, k) cosine of centred unit vectors with each voice's centroid."""
        units = np.atleast_2d(units)
        if len(self._ids) == 0:
            return np.zeros((len(units), 0))
        return units @ self.centroids().T

    def assign(self, embedding: np.ndarray, update: bool = True) -> int:
        """The voice of one window's vector: the nearest voice above ``threshold``, else a new one."""
        unit = self.center(embedding, update=update)[0]
        return self.assign_unit(unit, update=update)

    def assign_unit(self, unit: np.ndarray, update: bool = True) -> int:
        """As :meth:`assign` for an already centred unit vector."""
        sims = self.similarities(unit[None])[0]
        if len(sims) and sims.max() >= self.options.threshold:
            row = int(np.argmax(sims))
            if update:
                self._sums[row] += unit
                self._counts[row] += 1
            return int(self._ids[row])
        if not update:
            return -1
        return self._add_voice(unit, 1)

    def assign_groups(self, means: np.ndarray, counts: Sequence[int]) -> list[int]:
        """Persistent ids of whole clusters (their unit mean vectors and sizes), one to one.

        A cluster takes the known voice it matches best above ``match_threshold`` (each voice at
        most once); the others become new voices. Centroids are updated with the clusters.
        """
        from scipy.optimize import linear_sum_assignment

        means = _unit(np.atleast_2d(np.asarray(means, dtype=np.float64)))
        self._check_dim(means)
        ids = [-1] * len(means)
        if len(self._ids) and len(means):
            sims = self.similarities(means)
            rows, cols = linear_sum_assignment(sims, maximize=True)
            for r, c in zip(rows, cols):
                if sims[r, c] >= self.options.match_threshold:
                    ids[r] = int(self._ids[c])
                    self._sums[c] += means[r] * counts[r]
                    self._counts[c] += counts[r]
        for r, voice in enumerate(ids):
            if voice < 0:
                ids[r] = self._add_voice(means[r] * counts[r], int(counts[r]))
        return ids

    def move(self, total: np.ndarray, count: int, old: int, new: int | None) -> int:
        """Move ``count`` windows summing to ``total`` (this clusterer's space) from voice ``old`` to
        ``new`` (None: a new voice); a voice left with no windows is removed. Returns the new id."""
        total = np.asarray(total, dtype=np.float64)
        where = np.flatnonzero(self._ids == old)
        if len(where):
            row = int(where[0])
            self._sums[row] -= total
            self._counts[row] -= count
            if self._counts[row] <= 0:
                keep = np.arange(len(self._ids)) != row
                self._ids, self._sums, self._counts = self._ids[keep], self._sums[keep], self._counts[keep]
        if new is None:
            return self._add_voice(total, count)
        where = np.flatnonzero(self._ids == new)
        if not len(where):  # forgotten meanwhile: it comes back with these windows
            self._ids = np.append(self._ids, new)
            self._sums = np.vstack([self._sums, total[None]])
            self._counts = np.append(self._counts, count)
        else:
            self._sums[where[0]] += total
            self._counts[where[0]] += count
        return new

    def _add_voice(self, total: np.ndarray, count: int) -> int:
        if len(self._ids) >= self.options.max_voices:
            drop = int(np.argmin(self._counts))
            logger.info("forgetting voice:%d (heard %d windows): more than %d voices",
                        self._ids[drop], self._counts[drop], self.options.max_voices)
            keep = np.arange(len(self._ids)) != drop
            self._ids, self._sums, self._counts = self._ids[keep], self._sums[keep], self._counts[keep]
        voice = self._next_id
        self._next_id += 1
        self._ids = np.append(self._ids, voice)
        self._sums = np.vstack([self._sums, np.asarray(total, dtype=np.float64)[None]])
        self._counts = np.append(self._counts, count)
        return voice

    def _check_dim(self, vectors: np.ndarray) -> None:
        if vectors.shape[-1] != self.dim:
            raise ValueError(f"voice vectors have dimension {vectors.shape[-1]}; this clusterer holds {self.dim}")

    # ---- persistence
    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything needed to continue: plain numpy arrays (store them with np.savez or as blobs)."""
        return {
            "version": np.array(_STATE_VERSION, dtype=np.int64),
            "space": np.array(self.space),
            "ids": self._ids.copy(),
            "centroid_sums": self._sums.astype(np.float64),
            "counts": self._counts.copy(),
            "next_id": np.array(self._next_id, dtype=np.int64),
            "mean": self._mean.copy(),
            "mean_count": np.array(self._mean_count, dtype=np.float64),
        }

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict`; the embedding space and dimension must match."""
        version = int(state.get("version", -1))
        if version != _STATE_VERSION:
            raise ValueError(f"voice clusterer state version {version}; expected {_STATE_VERSION}")
        space = str(state["space"])
        if self.space and space and space != self.space:
            raise ValueError(f"voice clusterer state is of space {space!r}; this clusterer is {self.space!r}")
        sums = np.asarray(state["centroid_sums"], dtype=np.float64).reshape(-1, self.dim)
        ids = np.asarray(state["ids"], dtype=np.int64)
        counts = np.asarray(state["counts"], dtype=np.int64)
        if not len(ids) == len(sums) == len(counts):
            raise ValueError(f"voice clusterer state is inconsistent: {len(ids)} ids, {len(sums)} centroids, "
                             f"{len(counts)} counts")
        self._ids, self._sums, self._counts = ids.copy(), sums.copy(), counts.copy()
        self._next_id = int(state["next_id"])
        self._mean = np.asarray(state["mean"], dtype=np.float64).reshape(self.dim).copy()
        self._mean_count = float(state["mean_count"])
        self.space = self.space or space

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray], **options) -> VoiceClusterer:
        """A clusterer continuing from ``state``."""
        clusterer = cls(int(np.asarray(state["mean"]).size), str(state["space"]), **options)
        clusterer.load_state_dict(state)
        return clusterer


# ---- offline clustering of a block of windows


def cluster_windows(vectors: np.ndarray, link_threshold: float = -0.2, edge_scale: float = 1.15,
                    independent_share: float = 1.0) -> np.ndarray:
    """Cluster labels 0..k-1 of one recording's window vectors; the number of clusters is found.

    Vectors are standardised on the block's own mean and spread (the channel and the average
    voice go). Principal axes whose variance exceeds what noise alone reaches (the
    Marchenko-Pastur edge ``(1 + sqrt(dim / n))^2`` for n independent vectors, times
    ``edge_scale``: pure noise stays under 1.1 times the edge) carry the differences between
    speakers; with none, the block is one voice. Overlapping windows are not independent:
    ``independent_share`` (hop / window) scales n. Otherwise the vectors, projected on those
    axes (at least two), are joined by average-linkage agglomeration while two groups' mean
    cosine exceeds ``link_threshold``: centred, k equally heard speakers sit at cosine -1/(k-1)
    from each other in k-1 axes, so -0.2 separates up to about five per block.
    """
    vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
    n, dim = vectors.shape
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    standard = (vectors - vectors.mean(axis=0)) / (vectors.std(axis=0) + 1e-6)
    _, singular, axes = np.linalg.svd(standard, full_matrices=False)
    variances = singular**2 / n  # of the principal axes; they sum to dim
    independent = max(2.0, n * independent_share)
    signal = int(np.sum(variances > edge_scale * (1.0 + np.sqrt(dim / independent)) ** 2))
    if signal == 0:
        return np.zeros(n, dtype=np.int64)
    return _agglomerate(_unit(standard @ axes[: max(signal, 2)].T), link_threshold)


def _agglomerate(units: np.ndarray, threshold: float) -> np.ndarray:
    from scipy.cluster.hierarchy import fcluster, linkage

    distances = np.clip(1.0 - units @ units.T, 0.0, 2.0)
    condensed = distances[np.triu_indices(len(units), 1)]
    tree = linkage(condensed, method="average")
    return _renumber(fcluster(tree, t=1.0 - threshold, criterion="distance"))


def absorb_small_clusters(units: np.ndarray, labels: np.ndarray, min_windows: int) -> np.ndarray:
    """Clusters of fewer than ``min_windows`` windows join the cluster of highest mean cosine with
    them, smallest first, until every cluster is large enough or one is left."""
    labels = labels.copy()
    while True:
        names, sizes = np.unique(labels, return_counts=True)
        if len(names) < 2 or sizes.min() >= min_windows:
            return _renumber(labels)
        small = names[int(np.argmin(sizes))]
        members = units[labels == small].sum(axis=0)
        others = [name for name in names if name != small]
        scores = [float(units[labels == name].sum(axis=0) @ members) / np.sum(labels == name) for name in others]
        labels[labels == small] = others[int(np.argmax(scores))]


def resegment(units: np.ndarray, labels: np.ndarray, rounds: int = 2) -> np.ndarray:
    """``labels`` after ``rounds`` of giving each unit vector to the cluster whose (unit) centroid
    is nearest; a cluster left with no vector disappears. Labels come back as 0..k-1."""
    labels = np.asarray(labels, dtype=np.int64)
    for _ in range(rounds):
        names = np.unique(labels)
        if len(names) < 2:
            break
        centroids = _unit(np.stack([units[labels == name].sum(axis=0) for name in names]))
        moved = names[np.argmax(units @ centroids.T, axis=1)]
        if np.array_equal(moved, labels):
            break
        labels = moved
    return _renumber(labels)


def _renumber(labels: np.ndarray) -> np.ndarray:
    mapping: dict[int, int] = {}
    return np.array([mapping.setdefault(int(label), len(mapping)) for label in labels], dtype=np.int64)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


# ---- windows -> turns


def windows_to_turns(windows: VoiceWindows, voices: Sequence[int], segments: Iterable[SpeechSegment],
                     resolution: float = 0.01, min_turn: float = 0.3, reach: float = 1.0) -> list[SpeakerTurn]:
    """Turns covering each segment: every instant takes the voice of the window centred nearest it.

    Turns shorter than ``min_turn`` seconds are given to the neighbouring voice. A segment too
    short for a window of its own takes the voice of the nearest window within ``reach`` seconds.
    """
    turns: list[SpeakerTurn] = []
    centres = (windows.starts + windows.ends) / 2 if len(windows) else np.zeros(0)
    voices = np.asarray(voices, dtype=np.int64)
    for segment in segments:
        inside = np.flatnonzero((windows.starts < segment.end) & (windows.ends > segment.start))
        if len(inside) == 0:
            gaps = np.maximum(windows.starts - segment.end, segment.start - windows.ends)
            if len(gaps) and gaps.min() <= reach:
                turns.append(SpeakerTurn(segment.stream, segment.start, segment.end, int(voices[np.argmin(gaps)])))
            continue
        steps = max(1, int(round(segment.duration / resolution)))
        times = segment.start + (np.arange(steps) + 0.5) * (segment.duration / steps)
        nearest = inside[np.argmin(np.abs(times[:, None] - centres[inside][None]), axis=1)]
        labels = _absorb_short_runs(voices[nearest], max(1, int(round(min_turn / resolution))))
        turns += _runs_to_turns(segment, labels, steps)
    return turns


def _absorb_short_runs(labels: np.ndarray, shortest: int) -> np.ndarray:
    """Runs shorter than ``shortest`` take the label of the longer neighbouring run."""
    labels = labels.copy()
    while True:
        bounds = np.flatnonzero(np.diff(labels)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(labels)]])
        lengths = ends - starts
        if len(lengths) <= 1 or lengths.min() >= shortest:
            return labels
        i = int(np.argmin(lengths))
        left = lengths[i - 1] if i > 0 else -1
        right = lengths[i + 1] if i + 1 < len(lengths) else -1
        labels[starts[i] : ends[i]] = labels[starts[i - 1]] if left >= right else labels[starts[i + 1]]


def _runs_to_turns(segment: SpeechSegment, labels: np.ndarray, steps: int) -> list[SpeakerTurn]:
    step = segment.duration / steps
    turns = []
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(labels)) + 1, [len(labels)]])
    for first, last in zip(bounds[:-1], bounds[1:]):
        end = segment.end if last == len(labels) else segment.start + last * step
        turns.append(SpeakerTurn(segment.stream, segment.start + first * step, end, int(labels[first])))
    return turns


# ---- the stage


@dataclass(frozen=True)
class DiarizerOptions:
    # "refine": cluster each block of windows as a whole (better; turns come when a block closes)
    # "online": each window joins a voice at once (lowest latency)
    mode: str = "refine"
    # how a block is clustered: "spectral" (standardised on the block, speaker axes above the noise
    # edge, then average linkage: for the spectral embedding), "cosine" (average linkage of the
    # vectors as they are, joined while above link_threshold) or "silhouette" (average linkage of
    # the vectors as they are; groups above link_threshold always join, then the number of voices
    # is the one of highest silhouette: for a pretrained embedding such as GE2E)
    clustering: str = "spectral"
    # silhouette clustering: most voices one block (or one stream's end-of-stream pass) may hold
    max_clusters: int = 10
    # silhouette clustering: rounds of giving each window of a block to the nearest centroid of the
    # clusters found (resegmentation: windows at the edges of a voice move to it); 0: none
    resegment: int = 2
    # windows per refined block (about hop x this seconds of speech); bounds memory and latency
    block_windows: int = 1600
    # blocks with fewer windows than this are too small to cluster on their own: assigned online
    min_block_windows: int = 6
    # two groups of windows join while their mean (centred, projected) cosine exceeds this
    link_threshold: float = -0.2
    # principal axes count as speaker differences above this multiple of the noise edge
    edge_scale: float = 1.15
    # turns shorter than this are given to the neighbouring voice, seconds
    min_turn: float = 0.3
    # cosine clustering: a cluster of fewer windows than this joins the cluster nearest it (average
    # linkage): a voice needs a few seconds of speech before it counts
    min_cluster_windows: int = 1
    # silhouette clustering and the end-of-stream pass: when > 0, the least speech a cluster needs,
    # in seconds its windows cover (overlapping windows counted once), instead of min_cluster_windows
    min_cluster_s: float = 0.0
    # with min_cluster_s: when > 0, the least speech a cluster needs is at most this share of the
    # speech of what is clustered (a block, or the stream in the end-of-stream pass): where each
    # person says a second in all, a voice of a second is enough
    min_cluster_share: float = 0.0
    # silhouette clustering: a single window alone in its cluster counts as cohesive as the floor
    # (link_threshold), as a lone piece of several windows does (else it scores 0)
    lone_windows: bool = False
    # end-of-stream pass (finish_stream): two groups of the stream's windows (in the clusterer's
    # space) join while their mean cosine exceeds this; None: no pass (ids stay as decided online)
    recluster_threshold: float | None = None
    # speaker segmentation (pyannote segmentation-3.0) on the audio given to Diarizer.hear: overlapped
    # speech gets a second voice, speech the VAD missed next to a turn gets that turn's voice
    segmentation: bool = False
    # expected number of speakers above which the segmentation's frame holds two voices
    overlap_threshold: float = 1.3
    # silhouette clustering with segmentation: a window with more than this share of its frames
    # holding two voices is a mixture, left out of the clustering (it takes the nearest cluster); 1: none
    max_overlap_share: float = 1.0
    # give speech the segmentation hears within this many seconds of a turn that turn's voice; 0: never
    fill_reach_s: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 < self.overlap_threshold < 2.0:
            raise ValueError(f"DiarizerOptions.overlap_threshold={self.overlap_threshold!r}: expected a speaker "
                             f"count in (0, 2)")
        if self.fill_reach_s < 0:
            raise ValueError(f"DiarizerOptions.fill_reach_s={self.fill_reach_s!r}: expected seconds >= 0")
        if self.mode not in ("refine", "online"):
            raise ValueError(f"DiarizerOptions.mode={self.mode!r}: expected 'refine' or 'online'")
        if self.clustering not in ("spectral", "cosine", "silhouette"):
            raise ValueError(f"DiarizerOptions.clustering={self.clustering!r}: expected 'spectral', 'cosine' "
                             f"or 'silhouette'")
        if self.max_clusters < 1:
            raise ValueError(f"DiarizerOptions.max_clusters={self.max_clusters!r}: expected >= 1")
        if self.resegment < 0:
            raise ValueError(f"DiarizerOptions.resegment={self.resegment!r}: expected rounds >= 0")
        if not 0.0 <= self.min_cluster_share <= 1.0:
            raise ValueError(f"DiarizerOptions.min_cluster_share={self.min_cluster_share!r}: expected a share "
                             f"in [0, 1]")
        if self.min_cluster_windows < 1:
            raise ValueError(f"DiarizerOptions.min_cluster_windows={self.min_cluster_windows!r}: expected >= 1")
        if self.block_windows < 2:
            raise ValueError(f"DiarizerOptions.block_windows={self.block_windows!r}: expected >= 2")
        if self.min_block_windows < 2:
            raise ValueError(f"DiarizerOptions.min_block_windows={self.min_block_windows!r}: expected >= 2")
        for name in ("link_threshold", "recluster_threshold"):
            value = getattr(self, name)
            if value is not None and not -1.0 <= value <= 1.0:
                raise ValueError(f"DiarizerOptions.{name}={value!r}: expected a cosine in [-1, 1]")
        if not self.edge_scale > 0:
            raise ValueError(f"DiarizerOptions.edge_scale={self.edge_scale!r}: expected a number > 0")
        if self.min_turn < 0:
            raise ValueError(f"DiarizerOptions.min_turn={self.min_turn!r}: expected seconds >= 0")


class Diarizer:
    """Speech segments -> speaker turns with persistent voice ids (a stage: push, finish, state).

    Options not given take the embedder's defaults (``embedder.diarizer_defaults``; a clusterer
    built here takes ``embedder.clusterer_defaults`` updated with ``clusterer_options``).
    """

    def __init__(self, embedder: VoiceEmbedder | str = "spectral", clusterer: VoiceClusterer | None = None,
                 clusterer_options: dict | None = None, **options) -> None:
        self.embedder = create_voice_embedder(embedder) if isinstance(embedder, str) else embedder
        merged = {**getattr(self.embedder, "diarizer_defaults", {}), **options}
        self.options = build_options(DiarizerOptions, "Diarizer", merged)
        self.clusterer = clusterer or VoiceClusterer(
            self.embedder.dim, self.embedder.space,
            **{**getattr(self.embedder, "clusterer_defaults", {}), **(clusterer_options or {})})
        if self.clusterer.dim != self.embedder.dim:
            raise ValueError(f"clusterer dimension {self.clusterer.dim} != embedder {self.embedder.space!r} "
                             f"dimension {self.embedder.dim}")
        self.history = StreamHistory(self.embedder.dim)  # the stream's pieces, for the end-of-stream pass
        self._segments: list[SpeechSegment] = []
        self._windows: list[VoiceWindows] = []
        self._pending = 0
        self._heard: list = []  # (stream, SegmentationResult) of the audio heard since the last block closed
        self._no_segmentation = False  # the segmentation model could not be had: not tried again
        self._added = np.zeros((0, 3))  # (start, end, voice) of this stream's second-voice and filled turns
        self._added_stream = ""  # the stream they belong to

    def hear(self, stream: str, samples: np.ndarray, start: float) -> None:
        """The span's whole audio (16 kHz mono from media time ``start``), before its segments are
        pushed: with ``segmentation``, the speaker segmentation runs on it (else nothing happens)."""
        if not self.options.segmentation or self._no_segmentation or len(samples) == 0:
            return
        from perception.speech.segmentation import segment_activity

        try:
            self._heard.append((stream, segment_activity(samples, start)))
        except WeightsUnavailable as err:  # as for voices: diarisation goes on, one voice per instant
            logger.warning("speaker segmentation off (overlapped speech gets one voice): %s", err)
            self._no_segmentation = True

    def push(self, segment: SpeechSegment) -> list[SpeakerTurn]:
        """Turns decided with this segment: its own (online), or a whole block's (refine).

        A segment of another stream first closes the held block: a block is one recording.
        """
        if self._segments and segment.stream != self._segments[0].stream:
            return self.finish() + self.push(segment)
        windows = self.embedder.embed_windows(segment)
        if self.options.mode == "online":
            units = self.clusterer.center(windows.vectors) if len(windows) else windows.vectors
            voices = [self.clusterer.assign_unit(u) for u in units]
            self._remember(windows, units, voices)
            return windows_to_turns(windows, voices, [segment], min_turn=self.options.min_turn)
        if len(windows) == 0 and not self._segments:
            return []
        self._segments.append(_without_samples(segment))
        self._windows.append(windows)
        self._pending += len(windows)
        if self._pending >= self.options.block_windows or len(self._segments) >= self.options.block_windows:
            return self.finish()
        return []

    def finish(self) -> list[SpeakerTurn]:
        """Decide the held block (end of an event's audio, or a full block); the clusterer keeps the voices."""
        segments, parts = self._segments, self._windows
        self._segments, self._windows, self._pending = [], [], 0
        windows = VoiceWindows.concatenate(parts, self.embedder.dim)
        if len(windows) == 0:
            self._heard = []
            return []
        voices = self._refine(windows)
        turns = windows_to_turns(windows, voices, segments, min_turn=self.options.min_turn)
        return self._with_overlap(turns)

    def _with_overlap(self, turns: list[SpeakerTurn]) -> list[SpeakerTurn]:
        """``turns`` with second voices and filled speech from the segmentation heard (then dropped)."""
        heard, self._heard = self._heard, []
        if not heard or not turns:
            return turns
        from perception.speech.overlap import add_overlap_voices

        stream = turns[0].stream
        for where, result in heard:
            if where == stream:
                turns = add_overlap_voices(turns, result, threshold=self.options.overlap_threshold,
                                           fill=self.options.fill_reach_s > 0,
                                           fill_reach_s=self.options.fill_reach_s)
        if self._added_stream != stream:
            self._added, self._added_stream = np.zeros((0, 3)), stream
        added = [(t.start, t.end, t.voice) for t in turns if t.second or t.filled]
        if added:  # remembered for the end-of-stream pass: they follow their voice's nearest piece
            self._added = np.vstack([self._added, np.array(added, dtype=np.float64)])
        return turns

    def finish_stream(self) -> list[VoiceChange]:
        """End of a stream: the held block is decided, then (with ``recluster_threshold``) all the
        stream's windows are clustered again. Returns the spans whose voice changed; ids already
        given out stay (see :mod:`perception.speech.recluster`); the clusterer follows the changes.
        """
        self.finish()
        history, self.history = self.history, StreamHistory(self.embedder.dim)
        added = self._added if self._added_stream == history.stream else np.zeros((0, 3))
        self._added = np.zeros((0, 3))
        threshold = self.options.recluster_threshold
        if threshold is None or len(history) < 2:
            return []
        labels, kept = recluster(history, threshold, self.options.min_cluster_windows,
                                 select=self.options.clustering == "silhouette",
                                 max_clusters=self.options.max_clusters, rounds=self.options.resegment,
                                 min_seconds=self.options.min_cluster_s, min_share=self.options.min_cluster_share,
                                 lone_windows=self.options.lone_windows)
        fresh: dict[int, int] = {}  # cluster -> the new id it was given
        changes: list[VoiceChange] = []
        final: set[int] = set()  # the stream's voices after the pass
        after = history.voices.copy()  # each piece's voice after the pass
        # clean pieces first: a cluster's new id comes from them; pieces of overlapped speech were
        # never in a centroid, so they only change label (and keep theirs in a cluster of no clean
        # piece, which has no id: with fewer than two clean pieces every piece is clustered)
        for i in sorted(range(len(labels)), key=lambda i: bool(history.mixed[i])):
            label = labels[i]
            old = int(history.voices[i])
            new = kept[label] if kept[label] is not None else fresh.get(int(label))
            if new == old or (new is None and history.mixed[i]):
                final.add(old)
                continue
            if not history.mixed[i]:
                new = self.clusterer.move(history.sums[i], int(history.counts[i]), old, new)
            fresh.setdefault(int(label), new)
            final.add(new)
            after[i] = new
            changes.append(VoiceChange(history.stream, float(history.starts[i]), float(history.ends[i]), old, new))
        changes += _added_changes(history, after, added)
        if changes:
            logger.info("end of %s: %d of %d pieces of speech change voice (%d voices before, %d after)",
                        history.stream, len(changes), len(history), len(set(history.voices.tolist())), len(final))
        return changes

    def _refine(self, windows: VoiceWindows) -> list[int]:
        """Cluster a block on its own, then map its clusters onto the persistent voices."""
        vectors = windows.vectors
        if len(vectors) < self.options.min_block_windows:
            units = self.clusterer.center(vectors)
            voices = [self.clusterer.assign_unit(u) for u in units]
            self._remember(windows, units, voices)
            return voices
        mixed = np.zeros(len(vectors), bool)
        if self.options.clustering == "silhouette":
            units = self.clusterer.center(vectors)
            mixed = self._overlapped(windows)
            clean = ~mixed
            labels = np.zeros(len(units), np.int64)
            least, sizes = self._least_cluster(windows, clean)
            found = select_clusters(units[clean], np.ones(int(clean.sum()), np.int64), least,
                                    self.options.link_threshold, self.options.max_clusters, sizes=sizes,
                                    lone_windows=self.options.lone_windows)
            labels[clean] = resegment(units[clean], found, self.options.resegment)
            if mixed.any():
                centroids = _unit(np.stack([units[clean][labels[clean] == j].sum(axis=0)
                                            for j in range(int(labels[clean].max()) + 1)]))
                labels[mixed] = np.argmax(units[mixed] @ centroids.T, axis=1)
        elif self.options.clustering == "cosine":
            units = self.clusterer.center(vectors)
            labels = _agglomerate(units, self.options.link_threshold)
            if self.options.recluster_threshold is None:  # else small clusters wait for the end-of-stream pass
                labels = absorb_small_clusters(units, labels, self.options.min_cluster_windows)
        else:
            independent = min(1.0, self.embedder.hop_s / self.embedder.window_s)
            labels = cluster_windows(vectors, self.options.link_threshold, self.options.edge_scale, independent)
            units = _unit(vectors - vectors.mean(axis=0))  # the clusterer's space: centred, unit
            self.clusterer.observe_mean(vectors)
        k = int(labels.max()) + 1
        means = np.stack([units[(labels == j) & ~mixed].mean(axis=0) for j in range(k)])
        counts = [int(np.sum((labels == j) & ~mixed)) for j in range(k)]
        ids = self.clusterer.assign_groups(means, counts)
        voices = [ids[label] for label in labels]
        self._remember(windows, units, voices, mixed)
        return voices

    def _least_cluster(self, windows: VoiceWindows, keep: np.ndarray) -> tuple[float, np.ndarray | None]:
        """The least size of a block cluster, and each kept window's size in its unit (None: one)."""
        if self.options.min_cluster_s <= 0:
            return self.options.min_cluster_windows, None
        sizes = speech_seconds(windows.starts[keep], windows.ends[keep])
        return least_speech(self.options.min_cluster_s, self.options.min_cluster_share, sizes), sizes

    def _overlapped(self, windows: VoiceWindows) -> np.ndarray:
        """Per window: whether the segmentation heard two voices in more than ``max_overlap_share``
        of it (such a window is a mixture: it is not clustered, it takes its nearest cluster). All
        False when fewer than ``min_block_windows`` windows would be left to cluster."""
        share = np.zeros(len(windows))
        for stream, result in self._heard:
            if stream == windows.stream and len(result.speakers):
                share = np.maximum(share, result.share_above(windows.starts, windows.ends,
                                                             self.options.overlap_threshold))
        mixed = share > self.options.max_overlap_share
        return mixed if np.sum(~mixed) >= self.options.min_block_windows else np.zeros(len(windows), bool)

    def _remember(self, windows: VoiceWindows, units: np.ndarray, voices: Sequence[int],
                  mixed: np.ndarray | None = None) -> None:
        if self.options.recluster_threshold is not None and len(windows):
            self.history.add(windows.stream, windows.starts, windows.ends, units, np.asarray(voices), mixed)

    def reset(self) -> None:
        """Drop the held block (the voices stay)."""
        self._segments, self._windows, self._pending = [], [], 0
        self._heard = []

    def state_dict(self) -> dict[str, np.ndarray]:
        """What must persist for voice ids to survive across streams (the clusterer) and for the
        end-of-stream pass to survive a resume (the stream's history)."""
        return {**self.clusterer.state_dict(), **self.history.state_dict(), "added_turns": self._added.copy(),
                "added_stream": np.array(self._added_stream)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict` (a clusterer's state alone leaves an empty history)."""
        self.clusterer.load_state_dict(state)
        self.history.load_state_dict(state)
        self._added = np.asarray(state.get("added_turns", np.zeros((0, 3))), dtype=np.float64).reshape(-1, 3)
        self._added_stream = str(state.get("added_stream", ""))


def _added_changes(history: StreamHistory, after: np.ndarray, added: np.ndarray) -> list[VoiceChange]:
    """Changes for second-voice and filled turns (which lie outside their voice's pieces): each
    takes the voice that the nearest piece of its voice took in the pass."""
    changes = []
    for start, end, voice in added:
        mine = np.flatnonzero(history.voices == int(voice))
        if not len(mine):
            continue
        gaps = np.maximum(np.maximum(history.starts[mine] - end, start - history.ends[mine]), 0.0)
        new = int(after[mine[int(np.argmin(gaps))]])
        if new != int(voice):
            changes.append(VoiceChange(history.stream, float(start), float(end), int(voice), new))
    return changes


def _without_samples(segment: SpeechSegment) -> SpeechSegment:
    """The segment's span only: a block holds spans, not audio."""
    return SpeechSegment(segment.stream, segment.start, segment.end, np.zeros(0, np.float32), segment.sample_rate)


def diarize_segments(segments: Sequence[SpeechSegment], embedder: VoiceEmbedder | str = "spectral",
                     clusterer: VoiceClusterer | None = None, **options) -> list[SpeakerTurn]:
    """Turns of a whole recording's speech segments (offline helper around :class:`Diarizer`),
    after the end-of-stream pass when the options ask for one."""
    diarizer = Diarizer(embedder, clusterer, **options)
    turns: list[SpeakerTurn] = []
    for segment in segments:
        turns += diarizer.push(segment)
    turns += diarizer.finish()
    return relabel_turns(turns, diarizer.finish_stream())


def relabel_turns(turns: Sequence[SpeakerTurn], changes: Sequence[VoiceChange]) -> list[SpeakerTurn]:
    """``turns`` with the voices the end-of-stream pass gave their spans."""
    if not changes:
        return list(turns)
    voices = relabelled([(t.start, t.end, t.voice) for t in turns], list(changes))
    return [replace(t, voice=int(v)) for t, v in zip(turns, voices)]


# ---- surprise for the event segmenter


@dataclass(frozen=True)
class SpeechEvent:
    """A moment the event segmenter may find surprising: speech starts, or the voice changes."""

    time: float
    kind: str  # "onset" or "change"
    voice: int


def speech_events(turns: Sequence[SpeakerTurn], pause: float = 1.0) -> list[SpeechEvent]:
    """Onsets (speech after at least ``pause`` s of silence) and voice changes, in time order."""
    events: list[SpeechEvent] = []
    previous: SpeakerTurn | None = None
    for turn in sorted(turns, key=lambda t: (t.start, t.end)):
        if previous is None or turn.start - previous.end >= pause:
            events.append(SpeechEvent(turn.start, "onset", turn.voice))
        elif turn.voice != previous.voice:
            events.append(SpeechEvent(turn.start, "change", turn.voice))
        if previous is None or turn.end >= previous.end:
            previous = turn
    return events


def speaker_change_scores(turns: Sequence[SpeakerTurn], times: np.ndarray, window: float = 1.0,
                          onset_weight: float = 1.0, change_weight: float = 1.0, pause: float = 1.0) -> np.ndarray:
    """Per-time surprise from speech: at each of ``times``, the weight of the strongest onset or
    voice change in the ``window`` seconds before it (0 where none). Times need not be regular.
    """
    times = np.asarray(times, dtype=np.float64)
    scores = np.zeros(len(times))
    weights = {"onset": onset_weight, "change": change_weight}
    for event in speech_events(turns, pause):
        hit = (times >= event.time) & (times < event.time + window)
        scores[hit] = np.maximum(scores[hit], weights[event.kind])
    return scores
