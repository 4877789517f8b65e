"""Several processes under PyTorch's own launcher: ``torchrun --nproc_per_node N -m poseapp train ...``.

torchrun sets WORLD_SIZE, RANK and LOCAL_RANK; this reads them, joins the process group (NCCL on
CUDA, Gloo on CPU) and gives each process its device. Without torchrun it is one process of one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from poseapp.errors import PoseappError


@dataclass(frozen=True)
class Processes:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        """The process that validates, writes files and prints."""
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world > 1


def join(device: str) -> tuple[Processes, torch.device]:
    """This process's place and device; joins the process group when torchrun started several."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Processes(), torch.device(device)
    procs = Processes(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
    if device.startswith("cuda"):
        if torch.cuda.device_count() <= procs.local_rank:
            raise PoseappError(f"process {procs.rank} wants GPU {procs.local_rank}, but this machine has "
                               f"{torch.cuda.device_count()}; lower --nproc_per_node")
        torch.cuda.set_device(procs.local_rank)
        chosen = torch.device("cuda", procs.local_rank)
    else:
        chosen = torch.device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if chosen.type == "cuda" else "gloo")
    return procs, chosen


def mean(value: float, procs: Processes) -> float:
    """``value`` averaged over the processes (every process gets the mean)."""
    if not procs.active:
        return value
    on = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else "cpu"
    t = torch.tensor([value], dtype=torch.float64, device=on)
    dist.all_reduce(t)
    return float(t) / procs.world


def barrier(procs: Processes) -> None:
    if procs.active:
        dist.barrier()


def leave(procs: Processes) -> None:
    if procs.active and dist.is_initialized():
        dist.destroy_process_group()
