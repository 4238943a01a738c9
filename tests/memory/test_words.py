"""Ranking events by the query's words in their screen text."""

from __future__ import annotations

import math

from memory.words import rank_by_words, words


def test_words_are_lower_case_runs_of_letters_and_digits():
    assert words("Invoice #4471, due 3/12 — Kobayashi's café") == [
        "invoice", "4471", "due", "12", "kobayashi", "café"]


LINES = [(1, "Quarterly budget review"), (1, "harbour lanterns"), (2, "budget approved"),
         (3, "Kobayashi invoice 4471"), (4, "nothing relevant here")]


def test_rarer_words_weigh_more_and_events_below_half_the_wording_are_left_out():
    # 4 events; "budget" is in 2 of them, "harbour" in 1: idf = log(5 / 2.5) and log(5 / 1.5)
    budget, harbour = math.log(5 / 2.5), math.log(5 / 1.5)
    assert budget / (budget + harbour) < 0.5  # so event 2, with "budget" alone, holds too little of the query
    assert rank_by_words(LINES, "budget harbour", k=10) == [(1, 1.0)]
    ranked = rank_by_words(LINES, "budget harbour", k=10, min_share=0.2)
    assert [e for e, _ in ranked] == [1, 2] and math.isclose(ranked[1][1], budget / (budget + harbour))


def test_a_code_on_screen_finds_its_event_and_nothing_matches_nothing():
    assert rank_by_words(LINES, "invoice 4471", k=3) == [(3, 1.0)]
    assert rank_by_words(LINES, "walnut orchard", k=3) == []
    assert rank_by_words(LINES, "!!", k=3) == []
    assert rank_by_words([], "budget", k=3) == []


def test_k_limits_and_ties_go_to_the_earlier_event():
    lines = [(5, "red kite"), (2, "red kite"), (9, "red kite")]
    assert rank_by_words(lines, "red kite", k=2) == [(2, 1.0), (5, 1.0)]
