"""The built-in answerer's parts, each alone (without BuiltinAnswerer): the base (entry, evidence, names),
where and when, who and what was said, counts and the rest; each answers its own questions as the
composed answerer does and no other part's."""

from __future__ import annotations

import pytest

from planners.answer_base import AnswererBase
from planners.answer_counts import CountAnswers
from planners.answer_where import WhereAnswers
from planners.answer_who import WhoAnswers
from planners.builtin import BuiltinAnswerer

PARTS = [  # (part, a question of its own asked at 150 s, its rule, a question of another part's)
    (WhereAnswers, "Where is the red mug now?", "_where_now", "Who last opened the fridge?"),
    (WhereAnswers, "When did you last see someone open the fridge?", "_when_open", "How many times did you "
                                                                                  "hear Alice speak?"),
    (WhoAnswers, "Who last put the red mug on the desk?", "_who_put", "Where is the red mug now?"),
    (WhoAnswers, 'Who said "I like the new fridge"?', "_who_said", "When did you first see the red mug?"),
    (CountAnswers, "How many times did you see someone open the fridge?", "_count_open", "Who last opened the fridge?"),
    (CountAnswers, "Did Alice put the red mug on the desk before Bob opened the fridge?", "_order",
     "Where is the red mug now?"),
]


@pytest.mark.parametrize("part, own, rule, other", PARTS, ids=[f"{p.__name__}: {q}" for p, q, _, _ in PARTS])
def test_a_part_alone_answers_its_questions_as_the_whole_does(world_store, part, own, rule, other):
    alone = part(world_store).answer(own, 150.0)
    whole = BuiltinAnswerer(world_store).answer(own, 150.0)
    assert alone.detail["rule"] == rule and alone.known
    assert alone.to_dict() == whole.to_dict()
    foreign = part(world_store).answer(other, 150.0)
    assert not foreign.known and foreign.detail["rule"] == "none"  # no rule of this part's understands it
    assert BuiltinAnswerer(world_store).answer(other, 150.0).known


def test_the_whole_tries_the_parts_rules_in_order_and_each_is_a_method():
    assert BuiltinAnswerer.RULES == WhereAnswers.RULES + WhoAnswers.RULES + CountAnswers.RULES
    for part in (WhereAnswers, WhoAnswers, CountAnswers):
        assert part.RULES and all(callable(getattr(part, method)) for _, method in part.RULES)
    names = [m for _, m in BuiltinAnswerer.RULES]
    assert len(names) == len(set(names))


def test_the_base_alone_resolves_names_and_knows_no_question(world_store):
    base = AnswererBase(world_store)
    answer = base.answer("Where is the red mug now?", 150.0)
    assert not answer.known and answer.detail == {"rule": "none", "note": "no rule understands this question"}
    assert base._person("alice") == "Alice" and base._room("the office") == "office"
    assert base._thing("the red mug", 150.0).name == "red mug" and base._thing("blue box", 150.0) is None
    assert [e.event for e in base.evidence(65.0, "x")] == [7]  # the event holding 65 s (events of 10 s)
    base._now = 60.0
    assert base.evidence(65.0, "x") == []  # later than the question: not yet seen


def test_a_part_cut_at_a_time_is_of_its_class(world_store):
    where = WhereAnswers(world_store)
    view = where.cut(50.0)
    assert type(view) is WhereAnswers and view.world.until == 50.0
    assert view.answer("Where is the red mug now?", 50.0).value == "kitchen"
