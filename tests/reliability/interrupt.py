"""Run ``mnemo`` commands in forked children and ``kill -9`` them at chosen moments.

    python tests/reliability/interrupt.py        (one JSON request a line on stdin, one answer a line on stdout)

This process imports the CLI once; each request forks a child that runs ``mnemo.cli.main()`` on its
``argv``, so a run costs the command's own work, not an interpreter's start. A request may say when the
child is killed (SIGKILL, as ``kill -9`` would: no handler, no ``finally``, no flush):

- ``{"write": N, "when": "inside"}``: in the Nth store transaction, its writes done, before COMMIT;
  ``"when": "after"``: just after the Nth COMMIT;
- ``{"call": "module:Qual.name", "n": N, "when": "before" | "after"}``: at the Nth call of that function;
- ``{"after_s": S}``: by the parent, S seconds after the fork (wherever the child then is).

``"fsize": BYTES`` in a request limits the size of files the child may write (``RLIMIT_FSIZE``): a full disk.

The answer: ``{"code": exit status (-9 when killed), "killed": bool, "writes": transactions committed
or begun, "calls": calls of the hooked function, "seconds": wall time, "stdout", "stderr"}``.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WARM = ("mnemo.cli", "mnemo.memories", "memory.store", "memory.consolidation", "memory.budget")  # no torch: fork-safe
COUNTS = Path(tempfile.mkdtemp(prefix="mnemo-interrupt-"))  # the child's counters, read by the parent after it ends


def _die(counts: dict) -> None:
    _save(counts)
    os.kill(os.getpid(), signal.SIGKILL)


def _save(counts: dict) -> None:
    (COUNTS / str(os.getpid())).write_text(json.dumps(counts))


def _hook_writes(counts: dict, n: int | None, when: str) -> None:
    from memory.store_base import StoreBase

    original = StoreBase._write

    @contextmanager
    def _write(self):
        with original(self) as conn:
            counts["writes"] += 1
            mine = counts["writes"]
            yield conn
            if mine == n and when == "inside":
                _die(counts)
        if mine == n and when == "after":
            _die(counts)

    StoreBase._write = _write


def _hook_call(counts: dict, target: str, n: int, when: str) -> None:
    module_name, _, qualname = target.partition(":")
    owner = importlib.import_module(module_name)
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, name)

    def hooked(*args, **kwargs):
        counts["calls"] += 1
        mine = counts["calls"]
        if mine == n and when == "before":
            _die(counts)
        result = original(*args, **kwargs)
        if mine == n and when == "after":
            _die(counts)
        return result

    setattr(owner, name, hooked)


def _child(request: dict, out: Path, err: Path) -> None:
    counts = {"writes": 0, "calls": 0}
    try:
        for stream, path in ((1, out), (2, err)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, stream)
            os.close(fd)
        kill = request.get("kill") or {}
        _hook_writes(counts, kill.get("write"), kill.get("when", "inside"))
        if "call" in kill:
            _hook_call(counts, kill["call"], int(kill.get("n", 1)), kill.get("when", "before"))
        if request.get("fsize"):  # a disk that fills up: writes past this many bytes fail (EFBIG)
            import resource

            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (request["fsize"], request["fsize"]))
        sys.argv = ["mnemo", *request["argv"]]
        from mnemo.cli import main

        try:
            main()
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # noqa: BLE001 - the traceback goes to the child's stderr, as a real run's would
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    _save(counts)
    os._exit(code)


def run(request: dict) -> dict:
    """Fork, run, wait; the answer for one request."""
    work = Path(tempfile.mkdtemp(prefix="run-", dir=COUNTS))
    out, err = work / "stdout", work / "stderr"
    for path in (out, err):  # there even when the child is killed before it opens them
        path.touch()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(request, out, err)
    after = (request.get("kill") or {}).get("after_s")
    if after is not None:
        deadline = started + float(after)
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.001)
        else:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
    else:
        _, status = os.waitpid(pid, 0)
    seconds = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    counts_file = COUNTS / str(pid)
    counts = json.loads(counts_file.read_text()) if counts_file.is_file() else {"writes": None, "calls": None}
    counts_file.unlink(missing_ok=True)
    answer = {"code": code, "killed": code == -signal.SIGKILL, "seconds": seconds, **counts,
              "stdout": out.read_text(errors="replace"), "stderr": err.read_text(errors="replace")}
    for path in (out, err):
        path.unlink(missing_ok=True)
    work.rmdir()
    return answer


def main() -> None:
    os.environ.update({"COLUMNS": "400", "NO_COLOR": "1"})
    sys.path.insert(0, str(REPO))
    for module in WARM:  # imported once, before any fork: a child's time is its command's own work
        importlib.import_module(module)

    try:
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(run(json.loads(line))), flush=True)
    finally:
        shutil.rmtree(COUNTS, ignore_errors=True)


if __name__ == "__main__":
    main()
