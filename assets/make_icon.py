"""Draws assets/icon.png (256x256): a stick figure with a joint-angle arc, in the overlay's colours."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def main() -> None:
    size = 256
    icon = np.zeros((size, size, 4), np.uint8)
    cv2.circle(icon, (128, 128), 124, (40, 44, 52, 255), -1, cv2.LINE_AA)
    left, right, centre = (255, 120, 40, 255), (40, 80, 255, 255), (60, 200, 60, 255)  # BGRA
    pts = {"head": (128, 52), "neck": (128, 84), "pelvis": (128, 150), "l_elbow": (88, 112), "l_hand": (70, 76),
           "r_elbow": (170, 116), "r_hand": (196, 150), "l_knee": (100, 192), "l_foot": (96, 232),
           "r_knee": (160, 188), "r_foot": (184, 226)}
    for a, b, colour in (("neck", "pelvis", centre), ("neck", "l_elbow", left), ("l_elbow", "l_hand", left),
                         ("neck", "r_elbow", right), ("r_elbow", "r_hand", right), ("pelvis", "l_knee", left),
                         ("l_knee", "l_foot", left), ("pelvis", "r_knee", right), ("r_knee", "r_foot", right)):
        cv2.line(icon, pts[a], pts[b], colour, 10, cv2.LINE_AA)
    cv2.circle(icon, pts["head"], 20, centre, -1, cv2.LINE_AA)
    cv2.ellipse(icon, pts["r_knee"], (26, 26), 0, 95, 200, (0, 215, 255, 255), 5, cv2.LINE_AA)
    for name in ("l_elbow", "r_elbow", "l_knee", "r_knee", "neck", "pelvis"):
        cv2.circle(icon, pts[name], 8, (255, 255, 255, 255), -1, cv2.LINE_AA)
    cv2.imwrite(str(Path(__file__).with_name("icon.png")), icon)


if __name__ == "__main__":
    main()
