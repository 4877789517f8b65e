"""What counts as 'needs torch' when a module is missing (the plain install, the cpu bundle)."""

from __future__ import annotations

from poseapp.extras import TORCH_PARTS, needs_torch


def test_torch_and_the_parts_of_poseapp_that_import_it_need_the_extra():
    assert needs_torch("torch") and needs_torch("torch.nn") and needs_torch("timm.layers")
    assert all(needs_torch(part) and needs_torch(part + ".sub") for part in TORCH_PARTS)
    assert not needs_torch("poseapp.trainingwheels") and not needs_torch("scipy") and not needs_torch("")
