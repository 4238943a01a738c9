"""The things a simulated home is made of: rooms, furniture, objects, colours, people, look-alikes.

Plain tables, no behaviour. Sizes are metres; colours are RGB. Look-alike groups name the
labels a detector confuses (mug/cup, sofa/armchair); a group may hold labels that never occur
in a world (``stool``), so that a confused label is always plausible.
"""

from __future__ import annotations

from dataclasses import dataclass

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (200, 40, 40),
    "blue": (40, 70, 200),
    "green": (40, 160, 60),
    "yellow": (230, 200, 40),
    "white": (235, 235, 235),
    "black": (30, 30, 30),
    "orange": (240, 130, 30),
    "purple": (130, 50, 170),
    "pink": (240, 130, 180),
    "brown": (120, 75, 40),
    "grey": (130, 130, 130),
    "teal": (30, 150, 150),
}

ROOM_NAMES = (
    "kitchen", "living room", "bedroom", "bathroom", "office", "dining room",
    "hallway", "guest bedroom", "laundry room", "kids room", "study", "garage",
)

ROOM_FURNITURE: dict[str, tuple[str, ...]] = {
    "kitchen": ("counter", "fridge", "cabinet", "table", "chair"),
    "living room": ("sofa", "armchair", "coffee table", "tv stand", "shelf", "lamp"),
    "bedroom": ("bed", "nightstand", "wardrobe", "desk", "chair"),
    "bathroom": ("sink cabinet", "bathtub", "shelf"),
    "office": ("desk", "chair", "bookshelf", "cabinet", "plant"),
    "dining room": ("dining table", "chair", "sideboard", "plant"),
    "hallway": ("shoe rack", "console table", "coat stand"),
    "guest bedroom": ("bed", "nightstand", "wardrobe", "lamp"),
    "laundry room": ("washing machine", "shelf", "cabinet"),
    "kids room": ("bed", "desk", "shelf", "chair"),
    "study": ("desk", "bookshelf", "armchair", "lamp"),
    "garage": ("workbench", "cabinet", "shelf"),
}


@dataclass(frozen=True)
class FurnitureKind:
    """One furniture category."""

    width: float  # along the wall it stands against
    depth: float  # out from the wall
    height: float
    style: str  # how it is built from boxes: "table", "solid", "sofa", "chair", "bed", "lamp", "pole", "plant", "tv"
    surface: float | None = None  # height objects stand at on it, None when nothing is put on it
    container: bool = False  # can be opened, objects inside are out of sight


FURNITURE: dict[str, FurnitureKind] = {
    "counter": FurnitureKind(1.8, 0.6, 0.9, "solid", surface=0.9),
    "fridge": FurnitureKind(0.7, 0.65, 1.8, "solid", container=True),
    "cabinet": FurnitureKind(0.9, 0.5, 0.9, "solid", container=True),
    "table": FurnitureKind(1.2, 0.8, 0.75, "table", surface=0.75),
    "chair": FurnitureKind(0.45, 0.45, 0.9, "chair"),
    "sofa": FurnitureKind(2.0, 0.85, 0.8, "sofa", surface=0.45),
    "armchair": FurnitureKind(0.9, 0.85, 0.8, "sofa", surface=0.45),
    "coffee table": FurnitureKind(1.0, 0.55, 0.45, "table", surface=0.45),
    "tv stand": FurnitureKind(1.4, 0.45, 0.5, "tv", surface=0.5),
    "shelf": FurnitureKind(1.0, 0.35, 1.0, "solid", surface=1.0),
    "lamp": FurnitureKind(0.35, 0.35, 1.5, "lamp"),
    "bed": FurnitureKind(1.3, 1.9, 0.55, "bed", surface=0.55),
    "nightstand": FurnitureKind(0.45, 0.4, 0.55, "solid", surface=0.55),
    "wardrobe": FurnitureKind(1.2, 0.6, 2.0, "solid", container=True),
    "desk": FurnitureKind(1.3, 0.65, 0.75, "table", surface=0.75),
    "sink cabinet": FurnitureKind(0.9, 0.5, 0.85, "solid", container=True),
    "bathtub": FurnitureKind(1.7, 0.75, 0.55, "solid"),
    "bookshelf": FurnitureKind(0.9, 0.35, 1.1, "solid", surface=1.1),
    "dining table": FurnitureKind(1.6, 0.9, 0.75, "table", surface=0.75),
    "sideboard": FurnitureKind(1.5, 0.45, 0.85, "solid", container=True),
    "plant": FurnitureKind(0.45, 0.45, 1.1, "plant"),
    "shoe rack": FurnitureKind(0.9, 0.35, 0.5, "solid", surface=0.5),
    "console table": FurnitureKind(1.0, 0.35, 0.8, "table", surface=0.8),
    "coat stand": FurnitureKind(0.4, 0.4, 1.8, "pole"),
    "washing machine": FurnitureKind(0.6, 0.6, 0.85, "solid", container=True),
    "workbench": FurnitureKind(1.8, 0.7, 0.9, "table", surface=0.9),
}

