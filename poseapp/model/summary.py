"""One variant's facts for `poseapp models`: input size, parameters, FLOPs, weight status."""

from __future__ import annotations


def count_flops(model, resolution: int) -> int:
    """FLOPs of one forward pass on a 1x3xSxS input, counted by torch's FlopCounterMode.

    A multiply-add counts as two FLOPs; element-wise operations are not counted.
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 3, resolution, resolution))
    return counter.get_total_flops()


def summarise(name: str) -> dict:
    from poseapp.model.efficientpose import count_parameters, create_model
    from poseapp.weights.install import status

    model = create_model(name)
    v = model.variant
    return {"variant": v.name, "input_size": v.resolution, "parameters": count_parameters(model),
            "gflops": round(count_flops(model, v.resolution) / 1e9, 3), "weights": status(v.name)}
