"""Numeric command-line values checked when they are parsed, each against a documented range.

An option outside its range stops the command before any work with argparse's usage message and
exit code 2 (the ranges are listed in the README). Used by the CLI; no Qt, no model.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable

CORES = os.cpu_count() or 1

#: option -> (low, high) inclusive; the README's table of ranges is this one.
RANGES: dict[str, tuple[float, float]] = {
    "threads": (1, 4 * CORES),  # more threads than that only thrash the machine
    "workers": (1, max(2, 2 * CORES)),  # each worker holds a model (~350 MB)
    "loader-workers": (0, 4 * CORES),
    "batch-size": (1, 256),
    "scales": (0.25, 4.0),
    "runs": (1, 100_000),
    "clip_frames": (1, 100_000),
    "epochs": (1, 100_000),
    "steps-per-epoch": (1, 10_000_000),
    "batch": (1, 4096),
    "cycle-epochs": (1, 100_000),
    "cutoff": (0.1, 100.0),
    "threshold": (0.0, 1.0),
    "max-gap": (0, 100_000),
    "lr": (1e-8, 10.0),
    "val-fraction": (0.0, 0.9),
    "start": (0.0, 1e7),  # seconds into a video (115 days): NaN and infinity are refused
    "end": (0.0, 1e7),
}


def _checked(name: str, cast: Callable[[str], float]) -> Callable[[str], float]:
    low, high = RANGES[name]

    def parse(text: str) -> float:
        try:
            value = cast(text)
        except ValueError:
            kind = "a whole number" if cast is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside {_show(low)}..{_show(high)}")
        return value

    parse.__name__ = name  # argparse names the option's type in its message
    return parse


def _show(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def int_in(name: str) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number within ``RANGES[name]``."""
    return _checked(name, int)  # type: ignore[return-value]


def float_in(name: str) -> Callable[[str], float]:
    """An argparse ``type`` for a finite number within ``RANGES[name]``."""
    return _checked(name, float)
