"""mnemo plan: a robot instruction planned over memory (issue #32): goals, route over the map, steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from mnemo.commands.app import JsonOpt, MemoryOpt, UserError, app, out


@app.command("plan")
def plan(instruction: str = typer.Argument(..., help="What the robot should do, e.g. \"find the red mug\"."),
         memory: Path = MemoryOpt,
         at: Optional[float] = typer.Option(None, "--at", help="Media time (seconds) to plan at (default: the "
                                            "latest pose in memory)."),
         as_json: bool = JsonOpt) -> None:
    """Plan an instruction over a memory: goal poses from memory (or rooms to explore), with evidence."""
    import mnemo

    with mnemo.open(memory, readonly=True) as mem:
        try:
            result = mem.plan(instruction, at=at)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
    if as_json:
        out.print_json(json.dumps(result.to_dict(), default=float))
        return
    ins = result.instruction
    out.print(f"[bold]{ins.intent}[/bold] {ins.colour + ' ' if ins.colour else ''}{ins.label or '?'}"
              f"{' -> ' + ins.room if ins.room else ''}: {result.mode}; path {' > '.join(result.path) or '-'}")
    table = Table(title="goals")
    for column in ("x", "y", "room", "source", "confidence", "last seen", "age s", "sightings"):
        table.add_column(column)
    for g in result.goals[:8]:
        table.add_row(f"{g.x:.2f}", f"{g.y:.2f}", g.room, g.source, f"{g.confidence:.2f}",
                      "" if g.last_seen is None else f"{g.last_seen:.1f}", "" if g.age_s is None else f"{g.age_s:.0f}",
                      str(g.sightings))
    out.print(table)
    for step in result.steps:
        out.print(" ", json.dumps(step.to_dict()))
