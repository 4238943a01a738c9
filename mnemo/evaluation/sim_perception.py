"""Feed a memory with what the ``sim`` perception backend reports about a rendered episode.

After the episode's mp4 went through the real pipeline (events, vectors, keyframes), this adds
what a robot's perception stack would have logged alongside: noisy detections with estimated
positions (as sightings: their colour read from the rendered pixels inside each box against those
around it, people and objects with their re-identification vectors, containers with the open/closed
state the backend read), drifting odometry (the pose log),
noisy transcripts with diarised speaker names (heard lines), and the
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
NEAR_COLOUR = 20.0  # RGB distance within which a pixel is a catalogue colour under some light
DARK = 60.0  # a pixel no brighter than this in any channel is dark: shadow, outline, screen, or black
STANDS_OUT = 0.02  # share by which a colour must exceed its share around the box to name the thing
DARK_SHARE = 0.1  # share by which dark pixels must exceed theirs around the box to read "black"
INSIDE = 0.9  # the central share of a box (per axis) read as the thing
SURROUND = 1.15  # from this many times the box's half size outwards: what is around the thing


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
        vector = np.asarray(d.appearance, np.float16).tobytes() if kind != "furniture" else None
        rows.append(Sighting(stream, float(d.time), int(d.track_id), kind, d.label, float(d.score),
                             float(d.position[0]), float(d.position[1]), colours.get(i, ""), vector, d.state))
    add_sightings(store, rows)
    lines = [Heard(stream, s.start, s.end, s.text, s.speaker) for s in perception.transcripts()]
    add_heard(store, lines)
    set_areas(store, [Area(r.name, *map(float, r.bounds)) for r in truth.rooms])
    counts = {"poses": len(poses), "sightings": len(rows), "heard": len(lines), "areas": len(truth.rooms)}
    logger.info("sim perception: %s", counts)
    return counts


def colour_name(pixels: np.ndarray, surround: np.ndarray | None = None) -> str:
    """The catalogue colour of a thing from the (n, 3) RGB pixels of its box: the colour whose share of
    the box's pixels most exceeds its share of the ``surround`` (pixels just outside the box), so the
    wall, floor or table showing around a small or thin thing does not name it. Each pixel takes the
    catalogue colour it is nearest to under any of a range of light levels; dark pixels (shadow,
    outlines, a phone's screen) vote for nothing but "black", read when they are what the box holds
    more of than its surround and no colour stands out. '' when nothing does."""
    inside = _pixel_colours(pixels)
    if len(inside) == 0:
        return ""
    share = np.bincount(inside[inside >= 0], minlength=len(_NAMES) + 1) / len(inside)
    excess = share.copy()
    if surround is not None and len(surround):
        around = _pixel_colours(surround)
        excess -= np.bincount(around[around >= 0], minlength=len(_NAMES) + 1) / len(around)
    colours = excess[:-1]
    if colours.max() > STANDS_OUT:
        return _NAMES[int(np.argmax(colours))]
    if excess[-1] > DARK_SHARE:
        return "black"
    return _NAMES[int(np.argmax(share[:-1]))] if share[:-1].sum() else ""


def _pixel_colours(pixels: np.ndarray) -> np.ndarray:
    """Per pixel: the index of the nearest catalogue colour under some light level, len(_NAMES) for a
    dark pixel, -1 for one near no colour."""
    px = np.asarray(pixels, np.float32).reshape(-1, 3)
    best = np.full(len(px), np.inf, np.float32)
    label = np.zeros(len(px), int)
    for k, ref in enumerate(_RGB):
        for gain in _GAINS:
            dist = np.linalg.norm(px - gain * ref, axis=1)
            better = dist < best
            best[better], label[better] = dist[better], k
    label[best >= NEAR_COLOUR] = -1
    label[px.max(axis=1) <= DARK] = len(_NAMES)
    return label


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
                out[i] = colour_name(*box_regions(image, detections[i].box))
            if not wanted:
                break
    return out


def box_regions(image: np.ndarray, box) -> tuple[np.ndarray, np.ndarray]:
    """(inside, surround) pixels of a box (x0, y0, x1, y1) in an image: the central INSIDE share of the
    box, and the ring from 1.15 to 1.3 times its size around it, cut at the image's edges."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (float(v) for v in box)
    pad_x, pad_y = int((x1 - x0) * 0.3) + 2, int((y1 - y0) * 0.3) + 2
    a, b = max(int(max(x0, 0)) - pad_x, 0), min(int(min(x1 + 1, w)) + pad_x, w)
    c, d = max(int(max(y0, 0)) - pad_y, 0), min(int(min(y1 + 1, h)) + pad_y, h)
    if b <= a or d <= c:
        return np.zeros((0, 3)), np.zeros((0, 3))
    crop = image[c:d, a:b]
    yy, xx = np.mgrid[c:d, a:b]
    half_w, half_h = max((x1 - x0) / 2, 0.5), max((y1 - y0) / 2, 0.5)
    reach = np.maximum(np.abs(xx + 0.5 - (x0 + x1) / 2) / half_w, np.abs(yy + 0.5 - (y0 + y1) / 2) / half_h)
    return crop[reach <= INSIDE], crop[reach > SURROUND]
