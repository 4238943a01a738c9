"""Exemplar questions per intent: what the question parser (planners/question.py) compares a question with.

Each intent names what is asked (``ASKS``: a place, a time, a person, a count, a duration, a quote, yes or
no, a listing) and which names a question of it holds (``SLOTS``: things, people, rooms, furniture, clock
times, quotes); its exemplars are a few ways people put it, with ``{thing}``, ``{person}``, ``{person2}``,
``{room}``, ``{furniture}``, ``{clock}`` and ``{quote}`` where names go. A question is compared with them
after its own names are put in the same placeholders, so that only its shape counts.
"""

from __future__ import annotations

ASKS = ("place", "time", "person", "count", "duration", "quote", "yes_no", "listing")

# intent -> (what is asked, the names it holds: T thing, P person, R room, F furniture, C clock, Q quote; "N"
# is a thing, room or piece of furniture, whichever is named)
SLOTS: dict[str, tuple[str, str]] = {
    "where_now": ("place", "T"),
    "where_at": ("place", "TC"),
    "requested": ("place", "PP"),
    "last_put_object": ("place", "P"),
    "mentioned_where": ("place", "PC"),
    "mentioned_room": ("place", "TPC"),
    "when_enter": ("time", "PR"),
    "when_open": ("time", "F"),
    "when_put": ("time", "T"),
    "first_seen": ("time", "T"),
    "seen_when": ("time", "T"),
    "who_put": ("person", "TF"),
    "who_opened": ("person", "F"),
    "who_said": ("person", "Q"),
    "mentioned_mover": ("person", "PC"),
    "what_said": ("quote", "PN"),
    "count_open": ("count", "F"),
    "count_enter": ("count", "PR"),
    "count_pick": ("count", "T"),
    "count_speak": ("count", "P"),
    "open_duration": ("duration", "F"),
    "agent_stay": ("duration", "RC"),
    "person_stay": ("duration", "PRC"),
}