FURNITURE_COLOURS: dict[str, tuple[int, int, int]] = {
    "counter": (200, 195, 185), "fridge": (225, 230, 235), "cabinet": (150, 105, 65),
    "table": (165, 120, 75), "chair": (110, 75, 45), "sofa": (95, 110, 150),
    "armchair": (120, 90, 140), "coffee table": (90, 60, 40), "tv stand": (50, 50, 55),
    "shelf": (180, 150, 110), "lamp": (245, 225, 150), "bed": (160, 125, 95),
    "nightstand": (140, 100, 70), "wardrobe": (175, 140, 100), "desk": (130, 95, 60),
    "sink cabinet": (215, 215, 220), "bathtub": (240, 240, 245), "bookshelf": (115, 80, 50),
    "dining table": (150, 100, 60), "sideboard": (100, 70, 45), "plant": (60, 140, 60),
    "shoe rack": (160, 160, 150), "console table": (135, 115, 90), "coat stand": (70, 55, 40),
    "washing machine": (235, 235, 240), "workbench": (145, 130, 100),
}


@dataclass(frozen=True)
class ObjectKind:
    """One object category: its real size and the silhouette drawn for it."""

    width: float
    height: float
    shape: str  # silhouette name known to sim.render


OBJECTS: dict[str, ObjectKind] = {
    "mug": ObjectKind(0.11, 0.11, "mug"),
    "cup": ObjectKind(0.10, 0.09, "cup"),
    "plate": ObjectKind(0.24, 0.04, "plate"),
    "bowl": ObjectKind(0.18, 0.08, "bowl"),
    "bottle": ObjectKind(0.09, 0.30, "bottle"),
    "jar": ObjectKind(0.11, 0.15, "jar"),
    "book": ObjectKind(0.17, 0.24, "book"),
    "notebook": ObjectKind(0.16, 0.22, "notebook"),
    "phone": ObjectKind(0.08, 0.15, "phone"),
    "remote": ObjectKind(0.06, 0.19, "remote"),
    "keys": ObjectKind(0.10, 0.08, "keys"),
    "wallet": ObjectKind(0.12, 0.09, "wallet"),
    "glasses": ObjectKind(0.15, 0.06, "glasses"),
    "sunglasses": ObjectKind(0.15, 0.06, "sunglasses"),
    "apple": ObjectKind(0.09, 0.09, "apple"),
    "orange": ObjectKind(0.09, 0.09, "orange"),
    "box": ObjectKind(0.26, 0.20, "box"),
    "basket": ObjectKind(0.30, 0.22, "basket"),
    "laptop": ObjectKind(0.34, 0.23, "laptop"),
    "tablet": ObjectKind(0.25, 0.18, "tablet"),
    "ball": ObjectKind(0.20, 0.20, "ball"),
    "umbrella": ObjectKind(0.30, 0.75, "umbrella"),
    "pen": ObjectKind(0.03, 0.15, "pen"),
    "pencil": ObjectKind(0.03, 0.16, "pencil"),
}

# Labels a detector may confuse with each other. Every object and furniture category is in one
# group of at least two labels; "person" stands alone (people are never relabelled).
LOOKALIKES: tuple[tuple[str, ...], ...] = (
    ("mug", "cup"), ("plate", "bowl"), ("bottle", "jar"), ("book", "notebook"),
    ("phone", "remote"), ("keys", "wallet"), ("glasses", "sunglasses"), ("apple", "orange"),
    ("box", "basket"), ("laptop", "tablet"), ("ball", "balloon"), ("umbrella", "cane"),
    ("pen", "pencil"),
    ("sofa", "armchair"), ("table", "desk", "dining table", "coffee table", "console table"),
    ("cabinet", "sideboard", "sink cabinet", "washing machine"),
    ("shelf", "bookshelf", "tv stand"), ("nightstand", "shoe rack"), ("chair", "stool"),
    ("bed", "bathtub"), ("fridge", "wardrobe"), ("lamp", "coat stand", "plant"),
    ("counter", "workbench"),
)

PERSON_NAMES = ("Alice", "Bob", "Carol", "David", "Erin", "Frank", "Grace", "Henry", "Irene", "Jack")

# espeak-ng voice variants (female / male alternate with the names above) and a pitch per person
VOICES = ("en+f3", "en+m3", "en+f2", "en+m1", "en+f4", "en+m4", "en+f1", "en+m2", "en+f5", "en+m5")

SKIN = ((240, 200, 170), (200, 150, 110), (150, 100, 70), (110, 75, 50), (225, 180, 140))
HAIR = ((40, 30, 20), (120, 80, 40), (200, 170, 90), (90, 90, 90), (20, 20, 20), (160, 60, 30))


def lookalike_group(label: str) -> tuple[str, ...]:
    """The labels a detector may confuse ``label`` with, itself included."""
    for group in LOOKALIKES:
        if label in group:
            return group
    return (label,)
