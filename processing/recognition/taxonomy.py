"""Names and parents for the local models' classes, in Rekognition's style ("German Shepherd",
parents Dog, Pet, Mammal, Animal), so search by a broad word finds the specific thing.

COCO's 80 classes (the detector) are listed with their parents. ImageNet's 1000 classes (the
classifier) get parents from the index ranges ImageNet's WordNet order groups them in (151-268
are dogs, 281-285 domestic cats, ...) plus a table of the objects that are a COCO thing under
another name (a "sports car" is a Car). Where ImageNet and COCO use one word for two things, the
ImageNet name is made unambiguous: its "kite" is a bird of prey, shown as "Kite (Bird)".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

_VEHICLE = ("Vehicle", "Transportation")
_MAMMAL = ("Mammal", "Animal")
_FOOD = ("Food",)
_SPORT = ("Sports Equipment",)
_ELECTRONICS = ("Electronics",)
_FURNITURE = ("Furniture",)
_APPLIANCE = ("Appliance",)

# COCO class (in the detector's output order) -> (label name, parents).
COCO: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("person", "Person", ()),
    ("bicycle", "Bicycle", _VEHICLE),
    ("car", "Car", _VEHICLE),
    ("motorcycle", "Motorcycle", _VEHICLE),
    ("airplane", "Airplane", ("Aircraft", *_VEHICLE)),
    ("bus", "Bus", _VEHICLE),
    ("train", "Train", _VEHICLE),
    ("truck", "Truck", _VEHICLE),
    ("boat", "Boat", _VEHICLE),
    ("traffic light", "Traffic Light", ("Light",)),
    ("fire hydrant", "Fire Hydrant", ()),
    ("stop sign", "Stop Sign", ("Sign", "Symbol")),
    ("parking meter", "Parking Meter", ()),
    ("bench", "Bench", _FURNITURE),
    ("bird", "Bird", ("Animal",)),
    ("cat", "Cat", ("Pet", *_MAMMAL)),
    ("dog", "Dog", ("Pet", *_MAMMAL)),
    ("horse", "Horse", _MAMMAL),
    ("sheep", "Sheep", _MAMMAL),
    ("cow", "Cow", ("Cattle", *_MAMMAL)),
    ("elephant", "Elephant", _MAMMAL),
    ("bear", "Bear", _MAMMAL),
    ("zebra", "Zebra", _MAMMAL),
    ("giraffe", "Giraffe", _MAMMAL),
    ("backpack", "Backpack", ("Bag", "Accessories")),
    ("umbrella", "Umbrella", ()),
    ("handbag", "Handbag", ("Bag", "Accessories")),
    ("tie", "Tie", ("Accessories",)),
    ("suitcase", "Suitcase", ("Luggage", "Bag")),
    ("frisbee", "Frisbee", ("Toy",)),
    ("skis", "Ski", _SPORT),
    ("snowboard", "Snowboard", _SPORT),
    ("sports ball", "Ball", _SPORT),
    ("kite", "Kite", ("Toy",)),
    ("baseball bat", "Baseball Bat", _SPORT),
    ("baseball glove", "Baseball Glove", _SPORT),
    ("skateboard", "Skateboard", _SPORT),
    ("surfboard", "Surfboard", _SPORT),
    ("tennis racket", "Tennis Racket", _SPORT),
    ("bottle", "Bottle", ()),
    ("wine glass", "Wine Glass", ("Glass",)),
    ("cup", "Cup", ()),
    ("fork", "Fork", ("Cutlery",)),
    ("knife", "Knife", ("Cutlery",)),
    ("spoon", "Spoon", ("Cutlery",)),
    ("bowl", "Bowl", ()),
    ("banana", "Banana", ("Fruit", *_FOOD)),
    ("apple", "Apple", ("Fruit", *_FOOD)),
    ("sandwich", "Sandwich", _FOOD),
    ("orange", "Orange", ("Fruit", *_FOOD)),
    ("broccoli", "Broccoli", ("Vegetable", *_FOOD)),
    ("carrot", "Carrot", ("Vegetable", *_FOOD)),
    ("hot dog", "Hot Dog", _FOOD),
    ("pizza", "Pizza", _FOOD),
    ("donut", "Donut", _FOOD),
    ("cake", "Cake", _FOOD),
    ("chair", "Chair", _FURNITURE),
    ("couch", "Couch", _FURNITURE),
    ("potted plant", "Potted Plant", ("Plant",)),
    ("bed", "Bed", _FURNITURE),
    ("dining table", "Dining Table", ("Table", *_FURNITURE)),
    ("toilet", "Toilet", ()),
    ("tv", "TV", ("Screen", *_ELECTRONICS)),
    ("laptop", "Laptop", ("Computer", *_ELECTRONICS)),
    ("mouse", "Mouse", ("Computer Hardware", *_ELECTRONICS)),
    ("remote", "Remote Control", _ELECTRONICS),
    ("keyboard", "Keyboard", ("Computer Hardware", *_ELECTRONICS)),
    ("cell phone", "Mobile Phone", ("Phone", *_ELECTRONICS)),
    ("microwave", "Microwave", _APPLIANCE),
    ("oven", "Oven", _APPLIANCE),
    ("toaster", "Toaster", _APPLIANCE),
    ("sink", "Sink", ()),
    ("refrigerator", "Refrigerator", _APPLIANCE),
    ("book", "Book", ()),
    ("clock", "Clock", ()),
    ("vase", "Vase", ("Pottery",)),
    ("scissors", "Scissors", ()),
    ("teddy bear", "Teddy Bear", ("Toy",)),
    ("hair drier", "Hair Dryer", _APPLIANCE),
    ("toothbrush", "Toothbrush", ()),
)

COCO_CLASSES = tuple(coco for coco, _, _ in COCO)
_COCO_BY_CLASS = {coco: (name, parents) for coco, name, parents in COCO}
_COCO_BY_NAME = {name: coco for coco, name, _ in COCO}


@dataclass(frozen=True, slots=True)
class LabelName:
    name: str
    parents: tuple[str, ...]

    @property
    def coco_class(self) -> str | None:
        """The COCO class this label is, or is a kind of (a Malamute is a dog)."""
        for candidate in (self.name, *self.parents):
            if candidate in _COCO_BY_NAME:
                return _COCO_BY_NAME[candidate]
        return None


def coco_label(coco_class: str) -> LabelName:
    name, parents = _COCO_BY_CLASS[coco_class]
    return LabelName(name, parents)


def _with_coco_parents(coco_class: str) -> tuple[str, ...]:
    name, parents = _COCO_BY_CLASS[coco_class]
    return (name, *parents)


# ImageNet index ranges (inclusive) in WordNet order, and the parents every class in them shares.
_IMAGENET_RANGES: tuple[tuple[int, int, tuple[str, ...]], ...] = (
    (0, 6, ("Fish", "Animal")),
    (7, 24, _with_coco_parents("bird")),
    (25, 32, ("Amphibian", "Animal")),
    (33, 68, ("Reptile", "Animal")),
    (69, 79, ("Invertebrate", "Animal")),
    (80, 100, _with_coco_parents("bird")),  # grouse to black swan
    (101, 101, _with_coco_parents("elephant")),  # tusker
    (102, 106, _MAMMAL),  # echidna to wombat
    (107, 126, ("Invertebrate", "Animal")),
    (127, 146, _with_coco_parents("bird")),
    (147, 150, ("Marine Mammal", *_MAMMAL)),
    (151, 268, _with_coco_parents("dog")),
    (269, 280, ("Canine", *_MAMMAL)),
    (281, 285, _with_coco_parents("cat")),
    (286, 293, ("Wild Cat", *_MAMMAL)),
    (294, 297, _with_coco_parents("bear")),
    (298, 299, _MAMMAL),
    (300, 326, ("Insect", "Invertebrate", "Animal")),
    (327, 329, ("Invertebrate", "Animal")),
    (330, 332, ("Rabbit", *_MAMMAL)),
    (333, 338, ("Rodent", *_MAMMAL)),
    (339, 339, _with_coco_parents("horse")),
    (341, 343, ("Pig", *_MAMMAL)),
    (344, 344, _MAMMAL),
    (345, 346, _with_coco_parents("cow")),
    (347, 347, _MAMMAL),
    (349, 350, ("Goat", *_MAMMAL)),
    (351, 353, ("Antelope", *_MAMMAL)),
    (354, 364, _MAMMAL),
    (365, 384, ("Primate", *_MAMMAL)),
    (385, 386, _with_coco_parents("elephant")),
    (387, 388, _MAMMAL),
    (389, 397, ("Fish", "Animal")),
    (924, 969, _FOOD),
    (948, 957, ("Fruit", *_FOOD)),
    (970, 980, ("Landscape", "Nature")),
)

# ImageNet objects that are a COCO thing under another name.
_IMAGENET_AS_COCO: dict[str, tuple[int, ...]] = {
    "car": (407, 436, 468, 511, 609, 627, 656, 661, 734, 751, 817),
    "truck": (555, 569, 675, 717, 864, 867),
    "bus": (654, 779, 874),
    "bicycle": (444, 671),
    "motorcycle": (665, 670),
    "train": (466, 547, 565, 705, 820, 829),
    "boat": (403, 472, 484, 510, 554, 576, 625, 628, 724, 780, 814, 833, 871, 914),
    "airplane": (404, 895),
    "sheep": (348,),
    "zebra": (340,),
    "bench": (703,),
    "chair": (423, 559, 765, 857),  # barber, folding, rocking chair; throne
    "bowl": (659, 809),  # mixing bowl, soup bowl
    "umbrella": (879,),
    "backpack": (414,),
    "tie": (457, 906),
    "bottle": (440, 720, 737, 898, 907),
    "cup": (968, 504),
    "laptop": (620, 681),
    "mouse": (673,),
    "keyboard": (508, 878),  # computer and typewriter keyboard
    "remote": (761,),
    "cell phone": (487,),
    "tv": (664, 851),
    "microwave": (651,),
    "toaster": (859,),
    "refrigerator": (760,),
    "clock": (409, 530, 892),
    "vase": (883,),
    "teddy bear": (850,),
    "pizza": (963,),
    "banana": (954,),
    "orange": (950,),
    "broccoli": (937,),
    "hot dog": (934,),
    "toilet": (861,),
    "dining table": (532,),
    "couch": (831,),
    "bed": (564,),
    "potted plant": (738,),
    "traffic light": (920,),
    "parking meter": (704,),
    "skis": (795,),
    "sports ball": (429, 768, 805, 852, 890),
    "tennis racket": (752,),
}

# Same words, different things: the ImageNet side is renamed. (ImageNet has no toy kite.)
_IMAGENET_RENAMED = {
    21: "Kite (Bird)",
    134: "Crane (Bird)",
    517: "Crane (Machine)",
    264: "Cardigan Welsh Corgi",
    474: "Cardigan (Sweater)",
    638: "Maillot",
    639: "Tank Suit",
    836: "Sunglass",
    837: "Sunglasses",
}

_DATA = Path(__file__).resolve().parent / "data" / "imagenet_classes.txt"


def _title(words: str) -> str:
    return " ".join(word[:1].upper() + word[1:] for word in words.split(" "))


@cache
def imagenet_labels() -> tuple[LabelName, ...]:
    lines = _DATA.read_text().splitlines()
    names = [line for line in lines if line and not line.startswith("#")]
    if len(names) != 1000:
        raise ValueError(f"{_DATA.name} holds {len(names)} classes, not 1000")
    parents_by_index: dict[int, tuple[str, ...]] = {}
    for first, last, parents in _IMAGENET_RANGES:
        for index in range(first, last + 1):
            parents_by_index[index] = parents  # later, narrower ranges win (fruit over food)
    for coco_class, indices in _IMAGENET_AS_COCO.items():
        for index in indices:
            parents_by_index[index] = _with_coco_parents(coco_class)
    labels = []
    for index, synonyms in enumerate(names):
        name = _IMAGENET_RENAMED.get(index) or _title(synonyms.split(",")[0].strip())
        parents = parents_by_index.get(index, ())
        if name in _COCO_BY_NAME:
            # The same thing as a COCO class (Zebra): one label, with COCO's parents.
            parents = _COCO_BY_CLASS[_COCO_BY_NAME[name]][1]
        labels.append(LabelName(name, tuple(p for p in parents if p != name)))
    return tuple(labels)


# What the classifier's reading of a box says about the COCO class of the object in it, beyond
# the classes that are that thing (a Sorrel is a horse). ImageNet has no person and no toy kite,
# so a person's crop reads as what they wear and a kite's as the nearest thing ImageNet knows;
# and a cup of espresso reads as the drink. These indices are evidence only: they never make a
# label themselves, and a look-alike (a parachute for a kite) is not shown where the detector
# found the COCO thing it looks like.
_PERSON_EVIDENCE = (
    399,
    400,
    411,
    433,
    439,
    445,
    451,
    452,
    457,
    459,
    465,
    474,
    501,
    515,
    518,
    552,
    560,
    568,
    570,
    578,
    601,
    608,
    610,
    614,
    617,
    638,
    639,
    643,
    652,
    655,
    667,
    689,
    691,
    697,
    735,
    775,
    793,
    796,
    824,
    834,
    836,
    837,
    841,
    842,
    869,
    887,
    903,
    906,
    981,
    982,
    983,
)  # clothing, helmets and masks worn, and ImageNet's three people (ballplayer, groom, diver)
_CONTENT_EVIDENCE: dict[str, tuple[int, ...]] = {
    "cup": (967, 969, 550),  # espresso, eggnog, espresso maker
    "bowl": (925, 926),  # consomme, hot pot
    "tv": (527, 782),  # desktop computer, screen
    "bed": (750,),  # quilt
}
LOOKALIKES: dict[int, str] = {701: "kite", 417: "kite"}  # parachute, balloon


@cache
def imagenet_evidence() -> dict[int, str]:
    """ImageNet index -> the COCO class a crop reading it supports (is, wears, holds, resembles)."""
    evidence = {
        index: label.coco_class
        for index, label in enumerate(imagenet_labels())
        if label.coco_class is not None
    }
    evidence.update(dict.fromkeys(_PERSON_EVIDENCE, "person"))
    for coco_class, indices in _CONTENT_EVIDENCE.items():
        evidence.update(dict.fromkeys(indices, coco_class))
    evidence.update(LOOKALIKES)
    return evidence


_FAMILIES = {
    "person": ("person",),
    "animal": COCO_CLASSES[14:24],  # bird to giraffe
    "vehicle": COCO_CLASSES[1:9],  # bicycle to boat
}


def family(coco_class: str) -> str:
    """person, animal, vehicle or object: the groups whose members a detector confuses with each
    other (a horse for a cow) and whose confidences are calibrated together."""
    for name, members in _FAMILIES.items():
        if coco_class in members:
            return name
    return "object"


FAMILIES = ("person", "animal", "vehicle", "object")


# ImageNet's living things and landscapes: its animals (0-397), then landscapes, plants and fungi
# (970-998). A crop read mostly as these is nature, which no person or man-made thing is.
NATURE = (*range(0, 398), *range(970, 999))
# Besides animals, the COCO classes a crop of nature can be: a plant, and what holds flowers.
# (Fruit is not among them: ImageNet knows bananas and oranges, and a real one reads as itself.)
AT_HOME_IN_NATURE = frozenset({"potted plant", "vase"})
