"""Memories as files: ``mnemo memories``, ``export`` and ``import``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from mnemo.commands.app import JsonOpt, MemoryOpt, app, out


@app.command("memories")
def list_memories(root: Path = typer.Argument(Path("."), help="Where to look (three levels down)."),
                  as_json: bool = JsonOpt) -> None:
    """The memories under a folder, with their streams, events, media hours and size."""
    from mnemo.memories import describe, find_memories

    rows = [describe(d) for d in find_memories(root)]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table(title=f"{len(rows)} memories under {root}")
    for column in ("memory", "streams", "events", "media", "size"):
        table.add_column(column, justify="left" if column == "memory" else "right")
    for row in rows:
        table.add_row(row["directory"], str(row["streams"]), str(row["events"]), f"{row['media_seconds'] / 3600:.2f} h",
                      f"{row['bytes'] / 2**20:.1f} MB")
    out.print(table)


@app.command("export")
def export(memory: Path = MemoryOpt, archive: Path = typer.Option(..., "--out", help="The snapshot file (.tar.gz).")) -> None:
    """Snapshot a memory into one file (consistent even while it is being ingested into)."""
    from mnemo.memories import export_memory

    manifest = export_memory(memory, archive)
    out.print(f"exported {manifest['events']} events of {manifest['streams']} streams to {archive}")


@app.command("import")
def import_(archive: Path = typer.Argument(..., help="A snapshot made by mnemo export."),
            memory: Path = typer.Option(..., "--memory", "-m", help="The new memory directory.")) -> None:
    """Unpack a snapshot into a new memory directory (indexes and thumbnails are rebuilt on use)."""
    from mnemo.memories import import_memory

    manifest = import_memory(archive, memory)
    out.print(f"imported {manifest['events']} events of {manifest['streams']} streams into {memory}")
