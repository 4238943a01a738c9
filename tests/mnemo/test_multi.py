"""Searching several memories: the merge equals the per-memory searches merged by score; retrievals count."""

from __future__ import annotations

import shutil

import pytest

import mnemo
from memory import budget
from mnemo.errors import MemoryNotFound
from mnemo.multi import search_many


@pytest.fixture(scope="module")
def two(sample, tmp_path_factory):
    root = tmp_path_factory.mktemp("multi")
    with mnemo.open(root / "a", profile="lite", create=True) as mem:
        mem.ingest(sample.video)
    shutil.copytree(root / "a", root / "b")
    with mnemo.open(root / "b") as mem:  # b forgets the living room and the garden
        mem.store.delete_events([e.id for e in mem.events() if "sofa" in e.text or "garden" in e.text])
    return root / "a", root / "b"


@pytest.mark.parametrize("query", ["keys on the sofa", "making coffee in the kitchen"])
def test_the_merge_equals_the_searches_merged_by_score(two, query):
    a, b = two
    single = []
    for order, directory in enumerate(two):
        with mnemo.open(directory) as mem:
            single += [(-h.score, order, h.event, str(directory)) for h in mem.search(text=query, k=4)]
    want = [(e, d) for _, _, e, d in sorted(single)[:4]]
    got = search_many([a, b], text=query, k=4)
    assert [(h.hit.event, h.memory) for h in got] == want
    assert [h.hit.score for h in got] == sorted((h.hit.score for h in got), reverse=True)
    assert got[0].to_dict()["memory"] in (str(a), str(b))


def test_search_counts_retrievals(two):
    a, _ = two
    with mnemo.open(a) as mem:
        before = budget.retrievals(mem.store)
        hits = mem.search(text="bicycle in the garage", k=2)
        after = budget.retrievals(mem.store)
    assert {h.event: before.get(h.event, 0) + 1 for h in hits} == {h.event: after[h.event] for h in hits}


def test_a_missing_memory_is_named(two, tmp_path):
    with pytest.raises(MemoryNotFound, match="nowhere"):
        search_many([two[0], tmp_path / "nowhere"], text="keys")
    with pytest.raises(ValueError, match="at least one"):
        search_many([], text="keys")
