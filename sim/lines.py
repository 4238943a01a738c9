"""What people say: scripted lines that mention objects, rooms, plans and times.

Each function returns a ``Line`` in one of its act's phrasings (sim/wording.py: ``book`` chooses;
without one, the first development phrasing): the text, its kind, the key words that carry its content (what
an answer to "what did P say about Z?" must contain) and what it mentions. Choices come from the
caller's generator, so lines are deterministic by seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.wording import LINES, Phrasebook

TASKS = (
    "water the plants", "call grandma", "take out the trash", "feed the cat", "buy more milk",
    "pay the electricity bill", "fix the bike", "book the dentist", "charge the laptop", "walk the dog",
)
ACTIVITIES = ("read", "tidy up", "look for something", "have a rest", "check the window", "get a snack")
OPINIONS = (
    ("I really like the {obj}.", "like"),
    ("The {obj} looks a bit broken.", "broken"),
    ("The {obj} is new, I bought it yesterday.", "new"),
    ("Please be careful with the {obj}, it is fragile.", "fragile"),
)
REPLIES_YES = ("Sure, I will.", "Okay, no problem.", "Yes, in a minute.")
REPLIES_AGREE = ("Sounds good.", "Okay.", "Fine by me.", "Sure.")


@dataclass(frozen=True)
class Line:
    text: str
    kind: str  # report, request, plan, appointment, reminder, question, opinion, reply, greeting, introduction
    keywords: tuple[str, ...]  # the words that carry the content, lower case
    objects: tuple[str, ...] = ()  # ids of the objects mentioned
    rooms: tuple[str, ...] = ()  # ids of the rooms mentioned
    people: tuple[str, ...] = ()  # ids of the people mentioned or addressed
    clock: str | None = None  # a clock time mentioned, "10:30"


def clock_text(seconds_since_midnight: float) -> str:
    minutes = int(seconds_since_midnight // 60) % (24 * 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def _say(book: Phrasebook | None, act: str, **fields: str) -> tuple[str, str | None]:
    """A line of ``act`` in the book's phrasing (without a book, the first development phrasing)."""
    if book is not None:
        return book.line(act, **fields)
    keywords = LINES.get(f"{act}_keyword")
    return LINES[act][0].format(**fields), (keywords[0] if keywords else None)


def report(obj_id: str, obj_name: str, furniture: str, preposition: str, room_id: str, room_name: str, *,
           book: Phrasebook | None = None) -> Line:
    text, _ = _say(book, "report", obj=obj_name, prep=preposition, furniture=furniture, room=room_name)
    return Line(text, "report", (furniture, room_name), objects=(obj_id,), rooms=(room_id,))


def request(addressee_id: str, addressee: str, obj_id: str, obj_name: str, room_id: str, room_name: str, *,
            book: Phrasebook | None = None) -> Line:
    text, verb = _say(book, "request", addressee=addressee, obj=obj_name, room=room_name)
    return Line(text, "request", (verb, room_name), objects=(obj_id,), rooms=(room_id,), people=(addressee_id,))


def plan(rng: np.random.Generator, room_id: str, room_name: str, *, book: Phrasebook | None = None) -> Line:
    activity = str(rng.choice(ACTIVITIES))
    text, _ = _say(book, "plan", room=room_name, activity=activity)
    return Line(text, "plan", (room_name, activity), rooms=(room_id,))


def appointment(addressee: tuple[str, str] | None, room_id: str, room_name: str, clock: str, *,
                book: Phrasebook | None = None) -> Line:
    lead = f"{addressee[1]}, let's " if addressee else "Let's "
    people = (addressee[0],) if addressee else ()
    text, _ = _say(book, "appointment", lead=lead, room=room_name, clock=clock)
    return Line(text, "appointment", (room_name, clock), rooms=(room_id,), people=people, clock=clock)


def reminder(rng: np.random.Generator, clock: str, *, book: Phrasebook | None = None) -> Line:
    task = str(rng.choice(TASKS))
    text, _ = _say(book, "reminder", task=task, clock=clock)
    return Line(text, "reminder", (task, clock), clock=clock)


def question(obj_id: str, obj_name: str, *, book: Phrasebook | None = None) -> Line:
    text, word = _say(book, "question", obj=obj_name)
    return Line(text, "question", (word,), objects=(obj_id,))


def answer_location(obj_id: str, obj_name: str, room_id: str, room_name: str) -> Line:
    return Line(f"I think the {obj_name} is in the {room_name}.", "reply", (room_name,), objects=(obj_id,),
                rooms=(room_id,))


def answer_unknown() -> Line:
    return Line("Sorry, I have no idea.", "reply", ("no idea",))


def opinion(rng: np.random.Generator, obj_id: str, obj_name: str) -> Line:
    template, word = OPINIONS[int(rng.integers(len(OPINIONS)))]
    return Line(template.format(obj=obj_name), "opinion", (word,), objects=(obj_id,))


def agree(rng: np.random.Generator, yes: bool = True) -> Line:
    options = REPLIES_YES if yes else REPLIES_AGREE
    return Line(str(rng.choice(options)), "reply", ())


def handover(addressee_id: str, addressee: str, obj_id: str, obj_name: str, furniture: str, *,
             book: Phrasebook | None = None) -> Line:
    text, _ = _say(book, "handover", addressee=addressee, obj=obj_name, furniture=furniture)
    return Line(text, "report", (furniture,), objects=(obj_id,), people=(addressee_id,))


def greeting(addressee_id: str, addressee: str, *, book: Phrasebook | None = None) -> Line:
    text, _ = _say(book, "greeting", addressee=addressee)
    return Line(text, "greeting", (), people=(addressee_id,))


def greeting_back(addressee_id: str, addressee: str, *, book: Phrasebook | None = None) -> Line:
    """The answer to a greeting, calling the one who greeted by name."""
    text, _ = _say(book, "greeting_back", addressee=addressee)
    return Line(text, "greeting", (), people=(addressee_id,))


def introduction(speaker_id: str, name: str, *, book: Phrasebook | None = None) -> Line:
    """Someone says who they are ("Hello, I'm Dana.")."""
    text, _ = _say(book, "introduction", name=name)
    return Line(text, "introduction", (name.lower(),), people=(speaker_id,))


def thanks(addressee_id: str, addressee: str, *, book: Phrasebook | None = None) -> Line:
    """Thanking the one who brought something, by name."""
    text, _ = _say(book, "thanks", addressee=addressee)
    return Line(text, "reply", (), people=(addressee_id,))


def decline(*, book: Phrasebook | None = None) -> Line:
    """An answer that puts a request off."""
    text, _ = _say(book, "decline")
    return Line(text, "reply", ())
