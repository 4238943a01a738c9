"""Reliability figures: the bad-input corpus through the real CLI and service, and the crash matrix:
kill -9 during an ingest, consolidate, budget, export, import and a service ingest, and full disks,
each interrupted run checked and rerun, and compared with one uninterrupted run.

    python bench/reliability.py [--kills 3] [--no-crashes] [--out out/bench/reliability.json]

Prints one table: inputs tried, clear errors (the documented exit status or HTTP status and a message
naming the input and the problem), tracebacks, memories corrupted (``PRAGMA integrity_check`` fails or
an existing memory changed), kills survived (the memory intact and what was committed a prefix of the
uninterrupted run) and resumes identical (events, text and vectors equal to the uninterrupted run).
The inputs are those of tests/reliability/corpus.py, generated afresh (docs/cli.md). A second table
breaks the kills down by command; the commands are killed in forks (tests/reliability/interrupt.py)
inside and after each store transaction, at their file-writing steps, and at ``--kills`` seeded
fractions of their uninterrupted duration; the service ingest at ``--kills`` points (docs/cli.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import signal
import sqlite3
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
        self.matrix: dict[str, list[int]] = {}  # case -> [kills, survived, resumes, identical]

    def crash(self, case: str, killed: bool, survived: bool, identical: bool) -> None:
        """One interruption (a kill, or a full disk when not ``killed``) and its rerun."""
        row = self.matrix.setdefault(case, [0, 0, 0, 0])
        row[0] += killed
        row[1] += killed and survived
        row[2] += 1
        row[3] += identical
        self.kills += killed
        self.survived += killed and survived
        self.corrupted += not survived
        self.resumes += 1
        self.identical += identical

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
    command_crashes(tally, crash, reference, work, kills)
    service_crashes(tally, crash, clip, expected, work, kills)


def _check_interrupted(tally: Tally, crash, clip: Path, memory: Path, expected: dict, killed: bool = True) -> None:
    intact = harness.snapshot(memory)["integrity_check"] == "ok"
    partial = crash.content(memory)["events"]
    prefix = intact and partial == expected["events"][:len(partial)]
    resumed = harness.mnemo("ingest", str(clip), "-m", str(memory), "-p", "lite", "-q")
    tally.crash("ingest" if killed else "ingest, full disk", killed, prefix,
                resumed.code == 0 and crash.content(memory) == expected)


def _commands(crash, source: Path, work: Path) -> dict:
    """Per command: prepare(folder) -> paths, argv(paths), intact(paths) after a kill, outcome(paths) after a run."""
    from mnemo.memories import find_memories

    def unconsolidated(folder: Path) -> dict:
        memory = crash._copy(source, folder / "memory")
        with sqlite3.connect(memory / "memory.db") as db:
            for table in crash.CONSOLIDATED:
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
        return {"memory": memory}

    def copied(folder: Path) -> dict:
        return {"memory": crash._copy(source, folder / "memory")}

    def files(memory: Path) -> list[str]:
        return sorted(str(p.relative_to(memory)) for p in memory.rglob("*") if p.name != "writer.lock")

    stored = crash.stored(source)
    source_rows = harness.snapshot(source)
    archive = work / "commands-snapshot.tar.gz"
    budget = ["--max-mb", f"{0.92 * (source / 'memory.db').stat().st_size / 2**20:.4f}"]

    def unpacked(path: Path) -> tuple | None:
        return crash._archive(path, Path(tempfile.mkdtemp(dir=work))) if path.exists() else None

    return {
        "consolidate": (unconsolidated, lambda p: ["consolidate", "-m", str(p["memory"])],
                        lambda p, _: crash.stored(p["memory"]) == stored, lambda p: crash.rows(p["memory"]), []),
        "budget": (copied, lambda p: ["budget", "-m", str(p["memory"]), *budget],
                   lambda p, _: crash.stored(p["memory"]) == stored,
                   lambda p: (crash.rows(p["memory"]), files(p["memory"])),
                   [{"call": "memory.budget:_vacuum", "n": 1}]),
        "export": (lambda f: {"archive": f / "snapshot.tar.gz"},
                   lambda p: ["export", "-m", str(source), "--out", str(p["archive"])],
                   lambda p, expected: harness.snapshot(source) == source_rows
                   and unpacked(p["archive"]) in (None, expected[0]),
                   lambda p: (unpacked(p["archive"]), sorted(x.name for x in p["archive"].parent.iterdir()
                                                             if x.name.endswith(".partial"))),
                   [{"call": "memory.store_base:StoreBase.backup", "n": 1, "when": "after"},
                    {"call": "tarfile:TarFile.add", "n": 1}, {"call": "mnemo.memories:durable_replace", "n": 1}]),
        "import": (lambda f: {"memory": f / "memory", "folder": f, "archive": archive},
                   lambda p: ["import", str(archive), "-m", str(p["memory"])],
                   lambda p, expected: find_memories(p["folder"]) == ([p["memory"]] if p["memory"].exists() else [])
                   and (not p["memory"].exists() or crash.rows(p["memory"]) == expected),
                   lambda p: crash.rows(p["memory"]),
                   [{"call": "tarfile:TarFile.extractall", "n": 1, "when": "after"},
                    {"call": "mnemo.memories:durable_replace", "n": 1},
                    {"call": "os:replace", "n": 1, "when": "after"}]),
    }


def command_crashes(tally: Tally, crash, source: Path, work: Path, timed: int) -> None:
    """kill -9 of consolidate, budget, export and import at every hook, inside and after every store
    transaction, and at ``timed`` seeded moments; each killed run checked, rerun and compared."""
    import random

    rng = random.Random(33)
    with harness.Interrupter() as it:
        assert it.run("export", "-m", str(source), "--out", str(work / "commands-snapshot.tar.gz"))["code"] == 0
        commands = _commands(crash, source, work)
        for name, (prepare, argv, intact, outcome, hooks) in commands.items():
            folder = Path(tempfile.mkdtemp(dir=work))
            paths = prepare(folder)
            done = it.run(*argv(paths))
            assert done["code"] == 0, done
            expected = outcome(paths)
            writes = [{"write": n, "when": w} for n in range(1, (done["writes"] or 0) + 1) for w in ("inside", "after")]
            timings = [{"after_s": done["seconds"] * rng.uniform(0.05, 0.95)} for _ in range(timed)]
            for kill in hooks + writes + timings:
                paths = prepare(Path(tempfile.mkdtemp(dir=work)))
                run = it.run(*argv(paths), kill=kill)
                if not run["killed"]:
                    continue  # it finished first: no kill to count
                survived = intact(paths, expected)
                again = it.run(*argv(paths))
                refused = name == "import" and again["code"] == 2 and "not empty" in again["stderr"]  # had finished
                tally.crash(name, True, survived, (again["code"] == 0 or refused) and outcome(paths) == expected)
        for name in ("export", "import"):
            paths = commands[name][0](Path(tempfile.mkdtemp(dir=work)))
            command = commands[name][1](paths)
            run = it.run(*command, fsize=100_000)
            target = str(paths["archive"] if name == "export" else paths["memory"])
            errors = [line for line in run["stderr"].splitlines() if line.startswith("error:")]
            tally.input(f"{name}-disk-full", run["code"] == 2 and len(errors) == 1 and target in errors[0],
                        harness.TRACEBACK in run["stderr"])
            tally.crash(f"{name}, full disk", False, not Path(target).exists(), it.run(*command)["code"] == 0)


def service_crashes(tally: Tally, crash, clip: Path, expected: dict, work: Path, kills: int) -> None:
    """kill -9 of a real ``mnemo serve`` while its worker ingests, at ``kills`` points; restarted, it resumes."""
    from mnemo.writer import WriterLock
    from tests.mnemo.service.conftest import Server, wait_job

    root = work / "service"
    root.mkdir()
    server = Server(root, "--media-root", str(clip.parent), "-p", "lite")
    total = len(expected["events"])
    try:
        for i in range(kills):
            name, at = f"killed-{i}", 1 + (i + 1) * (total // 2) // (kills + 1)  # the last events come in a burst
            memory = root / name
            with server.client() as c:
                c.put(f"/v1/memories/{name}")
                job = c.post(f"/v1/memories/{name}/videos", json={"path": str(clip)}).json()["job"]
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and not ((memory / "memory.db").exists()
                                                           and crash.events(memory) >= at):
                    time.sleep(0.005)
            server.kill_and_restart()
            partial = crash.content(memory)["events"]
            intact = harness.snapshot(memory)["integrity_check"] == "ok"
            survived = intact and partial == expected["events"][:len(partial)]
            with server.client() as c:
                done = wait_job(c, job, timeout=300)
            if done["result"].get("skipped") and crash.content(memory) == expected:
                continue  # the ingest had finished before the kill: no kill to count
            try:
                with WriterLock(memory):
                    free = True
            except Exception:  # noqa: BLE001 - an orphan worker holds it
                free = False
            resumed = done["state"] == "done" and done["runs"] == 2 and (done["result"].get("resumed_from") or 0) > 0
            tally.crash("service ingest", True, survived, resumed and free and crash.content(memory) == expected)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=3, help="kill -9 points in an ingest")
    parser.add_argument("--no-crashes", action="store_true", help="the corpus only")
    parser.add_argument("--crashes-only", action="store_true", help="the crash matrix only")
    parser.add_argument("--out", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args()
    started = time.perf_counter()
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="mnemo-reliability-") as tmp:
        work = Path(tmp)
        clip = corpus.video(work / "base.mp4", seconds=4.0)
        base = work / "base"
        assert harness.mnemo("ingest", str(clip), "-m", str(base), "-p", "lite", "-q").code == 0
        if not args.crashes_only:
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
    if tally.matrix:
        print(f"\n{'interrupted':<20}  kills  survived  resumes  identical")
        for case, (kills, survived, resumes, identical) in tally.matrix.items():
            shown = (str(kills), str(survived)) if kills else ("-", "-")  # a full disk: no kill
            print(f"{case:<20}  {shown[0]:>5}  {shown[1]:>8}  {resumes:>7}  {identical:>9}")
    if tally.unclear:
        print("unclear:", ", ".join(tally.unclear))
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({name: str(value) for name, value in rows} | {"unclear": tally.unclear}
                                       | {"matrix": tally.matrix}, indent=1))


if __name__ == "__main__":
    main()
