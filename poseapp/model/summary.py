"""One variant's facts for `poseapp models`: input size, parameters, FLOPs, weight status (no torch)."""

from __future__ import annotations

from poseapp.model.architecture import describe
from poseapp.model.variants import get_variant


def summarise(name: str) -> dict:
    """The row of ``poseapp models`` for one variant."""
    from poseapp.weights.install import status

    arch = describe(get_variant(name))
    v = arch.variant
    return {"variant": v.name, "input_size": v.resolution, "parameters": arch.parameters(),
            "gflops": round(arch.flops() / 1e9, 3), "weights": status(v.name)}
