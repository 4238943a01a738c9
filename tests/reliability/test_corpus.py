"""Every input of the bad-input corpus through the real CLI (and the service): one clear message naming
the input and the problem, the documented exit status, no traceback, and the memory intact."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import helper  # noqa: E402

corpus, harness = helper("corpus"), helper("harness")
REFUSED = corpus.cases(corpus.INGEST, corpus.REFUSED)
SALVAGED = corpus.cases(corpus.INGEST, corpus.SALVAGED)
ACCEPTED = corpus.cases(corpus.INGEST, corpus.ACCEPTED)


def _matches(problem: str, text: str) -> bool:
    return re.search(problem, text, re.IGNORECASE | re.DOTALL) is not None


@pytest.fixture(scope="module")
def refused_batch(base_memory, tmp_path_factory):
    """All refused media in one ``mnemo ingest`` (a bad file is reported and skipped; the batch goes on)."""
    sources = {}
    for case in REFUSED:
        sources[case.name] = case.build(tmp_path_factory.mktemp(case.name))
    before = harness.snapshot(base_memory)
    run = harness.mnemo("ingest", *map(str, sources.values()), "-m", str(base_memory), "-q")
    return sources, run, before, harness.snapshot(base_memory)


def test_refused_batch_exits_2_without_traceback_and_memory_intact(refused_batch):
    sources, run, before, after = refused_batch
    assert harness.TRACEBACK not in run.stderr, run.describe()
    assert run.code == corpus.EXIT_USAGE, run.describe()
    assert after["integrity_check"] == "ok"
    assert after == before, [t for t in before if before[t] != after.get(t)]


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.name)
def test_refused_media_get_one_clear_line(case, refused_batch):
    sources, run, _, _ = refused_batch
    source = str(sources[case.name])
    lines = [line for line in run.errors if line.startswith(f"error: {source}:")]
    assert len(lines) == 1, f"{case.name}: expected one line naming {source}\n{run.describe()}"
    assert _matches(case.problem, lines[0][len(f"error: {source}:"):]), (case.problem, lines[0])


@pytest.fixture(scope="module")
def salvaged_batch(tmp_path_factory):
    """Media readable in part, in one ``mnemo ingest`` into a new memory."""
    sources = {case.name: case.build(tmp_path_factory.mktemp(case.name)) for case in SALVAGED}
    memory = tmp_path_factory.mktemp("salvaged") / "memory"
    run = harness.mnemo("ingest", *map(str, sources.values()), "-m", str(memory), "-p", "lite", "-q")
    return sources, run, memory


def test_salvaged_batch_is_ingested(salvaged_batch):
    sources, run, memory = salvaged_batch
    assert run.code == 0 and harness.TRACEBACK not in run.stderr, run.describe()
    assert harness.count(memory, "streams") == len(sources)
    assert harness.snapshot(memory)["integrity_check"] == "ok"


@pytest.mark.parametrize("case", SALVAGED, ids=lambda c: c.name)
def test_salvaged_media_get_one_warning(case, salvaged_batch):
    sources, run, _ = salvaged_batch
    source = str(sources[case.name])
    lines = [line for line in run.stderr.splitlines() if "WARNING" in line and source in line]
    assert len(lines) == 1, f"{case.name}: expected one warning naming {source}\n{run.describe()}"
    assert _matches(case.problem, lines[0].split(source, 1)[1]), (case.problem, lines[0])


@pytest.fixture(scope="module")
def accepted_batch(tmp_path_factory):
    """Odd but valid media, in one ``mnemo ingest`` into a new memory."""
    sources = {case.name: case.build(tmp_path_factory.mktemp(case.name)) for case in ACCEPTED}
    memory = tmp_path_factory.mktemp("accepted") / "memory"
    run = harness.mnemo("ingest", *map(str, sources.values()), "-m", str(memory), "-p", "lite", "-q")
    return sources, run, memory


def test_accepted_batch_is_ingested(accepted_batch):
    sources, run, memory = accepted_batch
    assert run.code == 0 and harness.TRACEBACK not in run.stderr, run.describe()
    assert "already ingested" not in run.stdout, run.describe()  # the corpus's clips all differ
    assert harness.count(memory, "streams") == len(sources)
    assert harness.snapshot(memory)["integrity_check"] == "ok"


@pytest.mark.parametrize("case", corpus.cases(corpus.CLI), ids=lambda c: c.name)
def test_bad_command_line_values(case, base_memory, tmp_path):
    argv = case.build(tmp_path, base_memory)
    before = harness.snapshot(base_memory)
    run = harness.mnemo(*argv)
    assert harness.TRACEBACK not in run.stderr, run.describe()
    assert run.code == case.status, run.describe()
    message = run.stderr.strip()
    assert message and _matches(case.problem, message), f"expected /{case.problem}/\n{run.describe()}"
    assert harness.snapshot(base_memory) == before
