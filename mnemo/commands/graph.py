"""mnemo graph / consolidate / budget: the memory's hierarchy, scene graph and facts (issue #6)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional

import typer
from rich.table import Table

from mnemo.commands.app import JsonOpt, MemoryOpt, UserError, app, out

GRAPH_FORMATS = ("json", "graphml")


@contextmanager
def _reading(memory: Path) -> Iterator:
    """A read-only store: these commands work while another process ingests."""
    from memory.store import MemoryStore

    if not (memory / "memory.db").is_file():
        raise UserError(f"--memory {memory}: no mnemo memory here (ingest into it first)")
    with MemoryStore(memory, create=False, readonly=True) as store:
        yield store


@contextmanager
def _writing(memory: Path) -> Iterator:
    """A writable store, as the memory's one writer (mnemo/writer.py: refused while an ingest runs)."""
    from memory.store import MemoryStore
    from mnemo.writer import WriterLock

    if not (memory / "memory.db").is_file():
        raise UserError(f"--memory {memory}: no mnemo memory here (ingest into it first)")
    with WriterLock(memory), MemoryStore(memory, create=False) as store:
        yield store


def _print(rows: list[dict], as_json: bool, title: str, columns: list[tuple[str, str]]) -> None:
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table(title=title)
    for _, header in columns:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*[_cell(row.get(key)) for key, _ in columns])
    out.print(table)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes):d}:{secs:06.3f}"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value[:8]) + (" ..." if len(value) > 8 else "")
    return str(value)


@app.command("consolidate")
def consolidate_memory(memory: Path = MemoryOpt, as_json: bool = JsonOpt) -> None:
    """Bring episodes, sessions, places, state facts and semantic facts up to date (ingest does it too)."""
    from memory.consolidation import consolidate

    with _writing(memory) as store:
        report = consolidate(store)
    if as_json:
        out.print_json(json.dumps(report.to_dict()))
        return
    out.print(f"consolidated {memory}: {report.placed} events placed, {report.episodes} put into episodes, "
              f"{report.states} turned into state facts; {report.facts} semantic facts")


@app.command("episodes")
def list_episodes(memory: Path = MemoryOpt, stream: Optional[str] = typer.Option(None, help="Only this stream id."),
                  sessions: bool = typer.Option(False, "--sessions", help="List sessions (days) instead."),
                  as_json: bool = JsonOpt) -> None:
    """The memory's episodes (runs of similar events) or sessions, with their summaries."""
    from memory import hierarchy

    with _reading(memory) as store:
        if sessions:
            rows = [s.to_dict() for s in hierarchy.sessions(store, stream=stream)]
        else:
            rows = [e.to_dict() for e in hierarchy.episodes(store, stream=stream)]
            for row in rows:
                row["event_ids"] = hierarchy.events_of(store, row["id"])
    for row in rows:
        row["from"], row["to"] = _clock(row["start"]), _clock(row["end"])
    count = "episodes" if not sessions else "sessions"
    _print(rows, as_json, f"{len(rows)} {count} in {memory}",
           [("ref", count[:-1]), ("stream", "stream"), ("from", "start"), ("to", "end"),
            ("events" if not sessions else "episodes", "events" if not sessions else "episodes"),
            ("summary", "summary")])


@app.command("places")
def list_places(memory: Path = MemoryOpt, as_json: bool = JsonOpt) -> None:
    """The places the camera was at (from poses, else from what it saw), their areas and neighbours."""
    from memory import places

    with _reading(memory) as store:
        graph = places.place_graph(store)
        rows = [p.to_dict() for p in places.places(store)]
    for row in rows:
        row["neighbours"] = sorted(graph.neighbors(row["ref"]), key=lambda n: int(n.split(":")[1]))
    _print(rows, as_json, f"{len(rows)} places in {memory}",
           [("ref", "place"), ("kind", "kind"), ("x", "x"), ("y", "y"), ("visits", "visits"),
            ("area_name", "area"), ("name", "name"), ("neighbours", "neighbours")])


@app.command("name-place")
def name_place(place: str = typer.Argument(..., help="place:5 or 5."),
               area: str = typer.Argument(..., help="The area (room) it belongs to, e.g. kitchen."),
               memory: Path = MemoryOpt) -> None:
    """Put a place into a named area (room); a user's naming wins over a map's."""
    from memory import places

    with _writing(memory) as store:
        try:
            area_id = places.name_place(store, place, area)
        except KeyError as error:
            raise UserError(error.args[0]) from error
    out.print(f"place:{places.parse_place(place)} is now in area:{area_id} ({' '.join(area.split())})")


