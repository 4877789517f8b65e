"""The one joint table: names in upstream's output order, mirror partners, skeleton edges."""

from __future__ import annotations

JOINTS: tuple[str, ...] = (
    "head_top", "upper_neck", "right_shoulder", "right_elbow", "right_wrist", "thorax",
    "left_shoulder", "left_elbow", "left_wrist", "pelvis", "right_hip", "right_knee",
    "right_ankle", "left_hip", "left_knee", "left_ankle",
)
INDEX = {name: i for i, name in enumerate(JOINTS)}


def _mirror(name: str) -> str:
    if name.startswith("left_"):
        return "right_" + name[5:]
    if name.startswith("right_"):
        return "left_" + name[6:]
    return name


#: FLIP[i] is the joint that i becomes in a horizontally mirrored image.
FLIP: tuple[int, ...] = tuple(INDEX[_mirror(n)] for n in JOINTS)

#: The official MPII annotation order, and where each of our joints sits in it.
MPII_ORDER: tuple[str, ...] = (
    "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle", "pelvis",
    "thorax", "upper_neck", "head_top", "right_wrist", "right_elbow", "right_shoulder",
    "left_shoulder", "left_elbow", "left_wrist",
)
FROM_MPII: tuple[int, ...] = tuple(MPII_ORDER.index(n) for n in JOINTS)

#: Skeleton edges as (joint, joint); the side of an edge is the side of its joints.
EDGES: tuple[tuple[str, str], ...] = (
    ("head_top", "upper_neck"), ("upper_neck", "thorax"), ("thorax", "pelvis"),
    ("thorax", "right_shoulder"), ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("thorax", "left_shoulder"), ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("pelvis", "right_hip"), ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("pelvis", "left_hip"), ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
)


def side(name: str) -> str:
    """'left', 'right' or 'centre': drives colours in the overlay."""
    return name.split("_", 1)[0] if name.startswith(("left_", "right_")) else "centre"
