"""The built-in answerer's rules for who did and said things: who put a thing somewhere, who opened a
piece of furniture, who said a line, what someone said about a thing.

A person is answered by name only when something named them: their voice was named (by a user, an
introduction or being called by name and answering: planners/addressing.py) and tied to what the camera saw
of them (planners/naming.py). A deed or line of someone nobody has named is answered with the world's
label for them ("voice:2", "person 3": what `mnemo entities` lists and `mnemo name` takes), never with a
guessed name, and a note saying that nobody has named them yet."""

from __future__ import annotations

import difflib
import re

from memory.entity_naming import introduced_names
from planners.addressing import VOICE_LABEL, same_name
from planners.answer_base import AnswererBase
from planners.answer_helpers import UNNAMED, _bare_colour, _bare_kind, _best, _clean, _seen_first
from planners.world_base import FIRST_PERSON

TOLD_CONFIDENCE = 0.6  # a deed nobody saw, told by its doer: people say what they did, and may be wrong
WHAT_SAID_MATCH = 0.8  # weighted share of a topic's words a line must hold to be about it
# a clock time as a recogniser writes it after a time word: "at 9.45", "by 950", "at 1035" (said "nine fifty")
_CLOCK = re.compile(r"\b(at|by|until|till)\s+"
                    r"([01]?\d|2[0-3])[.:]?([0-5]\d)\b(?![.:]?\d)", re.IGNORECASE)


