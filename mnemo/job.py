"""Offline ingestion jobs: many files into one memory, deduplicated, resumable, inline or on Ray.

A job expands its inputs (folders, globs, list files) into media files, names each by its content
(``streams.identity.stream_id``, so copies are ingested once), and records every file's state in
``job-manifest.json`` in the memory directory. Re-running a job skips what is done and resumes what
was interrupted (ingestion itself resumes from the memory's checkpoints). A bad file is recorded as
failed and the job goes on; the summary goes to ``job-summary.json``.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable, Iterable, Sequence

from mnemo.runtime.records import Listener, Outcome
from streams.errors import SourceError
from streams.identity import stream_id

logger = logging.getLogger(__name__)

MANIFEST = "job-manifest.json"
SUMMARY = "job-summary.json"
VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".ts", ".mts", ".flv", ".mpg", ".mpeg", ".wmv")
AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".m4a", ".aac", ".ogg", ".opus")
BAG_SUFFIXES = (".bag", ".mcap", ".db3")  # ROS 1 bags, ROS 2 bags (mcap, sqlite3)
LIST_SUFFIXES = (".txt", ".list", ".lst")  # one input per line; '#' starts a comment
MEDIA_SUFFIXES = VIDEO_SUFFIXES + AUDIO_SUFFIXES

# a file's states in the manifest
PENDING, RUNNING, DONE, FAILED, SKIPPED = "pending", "running", "done", "failed", "skipped"


@dataclass
class JobFile:
    """One input file of a job and what became of it."""

    path: str
    stream: str | None = None  # content id; None when the file could not be read to hash it
    state: str = PENDING
    reason: str = ""  # why it failed or was skipped
    duration: float | None = None  # media seconds, probed before ingesting (None when unknown)
    events: int = 0  # events this job added from it
    media_seconds: float = 0.0  # media time this job ingested from it
    wall_seconds: float = 0.0
    copies: list[str] = field(default_factory=list)  # other inputs with the same content

    @property
    def key(self) -> str:
        return self.stream or self.path

    @classmethod
    def from_dict(cls, data: dict) -> "JobFile":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class JobSummary:
    """What a run of a job did, and where the whole job stands."""

    files: int = 0  # distinct files in the job (after removing copies)
    ingested: int = 0  # ingested by this run
    already_done: int = 0  # done by an earlier run
    skipped: int = 0  # not ingestible (bags) or copies of another input
    failed: int = 0
    hours: float = 0.0  # media hours this run ingested
    events: int = 0  # events this run added
    wall_seconds: float = 0.0
    failures: list[dict] = field(default_factory=list)  # {"path", "reason"}
    skips: list[dict] = field(default_factory=list)  # {"path", "reason"}
    runtime: str = "inline"

    @property
    def realtime_factor(self) -> float:
        """Media seconds ingested per wall-clock second of this run."""
        return self.hours * 3600 / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def to_dict(self) -> dict:
        return {**asdict(self), "realtime_factor": round(self.realtime_factor, 3)}


class JobProgress:
    """What a job says while it runs (the CLI draws bars from it); override what you need."""

    def planned(self, files: list[JobFile]) -> None:
        """The files this run will ingest, before the first starts."""

    def started(self, entry: JobFile) -> None: ...

    def progress(self, entry: JobFile, done: float, total: float | None) -> None: ...

    def finished(self, entry: JobFile) -> None: ...


# -- inputs ------------------------------------------------------------------------------------


def expand_inputs(inputs: Sequence[str]) -> tuple[list[Path], list[JobFile]]:
    """Media and bag files named by ``inputs`` (folders recursively, globs, list files), in order.

    Inputs that name nothing usable come back as failed JobFiles, so that a job reports them.
    """
    found: list[Path] = []
    bad: list[JobFile] = []
    for raw in inputs:
        paths, problem = _expand_one(raw)
        if problem:
            bad.append(JobFile(raw, state=FAILED, reason=problem))
        found += paths
    seen: set[Path] = set()
    unique = []
    for path in found:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(path)
    return unique, bad


def _expand_one(raw: str) -> tuple[list[Path], str]:
    path = Path(raw).expanduser()
    if glob.has_magic(raw):
        matches = sorted(Path(p) for p in glob.glob(os.path.expanduser(raw), recursive=True))
        files = [p for p in matches if p.is_file() and _wanted(p)] + [b for p in matches if p.is_dir()
                                                                    for b in _scan(p)]
        return files, "" if files else f"{raw}: the pattern matches no media files"
    if path.is_dir():
        if _is_ros2_bag(path):
            return [path], ""
        files = _scan(path)
        return files, "" if files else f"{raw}: a folder with no media files ({', '.join(MEDIA_SUFFIXES)})"
    if not path.exists():
        return [], f"{raw}: no such file or folder"
    if path.suffix.lower() in LIST_SUFFIXES:
        return _read_list(path)
    return [path], ""


def _read_list(path: Path) -> tuple[list[Path], str]:
    files, missing = [], []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        item = Path(line).expanduser()
        item = item if item.is_absolute() else path.parent / item  # relative to the list file
        if item.exists():
            files += _scan(item) if item.is_dir() and not _is_ros2_bag(item) else [item]
        else:
            missing.append(line)
    return files, f"{path}: {len(missing)} listed files do not exist ({', '.join(missing[:3])})" if missing else ""


def _scan(folder: Path) -> list[Path]:
    out = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        here = Path(root)
        for name in [d for d in dirs if _is_ros2_bag(here / d)]:
            out.append(here / name)
            dirs.remove(name)
        out += [here / n for n in sorted(names) if _wanted(here / n)]
    return out


def _wanted(path: Path) -> bool:
    return path.suffix.lower() in MEDIA_SUFFIXES + BAG_SUFFIXES


def _is_ros2_bag(path: Path) -> bool:
    return path.is_dir() and (path / "metadata.yaml").is_file()


def is_bag(path: Path) -> bool:
    """A ROS 1 or ROS 2 bag (file or bag folder)."""
    return _is_ros2_bag(path) or path.suffix.lower() in BAG_SUFFIXES


# -- plan and manifest -------------------------------------------------------------------------


def plan_files(paths: Iterable[Path]) -> list[JobFile]:
    """One JobFile per distinct content (a bag: per camera topic); copies are recorded on the first."""
    entries: dict[str, JobFile] = {}
    for path in paths:
        for entry in _bag_entries(path) if is_bag(path) else [_file_entry(path)]:
            if entry.key in entries:
                entries[entry.key].copies.append(entry.path)
                continue
            entries[entry.key] = entry
    return list(entries.values())


def _file_entry(path: Path) -> JobFile:
    try:
        return JobFile(str(path), stream=stream_id(str(path)))
    except (OSError, SourceError) as error:
        return JobFile(str(path), state=FAILED, reason=f"{path}: cannot be read ({error})")


def _bag_entries(path: Path) -> list[JobFile]:
    """One JobFile per camera topic of a bag (its ``rosbag://`` URI); a bad bag is one failed JobFile."""
    from mnemo.sources import source_streams, stream_of

    try:
        return [JobFile(uri, stream=stream_of(uri)) for uri in source_streams(str(path))]
    except (OSError, SourceError, ValueError) as error:
        return [JobFile(str(path), state=FAILED, reason=str(error))]


class Manifest:
    """The job's record of every file's state, in the memory directory, rewritten atomically."""

    def __init__(self, directory: Path):
        self.path = Path(directory) / MANIFEST
        self.files: dict[str, JobFile] = {}
        if self.path.is_file():
            try:
                data = json.loads(self.path.read_text())
                self.files = {e.key: e for e in map(JobFile.from_dict, data.get("files", []))}
            except (ValueError, TypeError) as error:
                logger.warning("%s is unreadable (%s); starting a fresh manifest", self.path, error)

    def merge(self, planned: list[JobFile]) -> list[JobFile]:
        """The planned files with their recorded state: done stays done, the rest is (re)tried."""
        merged = []
        for entry in planned:
            old = self.files.get(entry.key)
            if old is not None and old.state == DONE and entry.state == PENDING:
                old.copies = sorted(set(old.copies) | set(entry.copies) | ({entry.path} - {old.path}))
                entry = old
            self.files[entry.key] = entry
            merged.append(entry)
        self.save()
        return merged

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps({"files": [asdict(e) for e in self.files.values()]}, indent=1))
        os.replace(temporary, self.path)


