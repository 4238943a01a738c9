"""The held-out wording: phrasings of every question form and speech act that the answerer's code,
exemplars and tests never see (``mnemo eval --suite sim --wording heldout``).

Written once, before the answerer's question parser, and not to be read while working on it: a
figure measured with these phrasings says how the answerer does on wording it was not built on.
Fields are those of sim/wording.py's development set.
"""

from __future__ import annotations

QUESTIONS: dict[str, tuple[str, ...]] = {
    "where_now": (
        "Do you know where the {thing} is?",
        "Which room has the {thing} in it?",
        "I'm looking for the {thing}. Which room?",
        "Any idea where the {thing} ended up?",
        "Where would I find the {thing}?",
        "The {thing}: where is it at the moment?",
    ),
    "where_at": (
        "At {clock}, which room held the {thing}?",
        "Where could the {thing} be found at {clock}?",
        "What room was the {thing} sitting in at {clock}?",
        "Back at {clock}, where did the {thing} sit?",
        "Tell me the room the {thing} was in at {clock}.",
    ),
    "when_enter": (
        "At what time did {person} walk into the {room} for the {which} time?",
        "What was the {which} time {person} came into the {room}?",
        "Give me the time {person} {which} stepped into the {room}.",
        "{person} went into the {room}: when was the {which} time?",
        "When was {person} {which} spotted coming into the {room}?",
    ),
    "when_open": (
        "What time was the {furniture} opened the {which} time?",
        "When did somebody open the {furniture} for the {which} time?",
        "Give me the time the {furniture} was {which} opened.",
        "The {which} opening of the {furniture}: when was that?",
        "At what time did anyone {which} open up the {furniture}?",
    ),
    "when_put": (
        "What time was the {thing} set down the {which} time?",
        "When did somebody {which} leave the {thing} somewhere?",
        "The {which} time the {thing} got put down: when was it?",
        "At what time was the {thing} {which} placed somewhere?",
        "Give me the time the {thing} was {which} put down.",
    ),
    "first_seen": (
        "At what time did the {thing} first come into view?",
        "When did the {thing} first show up on camera?",
        "When did you first notice the {thing}?",
        "What was the earliest moment you saw the {thing}?",
        "Since when have you known about the {thing}?",
    ),
    "who_put": (
        "Which person most recently set the {thing} {prep} the {furniture}?",
        "The {thing} {prep} the {furniture}: who left it there last?",
        "Who was the last one to place the {thing} {prep} the {furniture}?",
        "Who most recently left the {thing} {prep} the {furniture}?",
        "Tell me who last set down the {thing} {prep} the {furniture}.",
    ),
    "who_opened": (
        "Which person opened the {furniture} most recently?",
        "Who was the last one to open the {furniture}?",
        "The {furniture} was opened: by whom, the last time?",
        "Tell me who opened up the {furniture} last.",
        "Who most recently had the {furniture} open?",
    ),
    "who_said": (
        "Whose words were \"{quote}\"?",
        "Which person said \"{quote}\"?",
        "\"{quote}\" came from whom?",
        "Tell me who spoke the words \"{quote}\".",
        "Someone said \"{quote}\". Who?",
    ),
    "what_said": (
        "What were {person}'s words about the {topic}?",
        "Tell me what {person} mentioned about the {topic}.",
        "What has {person} told us about the {topic}?",
        "Did {person} say anything about the {topic}? What?",
        "What did {person} mention regarding the {topic}?",
    ),
    "count_open": (
        "How often was the {furniture} opened while you watched?",
        "What number of times did somebody open the {furniture}?",
        "Count the times you saw the {furniture} opened.",
        "How many openings of the {furniture} did you witness?",
        "How many times has anyone opened up the {furniture}?",
    ),
    "count_enter": (
        "How often did {person} come into the {room}?",
        "Count how many times {person} walked into the {room}.",
        "What number of times did {person} go into the {room}?",
        "How many visits to the {room} did {person} make that you saw?",
        "How many times has {person} stepped into the {room}?",
    ),
    "count_pick": (
        "How often was the {thing} picked up?",
        "Count the times somebody lifted the {thing}.",
        "How many times did anyone grab the {thing}?",
        "What number of times was the {thing} taken?",
        "How many times has the {thing} been picked up?",
    ),
    "count_speak": (
        "How often did {person} talk?",
        "Count the times {person} said something.",
        "What number of times did you hear {person}'s voice?",
        "How many lines did {person} speak?",
        "How many times has {person} spoken?",
    ),
    "open_duration": (
        "When the {furniture} was last opened, for how long was it open?",
        "For how long did the {furniture} stay open the last time?",
        "How many seconds was the {furniture} open the most recent time?",
        "The last opening of the {furniture}: how long did it last?",
        "How long was the {furniture} left open last time?",
    ),
    "person_stay": (
        "{person} went into the {room} at {clock}. For how long did they stay?",
        "After walking into the {room} at {clock}, how long was {person} there?",
        "How much time did {person} spend in the {room} after coming in at {clock}?",
        "For how long was {person} in the {room} from {clock} on?",
        "How long did {person} remain in the {room} once they entered at {clock}?",
    ),
    "agent_stay": (
        "You went into the {room} at {clock}. For how long were you there?",
        "After coming into the {room} at {clock}, how long did you stay?",
        "How much time did you spend in the {room} from {clock} on?",
        "For how long were you in the {room} after arriving at {clock}?",
        "How long did you remain in the {room} once you entered at {clock}?",
    ),
    "order_before": (
        "Was it before {second} that {first_past}?",
        "Had {first_past} by the time {second}?",
        "Did {first_base} prior to the moment {second}?",
        "Is it true that {first_past} earlier than {second}?",
        "{first_past}. Was that before {second}?",
    ),
    "order_after": (
        "Was it after {second} that {first_past}?",
        "Did {first_base} only once {second}?",
        "Is it true that {first_past} later than {second}?",
        "{first_past}. Was that after {second}?",
        "Did {first_base} following the moment {second}?",
    ),
    "requested": (
        "Which room is the thing {speaker} wanted {addressee} to fetch in?",
        "{speaker} asked {addressee} for something to be brought. Where is it?",
        "Where can I find what {speaker} requested from {addressee}?",
        "The object {speaker} told {addressee} to bring: which room is it in?",
        "Where's the item {speaker} asked {addressee} to get?",
    ),
    "last_put_object": (
        "The last thing you watched {person} put down: which room is it in?",
        "Where's whatever {person} set down most recently?",
        "Which room holds the item {person} last left somewhere?",
        "Where can I find the thing {person} put down last?",
        "What {person} most recently placed somewhere: where is it?",
    ),
    "mentioned_where": (
        "Which room is the thing {speaker} {topic_verb} at {clock} in?",
        "At {clock}, {speaker} {topic_verb} something. Where is it?",
        "Where can I find what {speaker} {topic_verb} at {clock}?",
        "The item {speaker} {topic_verb} at {clock}: which room is it in?",
        "Where's the object {speaker} {topic_verb} around {clock}?",
    ),
    "mentioned_mover": (
        "Which person most recently moved the thing {speaker} {topic_verb} at {clock}?",
        "The item {speaker} {topic_verb} at {clock}: who moved it last?",
        "At {clock}, {speaker} {topic_verb} something. Who last moved it?",
        "Who was the last one to move what {speaker} {topic_verb} at {clock}?",
        "Tell me who last moved the object {speaker} {topic_verb} around {clock}.",
    ),
    "mentioned_room": (
        "When {speaker} talked about the {thing} at {clock}, which room held it?",
        "At {clock}, {speaker} spoke of the {thing}. Which room was it in then?",
        "Which room held the {thing} at the moment {speaker} mentioned it at {clock}?",
        "Where was the {thing} when {speaker} brought it up at {clock}?",
        "The {thing} {speaker} discussed at {clock}: which room was it in at that moment?",
    ),
}

