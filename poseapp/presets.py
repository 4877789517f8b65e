"""Accuracy presets: one word that picks the model and its test-time augmentation.

``fast`` keeps a live view at camera rate on a laptop CPU; ``balanced`` is the default choice
for recorded videos; ``accurate`` spends three forward passes per crop (two more scales) where
time does not matter. The flip is in no preset: with the person search it lowered the accuracy
on the shared MPII images (II: 97.4 -> 93.4 PCKh@0.5; with the scales too, 81.6). The figures
behind each choice are in the README's preset table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    model: str
    flip: bool
    scales: tuple[float, ...]


PRESETS: dict[str, Preset] = {
    "fast": Preset("RT", False, (1.0,)),
    "balanced": Preset("II", False, (1.0,)),
    "accurate": Preset("II", False, (0.8, 1.0, 1.2)),
}


def resolve_quality(quality: str | None, model: str | None, flip: bool | None,
                    scales: tuple[float, ...] | None) -> Preset:
    """The model, flip and scales to run: the preset's (``fast`` without one), each replaced by an
    option given explicitly (None: not given)."""
    base = PRESETS[quality or "fast"]
    return Preset(model or base.model, base.flip if flip is None else flip, scales or base.scales)
