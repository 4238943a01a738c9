"""Running the real CLI on bad input, and checking that a memory came through intact."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TRACEBACK = "Traceback (most recent call last)"


@dataclass(frozen=True)
class Run:
    argv: list[str]  # the arguments after `mnemo`
    code: int  # exit status
    stdout: str
    stderr: str

    @property
    def errors(self) -> list[str]:
        """The lines of stderr that report an error (``error: ...``)."""
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]

    def describe(self) -> str:
        return f"mnemo {' '.join(self.argv)}\nexit {self.code}\n--- stderr\n{self.stderr}\n--- stdout\n{self.stdout[-2000:]}"


def mnemo(*argv: str, timeout: float = 300.0, env: dict[str, str] | None = None, **popen) -> Run:
    """``python -m mnemo ARGV`` in a subprocess, with this checkout's packages first on the path."""
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
               "COLUMNS": "400", "NO_COLOR": "1", **(env or {})}
    done = subprocess.run([sys.executable, "-m", "mnemo", *argv], capture_output=True, text=True, timeout=timeout,
                          env=environ, **popen)
    return Run(list(argv), done.returncode, done.stdout, done.stderr)


def snapshot(memory: Path) -> dict[str, str]:
    """``integrity_check``'s answer and a digest of every table's rows (sorted): equal snapshots, same memory."""
    db = sqlite3.connect(f"file:{memory / 'memory.db'}?mode=ro", uri=True)
    try:
        state = {"integrity_check": db.execute("PRAGMA integrity_check").fetchone()[0]}
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for table in tables:
            digest = hashlib.sha256()
            for row in sorted(map(repr, db.execute(f'SELECT * FROM "{table}"'))):  # noqa: S608 - names from the schema
                digest.update(row.encode())
            state[table] = digest.hexdigest()
    finally:
        db.close()
    return state


def count(memory: Path, table: str) -> int:
    db = sqlite3.connect(f"file:{memory / 'memory.db'}?mode=ro", uri=True)
    try:
        return db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608 - a fixed table name
    finally:
        db.close()


class Interrupter:
    """``tests/reliability/interrupt.py`` as a child process: runs ``mnemo`` commands in forks, killing
    each (``kill -9``) at a moment the request names; one interpreter start for many runs."""

    def __init__(self) -> None:
        environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        self._proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "reliability" / "interrupt.py")],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=environ)

    def run(self, *argv: str, kill: dict | None = None, fsize: int | None = None) -> dict:
        """The answer of one run: code (-9 when killed), killed, writes, calls, seconds, stdout, stderr."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps({"argv": list(argv), "kill": kill, "fsize": fsize}) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the interrupter exited (status {self._proc.wait()})")
        return json.loads(line)

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(timeout=60)

    def __enter__(self) -> "Interrupter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
