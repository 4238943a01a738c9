"""Entities: ``mnemo entities``, ``entity``, ``name``, ``merge`` and ``forget``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from mnemo.commands.app import JsonOpt, MemoryOpt, app, clock, maybe_clock, out


@app.command("entities")
def list_entities(memory: Path = MemoryOpt, kind: Optional[str] = typer.Option(None, help="person, face, voice or object."),
                  as_json: bool = JsonOpt) -> None:
    """The people, faces, voices and objects a memory knows."""
    import mnemo

    with mnemo.open(memory) as mem:
        rows = mem.entities.entities(kind=kind)
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table(title=f"{len(rows)} entities in {memory}")
    for column in ("entity", "kind", "name", "first seen", "last seen", "appearances", "streams"):
        table.add_column(column, overflow="fold")
    for row in rows:
        name = "(forgotten)" if row["forgotten"] else (row["name"] or "")
        table.add_row(row["ref"], row["kind"], name, maybe_clock(row["first_seen"]), maybe_clock(row["last_seen"]),
                      str(row["appearances"]), ", ".join(row["streams"]))
    out.print(table)


@app.command("entity")
def show_entity(entity: str = typer.Argument(..., help="entity:7 or 7."), memory: Path = MemoryOpt,
                as_json: bool = JsonOpt) -> None:
    """One entity and its timeline: every appearance with stream, time span, box and event."""
    import mnemo

    with mnemo.open(memory) as mem:
        about, timeline = mem.entities.entity(entity), mem.entities.timeline(entity)
    if as_json:
        out.print_json(json.dumps({**about, "timeline": timeline}))
        return
    title = f"{about['ref']} ({about['kind']}{', ' + about['name'] if about['name'] else ''})"
    table = Table(title=title)
    for column in ("start", "end", "stream", "event", "box"):
        table.add_column(column)
    for row in timeline:
        table.add_row(clock(row["start"]), clock(row["end"]), row["stream"], str(row["event"] or ""),
                      "" if row["box"] is None else " ".join(f"{v:.0f}" for v in row["box"]))
    out.print(table)


@app.command("name")
def name_entity(entity: str = typer.Argument(..., help="entity:7 or 7."),
                name: str = typer.Argument(..., help="The name, e.g. Alice."), memory: Path = MemoryOpt) -> None:
    """Name an entity (a user's name wins over names read from subtitles or transcripts)."""
    import mnemo

    with mnemo.open(memory) as mem:
        mem.entities.name(entity, name, source="user")
        about = mem.entities.entity(entity)
    out.print(f"{about['ref']} is now {about['name']!r}")


@app.command("merge")
def merge_entities(a: str = typer.Argument(..., help="The entity that stays."),
                   b: str = typer.Argument(..., help="The entity merged into it."), memory: Path = MemoryOpt) -> None:
    """Make two entities one: appearances, gallery and names move to the first."""
    import mnemo

    with mnemo.open(memory) as mem:
        survivor = mem.entities.merge(a, b)
        about = mem.entities.entity(survivor)
    out.print(f"merged {b} into {about['ref']} ({about['appearances']} appearances)")


@app.command("forget")
def forget_entity(entity: str = typer.Argument(..., help="entity:7 or 7."), memory: Path = MemoryOpt,
                  yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")) -> None:
    """Delete an entity's biometric data (face/voice vectors, crops, thumbnails) and its name everywhere."""
    import mnemo

    if not yes and sys.stdin.isatty() and not typer.confirm(f"forget {entity} for good?"):
        raise typer.Exit(1)
    with mnemo.open(memory) as mem:
        report = mem.forget(entity)
    out.print(f"forgot entity:{report.entity}: {report.gallery} vectors, {report.crops} crops, "
              f"{report.appearance_keyframes + report.event_keyframes} images, names {list(report.names) or '-'}; "
              f"verified: nothing of it is left")
