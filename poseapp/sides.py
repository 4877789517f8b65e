"""Left and right labels that came out exchanged: caught by continuity with the frame before.

A model that sees a person from the side often labels the near leg as the far one for a frame or
a stretch of frames. Where the mirrored labelling lies clearly closer to the previous frame's
joints than the labelling as given (the summed distance of the sided joints both frames have,
under ``RATIO`` of it), the frame's sides are exchanged (the tracker, frame by frame; the gait
analysis puts legs right from the walking pattern instead, ``gait.relabel_legs``).
"""

from __future__ import annotations

import numpy as np

from poseapp.joints import FLIP

RATIO = 0.6
#: The joints that have a left/right partner (not head, neck, thorax, pelvis).
SIDED = np.array([j != f for j, f in enumerate(FLIP)])


def mirrored_closer(now: np.ndarray, prev: np.ndarray, ratio: float = RATIO, least: int = 4) -> bool:
    """True when (16, 2) ``now`` with its sides exchanged matches (16, 2) ``prev`` clearly better
    than as given; NaN marks a joint not to use. Needs ``least`` sided joints seen in both."""
    mirrored = now[list(FLIP)]
    use = SIDED & np.isfinite(now).all(1) & np.isfinite(mirrored).all(1) & np.isfinite(prev).all(1)
    if use.sum() < least:
        return False
    as_given = np.linalg.norm(now[use] - prev[use], axis=1).sum()
    return bool(np.linalg.norm(mirrored[use] - prev[use], axis=1).sum() < ratio * as_given)