def probe_duration(path: str) -> float | None:
    """Media seconds of a file as its container says, None when it cannot tell (or is unreadable)."""
    import av

    from mnemo.sources import duration_of

    if path.startswith("rosbag://"):
        return duration_of(path)
    try:
        with av.open(path) as container:
            return container.duration / 1e6 if container.duration else None
    except (av.FFmpegError, OSError, ValueError):
        return None


# -- the job -----------------------------------------------------------------------------------


Runtime = Callable[[], object]  # makes a runtime with .run(uris, listener) and .close()


class Job:
    """Ingest every file named by ``inputs`` into the memory in ``directory`` with a runtime."""

    def __init__(self, directory: str | Path, inputs: Sequence[str], runtime: Runtime, name: str = "inline"):
        self.directory = Path(directory)
        self.inputs = list(inputs)
        self.make_runtime = runtime
        self.name = name

    def run(self, progress: JobProgress | None = None) -> JobSummary:
        """Run what is left of the job; returns the summary (also written to job-summary.json)."""
        progress = progress or JobProgress()
        started = time.perf_counter()
        paths, bad = expand_inputs(self.inputs)
        manifest = Manifest(self.directory)
        entries = manifest.merge(plan_files(paths)) + bad
        todo = [e for e in entries if e.state in (PENDING, RUNNING, FAILED) and e.stream is not None]
        for entry in todo:
            entry.duration = entry.duration or probe_duration(entry.path)
        progress.planned(todo)
        recorder = _Recorder(todo, manifest, progress)
        if todo:
            self._ingest(todo, recorder)
        summary = summarise(entries, todo, time.perf_counter() - started, self.name)
        summary.events, summary.hours = recorder.events, recorder.media_seconds / 3600
        write_summary(self.directory, summary)
        return summary

    def _ingest(self, todo: list[JobFile], recorder: "_Recorder") -> None:
        runtime = self.make_runtime()
        try:
            runtime.run([e.path for e in todo], recorder)
        finally:
            runtime.close()


