"""How far ingest's placement (mnemo/positions.py over perception/geometry.py) puts a thing on furniture, by the
camera's range to it: the simulated robot is stood in front of every thing on a surface at 0.8-4 m, the
frame is rendered, the renderer's boxes get the simulated detector's box error (``sim.noise``: each edge
moved by ``--jitter`` of the box's size), and the boxes of that frame are placed as ingest places them.

    python bench/near_placement.py [--seeds 1,2,3] [--jitter 0.05] [--edge-share 0.15] [--known 0.15] [--no-surface]

``--known S``: memory holds every piece of furniture placed S metres (1 sigma, each axis) off its middle, as
the lived episode leaves it (mnemo/positions.py places a thing seen from near on it); without: no memory.
``--no-surface``: no usual top heights of furniture (``perception.geometry.SURFACE_M``): a thing is placed at
its support's middle (or on memory's furniture), as before they were used. The furniture's labels are the
true categories here (the suite's detector confuses some: a coffee table read as a table is 0.3 m too high).

Evaluation only: the truth (where the thing is) is read here to score, never by the placement. Prints, per
range band: things in view, the share placed, the median signed error along the line of sight (+: beyond
the thing) and the median and 90th percentile of the error in metres.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DISTANCES = (0.8, 1.0, 1.2, 1.4, 1.7, 2.0, 2.5, 3.0, 4.0)
BANDS = ((0.0, 1.5), (1.5, 3.0), (3.0, 9.0))


def measure(seed: int, edge_share: float, jitter: float,
            known_sigma: float | None, surfaces: bool = True) -> list[tuple[float, float | None, float | None]]:
    """(true range, signed error along the ray or None, error or None) per thing in view, per standpoint."""
    from memory.poses import PoseTrack
    from mnemo.positions import estimate_positions
    from perception.geometry import SURFACE_M, LevelCamera
    from sim.episode import RenderConfig, observe
    from sim.robot import RobotConfig, RobotSim
    from sim.tasks import Task

    robot = RobotSim(RobotConfig(minutes=2))
    world, _ = robot.lived(seed)
    robot.reset(seed, Task(0, "find", "", "object:0"))
    width, height = robot.config.width, robot.config.height
    camera = LevelCamera(height_m=world.agent.camera_height, hfov_deg=world.agent.hfov_deg, edge_share=edge_share)
    rng = np.random.default_rng(seed)
    known = [] if known_sigma is None else [(f.category, f.centre[0] + rng.normal(0, known_sigma),
                                             f.centre[1] + rng.normal(0, known_sigma)) for f in world.furniture]
    out = []
    for oid, (fid, slot) in sorted(robot._scene.places.items()):
        furniture = world.get(fid)
        if furniture.container:
            continue
        ox, oy = furniture.slots[slot]
        for d in DISTANCES:
            turn = rng.uniform(-0.5, 0.5)  # up to 29 degrees off the furniture's front
            fx, fy = furniture.facing
            dx, dy = fx * math.cos(turn) - fy * math.sin(turn), fx * math.sin(turn) + fy * math.cos(turn)
            px, py = ox + dx * d, oy + dy * d
            room = world.room_at(px, py)
            if room is None or not room.contains(px, py, 0.2):
                continue
            yaw = math.atan2(oy - py, ox - px) + rng.uniform(-0.3, 0.3)
            seen = observe(robot._renderer, robot._state(0.0, (px, py, yaw)), RenderConfig(width, height)).entities
            if not any(e.entity == oid for e in seen):
                continue
            items = [(0.0, e.entity.split(":")[0], _jittered(e.box, jitter, rng)) for e in seen]
            labels = [_label(world, e.entity) for e in seen]
            poses = PoseTrack("s", np.array([0.0, 1.0]), np.array([px, px]), np.array([py, py]), np.array([yaw, yaw]))
            got = estimate_positions(camera, (width, height), poses, items, labels, known,
                                     SURFACE_M if surfaces else {})[
                [e.entity for e in seen].index(oid)]
            true_range = math.hypot(ox - px, oy - py)
            if got is None:
                out.append((true_range, None, None))
            else:
                out.append((true_range, math.hypot(got[0] - px, got[1] - py) - true_range,
                            math.hypot(got[0] - ox, got[1] - oy)))
    return out


def _label(world, entity: str) -> str:
    if entity.startswith("furniture"):
        return world.get(entity).category
    return "person" if entity.startswith("person") else "object"


def _jittered(box, share: float, rng) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in box)
    w, h = x1 - x0, y1 - y0
    x0, x1 = x0 + rng.normal(0, share * w), x1 + rng.normal(0, share * w)
    y0, y1 = y0 + rng.normal(0, share * h), y1 + rng.normal(0, share * h)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--jitter", type=float, default=0.05)
    parser.add_argument("--edge-share", type=float, default=0.15)
    parser.add_argument("--known", type=float, default=None)
    parser.add_argument("--no-surface", action="store_true", help="no usual top heights (SURFACE_M): a thing on "
                        "furniture at its support's middle, as before them")
    args = parser.parse_args()
    rows = [r for s in args.seeds.split(",") for r in measure(int(s), args.edge_share, args.jitter, args.known,
                                                                  not args.no_surface)]
    print("range      in view  placed  along median  error median  error p90")
    for lo, hi in BANDS:
        band = [r for r in rows if lo <= r[0] < hi]
        placed = [r for r in band if r[2] is not None]
        if not band:
            continue
        along = f"{np.median([r[1] for r in placed]):+.2f} m" if placed else "-"
        error = f"{np.median([r[2] for r in placed]):.2f} m" if placed else "-"
        p90 = f"{np.quantile([r[2] for r in placed], 0.9):.2f} m" if placed else "-"
        print(f"{lo:.1f}-{hi:.1f} m  {len(band):7d}  {len(placed) / len(band):6.0%}  {along:>12}  {error:>12}  {p90:>9}")


if __name__ == "__main__":
    main()
