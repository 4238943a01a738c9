"""The deeds an order question names and the relation word that places one against the other.

A question is cut into clauses at punctuation, connectives ("and", "then", "that", "when") and relation words
("before", "prior to", "by the time", "following", "once", "followed by", ...). A clause with a deed verb
(planners/question_slots.py ``DEED_VERBS``, any tense or voice) is a deed: its objects are the things, furniture
and rooms named in the clause, before the verb too ("was the fridge opened", "had the mug been put down"); its
doer is the person named before the verb, or after "by" past it ("opened by Alice"), or the one a pronoun stands
for ("before she opened it"), or, in a clause that only goes on ("... and then went into the kitchen"), the doer
of the deed before. The relation word introduces the deed the other is placed against: "A before B", "before B,
A", "was it before B that A", "A, and then B", "had A already ... when B", "had A not yet ... when B" (after).
English, no template of any generator: docs/questions.md has the forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from planners.question_slots import DEED_VERBS, Slot

RELATIONS = (("before", ("before", "earlier than", "prior to", "by the time", "ahead of", "sooner than",
                         "in advance of", "preceded", "precede", "precedes", "followed by")),
             ("after", ("after", "later than", "following", "since", "once", "subsequent to", "follow", "follows",
                        "followed", "preceded by", "precedes by")))
BACK_WORDS = r"that|this"  # after a relation word, the deed said before it ("did Bob come in after that?")
BACK_ADVERBS = (("before", ("beforehand", "previously")),  # relation words that refer back to a deed said before
                ("after", ("afterwards", "afterward", "later", "subsequently")))
# "then" and "when" relate two deeds too: "A, and then B" (A before B); "had A (already) ... when B" (A before B),
# "had A not yet ... when B" (A after B); "when" with neither is no order ("was the fridge open when B?")
THEN = r"\b(?:and\s+)?then\b"
WHEN = r"\bwhen\b"
ALREADY = r"\b(?:already|just|had|'d)\b"  # "had A (already) ... when B": the past perfect says A was done by then
NOT_YET = r"\b(?:not|n't|never)\b.*\byet\b|\byet\b.*\b(?:not|n't)\b|\bstill\s+(?:not|hadn't|hasn't|had not)\b"
# where one clause ends and another begins (besides relation words)
CUTS = r"[,;:.!?]|\band\b|\bthat\b|\bwhich\b|\bwhile\b|\bor\b|\bbut\b"
PRONOUNS = r"\b(?:he|she|they|him|her|them)\b"
GOES_ON = r"^\s*(?:and|then|and\s+then|,)?\s*$"  # what stands before a clause that only goes on with the same doer


@dataclass(frozen=True)
class Deed:
    """One deed an order question names: "Alice put the red mug on the desk"."""

    kind: str  # "put", "pick", "open", "enter"
    actor: str | None  # the doer's name as said (None: not said, "was the fridge opened")
    objects: tuple[Slot, ...]  # what it was done to, and where (things, furniture, rooms, unknown names)
    text: str  # the clause as said


@dataclass(frozen=True)
class Relation:
    """A word that places one deed against another: where it stands, which way, whether it refers back."""

    start: int
    end: int
    relation: str  # "before" or "after"
    back: bool  # it refers back to a deed said before ("after that", "afterwards")
    word: str  # the word as said, lower case


def verbs(text: str, slots: Sequence[Slot], lo: int = 0, hi: int | None = None) -> list[tuple[int, int, str]]:
    """(start, end, kind) of the deed verbs in text[lo:hi] outside names, the longest at a place ("picked up"
    over "picked")."""
    low = text.lower()
    hi = len(text) if hi is None else hi
    found = []
    for kind, phrases in DEED_VERBS.items():
        for p in phrases:
            for m in re.finditer(rf"\b{re.escape(p)}\b", low):
                if lo <= m.start() and m.end() <= hi and not any(s.start <= m.start() < s.end for s in slots):
                    found.append((m.start(), m.end(), kind))
    found.sort(key=lambda v: (v[0], -v[1]))
    kept: list[tuple[int, int, str]] = []
    for v in found:
        if kept and v[0] < kept[-1][1]:
            continue
        kept.append(v)
    return kept


def relation_words(text: str) -> list[Relation]:
    """The relation words, the longest at a place: "after that", "later than this" and adverbs ("afterwards",
    "beforehand") refer back to a deed said before; "then" and "when" are kept with their own words."""
    low = text.lower()
    found = []
    for relation, words in RELATIONS:
        for w in words:
            for m in re.finditer(rf"\b{w}\b", low):
                back = re.match(rf"\s+(?:{BACK_WORDS})\b", low[m.end():]) is not None
                found.append(Relation(m.start(), m.end(), relation, back, w))
    for relation, words in BACK_ADVERBS:
        for w in words:
            # "later than", "later on the table": no adverb; "later on" on its own is one
            not_adverb = r"(?!\s+(?:than|to)\b)(?!\s+on\s+(?:the|a|an|my|your|his|her|their|its)\b)"
            for m in re.finditer(rf"\b{w}\b{not_adverb}", low):
                found.append(Relation(m.start(), m.end(), relation, True, w))
    for m in re.finditer(THEN, low):
        found.append(Relation(m.start(), m.end(), "before", False, "then"))
    for m in re.finditer(WHEN, low):
        found.append(Relation(m.start(), m.end(), "before", False, "when"))
    found.sort(key=lambda f: (f.start, -f.end))
    kept: list[Relation] = []
    for f in found:
        if not kept or f.start >= kept[-1].end:
            kept.append(f)
    return kept


def clauses(text: str, slots: Sequence[Slot], relations: Sequence[Relation]) -> list[tuple[int, int, str]]:
    """(start, end, what stands before it) of the stretches between cuts (punctuation, connectives, relation
    words) outside names; a stretch with no deed verb goes with the one before it ("put the mug, on the table";
    "the mug and the box"), unless a relation word stands between them."""
    low = text.lower()
    cuts = [(r.start, r.end) for r in relations]
    for m in re.finditer(CUTS, low):
        if not any(a <= m.start() < b for a, b in cuts) and not any(s.start <= m.start() < s.end for s in slots):
            cuts.append(m.span())
    cuts.sort()
    out: list[tuple[int, int, str]] = []
    at, before = 0, ""
    for a, b in cuts + [(len(text), len(text))]:
        if a < at:
            continue
        stretch = (at, a, before)
        joins = out and not verbs(text, slots, at, a) and not any(r.start <= at <= r.end for r in relations)
        if joins:
            out[-1] = (out[-1][0], a, out[-1][2])
        elif a > at:
            out.append(stretch)
        at, before = b, low[a:b]
    return out


def deeds(text: str, slots: Sequence[Slot]) -> list[tuple[int, int, Deed]]:
    """(start, end, deed) of each clause with a deed verb: a clause of two verbs is two deeds, cut at the
    second verb."""
    relations = relation_words(text)
    out: list[tuple[int, int, Deed]] = []
    for lo, hi, before in clauses(text, slots, relations):
        found = verbs(text, slots, lo, hi)
        for k, (v_start, v_end, kind) in enumerate(found):
            start = lo if k == 0 else v_start
            end = found[k + 1][0] if k + 1 < len(found) else hi
            goes_on = k > 0 or re.match(GOES_ON, before) is not None
            deed = _deed(text, slots, (start, end), (v_start, v_end), kind, out[-1][2] if out and goes_on else None)
            if deed is not None:
                out.append((start, end, deed))
    return out


def _deed(text: str, slots: Sequence[Slot], span: tuple[int, int], verb: tuple[int, int], kind: str,
          previous: Deed | None) -> Deed | None:
    """The deed of one clause: its objects (things, furniture, rooms, unknown names anywhere in it) and doer."""
    start, end = span
    inside = [s for s in slots if start <= s.start and s.end <= end]
    objects = tuple(s for s in inside if s.kind in ("T", "F", "R", "N"))
    if not objects:
        return None
    low = text.lower()
    by = [s for s in inside if s.kind == "P" and s.start >= verb[1] and re.search(r"\bby\s+$", low[:s.start])]
    before = [s for s in inside if s.kind == "P" and s.end <= verb[0]]
    if by or before:
        actor = (by or before[::-1])[0].text
    elif re.search(PRONOUNS, low[start:verb[0]]):  # "before she opened it": the person named last before
        named = [s for s in slots if s.kind == "P" and s.end <= start]
        actor = named[-1].text if named else None
    else:  # "... and then went into the kitchen": the doer of the deed before it
        actor = previous.actor if previous is not None and not _subject_before(text, slots, start, verb[0]) else None
    named = [s for s in inside if s.kind in ("T", "F", "R", "N") or s.text == actor] + [Slot("V", "", *verb)]
    said = " ".join(text[min(s.start for s in named):max(s.end for s in named)].split())  # no "did", no "is it so"
    if actor and actor not in said:
        said = f"{actor} {said}"  # a doer said elsewhere ("before she opened it", "... and then went in")
    return Deed(kind, actor, objects, said)


def _subject_before(text: str, slots: Sequence[Slot], start: int, verb: int) -> bool:
    """Whether a thing or place stands before the verb in its clause (a passive's subject: "the fridge got
    opened"): then the clause has a subject of its own and takes no doer from the deed before."""
    return any(s.kind in ("T", "F", "R", "N") and start <= s.start and s.end <= verb for s in slots)


def placed(text: str, slots: Sequence[Slot]) -> tuple[str, Deed, Deed] | None:
    """(relation, the deed asked about, the deed it is placed against) of a question of two deeds; None when
    it names other than two, or no relation word places one against the other."""
    found = deeds(text, slots)
    if len(found) != 2:
        return None
    relations = relation_words(text)
    low = text.lower()
    best = None
    for r in relations:
        if r.back:
            continue
        # the deed the word introduces: the first to begin after it, with no other deed between
        after = [k for k, (start, _, _) in enumerate(found) if start >= r.end]
        if not after or any(r.end <= found[k][0] < found[after[0]][0] for k in range(2) if k != after[0]):
            continue
        ref = after[0]
        relation = r.relation
        if r.word in ("when", "by the time"):
            subject_said = low[found[1 - ref][0]:found[1 - ref][1]] + " " + low[:min(found[0][0], r.start)]
            if re.search(NOT_YET, subject_said):
                relation = "after"
            elif r.word == "when" and not re.search(ALREADY, subject_said):
                continue  # "was the fridge open when Bob came in?": no order asked
        gap = found[ref][0] - r.end
        if best is None or gap < best[0]:
            best = (gap, ref, relation)
    if best is None:  # "A; did B after that?": the deed the back-referring word follows is placed against A
        backs = [r.relation for r in relations if r.back and found[1][0] < r.start]
        if not backs:
            return None
        best = (0, 0, backs[0])  # the deed said first is the one referred back to
    _, ref, relation = best
    return relation, found[1 - ref][2], found[ref][2]
