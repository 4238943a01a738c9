"""Reading a memory: ``mnemo events``, ``transcript`` and ``search``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from mnemo.commands.app import JsonOpt, MemoryOpt, UserError, app, clock, out
from mnemo.rows import event_dict, utterance_dict


@app.command()
def events(memory: Path = MemoryOpt, stream: Optional[str] = typer.Option(None, help="Only this stream id."),
           as_json: bool = JsonOpt) -> None:
    """List the events of a memory."""
    import mnemo

    with mnemo.open(memory) as mem:
        rows = [event_dict(e) for e in mem.events(stream=stream)]
        gaps = _live_gaps(mem.store.streams(), stream)
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table(title=f"{len(rows)} events in {memory}")
    for column in ("id", "stream", "start", "end", "keyframe", "text"):
        table.add_column(column, overflow="fold")
    for row in sorted(rows + gaps, key=lambda r: (r["stream"], r["start"], "id" in r)):
        if "id" not in row:  # a live stream's gap: no media between two events
            table.add_row("-", row["stream"], clock(row["start"]), clock(row["end"]), "",
                          f"(gap: {row['reason']})", style="dim")
            continue
        table.add_row(str(row["id"]), row["stream"], clock(row["start"]), clock(row["end"]),
                      row["keyframe"] or "", row["text"][:80])
    out.print(table)


def _live_gaps(streams: list[dict], only: str | None) -> list[dict]:
    """The gaps live streams recorded (a drop and reconnect, or between sessions), as table rows."""
    return [{"stream": s["id"], "start": start, "end": end, "reason": reason}
            for s in streams if only is None or s["id"] == only
            for start, end, reason in (s["info"].get("extra") or {}).get("gaps", [])]


@app.command()
def transcript(memory: Path = MemoryOpt, stream: Optional[str] = typer.Option(None, help="Only this stream id."),
               voice: Optional[str] = typer.Option(None, help="Only this voice, e.g. voice:3."),
               as_json: bool = JsonOpt) -> None:
    """Who said what when: speech segments with their voice and text."""
    import mnemo

    with mnemo.open(memory) as mem:
        rows = [utterance_dict(u) for u in mem.transcript(stream=stream, voice=voice)]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table(title=f"{len(rows)} utterances in {memory}")
    for column in ("start", "end", "speaker", "text", "origin"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(clock(row["start"]), clock(row["end"]), row["speaker"] or "?", row["text"], row["origin"])
    out.print(table)


@app.command()
def search(
    text: Optional[str] = typer.Argument(None, help="What to look for."),
    memory: List[Path] = typer.Option(..., "--memory", "-m", help="Memory directory (repeat to search several)."),
    image: Optional[Path] = typer.Option(None, "--image", help="Find moments that look like this image."),
    k: int = typer.Option(5, "--k", "-k", min=1, help="How many results."),
    as_json: bool = JsonOpt,
) -> None:
    """Search one or several memories by text and/or image."""
    import mnemo

    if text is None and image is None:
        raise UserError("search needs a text query or --image PATH")
    memories = [memory] if isinstance(memory, Path) else list(memory)
    if len(memories) > 1:
        from mnemo.multi import search_many

        found = search_many(memories, text=text, image=image, k=k)
        hits, where = [f.hit for f in found], [f.memory for f in found]
    else:
        with mnemo.open(memories[0]) as mem:
            hits, where = mem.search(text=text, image=image, k=k), []
    if as_json:
        rows = [h.to_dict() for h in hits]
        for row, directory in zip(rows, where):
            row["memory"] = directory
        out.print_json(json.dumps(rows))
        return
    table = Table(title=f"results for {text or image!s}")
    for column in ("#", "id", "start", "end", "score", "keyframe", "text") + (("memory",) if where else ()):
        table.add_column(column, overflow="fold")
    for rank, h in enumerate(hits, 1):
        table.add_row(str(rank), str(h.event), clock(h.start), clock(h.end), f"{h.score:.3f}",
                      h.keyframe or "", h.text[:80], *([where[rank - 1]] if where else []))
    out.print(table)
