"""The LLM answerer's structured tools over the hand-built world of perceived_world.py: each answers what
the world holds (the oracle: how that world was built), cut at the question's time."""

from __future__ import annotations

import json

import numpy as np
import pytest

from planners.builtin import BuiltinAnswerer
from planners.llm_tools import TOOLS, Tools
from planners.retrieval import Retriever


@pytest.fixture
def tools(world_store):
    builtin = BuiltinAnswerer(world_store)
    retriever = Retriever(world_store, {"text/test": lambda text: np.ones(16, np.float32)})
    return lambda at: Tools(builtin, retriever, at)


def call(tools: Tools, tool: str, **arguments) -> dict:
    return tools.run({"function": {"name": tool, "arguments": json.dumps(arguments)}})


def test_every_tool_offered_is_one_the_loop_can_run(tools):
    assert {t["function"]["name"] for t in TOOLS} == set(tools(None).table)


def test_where_a_thing_was_never_looks_past_the_question(tools):
    assert call(tools(None), "where_was", thing="red mug")["room"] == "office"  # put down there at 60 s
    assert call(tools(None), "where_was", thing="red mug", time=30)["room"] == "kitchen"
    early = call(tools(50.0), "where_was", thing="red mug", time=100)  # asked at 50 s: 100 s has not come
    assert (early["room"], early["time"]) == ("kitchen", 50.0)
    assert call(tools(None), "where_was", thing="blue whale")["room"] is None


def test_sightings_of_a_label_in_a_span(tools):
    every = call(tools(None), "sightings", label="mug")
    assert (every["count"], every["tracks"], every["colours"]) == (175 + 150, 2, ["red"])  # 5-40 s and 60-90 s at 5 Hz
    assert call(tools(None), "sightings", label="mug", start=0, end=50)["count"] == 175
    assert call(tools(50.0), "sightings", label="mug")["count"] == 175
    assert call(tools(None), "sightings", label="unicorn") == {"label": "unicorn", "count": 0}


def test_what_a_person_said_about_a_topic(tools):
    alice = call(tools(None), "said_about", person="Alice", topic="red mug")
    assert alice["latest"] == "Bob, please bring the red mug to the office." and alice["evidence"]
    assert call(tools(100.0), "said_about", person="Bob", topic="fridge")["lines"] == []  # said at 125 s


def test_entries_and_counts(tools):
    entries = call(tools(None), "entries", person="Alice", room="office")
    assert len(entries["times"]) == 1 and 50.0 <= entries["times"][0] <= 58.0  # crossing x = 5 on her walk
    assert call(tools(None), "count", what="enter", name="Alice", room="office")["count"] == 1
    assert call(tools(None), "count", what="speak", name="Bob")["count"] == 1
    assert call(tools(100.0), "count", what="speak", name="Bob")["count"] == 0
    assert "needs the room" in call(tools(None), "count", what="enter", name="Alice")["error"]
    assert "expected one of" in call(tools(None), "count", what="dance", name="Alice")["error"]
