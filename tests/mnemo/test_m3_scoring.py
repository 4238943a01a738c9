"""mnemo.evaluation.m3_scoring: M3-Bench answers graded by their reference's form, or by an LLM judge."""

from __future__ import annotations

import json

import pytest

from mnemo.evaluation.m3_scoring import (JudgeConfig, LLMJudge, as_text, content_words, form_of, grade,
                                         uniform_expected)



@pytest.mark.parametrize("reference, form", [
    ("Yes.", "yes_no"), ("No, she did not.", "yes_no"), ("Two.", "count"), ("3", "count"),
    ("Coffee.", "text"), ("Yoga gets her relaxed.", "text"), ("Two cups of coffee.", "text"),
])
def test_form_of_a_reference(reference, form):
    assert form_of(reference) == form


@pytest.mark.parametrize("reference, answer, right", [
    ("Yes.", "yes", True), ("Yes.", "Yes, she was.", True), ("Yes.", "no", False), ("No.", "Nope", False),
    ("Two.", "2", True), ("Two.", "I counted two cups.", True), ("Two.", "three", False),
    ("Coffee.", "They drink coffee in the morning.", True), ("Coffee.", "Tea.", False),
    ("Marketing staff.", "She works in marketing.", True),  # one of two content words: half is enough
    ("In the red box on the shelf.", "the shelf", False),  # one of three (red, box, shelf)
    ("Mangoes.", "a mango", False),  # no stemming beyond a plural s: mangoe != mango
    ("Bob.", None, False), ("Bob.", "  ", False),
])
def test_grade_by_rule(reference, answer, right):
    assert grade(reference, answer) is right


def test_content_words_leave_out_stop_words_and_plural_s():
    assert content_words("The keys are in the boxes.") == {"key", "boxe"}
    assert content_words("Is it the glass?") == {"glass"}


def test_values_as_text_and_uniform_expectation():
    assert (as_text(True), as_text(False), as_text(3.0), as_text(2.5), as_text(None)) == ("yes", "no", "3", "2.5",
                                                                                         None)
    assert uniform_expected("Yes.") == 0.5
    assert uniform_expected("Three.") == pytest.approx(1 / 6) and uniform_expected("Nine.") == 0.0
    assert uniform_expected("Coffee.") == 0.0


def test_judge_config_names_the_bad_field():
    with pytest.raises(ValueError, match="JudgeConfig.url='ftp://x'"):
        JudgeConfig("ftp://x", "m")
    with pytest.raises(ValueError, match="JudgeConfig.model"):
        JudgeConfig("http://x", "")


@pytest.fixture(scope="module")
def server(scripted_llm):
    return scripted_llm  # (base URL, request log) of tests/planners/scripted_llm_server.py (tests/conftest.py)


def test_llm_judge_verdicts_and_what_it_was_sent(server):
    url, log = server
    judge = LLMJudge(JudgeConfig(url, "judge", key="secret"))
    assert judge("What do they drink?", "Coffee.", "Black coffee, two cups") is True
    assert judge("What do they drink?", "Coffee.", "Tea") is False
    assert judge("What do they drink?", "Coffee.", None) is False  # "I don't know" is never asked about
    assert (judge.asked, judge.fallbacks) == (2, 0)
    sent = [json.loads(line) for line in log.read_text().splitlines() if '"judge"' in line]
    assert sent[0]["auth"] == "Bearer secret"
    assert "Reference answer: Coffee." in sent[0]["body"]["messages"][-1]["content"]


def test_llm_judge_falls_back_to_the_rule_and_counts_it(server):
    url, _ = server
    prose = LLMJudge(JudgeConfig(url, "judge_prose"))
    assert prose("?", "Coffee.", "coffee") is True and prose("?", "Coffee.", "tea") is False
    assert (prose.asked, prose.fallbacks) == (2, 2)
    down = LLMJudge(JudgeConfig("http://127.0.0.1:9/v1", "judge", timeout_s=2))  # nothing listens on port 9
    assert down("?", "Coffee.", "coffee") is True and down.fallbacks == 1
