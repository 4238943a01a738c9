"""How the simulator words its questions and its people's lines: several phrasings per question form
and per speech act, in two sets, a development set (here) and a held-out set
(sim/wording_heldout.py) that the answerer is never built on (``mnemo eval --wording heldout``).

Answerable and unanswerable questions draw on the same phrasings (a place question about a thing never
seen reads like one about a thing seen). A question's phrasing is chosen from what it asks and when, so
the same question set comes out in either wording, deterministic by seed; a line's phrasing comes
from a generator of its own, so who does what to what in the episode does not depend on the wording (only
when: a line lasts as long as its words).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

WORDINGS = ("dev", "heldout")

QUESTIONS: dict[str, tuple[str, ...]] = {
    "where_now": (
        "Where is the {thing} now?",
        "Where is the {thing}?",
        "Which room is the {thing} in?",
        "Where can I find the {thing}?",
        "Have you seen where the {thing} is?",
        "Where did the {thing} end up?",
    ),
    "where_at": (
        "Where was the {thing} at {clock}?",
        "In which room was the {thing} at {clock}?",
        "Which room was the {thing} in at {clock}?",
        "At {clock}, where was the {thing}?",
        "Where did the {thing} sit at {clock}?",
    ),
    "when_enter": (
        "When did you {which} see {person} enter the {room}?",
        "When did {person} {which} go into the {room}?",
        "At what time did {person} enter the {room} for the {which} time?",
        "What time did you {which} see {person} come into the {room}?",
        "When was the {which} time {person} entered the {room}?",
    ),
    "when_open": (
        "When did you {which} see someone open the {furniture}?",
        "When was the {furniture} opened for the {which} time?",
        "At what time did someone {which} open the {furniture}?",
        "What time was the {which} time the {furniture} got opened?",
        "When did anyone {which} open the {furniture}?",
    ),
    "when_put": (
        "When did you {which} see someone put down the {thing}?",
        "When was the {thing} put down for the {which} time?",
        "At what time did someone {which} put the {thing} down?",
        "What time was the {thing} {which} placed somewhere?",
        "When did anyone {which} set down the {thing}?",
    ),
    "first_seen": (
        "When did you first see the {thing}?",
        "When did the {thing} first catch your eye?",
        "At what time did you first spot the {thing}?",
        "When was the {thing} first in view?",
        "What time did you see the {thing} for the first time?",
    ),
    "who_put": (
        "Who last put the {thing} {prep} the {furniture}?",
        "Who was the last to put the {thing} {prep} the {furniture}?",
        "Who put the {thing} {prep} the {furniture} most recently?",
        "Which person last placed the {thing} {prep} the {furniture}?",
        "Who placed the {thing} {prep} the {furniture} last?",
    ),
    "who_opened": (
        "Who last opened the {furniture}?",
        "Who opened the {furniture} last?",
        "Who was the last person to open the {furniture}?",
        "Which person was the last to open the {furniture}?",
        "Who most recently opened the {furniture}?",
    ),
    "who_said": (
        "Who said \"{quote}\"?",
        "Who was it that said \"{quote}\"?",
        "Who is the one who said \"{quote}\"?",
        "Who told us \"{quote}\"?",
        "\"{quote}\" was said by whom?",
    ),
    "what_said": (
        "What did {person} say about the {topic}?",
        "What did {person} last say about the {topic}?",
        "What was the last thing {person} said about the {topic}?",
        "What has {person} said about the {topic}?",
        "Tell me what {person} said about the {topic}.",
    ),
    "count_open": (
        "How many times did you see someone open the {furniture}?",
        "How often was the {furniture} opened?",
        "How many times was the {furniture} opened?",
        "How many times did anyone open the {furniture}?",
        "Count the times someone opened the {furniture}.",
    ),
    "count_enter": (
        "How many times did you see {person} enter the {room}?",
        "How often did {person} enter the {room}?",
        "How many times did {person} go into the {room}?",
        "How many times has {person} come into the {room}?",
        "Count how often {person} entered the {room}.",
    ),
    "count_pick": (
        "How many times did you see someone pick up the {thing}?",
        "How many times was the {thing} taken?",
        "How many times did anyone take the {thing}?",
        "How many times was the {thing} picked up?",
        "Count the times someone picked up the {thing}.",
    ),
    "count_speak": (
        "How many times did you hear {person} speak?",
        "How often did {person} speak?",
        "How many times did {person} say something?",
        "How many times has {person} talked?",
        "Count the times you heard {person} talk.",
    ),
    "open_duration": (
        "The last time you saw the {furniture} opened, how long did it stay open?",
        "How long was the {furniture} open the last time?",
        "How long did the {furniture} stay open the last time it was opened?",
        "For how long was the {furniture} open last time?",
        "The last time the {furniture} was opened, how long was it open?",
    ),
    "person_stay": (
        "How long did {person} stay in the {room} after entering it at {clock}?",
        "How long was {person} in the {room} after going in at {clock}?",
        "For how long did {person} stay in the {room} after entering at {clock}?",
        "{person} entered the {room} at {clock}; how long did they stay?",
        "How much time did {person} spend in the {room} after entering it at {clock}?",
    ),
    "agent_stay": (
        "How long did you stay in the {room} after entering it at {clock}?",
        "How long were you in the {room} after going in at {clock}?",
        "For how long did you stay in the {room} after entering at {clock}?",
        "You entered the {room} at {clock}; how long did you stay?",
        "How much time did you spend in the {room} after entering it at {clock}?",
    ),
    "order_before": (
        "Did {first_base} before {second}?",
        "Did it happen before {second} that {first_past}?",
        "Did {first_base} earlier than {second}?",
        "Is it true that {first_past} before {second}?",
        "Had {first_past} before {second}?",
    ),
    "order_after": (
        "Did {first_base} after {second}?",
        "Did it happen after {second} that {first_past}?",
        "Did {first_base} later than {second}?",
        "Is it true that {first_past} after {second}?",
        "Did {first_base} only after {second}?",
    ),
    "requested": (
        "Where is the thing {speaker} asked {addressee} to bring?",
        "Where is what {speaker} asked {addressee} to bring?",
        "Which room is the thing {speaker} asked {addressee} to bring in?",
        "Where is the object {speaker} wanted {addressee} to bring?",
        "{speaker} asked {addressee} to bring something; where is it?",
    ),
    "last_put_object": (
        "Where is the object you last saw {person} put down?",
        "Where is the thing {person} put down last?",
        "Which room is the object {person} last put down in?",
        "Where is whatever {person} last put down?",
        "Where did the thing {person} last put down end up?",
    ),
    "mentioned_where": (
        "Where is the thing {speaker} {topic_verb} at {clock} now?",
        "Where is the thing {speaker} {topic_verb} at {clock}?",
        "In which room is the thing {speaker} {topic_verb} at {clock}?",
        "Where is what {speaker} {topic_verb} at {clock}?",
        "{speaker} {topic_verb} something at {clock}; where is it?",
    ),
    "mentioned_mover": (
        "Who last moved the thing {speaker} {topic_verb} at {clock}?",
        "Who moved the thing {speaker} {topic_verb} at {clock} last?",
        "Who was the last to move what {speaker} {topic_verb} at {clock}?",
        "Which person last moved the thing {speaker} {topic_verb} at {clock}?",
        "{speaker} {topic_verb} something at {clock}; who moved it last?",
    ),
    "mentioned_room": (
        "In which room was the {thing} when {speaker} talked about it at {clock}?",
        "Where was the {thing} when {speaker} talked about it at {clock}?",
        "Which room was the {thing} in when {speaker} spoke of it at {clock}?",
        "When {speaker} talked about the {thing} at {clock}, which room was it in?",
        "In which room was the {thing} at the time {speaker} mentioned it at {clock}?",
    ),
}

# verbs for the deeds an order question names: (past, base form) per event kind
DEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "put": (("put", "put"), ("placed", "place")),
    "pick": (("took", "take"), ("picked up", "pick up")),
    "open": (("opened", "open"),),
    "enter": (("entered", "enter"), ("went into", "go into")),
}

LINES: dict[str, tuple[str, ...]] = {
    "report": (
        "I put the {obj} {prep} the {furniture} in the {room}.",
        "I placed the {obj} {prep} the {furniture} in the {room}.",
        "The {obj} is {prep} the {furniture} in the {room} now.",
        "I just put the {obj} {prep} the {furniture} in the {room}.",
        "I moved the {obj} {prep} the {furniture} in the {room}.",
    ),
    "request": (
        "{addressee}, could you bring the {obj} to the {room}?",
        "{addressee}, please bring the {obj} to the {room}.",
        "{addressee}, can you fetch the {obj} for me? I'm in the {room}.",
        "{addressee}, would you bring me the {obj} in the {room}?",
        "{addressee}, I need the {obj} in the {room}, could you get it?",
    ),
    "request_keyword": ("bring", "bring", "fetch", "bring", "need"),
    "handover": (
        "{addressee}, here is the {obj}, on the {furniture}.",
        "{addressee}, the {obj} is on the {furniture}.",
        "Here you are {addressee}, the {obj} is on the {furniture}.",
        "{addressee}, I put the {obj} on the {furniture} for you.",
        "{addressee}, your {obj} is on the {furniture} now.",
    ),
    "plan": (
        "I am going to the {room} to {activity}.",
        "I'm off to the {room} to {activity}.",
        "I'll go to the {room} to {activity}.",
        "I'm heading to the {room} to {activity}.",
        "Going to the {room} now, I want to {activity}.",
    ),
    "greeting": (
        "Hi {addressee}.",
        "Hello {addressee}.",
        "Good morning, {addressee}.",
        "Hey {addressee}, how are you?",
        "Hi there, {addressee}.",
    ),
    "greeting_back": (
        "Hi, {addressee}.",
        "Hello there, {addressee}.",
        "Oh hello, {addressee}.",
        "Hey, how are you doing, {addressee}?",
        "Good to see you too, {addressee}.",
    ),
    "introduction": (
        "Hello, I'm {name}.",
        "Hi, my name is {name}.",
        "Hello, I am {name}, nice to meet you.",
        "Hi there, I'm {name}, I'm staying here this week.",
        "We haven't met, I'm {name}.",
    ),
    "thanks": (
        "Thanks, {addressee}.",
        "Thank you, {addressee}.",
        "Great, thanks {addressee}.",
        "Thanks a lot, {addressee}.",
        "Oh, thank you, {addressee}.",
    ),
    "decline": (
        "Sorry, not right now.",
        "I can't at the moment, sorry.",
        "Maybe later, I'm busy.",
        "Not now, sorry.",
        "Sorry, I'm in the middle of something.",
    ),
    "question": (
        "Has anyone seen the {obj}?",
        "Where is the {obj}?",
        "Does anyone know where the {obj} is?",
        "Have you seen the {obj}?",
        "I am looking for the {obj}.",
    ),
    "question_keyword": ("seen", "where", "know", "seen", "looking"),
    "reminder": (
        "Don't forget to {task} at {clock}.",
        "Remember to {task} at {clock}.",
        "We have to {task} at {clock}.",
        "Please {task} at {clock}.",
        "Someone needs to {task} at {clock}.",
    ),
    "appointment": (
        "{lead}meet in the {room} at {clock}.",
        "{lead}meet up in the {room} at {clock}.",
        "{lead}sit down in the {room} at {clock}.",
        "{lead}talk in the {room} at {clock}.",
        "{lead}have a chat in the {room} at {clock}.",
    ),
}


@dataclass(frozen=True)
class Wording:
    """One set of phrasings: templates per question form and per speech act, and deed verbs."""

    name: str  # "dev" or "heldout"
    questions: dict  # question form -> templates with {fields}
    lines: dict  # speech act -> templates (and "<act>_keyword": the key word each template carries)
    deeds: dict  # event kind -> ((past, base form), ...)

    def question(self, form: str, key: tuple, **fields: str) -> str:
        """The question of ``form`` in one of its phrasings, chosen from ``key`` (what it asks and when)."""
        templates = self.questions[form]
        return templates[_pick(len(templates), (self.name, form) + tuple(key))].format(**fields)

    def deed(self, kind: str, key: tuple) -> tuple[str, str]:
        """(past, base form) of a verb for an event of ``kind`` ("put", "pick", "open", "enter")."""
        verbs = self.deeds.get(kind, ((kind, kind),))
        return verbs[_pick(len(verbs), (self.name, kind) + tuple(key))]


def wording(name: str) -> Wording:
    """The named set of phrasings; an unknown name lists the known ones."""
    if name == "dev":
        return Wording("dev", QUESTIONS, LINES, DEEDS)
    if name == "heldout":
        from sim import wording_heldout as held

        return Wording("heldout", held.QUESTIONS, held.LINES, held.DEEDS)
    raise ValueError(f"wording={name!r}: unknown wording; known: {', '.join(WORDINGS)}")


class Phrasebook:
    """Chooses the phrasing of each line a person says, from a generator of its own (so the choice does
    not change the episode's events); deterministic by seed."""

    def __init__(self, name: str = "dev", seed: int = 0) -> None:
        self.wording = wording(name)
        self.rng = np.random.default_rng([int(seed), 97])

    def line(self, act: str, **fields: str) -> tuple[str, str | None]:
        """(text, key word of the phrasing, when the act has one) for a line of speech act ``act``."""
        templates = self.wording.lines[act]
        k = int(self.rng.integers(len(templates)))
        keywords = self.wording.lines.get(f"{act}_keyword")
        return templates[k].format(**fields), (keywords[k] if keywords else None)


def _pick(n: int, key: tuple) -> int:
    return zlib.crc32("|".join(str(k) for k in key).encode()) % n
