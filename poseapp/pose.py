"""The result that travels from the engine to every sink: a plain dataclass, no Qt, no torch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from poseapp.joints import JOINTS


@dataclass(frozen=True)
class Box:
    """A square crop in original-image pixels (edges, not centres): left, top, side; ``angle``
    (radians) turns it about its centre, so that a leaning person stands upright in the crop:
    the crop's x axis is (cos, sin) in the image, its y axis (-sin, cos)."""

    x: float
    y: float
    size: float
    angle: float = 0.0

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.size / 2, self.y + self.size / 2

    def holds(self, point) -> bool:
        """Whether ``point`` (x, y) lies in the square (its upright extent)."""
        return self.x <= point[0] <= self.x + self.size and self.y <= point[1] <= self.y + self.size

    def scaled(self, factor: float) -> Box:
        """The square with the same centre and ``factor`` times the side."""
        grow = self.size * (factor - 1) / 2
        return Box(self.x - grow, self.y - grow, self.size * factor, self.angle)

    def corners(self) -> np.ndarray:
        """The (4, 2) corners in image pixels, clockwise from the crop's top left (turned by ``angle``)."""
        c, s = np.cos(self.angle), np.sin(self.angle)
        half = self.size / 2
        offsets = np.array([[-half, -half], [half, -half], [half, half], [-half, half]])
        return np.array(self.centre) + offsets @ np.array([[c, s], [-s, c]])


@dataclass
class Pose:
    """16 joints in original-image pixels with a score each, and the crop the model looked at."""

    keypoints: np.ndarray  # (16, 3): x, y, score
    box: Box
    variant: str
    time_s: float | None = None
    extra: dict = field(default_factory=dict)
    found: bool = True  # False: no person here; keypoints are the model's best guess, not a pose

    @property
    def score(self) -> float:
        """Mean joint score: how confident the model is that a person is there."""
        return float(self.keypoints[:, 2].mean())

    def as_dict(self) -> list[dict]:
        return [
            {"name": n, "x": round(float(x), 2), "y": round(float(y), 2), "score": round(float(s), 4)}
            for n, (x, y, s) in zip(JOINTS, self.keypoints)
        ]
