"""Which detector labels name furniture: large things that stand where they are and hold other things.

Sightings of furniture are kept apart from those of small objects (memory's ``kind = 'furniture'``):
the reasoner places rooms' furniture once and looks for objects on them. The words are the furniture,
fixture and large-appliance categories of the common detection vocabularies (COCO's furniture and
appliance super-categories, LVIS, Objects365, ADE20K), matched on the label's head noun, so "coffee
table" and "sink cabinet" are furniture and "wine glass" is not.
"""

from __future__ import annotations

FURNITURE = frozenset({
    # seats and beds
    "armchair", "bed", "bench", "bunk", "chair", "couch", "crib", "futon", "ottoman", "sofa", "stool", "workbench",
    # tables and surfaces
    "counter", "countertop", "desk", "island", "nightstand", "table", "vanity",
    # storage
    "bookcase", "bookshelf", "cabinet", "chest", "closet", "cupboard", "dresser", "drawers", "locker", "rack",
    "shelf", "shelves", "shelving", "sideboard", "stand", "wardrobe",
    # fixtures and large appliances
    "bathtub", "dishwasher", "dryer", "fireplace", "freezer", "fridge", "oven", "radiator", "refrigerator", "shower",
    "sink", "stove", "toilet", "tub", "washer",
    # large things that stand on the floor
    "lamp", "piano", "plant",
})
FURNITURE_PHRASES = frozenset({"washing machine", "potted plant", "dining table", "tv stand", "coat stand"})


def is_furniture(label: str | None) -> bool:
    """True when a detector's label names furniture (its head noun, or the whole phrase, is one)."""
    if not label:
        return False
    words = label.strip().lower().replace("_", " ").split()
    return bool(words) and (" ".join(words) in FURNITURE_PHRASES or words[-1] in FURNITURE)
