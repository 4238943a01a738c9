"""Reliability figures: the bad-input corpus through the real CLI and service, and kill -9 / full-disk
interruptions of an ingest, each resumed and compared with one uninterrupted run.

    python bench/reliability.py [--kills 3] [--no-crashes] [--out out/bench/reliability.json]

Prints one table: inputs tried, clear errors (the documented exit status or HTTP status and a message
naming the input and the problem), tracebacks, memories corrupted (``PRAGMA integrity_check`` fails or
an existing memory changed), kills survived (the memory intact and what was committed a prefix of the
uninterrupted run) and resumes identical (events, text and vectors equal to the uninterrupted run).
The inputs are those of tests/reliability/corpus.py, generated afresh (docs/cli.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
HELPERS = REPO / "tests" / "reliability"


def helper(name: str):
    spec = importlib.util.spec_from_file_location(f"mnemo_tests_reliability_{name}", HELPERS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


sys.path.insert(0, str(HELPERS))  # test_crashes imports its conftest's loader
corpus, harness = helper("corpus"), helper("harness")


class Tally:
    def __init__(self) -> None:
        self.tried = self.clear = self.tracebacks = self.corrupted = 0
        self.kills = self.survived = self.resumes = self.identical = 0
        self.unclear: list[str] = []

    def input(self, name: str, clear: bool, traceback: bool) -> None:
        self.tried += 1
        self.clear += clear
        self.tracebacks += traceback
        if not clear:
            self.unclear.append(name)


def _found(problem: str, text: str) -> bool:
    return re.search(problem, text, re.IGNORECASE | re.DOTALL) is not None


def media_cases(tally: Tally, work: Path, base: Path) -> None:
    """Refused media in one batch into ``base`` (must stay unchanged); salvaged and accepted ones into new memories."""
    for outcome in (corpus.REFUSED, corpus.SALVAGED, corpus.ACCEPTED):
        cases = corpus.cases(corpus.INGEST, outcome)
        sources = {c.name: c.build(Path(tempfile.mkdtemp(dir=work))) for c in cases}
        target = base if outcome == corpus.REFUSED else work / f"memory-{outcome}"
        before = harness.snapshot(base)
        run = harness.mnemo("ingest", *map(str, sources.values()), "-m", str(target), "-p", "lite", "-q")
        traceback = harness.TRACEBACK in run.stderr
        for case in cases:
            source = str(sources[case.name])
            if outcome == corpus.REFUSED:
                lines = [ln for ln in run.errors if ln.startswith(f"error: {source}:")]
                clear = run.code == corpus.EXIT_USAGE and len(lines) == 1 and _found(case.problem, lines[0])
            elif outcome == corpus.SALVAGED:
                lines = [ln for ln in run.stderr.splitlines() if "WARNING" in ln and source in ln]
                clear = run.code == 0 and len(lines) == 1 and _found(case.problem, lines[0])
            else:
                clear = run.code == 0 and not run.errors
            tally.input(case.name, clear and not traceback, traceback)
        after = harness.snapshot(base if outcome == corpus.REFUSED else target)
        tally.corrupted += after["integrity_check"] != "ok" or (outcome == corpus.REFUSED and after != before)


def cli_cases(tally: Tally, work: Path, base: Path) -> None:
    for case in corpus.cases(corpus.CLI):
        before = harness.snapshot(base)
        run = harness.mnemo(*case.build(Path(tempfile.mkdtemp(dir=work)), base))
        traceback = harness.TRACEBACK in run.stderr
        tally.input(case.name, run.code == case.status and _found(case.problem, run.stderr) and not traceback, traceback)
        tally.corrupted += harness.snapshot(base) != before


def api_cases(tally: Tally, work: Path, base: Path) -> None:
    from fastapi.testclient import TestClient

    from mnemo.service import ServiceOptions, create_app

    root, media = work / "service-root", work / "service-media"
    media.mkdir(parents=True)
    shutil.copytree(base, root / "base")
    before = harness.snapshot(root / "base")
    token = "bench-reliability-token-0123"
    with TestClient(create_app(ServiceOptions(root=root, token=token, media_roots=(media,)), background=False),
                    raise_server_exceptions=False) as client:
        for case in corpus.cases(corpus.API):
            call = case.build(Path(tempfile.mkdtemp(dir=work)), media)
            reply = client.request(call.method, call.url, json=call.json, content=call.content, files=call.files,
                                   headers={"authorization": f"Bearer {token}", **call.headers})
            crashed = reply.status_code >= 500
            message = reply.json().get("error", {}).get("message", "") if not crashed else ""
            tally.input(case.name, reply.status_code == case.status and _found(case.problem, message), crashed)
    tally.corrupted += harness.snapshot(root / "base") != before


def crashes(tally: Tally, work: Path, kills: int) -> None:
    """``kills`` kill -9 at different points of an ingest, and one full disk; each resumed and compared."""
    crash = helper("test_crashes")
    clip = crash.scenes(work / "scenes.mp4")
    reference = work / "reference"
    assert harness.mnemo("ingest", str(clip), "-m", str(reference), "-p", "lite", "-q").code == 0
    expected = crash.content(reference)
    total = len(expected["events"])
    for i in range(kills):
        memory = work / f"killed-{i}"
        proc = crash.start_ingest(clip, memory)
        try:
            crash.wait_for_events(proc, memory, 1 + (i + 1) * total // (kills + 2))
            proc.send_signal(signal.SIGKILL)
        except AssertionError:
            pass  # it finished first: no kill to count
        proc.wait(timeout=120)
        if proc.returncode != -signal.SIGKILL:
            continue
        _check_interrupted(tally, crash, clip, memory, expected)
    memory = work / "disk-full"
    run = harness.mnemo("ingest", str(clip), "-m", str(memory), "-p", "lite", "-q",
                        preexec_fn=crash._limit_file_size(600_000))
    tally.input("disk-full", run.code == 2 and len(run.errors) == 1 and str(memory) in run.errors[0],
                harness.TRACEBACK in run.stderr)
    _check_interrupted(tally, crash, clip, memory, expected, killed=False)


def _check_interrupted(tally: Tally, crash, clip: Path, memory: Path, expected: dict, killed: bool = True) -> None:
    intact = harness.snapshot(memory)["integrity_check"] == "ok"
    partial = crash.content(memory)["events"]
    prefix = intact and partial == expected["events"][:len(partial)]
    if killed:
        tally.kills += 1
        tally.survived += prefix
    tally.corrupted += not prefix
    tally.resumes += 1
    resumed = harness.mnemo("ingest", str(clip), "-m", str(memory), "-p", "lite", "-q")
    tally.identical += resumed.code == 0 and crash.content(memory) == expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=3, help="kill -9 points in an ingest")
    parser.add_argument("--no-crashes", action="store_true", help="the corpus only")
    parser.add_argument("--out", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args()
    started = time.perf_counter()
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="mnemo-reliability-") as tmp:
        work = Path(tmp)
        clip = corpus.video(work / "base.mp4", seconds=4.0)
        base = work / "base"
        assert harness.mnemo("ingest", str(clip), "-m", str(base), "-p", "lite", "-q").code == 0
        media_cases(tally, work, base)
        cli_cases(tally, work, base)
        api_cases(tally, work, base)
        if not args.no_crashes:
            crashes(tally, work, args.kills)
    rows = [("inputs tried", tally.tried), ("clear errors", f"{tally.clear} ({100 * tally.clear / max(tally.tried, 1):.0f}%)"),
            ("tracebacks", tally.tracebacks), ("memories corrupted", tally.corrupted),
            ("kills survived", f"{tally.survived}/{tally.kills}"), ("resumes identical", f"{tally.identical}/{tally.resumes}")]
    width = max(len(name) for name, _ in rows)
    print(f"{'measure':<{width}}  value")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if tally.unclear:
        print("unclear:", ", ".join(tally.unclear))
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({name: str(value) for name, value in rows} | {"unclear": tally.unclear}, indent=1))


if __name__ == "__main__":
    main()
