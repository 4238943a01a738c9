"""Why embodied tasks failed: each failed run of an embodied report, set beside the simulator's truth, so that
a failure can be classified (never stored, stored elsewhere or under another label or colour, moved unseen,
stopped too early or too late, budget spent) before any change is made.

    python bench/embodied_failures.py REPORT.json WORK [--methods memory] [--tasks DIR] [--spl]

REPORT.json is what ``mnemo eval --suite embodied --json`` prints (or its report.json); WORK its ``--work``
folder (default ``out/eval/work``), which holds each seed's lived memory and episode truth and each task's
memory (``--tasks`` when the task folders were written elsewhere: ``DIR/seed-S/task-N-METHOD``).

Evaluation only: the truth (where the thing is now, where the camera last had it in view) is read here to
explain a failure, never by a planner. Prints per failed run: the instruction as read, the truth, what the
lived memory held of the label (placed and unplaced sightings, memory's goal candidates with their distance
to the truth), why the run stopped and how far from the thing, the task's own sightings of the label (time,
distance of the placement to the truth, colour read) and the run's trace.

``--spl``: where the successful runs' SPL goes instead (read from the report alone): per run, the metres driven
by the purpose of each move (a memory place, a search of furniture, a look around a room, the approach to a thing
seen, carrying), the metres driven back to a point the run had stood at already, and looks made without moving.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _trace(run: dict) -> str:
    parts = []
    for s in run["trace"]:
        arg = s.get("x", s.get("yaw", s.get("thing", s.get("answer", ""))))
        arg = f"{arg:.1f}" if isinstance(arg, float) else arg
        y = f" {s['y']:.1f}" if "y" in s else ""
        result = "" if s["result"] == "ok" else f" ({s['result']})"
        parts.append(f"{s['action']} {arg}{y} [{s['why'][:30]}]{result}")
    return "; ".join(parts)


NEAR_M = 1.5  # a place or sighting this near the thing's true place is of it (the tasks' success radius)


def cause(kind: str, stored: bool, right_place: bool, carried_after: bool, moved: bool, seen_in_task: bool) -> str:
    """The failure's cause, from what the lived memory held and what the truth says (evaluation only): the
    planner's own when the thing was seen in the task or memory held it where it is; else held in a hand
    (a person carried it off after the camera's last view), moved unseen, never stored, or stored
    elsewhere (a wrong placement, a look-alike)."""
    if seen_in_task or (stored and right_place):
        return "planner (seen or recalled right, not reached or stopped off)"
    if kind == "last_seen":
        return "never stored (last view)" if not right_place else "planner"
    if carried_after:
        return "held in a hand after its last view"
    if moved:
        return "moved unseen" + ("" if stored else " (never stored)")
    return "never stored; search missed" if not stored else "stored elsewhere"


def _carried_after(scenario, target: str, last_view: float | None) -> bool:
    """Whether a person held ``target`` at some time after the camera's last view of it (truth)."""
    if last_view is None or not target.startswith("object"):
        return False
    return any(scenario.object_span(target, t).holder for t in _times(last_view, scenario.duration))


def _times(start: float, end: float, step: float = 0.5) -> list[float]:
    return [start + step * k for k in range(int((end - start) / step) + 1)]


def explain(report: dict, work: Path, methods: list[str], tasks: Path) -> list[str]:
    """Lines describing every failed run of ``methods`` in ``report``."""
    import mnemo
    from planners.embodied import read
    from planners.goals import last_view, matching_sightings, memory_candidates, unplaced_as_placed
    from sim import load_truth
    from sim.robot import RobotConfig, RobotSim
    from sim.tasks import last_in_view, make_tasks

    robot = RobotSim(RobotConfig(minutes=report["minutes"]))
    out = []
    for run in report["runs"]:
        if run["method"] not in methods or run["success"]:
            continue
        seed = run["seed"]
        folder = work / f"seed-{seed}"
        truth = load_truth(folder / "episode" / "truth.json")
        world, scenario = robot.lived(seed)
        task = make_tasks(world, scenario, truth, seed)[run["index"]]
        robot.reset(seed, task)
        with mnemo.open(folder / "lived", profile="lite") as lived:
            store = lived.store
            ins = read(store, task.instruction)
            where = task.goal if task.kind == "last_seen" else robot.truth_position(task.target)
            last = None if task.target.startswith("person") else last_in_view(truth, task.target)
            placed = matching_sightings(store, ins.label)
            unplaced = unplaced_as_placed(store, ins.label)
            found = memory_candidates(store, ins.label, ins.colour, robot.start_time)
            if task.kind == "last_seen":  # what the planner goes to: memory's last view of it
                found = [c for c in [last_view(store, ins.label, ins.colour, robot.start_time)] if c is not None]
        seen_in_task = False
        memory_dir = tasks / f"seed-{seed}" / f"task-{run['index']}-{run['method']}" / "memory"
        rows = []
        if memory_dir.exists():
            with mnemo.open(memory_dir, profile="lite") as during:
                rows = matching_sightings(during.store, ins.label, since=robot.start_time - 1, placed_only=False)
            seen_in_task = task.kind != "last_seen" and any(
                r[8] is not None and math.dist((r[8], r[9]), where) <= NEAR_M for r in rows)
        stored = bool(placed or unplaced)
        right = bool(found) and math.dist((found[0].x, found[0].y), where) <= NEAR_M
        if task.kind == "last_seen":
            right = any(math.dist((c.x, c.y), where) <= NEAR_M for c in found[:1])
        why = cause(task.kind, stored, right, _carried_after(scenario, task.target, last and last[1]), task.moved,
                    seen_in_task)
        out.append(f"== {seed}.{run['index']} {task.kind} {run['method']}: {task.instruction!r} target {task.target} "
                   f"read as {ins.label!r} {ins.colour!r}; moved unseen {task.moved}")
        out.append(f"   cause: {why}")
        seen_at = "never" if last is None else f"({last[2][0]:.2f}, {last[2][1]:.2f}) at {last[1]:.1f} s"
        out.append(f"   truth now ({where[0]:.2f}, {where[1]:.2f}); the episode's last view {seen_at}")
        out.append(f"   lived memory: {len(placed)} placed and {len(unplaced)} unplaced sightings of the label")
        if not task.target.startswith("person"):
            out.append("   " + episode_views(truth, task.target, folder / "lived"))
        for c in found[:4]:
            out.append(f"     place ({c.x:.2f}, {c.y:.2f}) belief {c.confidence:.3f} sightings {c.sightings} last "
                       f"{c.last_seen:.1f} s colour {c.colour or '-'}: {math.dist((c.x, c.y), where):.2f} m from the truth")
        x, y = run["trace"][-1]["pose"][:2] if run["trace"] else (math.nan, math.nan)
        out.append(f"   stopped: {run['reason']!r} after {run['steps']} steps, {run['driven_m']} m, answer "
                   f"{run['answer']!r}, {math.dist((x, y), where):.2f} m from the truth")
        if memory_dir.exists():
            seen = [(round(r[2] - robot.start_time, 1),
                     None if r[8] is None else round(math.dist((r[8], r[9]), where), 2), r[6]) for r in rows]
            out.append(f"   in the task: {len(rows)} sightings (s into the task, m from the truth, colour) {seen[:12]}")
        out.append(f"   trace: {_trace(run)}")
    return out


def episode_views(truth, target: str, lived: Path) -> str:
    """How the lived episode's camera had ``target`` in view (truth: frames, range, box height in pixels) and
    which object labels and colours memory stored at those frames: a thing never stored was either never in
    view from near enough, or detected under another label (a look-alike) or colour."""
    import mnemo
    from memory.perceived import sightings

    views = [(o.time, s) for o in truth.observations for s in o.entities if s.entity == target]
    if not views:
        return "in the episode: never in view"
    ranges = sorted(s.distance for _, s in views)
    heights = sorted(s.box[3] - s.box[1] for _, s in views)
    times = {round(t, 1) for t, _ in views}
    with mnemo.open(lived, profile="lite") as memory:
        stored = Counter(f"{r[5]} {r[6]}".strip() for r in sightings(memory.store, placed_only=False)
                         if r[4] == "object" and round(r[2], 1) in times)
    return (f"in the episode: {len(views)} frames in view, range min {ranges[0]:.1f} median "
            f"{ranges[len(ranges) // 2]:.1f} m, box height median {heights[len(heights) // 2]} max {heights[-1]} px; "
            f"objects memory stored in those frames {dict(stored.most_common(4))}")


PURPOSES = (("memory", "where memory saw it"), ("search", "things rest on"), ("explore", "explore"),
            ("approach", ("seen just now", "look again", "closer")), ("carry", "to the"), ("last seen", "where it was"))
REVISIT_M = 0.5  # a move ending this near a point the run stood at before goes back there


def purpose(why: str) -> str:
    """The purpose of a move, from its stated reason (the executor's ``why``)."""
    for name, starts in PURPOSES:
        if why.startswith(starts):
            return name
    return "other"


def spl_breakdown(run: dict) -> dict:
    """Metres of a run by the purpose of each move, metres of moves back to a point it had stood at, and its looks
    made without moving first. The report logs the pose each step ended at, not the start nor the route: moves after
    the first count the straight line between poses; the first move (from the start) gets what is left of the
    metres driven, which holds every route's bends through doors too."""
    out: Counter = Counter()
    stood: list[tuple] = []
    previous, still_looks, first = None, 0, None
    for step in run["trace"]:
        here = tuple(step["pose"][:2])
        if step["action"] == "move_to":
            if previous is None:
                first = purpose(step["why"])
            else:
                metres = math.dist(previous, here)
                out[purpose(step["why"])] += metres
                if any(math.dist(here, p) <= REVISIT_M for p in stood[:-1]):
                    out["back to a point stood at"] += metres
            stood.append(here)
        elif step["action"] == "look" and previous is not None and last_action != "move_to":
            still_looks += 1
        previous, last_action = here, step["action"]
    if first is not None:
        out[first] += max(run["driven_m"] - sum(v for k, v in out.items() if k != "back to a point stood at"), 0.0)
    return {"metres": {k: round(v, 1) for k, v in out.items()}, "looks": still_looks}


def spl_lines(report: dict, methods: list[str]) -> list[str]:
    """One line per successful run of ``methods``: SPL, driven and shortest metres, and ``spl_breakdown``; then
    the metres by purpose summed over them."""
    out, total = [], Counter()
    for run in report["runs"]:
        if run["method"] not in methods or not run["success"]:
            continue
        b = spl_breakdown(run)
        total.update(b["metres"])
        out.append(f"{run['seed']}.{run['index']} {run['kind']:9s} {run['method']}: SPL {run['spl']:.2f}, driven "
                   f"{run['driven_m']} m, shortest {run['shortest_m']} m, {run['steps']} steps; metres by purpose "
                   f"{b['metres']}; looks without a move first {b['looks']}")
    out.append(f"== metres by purpose over {len(out)} successful runs: "
               + ", ".join(f"{k} {v:.1f}" for k, v in total.most_common()))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("work", type=Path, nargs="?", default=Path("out/eval/work"))
    parser.add_argument("--methods", default="memory", help="comma-separated methods whose failures to explain")
    parser.add_argument("--tasks", type=Path, default=None, help="folder of the task runs (default: WORK)")
    parser.add_argument("--spl", action="store_true", help="where the successful runs' SPL goes, not the failures")
    args = parser.parse_args(argv)
    report = json.loads(args.report.read_text())
    if args.spl:
        for line in spl_lines(report, args.methods.split(",")):
            print(line)
        return 0
    lines = explain(report, args.work, args.methods.split(","), args.tasks or args.work)
    for line in lines:
        print(line)
    causes = Counter(line.split("cause: ", 1)[1] for line in lines if line.startswith("   cause: "))
    print(f"== {sum(causes.values())} failures by cause")
    for why, n in causes.most_common():
        print(f"   {n:3d}  {why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
