"""Training examples drawn on the fly, the same whatever the number of loader workers or GPUs.

Draw ``k`` of an epoch picks its person and its augmentation from a generator seeded by
``(seed, epoch, k)`` alone, so a run is reproducible with any ``--workers`` and, under torchrun,
the processes share out one sequence of draws: step ``s`` of rank ``r`` takes draws
``(s * world + r) * batch ...``; two processes of batch 2 see what one process of batch 4 sees.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from poseapp.inference.preprocess import normalise
from poseapp.io.images import read_rgb
from poseapp.io.mpii import Sample
from poseapp.model.variants import Variant
from poseapp.training.augment import Augmentation, make_example
from poseapp.training.targets import heatmaps, pafs


@lru_cache(maxsize=64)
def _image(path: Path) -> np.ndarray:
    """Decoded images, a few kept per process: small data sets (and repeated draws) decode once."""
    return read_rgb(path)


def example(sample: Sample, rgb: np.ndarray, variant: Variant, rng: np.random.Generator | None, sigma: float,
            aug: Augmentation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One network input (3, S, S) and its targets at the passes' resolution S/8: heatmaps and PAFs."""
    size, out = variant.resolution, variant.resolution // 8
    crop, joints, visible = make_example(sample, rgb, size, rng, aug)
    x = np.ascontiguousarray(normalise(crop, variant.normalisation).transpose(2, 0, 1))
    return x, heatmaps(joints, visible, size, out, sigma), pafs(joints, visible, size, out, width=max(1.0, sigma))


class EpochDraws(Dataset):
    """The draws of one epoch; item ``k`` is draw ``k``, a (input, heatmaps, PAFs) triple of arrays."""

    def __init__(self, samples: list[Sample], variant: Variant, sigma: float, seed: int, epoch: int,
                 count: int, aug: Augmentation | None = None) -> None:
        self.samples, self.variant, self.sigma = samples, variant, sigma
        self.seed, self.epoch, self.count = seed, epoch, count
        self.aug = aug or Augmentation()

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, self.epoch, k])
        sample = self.samples[int(rng.integers(len(self.samples)))]
        return example(sample, _image(sample.image), self.variant, rng, self.sigma, self.aug)


def rank_draws(steps: int, batch: int, rank: int = 0, world: int = 1) -> list[int]:
    """The draw indices one process takes in an epoch, in order, ``batch`` per step."""
    return [(s * world + rank) * batch + j for s in range(steps) for j in range(batch)]


def epoch_loader(samples: list[Sample], variant: Variant, sigma: float, seed: int, epoch: int, steps: int,
                 batch: int, rank: int = 0, world: int = 1, workers: int = 0) -> DataLoader:
    """Batches of (input, heatmaps, PAFs) tensors for one process's share of an epoch."""
    draws = EpochDraws(samples, variant, sigma, seed, epoch, steps * batch * world)
    return DataLoader(draws, batch_size=batch, sampler=rank_draws(steps, batch, rank, world), num_workers=workers,
                      collate_fn=_stack, persistent_workers=False)


def _stack(items: list[tuple[np.ndarray, ...]]) -> tuple[torch.Tensor, ...]:
    return tuple(torch.from_numpy(np.stack(column)) for column in zip(*items))