class _Recorder(Listener):
    """Keeps the manifest in step with the runtime and tells the job's progress."""

    def __init__(self, todo: list[JobFile], manifest: Manifest, progress: JobProgress):
        self.by_path = {e.path: e for e in todo}
        self.manifest, self.sink = manifest, progress
        self.events = 0  # added by this run
        self.media_seconds = 0.0  # ingested by this run

    def started(self, uri: str) -> None:
        entry = self.by_path[uri]
        entry.state, entry.reason = RUNNING, ""
        self.manifest.save()
        self.sink.started(entry)

    def progress(self, uri: str, done: float, total: float | None) -> None:
        self.sink.progress(self.by_path[uri], done, total)

    def finished(self, outcome: Outcome) -> None:
        entry = self.by_path[outcome.uri]
        if outcome.ok:
            report = outcome.report
            entry.state = DONE
            entry.events += report.events
            entry.media_seconds += report.media_seconds
            entry.wall_seconds += report.wall_seconds
            self.events += report.events
            self.media_seconds += report.media_seconds
            entry.reason = "already in the memory" if report.skipped and not report.events else ""
        else:
            entry.state, entry.reason = FAILED, outcome.error or "failed"
            logger.info("%s", entry.reason)
        self.manifest.save()
        self.sink.finished(entry)


def summarise(entries: list[JobFile], ran: list[JobFile], wall: float, runtime: str) -> JobSummary:
    """The summary of a run: ``ran`` are the files this run worked on."""
    ran_keys = {e.key for e in ran}
    summary = JobSummary(files=len(entries), wall_seconds=round(wall, 3), runtime=runtime)
    for entry in entries:
        if entry.state == DONE and entry.key in ran_keys:
            summary.ingested += 1
        elif entry.state == DONE:
            summary.already_done += 1
        elif entry.state == SKIPPED:
            summary.skipped += 1
            summary.skips.append({"path": entry.path, "reason": entry.reason})
        elif entry.state == FAILED:
            summary.failed += 1
            summary.failures.append({"path": entry.path, "reason": entry.reason})
        for copy in entry.copies:
            summary.skips.append({"path": copy, "reason": f"same content as {entry.path}"})
    summary.skipped += sum(len(e.copies) for e in entries)
    return summary


def write_summary(directory: Path, summary: JobSummary) -> Path:
    path = Path(directory) / SUMMARY
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary.to_dict(), indent=1))
    return path
