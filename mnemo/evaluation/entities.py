"""Entity clustering quality: B-cubed precision, recall and F1 (Bagga and Baldwin, 1998).

Ready for when entities are stored in memory: map each observation (a detection, a track) to the
entity the memory gave it and to its true identity from the simulator, and score the two.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Hashable, Mapping


@dataclass(frozen=True)
class BCubed:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def to_dict(self) -> dict:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


def bcubed(predicted: Mapping[Hashable, Hashable], true: Mapping[Hashable, Hashable]) -> BCubed:
    """B-cubed scores of a clustering (item -> cluster) against the truth (item -> identity),
    averaged over the items both name."""
    items = [i for i in predicted if i in true]
    if not items:
        raise ValueError("bcubed: the clustering and the truth share no item")
    pred_size = Counter(predicted[i] for i in items)
    true_size = Counter(true[i] for i in items)
    both = Counter((predicted[i], true[i]) for i in items)
    precision = sum(both[predicted[i], true[i]] / pred_size[predicted[i]] for i in items) / len(items)
    recall = sum(both[predicted[i], true[i]] / true_size[true[i]] for i in items) / len(items)
    return BCubed(precision, recall)
