"""Feed a memory with what the ``sim`` perception backend reports about a rendered episode.

After the episode's mp4 went through the real pipeline (events, vectors, keyframes), this adds
what a robot's perception stack would have logged alongside: noisy detections with estimated
positions (as sightings, their colour read from the rendered pixels inside each box, containers with
the open/closed state the backend read), drifting
odometry (the pose log), noisy transcripts with diarised speaker names (heard lines), and the
map's room rectangles. Nothing here reads truth events or true identities: only
``sim.noise.SimPerception`` output, the rendered frames and the world's room layout (the map).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from memory.perceived import Area, Heard, Sighting, add_heard, add_sightings, set_areas
from memory.poses import Pose
from memory.store import MemoryStore
from sim.catalogue import COLOURS, FURNITURE
from sim.noise import NoiseConfig, SimPerception
from sim.truth import Truth

logger = logging.getLogger(__name__)

_NAMES = list(COLOURS)
_RGB = np.array([COLOURS[n] for n in _NAMES], np.float32)
_GAINS = np.linspace(0.35, 1.1, 10)  # room light levels and shading


def feed_sim_perception(store: MemoryStore, truth: Truth, video: str | Path, stream: str,
                        noise: NoiseConfig | None = None, seed: int = 0) -> dict:
    """Write sightings, poses, heard lines and the map of one episode into ``store``; returns counts."""
    perception = SimPerception(truth, noise or NoiseConfig(), seed)
    odo = perception.odometry(rate=5.0)
    poses = [Pose(stream, float(t), float(x), float(y), float(a)) for t, x, y, a in
             zip(odo.times, odo.xs, odo.ys, odo.yaws)]
    store.add_poses(poses)
    detections = perception.detections()
    colours = _colours(video, detections, truth)
    rows = []
    for i, d in enumerate(detections):
        kind = "person" if d.label == "person" else "furniture" if d.label in FURNITURE else "object"
        vector = np.asarray(d.appearance, np.float16).tobytes() if kind == "person" else None
        rows.append(Sighting(stream, float(d.time), int(d.track_id), kind, d.label, float(d.score),
                             float(d.position[0]), float(d.position[1]), colours.get(i, ""), vector, d.state))
    add_sightings(store, rows)
    lines = [Heard(stream, s.start, s.end, s.text, s.speaker) for s in perception.transcripts()]
    add_heard(store, lines)
    set_areas(store, [Area(r.name, *map(float, r.bounds)) for r in truth.rooms])
    counts = {"poses": len(poses), "sightings": len(rows), "heard": len(lines), "areas": len(truth.rooms)}
    logger.info("sim perception: %s", counts)
    return counts


def colour_name(pixels: np.ndarray) -> str:
    """The catalogue colour most pixels of an (n, 3) RGB patch are nearest to, under any of a range of
    light levels; dark pixels (shadow, outlines) do not vote. '' when no pixel is near any colour."""
    px = np.asarray(pixels, np.float32).reshape(-1, 3)
    if len(px) == 0:
        return ""
    lit = px.max(axis=1) > 60.0
    if lit.mean() < 0.1:
        return "black"  # mostly dark: a black thing (shadows and outlines alone are a minority)
    px = px[lit]
    best = np.full(len(px), np.inf, np.float32)
    label = np.zeros(len(px), int)
    for k, ref in enumerate(_RGB):
        for gain in _GAINS:
            dist = np.linalg.norm(px - gain * ref, axis=1)
            better = dist < best
            best[better], label[better] = dist[better], k
    counts = np.bincount(label[best < 20.0], minlength=len(_NAMES))
    return _NAMES[int(np.argmax(counts))] if counts.sum() else ""


def _colours(video: str | Path, detections, truth: Truth) -> dict[int, str]:
    """Colour names of object detections, read from the decoded frames at their times."""
    import av

    wanted: dict[int, list[int]] = {}
    for i, d in enumerate(detections):
        if d.label != "person" and d.label not in FURNITURE:
            wanted.setdefault(int(round(d.time * truth.fps)), []).append(i)
    out: dict[int, str] = {}
    if not wanted:
        return out
    with av.open(str(video)) as container:
        vstream = container.streams.video[0]
        for frame in container.decode(vstream):
            if frame.pts is None:
                continue
            index = int(round(float(frame.pts * vstream.time_base) * truth.fps))
            if index not in wanted:
                continue
            image = frame.to_ndarray(format="rgb24")
            for i in wanted.pop(index):
                out[i] = colour_name(_patch(image, detections[i].box))
            if not wanted:
                break
    return out


def _patch(image: np.ndarray, box) -> np.ndarray:
    h, w = image.shape[:2]
    x0, y0, x1, y1 = box
    cx, cy, bw, bh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * 0.35, (y1 - y0) * 0.35
    a, b = int(max(cx - bw, 0)), int(min(cx + bw + 1, w))
    c, d = int(max(cy - bh, 0)), int(min(cy + bh + 1, h))
    return image[c:d, a:b].reshape(-1, 3) if b > a and d > c else np.zeros((0, 3))
