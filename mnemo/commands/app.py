"""The ``mnemo`` Typer app and what its commands share: consoles, common options, table helpers.

Every module of mnemo/commands/ imports its app from here and decorates its functions with
``app.command(...)``; mnemo/cli.py imports those modules (which registers them) and runs the app.
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from mnemo.errors import UserError

__all__ = ["JsonOpt", "MemoryOpt", "UserError", "app", "clock", "err", "maybe_clock", "memory_profile", "out",
           "print_summary"]

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="mnemo: ingest long videos into a memory you can search and question.")
out = Console()
err = Console(stderr=True)

MemoryOpt = typer.Option(..., "--memory", "-m", help="Memory directory.")
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of a table.")


@app.callback()
def _configure(verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="-v info, -vv debug.")) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(message)s", datefmt="[%X]",
                        handlers=[RichHandler(console=err, show_path=verbose > 1, markup=False)])


def memory_profile(memory: Path) -> str:
    """The profile an existing memory was built with (so that a re-run resumes alike), else the default."""
    from mnemo.api import DEFAULT_PROFILE
    from mnemo.memories import recorded_profile

    return recorded_profile(memory) or DEFAULT_PROFILE


def print_summary(reports) -> None:
    """The ingest summary table (``mnemo ingest`` and ``mnemo ingest --ray``)."""
    if not reports:
        return
    table = Table(title="ingest summary")
    for column in ("source", "stream", "media s", "events", "frames", "wall s", "x real time", "note"):
        table.add_column(column, justify="right" if column not in ("source", "stream", "note") else "left")
    for r in reports:
        note = "already ingested" if r.skipped else (f"resumed at {r.resumed_from:.1f}s" if r.resumed_from else "")
        if r.captions:
            note = "; ".join(filter(None, [note, caption_note(r.captions)]))
        table.add_row(r.uri, r.stream, f"{r.media_seconds:.1f}", str(r.events), str(r.frames),
                      f"{r.wall_seconds:.1f}", f"{r.realtime_factor:.1f}", note)
    out.print(table)


def caption_note(counts: dict) -> str:
    """The summary's word on captions: stored, from the cache, skipped and why."""
    note = f"captions {counts['stored']} ({counts['cached']} cached, {counts['asked']} asked)"
    if counts["skipped"]:
        reasons = ", ".join(f"{why} {n}" for why, n in sorted(counts["reasons"].items()))
        note += f", {counts['skipped']} skipped ({reasons})"
    return note


def clock(seconds: float) -> str:
    """Media seconds as m:ss.mmm."""
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes):d}:{secs:06.3f}"


def maybe_clock(seconds: float | None) -> str:
    """:func:`clock`, or empty for no time."""
    return "" if seconds is None else clock(seconds)
