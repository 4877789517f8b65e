"""The one analysis path that the live view, ``poseapp video`` and the CLI share.

- ``AnalysisOptions``: every setting that decides a result, recorded in its JSON; the live view
  (``pipeline.LiveSettings``) and the batch (``batch.VideoOptions``) each add only their own.
- ``make_engine``: the one place an analysis builds its ``Engine`` from options.
- ``FrameAnalyser``: one frame in, the person's pose, the joints kept for angles (score at least
  the threshold), optionally One-Euro smoothed, and the angles; it owns the tracking state.
- ``result_metadata``: the part of a result's JSON that every result carries (version, source,
  options, the weights' identity of every model used, range of motion).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import ClassVar

import numpy as np

from poseapp import __version__
from poseapp.angles import ANGLE_NAMES, angles_from_xy, facing
from poseapp.errors import PoseappError
from poseapp.io.records import SCHEMA_VERSION
from poseapp.io.video import Frame
from poseapp.pose import Pose
from poseapp.smoothing import METHODS, OneEuro
from poseapp.weights.download import Progress

#: ``--people``: the chosen person only (the clinic's default), or every person in view by id.
PEOPLE = ("one", "all")


@dataclass(frozen=True)
class AnalysisOptions:
    """What decides an analysis's result, live or from a file."""

    model: str = "RT"
    device: str = "auto"
    backend: str = "auto"
    roi: str = "track"
    flip: bool = False  # test-time augmentation, as the quality presets set it
    scales: tuple[float, ...] = (1.0,)
    smooth: str = "none"
    threshold: float = 0.3  # joints scoring under it are missing for smoothing and angles
    min_cutoff_hz: float = 1.0  # One-Euro
    beta: float = 0.05  # One-Euro
    threads: int | None = None
    person: str = "auto"  # auto | largest | centre | X,Y (a point of the first frame: that person is followed)
    detector: bool = True  # the person detector first; False: the window search alone, as before 2026-12-07
    people: str = "one"  # one: the chosen person; all: also everyone in view by id (``localise.people``)
    video: ClassVar[bool] = False  # a recorded video, which may also ask for the ``walker``

    def engine_key(self) -> tuple:
        """What the engine depends on: a change of it means a new engine."""
        return self.model.upper(), self.device, self.backend, self.flip, self.scales, self.threads

    def check(self) -> None:
        """PoseappError for a setting that cannot work (an unknown model, mode, method or person rule)."""
        from poseapp.localise.choice import parse_person
        from poseapp.localise.localiser import MODES
        from poseapp.weights.models import resolve

        resolve(self.model)
        if self.roi not in MODES:
            raise PoseappError(f"unknown --roi {self.roi!r}; choose from {', '.join(MODES)}")
        if self.smooth not in METHODS:
            raise PoseappError(f"unknown --smooth {self.smooth!r}; choose from {', '.join(METHODS)}")
        try:
            parse_person(self.person, self.video)
        except ValueError as exc:
            raise PoseappError(f"--person: {exc}") from exc
        if self.people not in PEOPLE:
            raise PoseappError(f"unknown --people {self.people!r}; choose from {', '.join(PEOPLE)}")
        if self.people == "all" and (self.roi == "full" or not self.detector):
            raise PoseappError("--people all follows the person detector's people: it needs --roi track or auto, "
                               "and not --no-detector")


def make_engine(options: AnalysisOptions, progress: Progress | None = None, spin: bool = True):
    """The ``Engine`` for ``options`` (slow the first time: may download, convert or export weights).

    spin: ONNX Runtime's busy-waiting between calls; off where other threads share the CPU (live).
    """
    from poseapp.inference.engine import Engine

    return Engine(options.model, device=options.device, backend=options.backend, flip=options.flip,
                  scales=options.scales, threads=options.threads, spin=spin, progress=progress)


@dataclass
class FrameResult:
    frame: Frame
    pose: Pose
    xy: np.ndarray  # (16, 2) the joints kept for angles, NaN where missing (not found, or under the threshold)
    smoothed: np.ndarray | None  # (16, 2) One-Euro smoothed, NaN where missing; None without smoothing
    angles: dict[str, float]
    model: str
    device: str
    people: dict[int, Pose] = field(default_factory=dict)  # with ``people='all'``: everyone in view by id
    chosen: int | None = None  # the id of ``pose``'s person among ``people``