@app.command("path")
def place_path(source: str = typer.Argument(..., help="From place:N."), target: str = typer.Argument(..., help="To place:N."),
               memory: Path = MemoryOpt, as_json: bool = JsonOpt) -> None:
    """The shortest known way between two places (metres with poses, hops without)."""
    from memory import places

    with _reading(memory) as store:
        try:
            route, length = places.shortest_path(store, source, target)
        except KeyError as error:
            raise UserError(error.args[0]) from error
    if as_json:
        out.print_json(json.dumps({"path": [f"place:{p}" for p in route], "length": length}))
        return
    out.print(" -> ".join(f"place:{p}" for p in route) + f"  ({length:.2f})")


@app.command("facts")
def list_facts(memory: Path = MemoryOpt, subject: Optional[str] = typer.Option(None, help="Only this subject, e.g. entity:7."),
               as_json: bool = JsonOpt) -> None:
    """Semantic facts distilled from repeated episodes, with support and supporting events."""
    from memory import facts

    with _reading(memory) as store:
        rows = [f.to_dict() for f in facts.facts(store, subject=subject)]
    _print(rows, as_json, f"{len(rows)} facts in {memory}",
           [("subject", "subject"), ("relation", "relation"), ("object", "object"), ("support", "support"),
            ("confidence", "confidence"), ("evidence", "events")])


@app.command("states")
def list_states(memory: Path = MemoryOpt, subject: Optional[str] = typer.Option(None, help="Only this subject."),
                at: Optional[float] = typer.Option(None, "--at", help="Valid at this time (seconds on the timeline)."),
                known_at: Optional[float] = typer.Option(None, "--known-at", help="As recorded by this time."),
                history: bool = typer.Option(False, "--history", help="Every row, retracted ones included."),
                as_json: bool = JsonOpt) -> None:
    """State facts (where things were) with valid and record times."""
    from memory import states

    with _reading(memory) as store:
        rows = [f.to_dict() for f in states.states(store, subject=subject, at=at, known_at=known_at, history=history)]
    _print(rows, as_json, f"{len(rows)} state facts in {memory}",
           [("subject", "subject"), ("relation", "relation"), ("object", "object"), ("valid_from", "from"),
            ("valid_to", "to"), ("recorded", "recorded"), ("retracted", "retracted"), ("source", "evidence")])


@app.command("graph")
def export_graph(memory: Path = MemoryOpt,
                 out_file: Path = typer.Option(..., "--out", help="Where to write the graph."),
                 fmt: str = typer.Option("json", "--format", help="json (node-link, exact round trip) or graphml."),
                 at: Optional[float] = typer.Option(None, "--at", help="The graph as it was at this time."),
                 known_at: Optional[float] = typer.Option(None, "--known-at",
                                                          help="State facts as recorded by this time.")) -> None:
    """Write the scene graph (events, episodes, sessions, entities, places, areas, state facts)."""
    from memory import scene_graph
    from memory.files import atomic_write

    if fmt not in GRAPH_FORMATS:
        raise UserError(f"--format must be one of {', '.join(GRAPH_FORMATS)}, got {fmt!r}")
    with _reading(memory) as store:
        graph = scene_graph.build_graph(store, at=at, known_at=known_at)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        atomic_write(out_file, scene_graph.to_json(graph).encode())
    else:
        scene_graph.write_graphml(graph, out_file)
    out.print(f"wrote {graph.number_of_nodes()} nodes and {graph.number_of_edges()} edges to {out_file}")


@app.command("budget")
def enforce_budget(memory: Path = MemoryOpt,
                   max_mb: float = typer.Option(..., "--max-mb", min=0.001, help="Size budget of the memory, MB."),
                   keep_recent: int = typer.Option(0, "--keep-recent", min=0,
                                                   help="Newest events per stream that stay whole."),
                   pin: List[int] = typer.Option([], "--pin", help="Event ids to keep whole from now on."),
                   as_json: bool = JsonOpt) -> None:
    """Fit a memory into a size budget: old, rarely retrieved events lose keyframes and frame vectors
    (their row, text, episode and place stay, with a tombstone); pinned and retrieved ones are kept."""
    from memory import budget
    from memory.consolidation import consolidate

    with _writing(memory) as store:
        consolidate(store, final=True)  # only consolidated events are compacted
        if pin:
            budget.pin(store, pin, reason="pinned by the user")
        report = budget.enforce(store, int(max_mb * 2**20), keep_recent=keep_recent)
    if as_json:
        out.print_json(json.dumps(report.to_dict()))
        return
    verdict = "over budget: nothing more may be compacted" if report.over_budget else "within budget"
    out.print(f"{memory}: {report.before / 2**20:.2f} MB -> {report.after / 2**20:.2f} MB "
              f"(budget {report.budget / 2**20:.2f} MB, {len(report.compacted)} events compacted; {verdict})")
