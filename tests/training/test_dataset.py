"""Draws are reproducible whatever the loader workers, and processes share out one sequence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from poseapp.io.mpii import load_mpii
from poseapp.model.variants import get_variant
from poseapp.training.dataset import epoch_loader, rank_draws
from tests.conftest import MPII_DIR


def _batches(**kwargs) -> list[tuple[torch.Tensor, ...]]:
    samples = load_mpii(MPII_DIR)
    return list(epoch_loader(samples, get_variant("RT"), 2.0, seed=7, epoch=3, steps=2, batch=3, **kwargs))


@pytest.mark.slow
def test_workers_give_the_same_batches_as_the_main_process():
    alone, pooled = _batches(workers=0), _batches(workers=2)
    assert len(alone) == 2 and alone[0][0].shape == (3, 3, 224, 224) and alone[0][1].shape == (3, 16, 28, 28)
    for a, b in zip(alone, pooled):
        for x, y in zip(a, b):
            assert torch.equal(x, y)
    assert not torch.equal(alone[0][0][0], alone[0][0][1])  # draws differ from one another


def test_processes_split_each_step_between_them():
    one = rank_draws(steps=3, batch=4)
    two = [rank_draws(steps=3, batch=2, rank=r, world=2) for r in range(2)]
    for step in range(3):
        assert sorted(two[0][2 * step:2 * step + 2] + two[1][2 * step:2 * step + 2]) == one[4 * step:4 * step + 4]
    assert not set(two[0]) & set(two[1])


def test_epochs_draw_differently():
    samples = load_mpii(MPII_DIR)
    a = next(iter(epoch_loader(samples, get_variant("RT"), 2.0, seed=7, epoch=0, steps=1, batch=2)))
    b = next(iter(epoch_loader(samples, get_variant("RT"), 2.0, seed=7, epoch=1, steps=1, batch=2)))
    assert not np.allclose(a[0].numpy(), b[0].numpy())
