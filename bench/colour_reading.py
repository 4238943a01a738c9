"""How well colour names are read from the pixels: every stored object sighting of simulated episodes matched to a
true thing, its colour read again from the episode's frame and compared with the thing's true colour.

    PYTHONPATH=$PWD python bench/colour_reading.py WORK:1,2,3 [WORK:4,5,6 ...] [--crops FILE.npz] [--show DIR]

WORK is a ``mnemo eval --suite sim --work`` folder (``episode-N/truth.json``, ``episode-N/episode.mp4`` and
``memory-N`` beside). A stored sighting is matched to the renderer's box of a true object at the nearest truth
frame (within 0.15 s, IoU >= 0.3). Prints the share read right now and as ingest stored it, the confusion matrix
(true colour per row, read colour per column) and the share right by box size. ``--crops`` keeps the cut-out
neighbourhoods of the boxes in a file and reads them from it the next time (decoding the videos is the slow part);
``--show`` writes PNGs of misread crops, enlarged, named by true and read colour.
"""

from __future__ import annotations

import argparse
import bisect
import json
import sqlite3
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perception.colour import ColourNamer  # noqa: E402

NEAR_S = 0.15  # a stored sighting and a truth frame this close in time are the same moment
MIN_IOU = 0.3  # a stored box overlapping a true box this much is that thing
PAD = 0.6  # the neighbourhood kept around a box, in box sizes per side (the namer reads a ring up to 0.3)
SIZES = (80, 200, 600)  # box areas (pixels) by which accuracy is split
_SIZE_NAMES = [f"<{a}" for a in SIZES] + [f">={SIZES[-1]}"]


@dataclass
class Sample:
    crop: np.ndarray  # (h, w, 3) uint8: the box's neighbourhood in the frame
    box: tuple  # the box in the crop's coordinates
    truth: str  # the thing's true colour
    stored: str  # the colour ingest stored
    label: str  # the thing's true category
    seed: int
    time: float


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union if union > 0 else 0.0


def matched(work: Path, seed: int) -> list[tuple]:
    """(time, box, true object, stored colour, stored label) of the stored object sightings matched to a true
    thing (its nearest truth frame within NEAR_S, the true box of largest IoU, at least MIN_IOU)."""
    truth = json.loads((work / f"episode-{seed}/truth.json").read_text())
    objects = {o["id"]: o for o in truth["objects"]}
    frames = sorted((o["time"], o["entities"]) for o in truth["observations"])
    times = [f[0] for f in frames]
    db = sqlite3.connect(f"file:{work}/memory-{seed}/memory.db?mode=ro", uri=True)
    rows = db.execute("select time, colour, box, label from sightings where kind='object' and box is not null "
                      "order by time").fetchall()
    db.close()
    out = []
    for time, colour, box, label in rows:
        i = bisect.bisect_left(times, time)
        j = min((k for k in (i - 1, i) if 0 <= k < len(times)), key=lambda k: abs(times[k] - time))
        if abs(times[j] - time) > NEAR_S:
            continue
        b = json.loads(box)
        best = max(((_iou(b, e["box"]), e) for e in frames[j][1] if e["entity"] in objects),
                   default=(0.0, None), key=lambda p: p[0])
        if best[0] >= MIN_IOU:
            out.append((time, b, objects[best[1]["entity"]], colour or "", label))
    return out


def _cut(image: np.ndarray, box) -> tuple[np.ndarray, tuple]:
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (float(v) for v in box)
    px, py = int((x1 - x0) * PAD) + 3, int((y1 - y0) * PAD) + 3
    a, c = max(int(x0) - px, 0), max(int(y0) - py, 0)
    b, d = min(int(x1) + 1 + px, w), min(int(y1) + 1 + py, h)
    return image[c:d, a:b].copy(), (x0 - a, y0 - c, x1 - a, y1 - c)


def samples(work: Path, seed: int) -> list[Sample]:
    """The matched sightings of one seed with the neighbourhoods of their boxes cut from the decoded frames."""
    import av

    want = matched(work, seed)
    times = sorted({w[0] for w in want})
    frames: dict[float, np.ndarray] = {}
    k = 0
    with av.open(str(work / f"episode-{seed}/episode.mp4")) as container:
        for frame in container.decode(video=0):
            ft = float(frame.pts * frame.time_base)
            while k < len(times) and times[k] <= ft + 0.051:
                if abs(times[k] - ft) <= 0.051:
                    frames[times[k]] = frame.to_ndarray(format="rgb24")
                k += 1
            if k >= len(times):
                break
    out = []
    for time, box, obj, stored, _ in want:
        if time in frames:
            crop, local = _cut(frames[time], box)
            out.append(Sample(crop, local, obj["colour"], stored, obj["category"], seed, time))
    return out