class FrameAnalyser:
    """One frame in, pose + smoothing + angles out; owns the engine and the tracking state.

    ``smooth='oneeuro'`` filters each frame as it comes (live); other methods need the whole
    recording and are left to ``smoothing.smooth_trajectory`` (the batch). With ``people='all'``,
    everyone in view is followed too (``localise.people``), and the chosen person is one of them.
    The window (``pipeline.LiveAnalyser``) and ``poseapp video`` (``batch``) both analyse through it.
    """

    def __init__(self, options: AnalysisOptions,
                 engine_factory: Callable[[AnalysisOptions, Progress | None], object] | None = None) -> None:
        self.factory = engine_factory or (lambda o, p: make_engine(o, p))
        self.options = options
        self.engine = None
        self.localiser = None
        self.everyone = None  # ``localise.people.People`` with ``people='all'``
        self.euro = OneEuro(options.min_cutoff_hz, options.beta)
        self.faces = 1.0  # where the person faces, for the signed angles: the last frame that showed it

    def configure(self, options: AnalysisOptions) -> bool:
        """Apply new options; returns True when the engine must be (re)loaded, done by ``load``."""
        reload = self.engine is None or options.engine_key() != self.options.engine_key()
        roi_changed = (options.roi, options.detector, options.people) != (
            self.options.roi, self.options.detector, self.options.people)
        self.options = options
        self.euro = OneEuro(options.min_cutoff_hz, options.beta)
        if roi_changed and self.engine is not None:
            self._new_localiser()
        return reload

    def load(self, progress: Progress | None = None) -> None:
        """Build the engine for the current options."""
        self.engine = self.factory(self.options, progress)
        self._fit_localiser()

    def use(self, engine) -> None:
        """Analyse with an engine made elsewhere (a batch worker's, shared between its videos)."""
        self.engine = engine
        self._fit_localiser()

    def _fit_localiser(self) -> None:
        """After a new engine: the localiser kept, and with it the person followed, where it does not
        depend on the engine (a track on the person detector, with no window-search model beside it:
        a model switched mid-recording keeps following the walker); else a new one."""
        search = getattr(self.localiser, "search", self.localiser)
        engine_free = (self.localiser is not None and self.localiser.mode == self.options.roi
                       and getattr(search, "detector", None) is not None and not getattr(search, "fallback", True)
                       and getattr(search, "search", None) is None)
        if not engine_free:
            self._new_localiser()

    def _new_localiser(self) -> None:
        from poseapp.localise.localiser import make_localiser
        from poseapp.localise.people import People, detector_of

        self.localiser = make_localiser(self.options.roi, self.engine, self.options.detector)
        self.everyone = None
        if self.options.people == "all":
            detector = detector_of(self.localiser)
            if detector is None:
                raise PoseappError("--people all needs the person detector, which is not on this machine: "
                                   "`poseapp weights fetch detector` (or `poseapp weights import DIR`)")
            self.everyone = People(detector)

    def follow(self, person, only: bool = False, same: bool = False) -> None:
        """Whom to follow (``Localiser.set_person``): a rule, or a point whose person is followed
        (``only``: nobody else, however long they are gone). ``same``: the point moves along with
        the person already followed, whose smoothing goes on."""
        if self.localiser is not None:
            self.localiser.set_person(person, only)
        if not same:
            self.euro.reset()

    def pick(self, x: float, y: float) -> None:
        """Follow the person at or nearest frame pixel (x, y) from the next frame on (a click); with
        everyone followed by id, the one whose crop holds the point is taken as they are posed."""
        from poseapp.localise.track import Track

        held = self.everyone.at((x, y)) if self.everyone is not None else None
        if held is None or not isinstance(self.localiser, Track):
            self.follow((x, y))
            return
        self.localiser.pick(x, y, held)
        self.euro.reset()

    def reset(self) -> None:
        """Forget the tracked person and the filter state (a seek, a new source)."""
        if self.localiser is not None and hasattr(self.localiser, "reset"):
            self.localiser.reset()
        if self.everyone is not None:
            self.everyone.reset()
        self.euro.reset()
        self.faces = 1.0

    def analyse(self, frame: Frame, pose: Pose | None = None) -> FrameResult:
        """``frame``'s result; ``pose``: the chosen person's pose found already (a batch of frames
        through the whole-frame model, a frame before the walker came into view)."""
        from poseapp.localise.people import followed_id

        if self.engine is None:
            self.load()
        if pose is None:
            pose = self.localiser.locate(self.engine, frame.rgb)
        pose.time_s = frame.time_s
        people = self.everyone.update(self.engine, frame.rgb) if self.everyone is not None else {}
        chosen = followed_id(pose, people, self.options.threshold) if people else None
        kp = pose.keypoints.astype(np.float64)
        xy = np.where((kp[:, 2:3] >= self.options.threshold) & pose.found, kp[:, :2], np.nan)
        smoothed = self.euro(frame.time_s, xy) if self.options.smooth == "oneeuro" else None
        shown = xy if smoothed is None else smoothed
        seen = float(facing(shown))
        self.faces = seen if np.isfinite(seen) else self.faces
        angles = angles_from_xy(shown, faces=self.faces)
        return FrameResult(frame, pose, xy, smoothed, {k: float(v) for k, v in angles.items()},
                           self.engine.model, self.engine.backend.device, people, chosen)


def result_metadata(source: dict, options: AnalysisOptions, models: list[str], frames: int, rom: dict) -> dict:
    """The keys every result JSON carries, live recording or analysed file."""
    from poseapp.weights.install import weights_identity

    return {
        "poseapp": __version__, "csv_schema": SCHEMA_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": source, "frames": frames, "models": sorted(models),
        "weights": {m: weights_identity(m) for m in sorted(models)},
        "options": dataclasses.asdict(options), "angles": list(ANGLE_NAMES), "range_of_motion": rom,
    }
