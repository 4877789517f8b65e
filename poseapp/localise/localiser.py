"""The localiser interface, upstream's whole frame, and the factory the analysis calls.

One interface, ``Localiser.locate(engine, rgb) -> Pose``, with the modes ``full`` (upstream's
input, the whole frame padded to a square: fine when the person fills it), ``auto`` (a search of
one frame, ``search``) and ``track`` (video, ``track``). Whom they look for is set by
``set_person`` (``choice``).
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

from poseapp.errors import MissingWeightsError, PoseappError
from poseapp.inference.engine import Engine
from poseapp.localise.choice import Person
from poseapp.localise.detector import Detector
from poseapp.localise.search import AutoSearch
from poseapp.localise.track import Track
from poseapp.pose import Pose

log = logging.getLogger(__name__)
MODES = ("auto", "full", "track")


class Localiser(Protocol):
    mode: str

    def locate(self, engine: Engine, rgb: np.ndarray) -> Pose:
        """The pose of the person in ``rgb``, with the box the model looked at."""

    def set_person(self, person: Person, only: bool = False) -> None:
        """Whom to look for where several people are in view (``choice``)."""


class FullFrame:
    """Upstream's whole frame: nobody to choose, the model sees everything."""

    mode = "full"

    def locate(self, engine: Engine, rgb: np.ndarray) -> Pose:
        pose = engine.predict(rgb)
        pose.extra["forward_passes"] = engine.passes
        return pose

    def set_person(self, person: Person, only: bool = False) -> None:
        """The whole frame takes whoever the model sees."""


def make_detector(engine: Engine) -> Detector | None:
    """The person detector on ``engine``'s threads; None (said once in the log) when its file
    cannot be had here (offline, never fetched): localisation then falls back to the window search."""
    try:
        return Detector(threads=getattr(engine, "threads", None), spin=getattr(engine, "spin", True))
    except (MissingWeightsError, PoseappError, ImportError) as exc:
        log.warning("no person detector (%s): the window search finds people instead", exc)
        return None


def make_localiser(mode: str, engine: Engine, detector: bool = True) -> Localiser:
    """A new localiser for ``mode``: the person detector first (``detector``); the window search
    (``auto`` on single images as a fallback where the detector finds nobody, and everywhere
    without a detector) uses RT beside a bigger ``engine``. A video track starts only on a
    detection: no fallback there (the search's phantoms on furniture).

    If RT's weights cannot be had, ``engine`` searches itself: slower, never wrong.
    """
    if mode == "full":
        return FullFrame()
    if mode not in MODES:
        raise PoseappError(f"unknown localisation mode {mode!r}; choose from {', '.join(MODES)}")
    found = make_detector(engine) if detector else None
    fallback = mode == "auto" or found is None
    search = None
    if engine.model != "RT" and fallback:
        try:
            search = Engine("RT", device=engine.backend.device, backend=engine.backend.name,
                            spin=getattr(engine, "spin", True), threads=getattr(engine, "threads", None))
        except PoseappError:
            search = None
    auto = AutoSearch(search, detector=found, fallback=fallback)
    return Track(auto) if mode == "track" else auto