def _save(path: Path, data: list[Sample]) -> None:
    np.savez_compressed(path, crops=np.array([s.crop for s in data], dtype=object),
                        meta=json.dumps([[s.box, s.truth, s.stored, s.label, s.seed, s.time] for s in data]))


def _load(path: Path) -> list[Sample]:
    z = np.load(path, allow_pickle=True)
    return [Sample(c, tuple(m[0]), *m[1:]) for c, m in zip(z["crops"], json.loads(str(z["meta"])))]


def read_all(data: list[Sample], namer: ColourNamer) -> list[str]:
    return [namer.of_box(s.crop, s.box) for s in data]


def report(data: list[Sample], reads: list[str]) -> dict:
    """Share right, share ingest stored right, the confusion matrix and the share right by box area."""
    confusion: dict[str, Counter] = defaultdict(Counter)
    by_size: dict[str, Counter] = defaultdict(Counter)
    for s, got in zip(data, reads):
        confusion[s.truth][got or "-"] += 1
        x0, y0, x1, y1 = s.box
        area = (x1 - x0) * (y1 - y0)
        size = next((f"<{a}" for a in SIZES if area < a), f">={SIZES[-1]}")
        by_size[size][got == s.truth] += 1
    n = max(len(data), 1)
    return {"n": len(data), "right": sum(g == s.truth for s, g in zip(data, reads)) / n,
            "stored_right": sum(s.stored == s.truth for s in data) / n,
            "none": sum(not g for g in reads) / n, "wrong": sum(bool(g) and g != s.truth for s, g in zip(data, reads)) / n,
            "confusion": {t: dict(c) for t, c in sorted(confusion.items())},
            "by_size": {k: round(by_size[k][True] / sum(by_size[k].values()), 3) for k in _SIZE_NAMES if k in by_size},
            "size_counts": {k: sum(by_size[k].values()) for k in _SIZE_NAMES if k in by_size}}


def print_report(r: dict) -> None:
    print(f"n={r['n']} read right {r['right']:.3f}, wrong {r['wrong']:.3f}, none {r['none']:.3f} "
          f"(ingest stored right {r['stored_right']:.3f})")
    cols = sorted({c for row in r["confusion"].values() for c in row})
    print("true\\read " + " ".join(f"{c[:5]:>5s}" for c in cols) + "  right")
    for t, row in r["confusion"].items():
        tot = sum(row.values())
        print(f"{t:9s} " + " ".join(f"{row.get(c, 0):5d}" for c in cols) + f"  {row.get(t, 0) / tot:.2f} of {tot}")
    print("by box area: " + ", ".join(f"{k} {v:.3f} ({r['size_counts'][k]})" for k, v in r["by_size"].items()))


def show(data: list[Sample], reads: list[str], folder: Path, limit: int = 80) -> None:
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    wrong = [(s, g) for s, g in zip(data, reads) if g != s.truth]
    for i, (s, got) in enumerate(wrong[:: max(1, len(wrong) // limit)][:limit]):
        scale = max(1, 96 // max(s.crop.shape[:2]))
        big = cv2.resize(s.crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
        x0, y0, x1, y1 = (int(round(v * scale)) for v in s.box)
        big = cv2.rectangle(np.ascontiguousarray(big), (x0, y0), (x1, y1), (255, 0, 255), 1)
        name = f"{i:03d}-s{s.seed}-{s.label}-{s.truth}-read-{got or 'none'}.png"
        cv2.imwrite(str(folder / name), cv2.cvtColor(big, cv2.COLOR_RGB2BGR))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="+", help="WORK:seed,seed,...")
    parser.add_argument("--crops", type=Path, help="keep/read the cut-out boxes here (.npz)")
    parser.add_argument("--show", type=Path, help="write PNGs of misread crops here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.crops and args.crops.exists():
        data = _load(args.crops)
    else:
        data = [s for item in args.sets for s in _samples_of(item)]
        if args.crops:
            _save(args.crops, data)
    reads = read_all(data, ColourNamer())
    r = report(data, reads)
    print(json.dumps(r, indent=1) if args.json else "", end="")
    if not args.json:
        print_report(r)
    if args.show:
        show(data, reads, args.show)


def _samples_of(item: str) -> list[Sample]:
    work, seeds = item.rsplit(":", 1)
    return [s for seed in seeds.split(",") for s in samples(Path(work), int(seed))]


if __name__ == "__main__":
    main()