class WhoAnswers(AnswererBase):
    """Who and what was said: the rules of the questions about people's deeds and lines."""

    RULES: list[tuple[str, str]] = [  # (intent of planners/exemplars.py, the method answering it)
        ("who_put", "_who_put"), ("who_opened", "_who_opened"), ("who_said", "_who_said"),
        ("what_said", "_what_said"),
    ]

    # --------------------------------------------------------------------------------- who
    def _who_put(self, now, name, furniture):
        name = self._name(name, now)
        puts = self._actions("put", now, lambda a: a.target == name and a.actor)
        puts = [a for a in puts if self._furniture_matches(furniture, a.furniture)] or puts
        puts = _seen_first([a for a in puts if a.resting] or puts)  # pauses while carried are no puts
        if not puts:
            return self._told_put(now, name, furniture)
        a = puts[-1]
        return _person(a.actor, self.evidence(a.time, f"{a.actor} puts the {name} down", a.confidence,
                                              entities=(a.actor, name)), f"put the {name} down")

    def _told_put(self, now, name, furniture):
        """No put of the thing seen with someone at it: the latest line heard by ``now`` in which its speaker
        says, in the first person, that the thing is on the piece of furniture asked (or on any furniture or
        in any room, when none is asked): "I left the keys on the desk" is its speaker's deed, whatever the
        verb. A question ("Did I leave ...?") tells nothing."""
        fix = self._lexicon().correct
        places = [_clean(furniture).split()[-1]] if furniture else (
            [f.name.split()[-1] for f in self.world.furniture] + [a.name for a in self.world.areas])
        told = []
        for start, end, text, speaker in self.world.heard:
            words = fix(text).lower()
            if (end <= now and speaker and "?" not in text and FIRST_PERSON.search(words)
                    and re.search(rf"\b{re.escape(name)}\b", words)
                    and any(re.search(rf"\b{re.escape(p)}\b", words) for p in places)):
                told.append((start, text, speaker))
        if not told:
            return None, "unknown", [], f"never saw anyone put the {name} down"
        start, text, speaker = told[-1]
        return _person(speaker, self.evidence(start, f"{speaker}: '{text}'", TOLD_CONFIDENCE, entities=(speaker, name)),
                       f"said they put the {name} there")

    def _who_opened(self, now, furniture):
        opens = self._opens(furniture, now)
        if not opens:
            return None, "unknown", [], f"never saw the {furniture} open"
        seen = [a for a in opens if a.actor]
        if not seen:  # opened, but nobody was seen at it: say when, not who
            a = opens[-1]
            return None, "unknown", self.evidence(a.time, f"the {furniture} open, nobody seen at it", a.confidence), \
                f"saw the {furniture} open, never saw who opened it"
        a = seen[-1]
        return _person(a.actor, self.evidence(a.time, f"{a.actor} at the {furniture}", a.confidence,
                                              entities=(a.actor,)), f"opened the {furniture}")

    def _who_said(self, now, quote):
        """The voice of the line most like the quote; named as the quote spells the speaker's own name when it
        gives one alike in sound to the voice's ("Hi, I'm Carol" asked of a voice the recogniser named "Karol":
        the user knows how the name is written, the recogniser guessed)."""
        said = quote.lower()
        scored = [(difflib.SequenceMatcher(None, said, h[2].lower()).ratio(), h) for h in self.world.heard
                  if h[0] < now]
        if not scored:
            return None, "unknown", [], "nothing heard"
        ratio, h = max(scored, key=lambda x: x[0])
        if ratio < 0.5 or not h[3]:
            return None, "unknown", self.evidence(h[0], f"{h[3]}: '{h[2]}'", ratio), "no line like that was heard"
        who = next((n for n in introduced_names(quote, own=True) if same_name(n, h[3])), h[3])
        return _person(who, self.evidence(h[0], f"{h[3]}: '{h[2]}'", ratio, entities=(h[3],)), "said it")

    def _what_said(self, now, speaker, topic):
        """The latest line of the speaker about the topic, topic words weighted by how rare they are
        among the lines heard (so "dining" counts more than "room"), misheard words put right with the
        house's words (planners/lexicon.py) and matched loosely."""
        fix = self._lexicon().correct
        lines = [(h, fix(h[2])) for h in self._heard_maybe_from(speaker, now)]
        topic_words = _clean(topic).split()
        every = [re.findall(r"[a-z]+", fix(h[2]).lower()) for h in self.world.heard]
        weights = [1.0 / (1.0 + sum(_best(p, ws) >= 0.8 for ws in every)) for p in topic_words]
        scored = []
        for h, text in lines:
            words = re.findall(r"[a-z]+", text.lower())
            score = sum(w * _best(p, words) for p, w in zip(topic_words, weights)) / sum(weights)
            if score >= WHAT_SAID_MATCH:
                scored.append((score, h, text))
        if not scored and len(topic_words) > 1:  # the recogniser may have dropped the colour (the label): the
            colours = {n.split()[0] for n in self.world.things if " " in n}  # thing's label (colour) alone in the
            labels = {n.split()[-1] for n in self.world.things}
            places = frozenset(w for n in [f.name for f in self.world.furniture] + [a.name for a in self.world.areas]
                               for w in n.split())
            scored = [(max(_bare_kind(topic_words[-1], text, colours, labels, places),  # speaker's lines, not
                           _bare_colour(topic_words[0], text)), h, text)  # said of another colour (label)
                      for h, text in lines]
            scored = [x for x in scored if x[0] >= WHAT_SAID_MATCH]
        if not scored:
            return None, "unknown", [], f"never heard {speaker} speak of the {topic}"
        top = max(score for score, *_ in scored)
        _, h, text = [x for x in scored if x[0] >= top - 0.1][-1]
        return clock_words(text), "text", self.evidence(h[0], f"{h[3]}: '{h[2]}'"), ""


def _person(who: str, evidence: list, did: str) -> tuple:
    """(value, kind, evidence, note) answering "who": the person's name, or, for someone nobody named (a
    voice or a person seen), the world's label for them with a note saying so."""
    if UNNAMED.match(who) or VOICE_LABEL.match(who):
        return who, "person", evidence, f"{who} {did}, someone nobody has named yet (mnemo name gives a name)"
    return who, "person", evidence, ""


def clock_words(text: str) -> str:
    """A line with the clock times a recogniser wrote after a time word as a clock reads ("at 9.45", "by 950"
    -> "at 9:45", "by 9:50"); other numbers stay as heard."""
    return _CLOCK.sub(lambda m: f"{m.group(1)} {int(m.group(2))}:{m.group(3)}", text)
