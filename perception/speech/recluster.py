"""The end-of-stream pass of diarisation: the whole stream's speech clustered again, ids kept stable.

While a stream is read, each block of windows is decided on its own and mapped onto the persistent
voices (see :class:`perception.speech.diarize.Diarizer`). A block sees little: a voice heard in two
blocks may have become two voices. :class:`StreamHistory` keeps, per run of consecutive windows
given one voice (a *piece*), the sum of its unit vectors, its window count and span; when the stream
ends, :func:`recluster` joins the pieces by average linkage over all their windows (exact: the mean
cosine between two groups of unit vectors is the dot product of their sums over the product of
their counts) and maps the clusters onto the ids already given out, so that an answered
``voice:3`` stays ``voice:3``:

* an id stays with the cluster that holds most of its windows;
* a cluster holding several such ids (a merge) takes the oldest (smallest) one;
* a cluster holding no id's majority is a new voice.

Pieces whose voice changes are returned as :class:`VoiceChange` s, for relabelling what was stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoiceChange:
    """Speech of ``stream`` in [start, end) said to be voice ``old`` is voice ``new``."""

    stream: str
    start: float
    end: float
    old: int
    new: int


class StreamHistory:
    """Pieces of one stream's speech: span, voice, window count and sum of unit vectors."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.stream = ""
        self.starts = np.zeros(0)
        self.ends = np.zeros(0)
        self.voices = np.zeros(0, np.int64)
        self.counts = np.zeros(0, np.int64)
        self.sums = np.zeros((0, dim), np.float32)
        self.mixed = np.zeros(0, bool)  # pieces of windows heard as two voices at once (overlap)
        self.seconds = np.zeros(0)  # seconds of speech each piece's windows add to the stream's

    def __len__(self) -> int:
        return len(self.voices)

    def add(self, stream: str, starts: np.ndarray, ends: np.ndarray, units: np.ndarray, voices: np.ndarray,
            mixed: np.ndarray | None = None) -> None:
        """Record windows (in time order) with their unit vectors and voices, as runs of one voice
        (and of one kind: ``mixed`` marks windows of overlapped speech, kept apart)."""
        if len(voices) == 0:
            return
        if self.stream and stream != self.stream:
            logger.info("voice history of %s dropped without its end-of-stream pass: %s began", self.stream, stream)
            self.clear()
        self.stream = stream
        covered = self.ends.max() if len(self.ends) else -np.inf  # the stream's speech already held
        voices = np.asarray(voices, np.int64)
        mixed = np.zeros(len(voices), bool) if mixed is None else np.asarray(mixed, bool)
        starts, ends = np.asarray(starts, np.float64), np.asarray(ends, np.float64)
        change = (np.diff(voices) != 0) | (np.diff(mixed.astype(np.int8)) != 0)
        bounds = np.concatenate([[0], np.flatnonzero(change) + 1, [len(voices)]])
        first, last = bounds[:-1], bounds[1:]
        self.starts = np.concatenate([self.starts, np.asarray(starts)[first]])
        self.ends = np.concatenate([self.ends, np.asarray(ends)[last - 1]])
        self.voices = np.concatenate([self.voices, voices[first]])
        self.counts = np.concatenate([self.counts, last - first])
        sums = np.add.reduceat(np.asarray(units, np.float64), first, axis=0).astype(np.float32)
        added = np.add.reduceat(speech_seconds(starts, ends, covered), first)
        self.seconds = np.concatenate([self.seconds, added])
        self.sums = np.concatenate([self.sums, sums])
        self.mixed = np.concatenate([self.mixed, mixed[first]])

    def forget(self, voices: set[int]) -> None:
        """Drop the pieces of ``voices`` (a forgotten voice leaves no trace)."""
        keep = ~np.isin(self.voices, list(voices))
        self._keep(keep)

    def clear(self) -> None:
        self.stream = ""
        self._keep(np.zeros(len(self), bool))

    def _keep(self, keep: np.ndarray) -> None:
        self.starts, self.ends, self.voices = self.starts[keep], self.ends[keep], self.voices[keep]
        self.counts, self.sums, self.mixed = self.counts[keep], self.sums[keep], self.mixed[keep]
        self.seconds = self.seconds[keep]

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"history_stream": np.array(self.stream), "history_starts": self.starts.copy(),
                "history_ends": self.ends.copy(), "history_voices": self.voices.copy(),
                "history_counts": self.counts.copy(), "history_sums": self.sums.astype(np.float16),
                "history_mixed": self.mixed.copy(), "history_seconds": self.seconds.copy()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict`; a state without history (older memories) gives an empty one."""
        if "history_voices" not in state:
            self.clear()
            return
        self.stream = str(state["history_stream"])
        self.starts = np.asarray(state["history_starts"], np.float64)
        self.ends = np.asarray(state["history_ends"], np.float64)
        self.voices = np.asarray(state["history_voices"], np.int64)
        self.counts = np.asarray(state["history_counts"], np.int64)
        self.sums = np.asarray(state["history_sums"], np.float32).reshape(-1, self.dim)
        self.mixed = np.asarray(state.get("history_mixed", np.zeros(len(self.voices), bool)), bool)
        self.seconds = np.asarray(state.get("history_seconds", self.ends - self.starts), np.float64)


def speech_seconds(starts: np.ndarray, ends: np.ndarray, covered: float = -np.inf) -> np.ndarray:
    """Per window (in time order), the seconds it adds to the union of the spans before it (and of
    what is covered up to ``covered``): their sum is the speech the windows cover, however much
    they overlap."""
    starts, ends = np.asarray(starts, np.float64), np.asarray(ends, np.float64)
    before = np.maximum.accumulate(np.concatenate([[covered], ends]))[:-1]
    return np.maximum(ends - np.maximum(starts, before), 0.0)


def cluster_pieces(sums: np.ndarray, counts: np.ndarray, threshold: float) -> np.ndarray:
    """Labels 0..k-1 of pieces joined by average linkage over their windows while the mean cosine
    between two groups' windows exceeds ``threshold``."""
    n = len(counts)
    if n == 0:
        return np.zeros(0, np.int64)
    totals = np.asarray(sums, np.float64).copy()
    sizes = np.asarray(counts, np.float64).copy()
    alive = np.ones(n, bool)
    owner = np.arange(n)
    similarity = (totals @ totals.T) / np.outer(sizes, sizes)
    np.fill_diagonal(similarity, -np.inf)
    while True:
        flat = int(np.argmax(similarity))
        a, b = divmod(flat, n)
        if not similarity[a, b] > threshold:
            break
        a, b = min(a, b), max(a, b)  # b joins a
        totals[a] += totals[b]
        sizes[a] += sizes[b]
        alive[b] = False
        owner[owner == b] = a
        similarity[b, :] = similarity[:, b] = -np.inf
        row = (totals @ totals[a]) / (sizes * sizes[a])
        row[~alive] = -np.inf
        row[a] = -np.inf
        similarity[a, :] = similarity[:, a] = row
    _, labels = np.unique(owner, return_inverse=True)
    return labels.astype(np.int64)


def merge_levels(sums: np.ndarray, counts: np.ndarray, floor: float = -1.0, levels: int = 40) -> list[np.ndarray]:
    """Partitions of the groups along their average-linkage tree (exact over windows, as
    :func:`cluster_pieces`), from the one where every merge left has a mean cosine at most
    ``floor`` up to a single cluster: the ``levels`` coarsest of them, finest first."""
    n = len(counts)
    if n == 0:
        return []
    labels = cluster_pieces(sums, counts, floor)
    k = int(labels.max()) + 1
    totals = np.stack([np.asarray(sums, np.float64)[labels == j].sum(axis=0) for j in range(k)])
    sizes = np.array([np.asarray(counts, np.float64)[labels == j].sum() for j in range(k)])
    similarity = (totals @ totals.T) / np.outer(sizes, sizes)
    np.fill_diagonal(similarity, -np.inf)
    owner = np.arange(k)
    alive = np.ones(k, bool)
    partitions = [labels] if k <= levels else []
    for live in range(k, 1, -1):
        a, b = divmod(int(np.argmax(similarity)), k)
        a, b = min(a, b), max(a, b)  # b joins a
        totals[a] += totals[b]
        sizes[a] += sizes[b]
        owner[owner == b] = a
        alive[b] = False
        similarity[b, :] = similarity[:, b] = -np.inf
        row = (totals @ totals[a]) / (sizes * sizes[a])
        row[~alive] = -np.inf
        row[a] = -np.inf
        similarity[a, :] = similarity[:, a] = row
        if live - 1 <= levels:
            _, merged = np.unique(owner[labels], return_inverse=True)
            partitions.append(merged.astype(np.int64))
    return partitions


def least_speech(seconds: float, share: float, sizes: np.ndarray) -> float:
    """The least speech a cluster needs: ``seconds``, or ``share`` of all the speech ``sizes``
    hold when that is less (``share`` 0: ``seconds``)."""
    if share <= 0:
        return seconds
    return min(seconds, share * float(np.sum(sizes)))


def silhouette(sums: np.ndarray, counts: np.ndarray, labels: np.ndarray, lone_cos: float | None = None,
               lone_windows: bool = False) -> float:
    """Mean silhouette (cosine distance) of a partition of groups of unit vectors (windows), each
    group weighted by its windows. A group's distances are its windows' mean distances (to the
    windows of the other groups of its cluster; to the nearest other cluster), exact from the sums;
    the silhouette of those means stands for the mean of its windows' (exact for one window per
    group). A group alone in its cluster scores 0: a group's own windows are left out of its
    cohesion, since windows of one piece overlap in time and share their audio (counted, they make
    any piece look like a voice of its own). With ``lone_cos``, a group of several windows alone in
    its cluster counts as that cohesive; with ``lone_windows`` too, so does a single window alone
    (people who say a second each: else no split of them scores above 0)."""
    sums = np.asarray(sums, np.float64)
    counts = np.asarray(counts, np.float64)
    k = int(labels.max()) + 1 if len(labels) else 0
    if k < 2:
        return -1.0
    totals = np.stack([sums[labels == j].sum(axis=0) for j in range(k)])
    sizes = np.array([counts[labels == j].sum() for j in range(k)])
    mean_cos = (sums @ totals.T) / np.outer(counts, sizes)  # (groups, clusters)
    rows = np.arange(len(labels))
    others = sizes[labels] - counts  # the windows of the other groups of each group's cluster
    own_cos = (sums * (totals[labels] - sums)).sum(axis=1) / np.maximum(counts * others, 1e-12)
    scored = others > 0
    if lone_cos is not None:  # a group of several windows alone in its cluster: as cohesive as lone_cos
        lone = ~scored & (counts > (0 if lone_windows else 1))
        own_cos, scored = np.where(lone, lone_cos, own_cos), scored | lone
    a = 1.0 - own_cos
    mean_cos[rows, labels] = -np.inf
    b = 1.0 - mean_cos.max(axis=1)
    score = np.where(scored, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(np.sum(score * counts) / counts.sum())


def select_clusters(sums: np.ndarray, counts: np.ndarray, min_windows: float = 1, floor: float = -1.0,
                    max_clusters: int = 10, min_silhouette: float = 0.0,
                    sizes: np.ndarray | None = None, lone_windows: bool = False) -> np.ndarray:
    """Labels of groups of windows, the number of clusters found: of the partitions along the
    average-linkage tree (groups whose windows' mean cosine exceeds ``floor`` always join), each
    with clusters under ``min_windows`` given to their nearest, the one of highest silhouette
    with at most ``max_clusters`` clusters; one cluster when none scores above ``min_silhouette``.
    ``sizes``: each group's size for ``min_windows`` (e.g. seconds of speech; default ``counts``)."""
    n = len(counts)
    if n < 2:
        return np.zeros(n, np.int64)
    best, chosen, seen = min_silhouette, np.zeros(n, np.int64), set()
    for labels in merge_levels(sums, counts, floor):
        labels = absorb_small(sums, counts, labels, min_windows, sizes)
        key = labels.tobytes()
        if key in seen or not 2 <= labels.max() + 1 <= max_clusters:
            continue
        seen.add(key)
        score = silhouette(sums, counts, labels, lone_cos=floor, lone_windows=lone_windows)
        if score > best:
            best, chosen = score, labels
    return chosen


def stable_ids(labels: np.ndarray, voices: np.ndarray, counts: np.ndarray) -> list[int | None]:
    """Per cluster, the id it keeps (None: a new voice): each id goes to the cluster holding most of
    its windows (ties: the earlier cluster); a cluster given several takes the oldest (smallest)."""
    k = int(labels.max()) + 1 if len(labels) else 0
    home: dict[int, int] = {}
    for voice in np.unique(voices):
        weight = np.bincount(labels[voices == voice], weights=counts[voices == voice], minlength=k)
        home[int(voice)] = int(np.argmax(weight))
    kept: list[int | None] = [None] * k
    for voice, cluster in sorted(home.items()):
        if kept[cluster] is None:
            kept[cluster] = voice
    return kept


def absorb_small(sums: np.ndarray, counts: np.ndarray, labels: np.ndarray, min_windows: float,
                 sizes: np.ndarray | None = None) -> np.ndarray:
    """Clusters of fewer than ``min_windows`` windows (of ``sizes`` under it, when given: e.g.
    seconds of speech per group) join the cluster of highest mean cosine with them (over windows),
    smallest first, until all are large enough or one is left."""
    labels = labels.copy()
    sums = np.asarray(sums, np.float64)
    weights = np.asarray(counts if sizes is None else sizes, np.float64)
    while True:
        names = np.unique(labels)
        sizes_ = np.array([weights[labels == name].sum() for name in names])
        if len(names) < 2 or sizes_.min() >= min_windows:
            _, labels = np.unique(labels, return_inverse=True)
            return labels.astype(np.int64)
        small = names[int(np.argmin(sizes_))]
        total = sums[labels == small].sum(axis=0)
        others = [name for name in names if name != small]
        scores = [float(sums[labels == name].sum(axis=0) @ total) / counts[labels == name].sum() for name in others]
        labels[labels == small] = others[int(np.argmax(scores))]


def resegment_pieces(sums: np.ndarray, counts: np.ndarray, labels: np.ndarray, rounds: int = 2) -> np.ndarray:
    """``labels`` after ``rounds`` of giving each piece to the cluster whose unit centroid its windows
    are nearest on average (a cluster left empty disappears); labels come back as 0..k-1."""
    sums = np.asarray(sums, np.float64)
    labels = np.asarray(labels, np.int64)
    for _ in range(rounds):
        names = np.unique(labels)
        if len(names) < 2:
            break
        totals = np.stack([sums[labels == name].sum(axis=0) for name in names])
        centroids = totals / np.maximum(np.linalg.norm(totals, axis=1, keepdims=True), 1e-12)
        moved = names[np.argmax(sums @ centroids.T, axis=1)]
        if np.array_equal(moved, labels):
            break
        labels = moved
    _, labels = np.unique(labels, return_inverse=True)
    return labels.astype(np.int64)


def recluster(history: StreamHistory, threshold: float, min_windows: int = 1,
              select: bool = False, max_clusters: int = 10, rounds: int = 0,
              min_seconds: float = 0.0, min_share: float = 0.0,
              lone_windows: bool = False) -> tuple[np.ndarray, list[int | None]]:
    """Cluster labels of the history's pieces and the id each cluster keeps (see :func:`stable_ids`).

    ``select``: pieces joined above ``threshold``, then the number of clusters chosen by silhouette
    (:func:`select_clusters`), then ``rounds`` of :func:`resegment_pieces`; otherwise joined while
    above ``threshold``. A cluster needs ``min_seconds`` of speech (when > 0; else ``min_windows``
    windows), or ``min_share`` of the stream's speech when that is less (see :func:`least_speech`)."""
    clean = ~history.mixed if np.sum(~history.mixed) >= 2 else np.ones(len(history), bool)
    sums, counts = history.sums[clean], history.counts[clean]
    if min_seconds > 0:
        sizes = history.seconds[clean]
        least = least_speech(min_seconds, min_share, sizes)
    else:
        least, sizes = min_windows, None
    if select:
        found = select_clusters(sums, counts, least, threshold, max_clusters, sizes=sizes, lone_windows=lone_windows)
        found = resegment_pieces(sums, counts, found, rounds)
    else:
        found = cluster_pieces(sums, counts, threshold)
        found = absorb_small(sums, counts, found, least, sizes)
    labels = np.zeros(len(history), np.int64)
    labels[clean] = found
    if not clean.all():  # pieces of overlapped speech take the cluster their windows are nearest
        totals = np.stack([np.asarray(sums, np.float64)[found == j].sum(axis=0) for j in range(int(found.max()) + 1)])
        centroids = totals / np.maximum(np.linalg.norm(totals, axis=1, keepdims=True), 1e-12)
        labels[~clean] = np.argmax(np.asarray(history.sums[~clean], np.float64) @ centroids.T, axis=1)
    return labels, stable_ids(labels[clean], history.voices[clean], history.counts[clean])


def relabelled(spans: list[tuple[float, float, int | None]], changes: list[VoiceChange]) -> list[int | None]:
    """The voice each (start, end, voice) span takes after ``changes`` (its own when none applies).

    A span of voice ``old`` takes the ``new`` of the changes from ``old`` that cover at least half
    of it (the most covered ``new`` when several); a span of no length, a change that contains it.
    """
    out: list[int | None] = []
    for start, end, voice in spans:
        cover: dict[int, float] = {}
        for change in changes:
            if change.old != voice:
                continue
            shared = min(end, change.end) - max(start, change.start)
            if shared > 0 or (end <= start and change.start <= start < change.end):
                cover[change.new] = cover.get(change.new, 0.0) + max(shared, 0.0)
        best = max(cover, key=cover.get) if cover else None
        out.append(best if best is not None and 2 * cover[best] >= end - start else voice)
    return out
