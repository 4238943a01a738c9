"""Word matching for screen text: events ranked by how much of a query's wording their lines hold.

Dense text vectors blur what screen text is often about: names, codes, numbers, rare words
("invoice 4471", "Kobayashi", "error 0x80070005"). This ranks the events whose OCR lines contain
the query's words, each word weighted by its rarity across events (IDF), so a search for words
that were on a slide finds the event that showed it even when the event's text is long.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Iterable


def words(text: str) -> list[str]:
    """Lower-case letter/digit runs of two or more characters."""
    return [w for w in re.findall(r"[^\W_]+", text.lower()) if len(w) >= 2]


def rank_by_words(lines: Iterable[tuple[int, str]], query: str, k: int,
                  min_share: float = 0.5) -> list[tuple[int, float]]:
    """(event id, share) of the events whose lines hold at least ``min_share`` of the query's wording,
    best first; share = IDF weight of the query words found / IDF weight of all query words."""
    wanted = set(words(query))
    if not wanted:
        return []
    found: dict[int, set[str]] = defaultdict(set)
    events: set[int] = set()
    for event_id, text in lines:
        events.add(event_id)
        hits = wanted.intersection(words(text))
        if hits:
            found[event_id].update(hits)
    holders = defaultdict(int)  # word -> events holding it
    for hits in found.values():
        for word in hits:
            holders[word] += 1
    idf = {w: math.log((len(events) + 1) / (holders[w] + 0.5)) for w in wanted}
    total = sum(idf.values())
    scored = [(event_id, sum(idf[w] for w in hits) / total) for event_id, hits in found.items()]
    ranked = sorted((s for s in scored if s[1] >= min_share), key=lambda s: (-s[1], s[0]))
    return ranked[:k]