EXEMPLARS: dict[str, tuple[str, ...]] = {
    "where_now": (
        "Where is {thing}?",
        "Where is {thing} now?",
        "Which room is {thing} in?",
        "Where can I find {thing}?",
        "Where did {thing} end up?",
        "Do you know where {thing} is?",
        "Where did someone leave {thing}?",
        "In which room is {thing} right now?",
        "I'm looking for {thing}, where is it?",
        "Have you come across {thing} anywhere?",
    ),
    "where_at": (
        "Where was {thing} at {clock}?",
        "In which room was {thing} at {clock}?",
        "At {clock}, where was {thing}?",
        "Which room held {thing} at {clock}?",
        "Where did {thing} sit at {clock}?",
    ),
    "requested": (
        "{person} wanted {person2} to get something: where is that now?",
        "Where would I find the item {person} needed {person2} to carry over?",
        "The thing {person} told {person2} to go and get: which room is it in?",
        "What {person} sent {person2} for, where is it?",
        "Where has the item {person} begged {person2} for got to?",
    ),
    "last_put_object": (
        "The last item {person} laid down, where is it now?",
        "Find the object that {person} put down most recently.",
        "In which room is the item {person} last dropped off?",
        "Where is whatever {person} last placed somewhere?",
        "Where did the thing {person} last set down end up?",
    ),
    "mentioned_where": (
        "Where is the thing {person} talked about at {clock}?",
        "Where is the thing {person} asked about at {clock} now?",
        "Which room is the thing {person} mentioned at {clock} in?",
        "{person} talked about something at {clock}; where is it now?",
        "Where is what {person} spoke about at {clock}?",
    ),
    "mentioned_room": (
        "In which room was {thing} when {person} talked about it at {clock}?",
        "Where was {thing} when {person} talked about it at {clock}?",
        "When {person} mentioned {thing} at {clock}, which room was it in?",
        "Which room was {thing} in when {person} spoke of it at {clock}?",
    ),
    "when_enter": (
        "When did you first see {person} enter {room}?",
        "When did {person} last go into {room}?",
        "At what time did {person} enter {room} for the first time?",
        "What time did {person} come into {room}?",
        "When was the last time {person} entered {room}?",
    ),
    "when_open": (
        "When did you last see someone open {furniture}?",
        "When was {furniture} opened for the first time?",
        "At what time did someone open {furniture}?",
        "What time was {furniture} last opened?",
        "When did anyone first open {furniture}?",
    ),
    "when_put": (
        "When did you last see someone put down {thing}?",
        "When was {thing} put down for the first time?",
        "At what time did someone put {thing} down?",
        "What time was {thing} last placed somewhere?",
        "When did anyone set down {thing}?",
    ),
    "first_seen": (
        "When did you first see {thing}?",
        "When did you first notice {thing}?",
        "At what time did you first spot {thing}?",
        "When was {thing} first in view?",
        "What time did you see {thing} for the first time?",
    ),
    "seen_when": (
        "When did you last see {thing}?",
        "When was {thing} last in view?",
        "What time did you last spot {thing}?",
    ),
    "who_put": (
        "Who last put {thing} on {furniture}?",
        "Who was the last to put {thing} in {furniture}?",
        "Who put {thing} on {furniture} most recently?",
        "Which person last placed {thing} on {furniture}?",
        "Who placed {thing} on {furniture} last?",
    ),
    "who_opened": (
        "Who last opened {furniture}?",
        "Who opened {furniture} last?",
        "Who was the last person to open {furniture}?",
        "Which person opened {furniture} most recently?",
    ),
    "who_said": (
        "Whose voice said {quote}?",
        "Who was the speaker of {quote}?",
        "{quote}: who said that?",
        "Who uttered {quote}?",
        "Which of them said {quote}?",
    ),
    "mentioned_mover": (
        "Who last moved the thing {person} talked about at {clock}?",
        "Who moved the thing {person} asked about at {clock} last?",
        "Who was the last to move what {person} talked about at {clock}?",
        "{person} talked about something at {clock}; who moved it last?",
    ),
    "what_said": (
        "What did {person} say about {thing}?",
        "What did {person} last say about {thing}?",
        "What was the last thing {person} said about {thing}?",
        "What has {person} said about {thing}?",
        "Tell me what {person} said about {thing}.",
        "What did {person} mention regarding {thing}?",
        "Repeat what {person} told us about {thing}.",
        "Which remark did {person} make about {thing}?",
        "Anything {person} said about {thing}?",
        "{person} spoke about {thing}: what did they say?",
    ),
    "count_open": (
        "How many times did you see someone open {furniture}?",
        "How often was {furniture} opened?",
        "How many times was {furniture} opened?",
        "Count the times someone opened {furniture}.",
    ),
    "count_enter": (
        "How many times did you see {person} enter {room}?",
        "How often did {person} enter {room}?",
        "How many times did {person} go into {room}?",
        "Count how often {person} entered {room}.",
    ),
    "count_pick": (
        "How many times did you see someone pick up {thing}?",
        "How often was {thing} picked up?",
        "How many times did anyone take {thing}?",
        "Count the times someone picked up {thing}.",
    ),
    "count_speak": (
        "How many times was {person} speaking?",
        "How frequently did {person} speak up?",
        "On how many occasions did {person} say anything?",
        "Give me the number of times {person} spoke.",
    ),
    "open_duration": (
        "The last time you saw {furniture} opened, how long did it stay open?",
        "How long was {furniture} open the last time?",
        "How long did {furniture} stay open last time it was opened?",
        "For how long was {furniture} open last time?",
    ),
    "agent_stay": (
        "How long did you stay in {room} after entering it at {clock}?",
        "How long were you in {room} after going in at {clock}?",
        "You entered {room} at {clock}; how long did you stay?",
        "How much time did you spend in {room} after entering it at {clock}?",
    ),
    "person_stay": (
        "How long did {person} stay in {room} after entering it at {clock}?",
        "How long was {person} in {room} after going in at {clock}?",
        "{person} entered {room} at {clock}; how long did they stay?",
        "How much time did {person} spend in {room} after entering it at {clock}?",
    ),
}
