"""Voices named by conversation: the one called by name answers."""

from __future__ import annotations

import pytest

from planners.addressing import addressed, canonical, name_lines, same_name, voice_names, votes


@pytest.mark.parametrize("text, name", [
    ("Maria, have you got a minute?", "Maria"),
    ("Hi Bob.", "Bob"),
    ("Thanks, Carol!", "Carol"),
    ("hello Dana, let's meet at ten.", "Dana"),
    ("Hi there, Eve.", "Eve"),  # a recogniser's punctuation and an opener before the name
    ("Excuse me Frank, is this yours?", "Frank"),
    ("Could you pass me the salt, Gina?", "Gina"),  # called at the end
    ("I saw it on the table, Hugo.", "Hugo"),
    ("Ivan. Can you come here?", "Ivan"),  # the recogniser ended a sentence after the name
    ("We can do it tomorrow, Monday.", None),  # days are no names
    ("Coming!", None),  # a word alone answers more often than it calls
    ("Done, it is on the shelf.", None),
    ("Yes, I saw it.", None),
    ("Sure.", None),
    ("Let's meet in the kitchen.", None),
    ("I think it is in the office.", None),
    ("Has anyone seen the keys?", None),
    ("", None),
])
def test_who_a_line_calls_by_name(text, name):
    assert addressed(text) == name


def _conversation() -> list[tuple[float, float, str, str]]:
    """voice:1 is Alice, voice:2 Bob, voice:3 Carol (never named by anyone: she is never addressed)."""
    return [
        (0.0, 2.0, "Bob, have you got a minute?", "voice:1"),
        (3.0, 4.0, "Sure.", "voice:2"),
        (10.0, 11.0, "Hi Alice.", "voice:2"),
        (12.0, 13.0, "Hello.", "voice:1"),
        (20.0, 21.0, "Bob, let's meet at ten.", "voice:3"),
        (22.0, 23.0, "Fine.", "voice:2"),
        (30.0, 31.0, "Alice, here is the mug.", "voice:2"),
        (32.0, 33.0, "Thanks.", "voice:1"),
        (40.0, 41.0, "Carol, has anyone seen the keys?", "voice:1"),  # unanswered: nobody else speaks soon
        (60.0, 61.0, "I like the new fridge.", "voice:3"),
    ]


def test_votes_count_answers_for_and_the_caller_against():
    tally = votes(_conversation())
    assert tally[("voice:2", "Bob")] == 2 and tally[("voice:1", "Bob")] == -1 and tally[("voice:3", "Bob")] == -1
    assert tally[("voice:1", "Alice")] == 2 and tally[("voice:2", "Alice")] == -2
    assert tally[("voice:1", "Carol")] == -1 and ("voice:3", "Carol") not in tally


def test_names_go_one_to_one_to_voices_with_enough_votes():
    assert voice_names(_conversation()) == {"voice:1": "Alice", "voice:2": "Bob"}
    # a voice a user named keeps its name, and that name is not given to another voice
    assert voice_names(_conversation(), taken={"voice:2": "Robert"}) == {"voice:1": "Alice"}


def test_lines_are_relabelled_and_the_unnamed_keep_their_voice():
    named = name_lines(_conversation())
    assert [line[3] for line in named] == ["Alice", "Bob", "Bob", "Alice", "voice:3", "Bob", "Bob", "Alice",
                                           "Alice", "voice:3"]
    plain = [(0.0, 1.0, "Bob, hi.", "Alice"), (2.0, 3.0, "Hi.", "Bob")]
    assert name_lines(plain) == plain  # names already: nothing to do


def test_only_lines_up_to_a_time_name_voices():
    """Causal: what is named at t uses the lines heard by t."""
    early = [line for line in _conversation() if line[1] <= 5.0]
    assert voice_names(early) == {"voice:2": "Bob"}  # Alice not yet answered to
    assert voice_names([line for line in _conversation() if line[1] <= 2.0]) == {}  # nobody answered yet


def test_spellings_of_one_name_are_read_as_one():
    """A recogniser spells a name as it hears it: alike spellings (one first letter) are one name, the
    memory's own spelling first, else the one heard most."""
    assert same_name("Carol", "Carl") and same_name("Carol", "carroll") and not same_name("Bob", "Rob")
    assert not same_name("voice:1", "voice:1")
    assert canonical(["Carl", "Carol", "Carol", "Bob"]) == {"Carl": "Carol", "Carol": "Carol", "Bob": "Bob"}
    assert canonical(["Carl", "Carol"], known=["Carroll"]) == {"Carl": "Carroll", "Carol": "Carroll"}


def test_misheard_names_still_name_one_voice():
    lines = [
        (0.0, 2.0, "Carol, could you help me?", "voice:1"),
        (3.0, 4.0, "Sure.", "voice:2"),
        (10.0, 11.0, "Thanks, Carl.", "voice:1"),  # the same name, misheard
        (12.0, 13.0, "You're welcome.", "voice:2"),
    ]
    assert votes(lines)[("voice:2", "Carol")] == 2
    assert voice_names(lines) == {"voice:2": "Carol"}
    # a user named someone Caroline: the heard spellings are hers (alike), and her voice is not given again
    assert voice_names(lines, taken={"voice:7": "Caroline"}) == {}


def test_introductions_name_their_own_voice_and_outweigh_an_answer():
    lines = [
        (0.0, 2.0, "Hello everyone, my name is Dana.", "voice:1"),
        (5.0, 6.0, "Dana, nice to meet you.", "voice:2"),  # answered by voice:3 below: one vote for it
        (7.0, 8.0, "Likewise.", "voice:3"),
        (20.0, 21.0, "Hi, Eve here. This is Frank, my colleague.", "voice:3"),  # Frank is introduced, not her
    ]
    assert voice_names(lines) == {"voice:1": "Dana", "voice:3": "Eve"}
