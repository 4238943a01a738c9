"""mnemo job: resumable offline ingestion of many files, inline or on Ray (issue #8)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from mnemo.commands.app import MemoryOpt, UserError, app, err, memory_profile, out, print_summary
from mnemo.job import SUMMARY, Job, JobFile, JobProgress, JobSummary


@app.command("job")
def job(
    inputs: List[str] = typer.Argument(..., help="Folders (searched recursively), globs or list files of "
                                       "videos, audio files and bags."),
    memory: Path = MemoryOpt,
    profile: Optional[str] = typer.Option(None, "--profile", "-p", help="Profile name (standard, lite, full, "
                                          "test) or YAML path; default: the memory's own, else standard."),
    use_ray: bool = typer.Option(False, "--ray", help="Run on Ray (a local cluster unless --address)."),
    address: Optional[str] = typer.Option(None, "--address", help="Ray cluster to join, e.g. auto or ray://host:10001."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Files read and encoded at once (Ray)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Ingest many files into one memory: deduplicated, resumable (re-run to continue), bad files skipped."""
    from mnemo.config import load_profile

    chosen = load_profile(profile or memory_profile(memory))
    ray_on = use_ray or address is not None
    if workers > 1 and not ray_on:
        err.print("note: inline jobs ingest one file at a time; --workers needs --ray")
    runtime = _ray_runtime(memory, chosen, address, workers) if ray_on else _inline_runtime(memory, chosen)
    with _Bars(quiet) as bars:
        summary = Job(memory, inputs, runtime, name="ray" if ray_on else "inline").run(bars)
    if as_json:
        out.print_json(json.dumps(summary.to_dict()))
    else:
        _print_summary(summary, memory / SUMMARY)
    if summary.failed:
        raise typer.Exit(1)


def _inline_runtime(memory: Path, profile):
    def make():
        from mnemo.runtime.inline import InlineRuntime

        return InlineRuntime(memory, profile)

    return make


def _ray_runtime(memory: Path, profile, address: str | None, workers: int):
    def make():
        from mnemo.runtime.ray_actors import RayRuntime

        _connect(address)
        return RayRuntime(memory, profile, workers=workers)

    return make


def ingest_on_ray(sources: list[str], memory: Path, profile, address: str | None, quiet: bool) -> int:
    """``mnemo ingest --ray``: the sources in order on Ray; exit status 0, 1 (some failed) or 2 (all)."""
    from mnemo.runtime.ray_actors import RayRuntime
    from mnemo.runtime.records import Listener

    class Bars(Listener):
        def __init__(self, bar: Progress):
            self.bar, self.tasks = bar, {}

        def started(self, uri: str) -> None:
            self.tasks[uri] = self.bar.add_task(Path(uri).name or uri, total=None, media="")

        def progress(self, uri: str, done: float, total: float | None) -> None:
            self.bar.update(self.tasks[uri], completed=done, total=total, media=f"{done:7.1f}s")

    with err.status("starting Ray actors ...") if not quiet else _nothing():
        _connect(address)
        runtime = RayRuntime(memory, profile)
    try:
        with Progress(*_columns(), console=err, disable=quiet) as bar:
            outcomes = runtime.run(sources, Bars(bar))
    finally:
        runtime.close()
    for outcome in outcomes:
        if not outcome.ok:
            err.print(f"[red]error[/]: {escape(outcome.error)}", highlight=False, soft_wrap=True)
    reports = [o.report for o in outcomes if o.ok]
    print_summary(reports)
    failed = len(outcomes) - len(reports)
    return 0 if not failed else (2 if not reports else 1)


def _connect(address: str | None) -> None:
    from mnemo.runtime.ray_actors import connect

    try:
        connect(address)
    except ConnectionError as error:
        raise UserError(f"cannot reach the Ray cluster at {address}: {error}") from error


def _nothing():
    import contextlib

    return contextlib.nullcontext()


def _columns():
    return [TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[media]}"),
            TimeElapsedColumn(), TimeRemainingColumn()]


class _Bars(JobProgress):
    """One bar per file while it runs and an overall bar with ETA (media seconds, else files)."""

    def __init__(self, quiet: bool):
        self.bar = Progress(*_columns(), console=err, disable=quiet, transient=False)
        self.tasks: dict[str, int] = {}
        self.overall = None
        self.done_before: dict[str, float] = {}
        self.by_time = False

    def __enter__(self) -> "_Bars":
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)

    def planned(self, files: list[JobFile]) -> None:
        known = [f.duration for f in files if f.duration]
        self.by_time = len(known) == len(files) and bool(files)
        total = sum(known) if self.by_time else len(files)
        self.overall = self.bar.add_task(f"job: {len(files)} files", total=total or None, media="")

    def started(self, entry: JobFile) -> None:
        self.tasks[entry.key] = self.bar.add_task(Path(entry.path).name, total=entry.duration, media="")

    def progress(self, entry: JobFile, done: float, total: float | None) -> None:
        self.bar.update(self.tasks[entry.key], completed=done, total=total, media=f"{done:7.1f}s")
        if self.by_time:
            self.bar.advance(self.overall, done - self.done_before.get(entry.key, 0.0))
            self.done_before[entry.key] = done

    def finished(self, entry: JobFile) -> None:
        task = self.tasks.pop(entry.key, None)
        note = {"done": "done", "failed": "failed"}.get(entry.state, entry.state)
        if task is not None:
            self.bar.update(task, description=f"{Path(entry.path).name} ({note})")
            if entry.state == "done" and entry.duration:
                self.bar.update(task, completed=entry.duration, total=entry.duration)
            if entry.state != "done":
                self.bar.stop_task(task)
        if self.by_time:
            rest = (entry.duration or 0.0) - self.done_before.pop(entry.key, 0.0)
            self.bar.advance(self.overall, max(0.0, rest))
        else:
            self.bar.advance(self.overall, 1)
        if entry.state == "failed":
            err.print(f"[red]failed[/]: {escape(entry.reason)}", highlight=False, soft_wrap=True)


def _print_summary(summary: JobSummary, path: Path) -> None:
    table = Table(title=f"job summary ({summary.runtime}; {path})")
    for column in ("files", "ingested", "already done", "skipped", "failed", "hours", "events", "wall s",
                   "x real time"):
        table.add_column(column, justify="right")
    table.add_row(str(summary.files), str(summary.ingested), str(summary.already_done), str(summary.skipped),
                  str(summary.failed), f"{summary.hours:.3f}", str(summary.events), f"{summary.wall_seconds:.1f}",
                  f"{summary.realtime_factor:.1f}")
    out.print(table)
    if summary.failures or summary.skips:
        detail = Table(title="not ingested")
        detail.add_column("file", overflow="fold")
        detail.add_column("why", overflow="fold")
        for row in summary.failures + summary.skips:
            detail.add_row(row["path"], row["reason"])
        out.print(detail)
