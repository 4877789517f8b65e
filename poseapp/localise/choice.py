"""The choice of person where several are in view: a rule, or a point whose person is followed.

The localisers carry it out (``AutoSearch.set_person``, ``Track.set_person``); who walks in a
recorded clip is found by ``walker``.
"""

from __future__ import annotations

import math

from poseapp.errors import PoseappError

#: Whom to take where several people are in view: ``auto`` the largest, most central one;
#: ``largest``; ``centre`` (nearest the frame's centre); or a point (x, y) in frame pixels: the
#: person at or nearest it. A recorded video has one more, ``walker``: the person who walks
#: steadily the longest, found by looking through the clip first (``poseapp.localise.walker``).
PERSON_RULES = ("auto", "largest", "centre")
WALKER = "walker"
Person = str | tuple[float, float]


def parse_person(text: str, video: bool = False) -> Person:
    """``--person``: a rule of ``PERSON_RULES`` (with ``video``, also ``walker``) or ``X,Y``
    (pixels of the first frame); ValueError if neither."""
    rule = text.strip().lower()
    rules = PERSON_RULES + ((WALKER,) if video else ())
    if rule in rules or rule == "center":
        return "centre" if rule == "center" else rule
    if rule == WALKER:
        raise ValueError(f"{WALKER!r} needs a recorded video: it looks through the clip for who walks")
    try:
        x, y = (float(v) for v in rule.split(","))
    except ValueError:
        raise ValueError(f"{text!r} is not one of {', '.join(rules)} nor a point X,Y") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"{text!r} is not a point in the frame")
    return (x, y)


def check_point(person: Person, height: int, width: int) -> None:
    """PoseappError when a point lies outside a ``width`` x ``height`` frame."""
    if isinstance(person, tuple) and not (0 <= person[0] < width and 0 <= person[1] < height):
        raise PoseappError(f"--person {person[0]:g},{person[1]:g} lies outside the {width}x{height} frame")