# verbs for the deeds an order question names: (past, base form) per event kind
DEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "put": (("set", "set"), ("left", "leave"), ("laid", "lay")),
    "pick": (("grabbed", "grab"), ("lifted", "lift"), ("removed", "remove")),
    "open": (("opened up", "open up"), ("pulled open", "pull open")),
    "enter": (("walked into", "walk into"), ("came into", "come into"), ("stepped into", "step into")),
}

LINES: dict[str, tuple[str, ...]] = {
    "report": (
        "I've left the {obj} {prep} the {furniture} in the {room}.",
        "The {obj} is now {prep} the {furniture} in the {room}.",
        "Just so you know, the {obj} went {prep} the {furniture} in the {room}.",
        "I set the {obj} down {prep} the {furniture}, in the {room}.",
        "Moved the {obj}: it's {prep} the {furniture} in the {room}.",
    ),
    "request": (
        "{addressee}, would you fetch the {obj} for me? I'm in the {room}.",
        "{addressee}, I need the {obj} here in the {room}, please.",
        "{addressee}, please carry the {obj} over to the {room}.",
        "{addressee}, can I have the {obj} in the {room}?",
        "{addressee}, get me the {obj}, I'm in the {room}.",
    ),
    "request_keyword": ("fetch", "need", "carry", "have", "get"),
    "handover": (
        "{addressee}, I left the {obj} for you on the {furniture}.",
        "{addressee}, your {obj} is on the {furniture}.",
        "There you go {addressee}, the {obj} is on the {furniture}.",
        "{addressee}, the {obj} you wanted is on the {furniture}.",
        "{addressee}, I brought the {obj}; it's on the {furniture}.",
    ),
    "plan": (
        "I'll head over to the {room} to {activity}.",
        "Off to the {room}, I need to {activity}.",
        "Be right back, I'll {activity} in the {room}.",
        "I'm heading for the {room} to {activity}.",
        "Time to {activity}; see you, I'm off to the {room}.",
    ),
    "greeting": (
        "Morning, {addressee}.",
        "Hey there {addressee}!",
        "Good to see you, {addressee}.",
        "Oh, hi {addressee}, how are you?",
        "Hiya {addressee}.",
    ),
    "question": (
        "Does anybody know where the {obj} went?",
        "I can't find the {obj} anywhere.",
        "Where did the {obj} go?",
        "Has somebody moved the {obj}?",
        "Anyone spotted the {obj}?",
    ),
    "question_keyword": ("know", "find", "go", "moved", "spotted"),
    "reminder": (
        "Remember, you need to {task} at {clock}.",
        "At {clock} someone has to {task}.",
        "We should {task} at {clock}, don't let me forget.",
        "Note to self: {task} at {clock}.",
        "It's {clock} when we {task}, right?",
    ),
    "appointment": (
        "{lead}see each other in the {room} at {clock}.",
        "{lead}get together in the {room} at {clock}.",
        "{lead}all be in the {room} by {clock}.",
        "{lead}catch up in the {room} at {clock}.",
        "{lead}gather in the {room} at {clock}.",
    ),
}
