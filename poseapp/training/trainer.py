"""The training loop: MSE on every detection pass, SGD with momentum 0.9 on a decaying triangular
cyclical rate, PCKh validation through ``poseapp.evaluation``, checkpoints that resume.

A run folder holds ``last.safetensors`` (weights, variant in the metadata), ``last.optim.pt``
(optimiser state), ``best.safetensors`` (best validation PCKh@0.5), ``run.json`` (options, epoch,
step, history) and ``log.csv`` (one row per epoch). Every file is written to a temporary name and
renamed, so an interrupted run resumes from its last complete epoch.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from poseapp.errors import PoseappError
from poseapp.inference.preprocess import normalise
from poseapp.io.atomic import write_json
from poseapp.io.images import read_rgb
from poseapp.io.mpii import Sample, load_mpii
from poseapp.model.variants import get_variant
from poseapp.training.augment import Augmentation, make_example
from poseapp.training.schedule import cyclical_lr
from poseapp.training.targets import heatmaps, pafs, sigma_at

INITS = ("scratch", "pretrained", "official")


@dataclass(frozen=True)
class TrainOptions:
    variant: str = "RT"
    data: str = ""
    out: str = "run"
    epochs: int = 200
    steps_per_epoch: int | None = None  # None: one pass over the training samples
    batch: int = 16
    lr_low: float = 1e-4
    lr_high: float = 1e-2  # the range test's answer (``poseapp train --lr-range-test``)
    cycle_epochs: int = 10
    lr_decay: float = 0.5
    momentum: float = 0.9
    init: str = "pretrained"
    val_fraction: float = 0.1  # of the samples, by a seeded shuffle; 0 validates on the training set
    seed: int = 0
    device: str = "cpu"


def split(samples: list[Sample], val_fraction: float, seed: int) -> tuple[list[Sample], list[Sample]]:
    """A seeded random train/validation split; with no validation share, both are every sample."""
    if val_fraction <= 0 or len(samples) < 2:
        return samples, samples
    order = np.random.default_rng(seed).permutation(len(samples))
    n_val = max(1, int(round(val_fraction * len(samples))))
    return [samples[i] for i in order[n_val:]], [samples[i] for i in order[:n_val]]


def initial_model(options: TrainOptions, say: Callable[[str], None]):
    """The model to start from: random, ImageNet backbones through timm, or our converted official weights."""
    import torch

    from poseapp.model.efficientpose import create_model

    model = create_model(options.variant)
    if options.init == "official":
        from poseapp.weights.convert import check_state
        from poseapp.weights.store import load_state

        state = load_state(options.variant)
        check_state(model, state, "the official weights")
        model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    elif options.init == "pretrained":
        try:
            load_imagenet_backbones(model)
        except Exception as exc:  # timm needs the network (Hugging Face hub) for its weights
            say(f"ImageNet weights unavailable ({type(exc).__name__}: {exc}); training from scratch")
    elif options.init != "scratch":
        raise PoseappError(f"unknown --init {options.init!r}; choose from {', '.join(INITS)}")
    return model


def load_imagenet_backbones(model) -> None:
    """Copy timm's ImageNet EfficientNet weights into the model's backbone slices."""
    import timm

    variant = model.variant
    for attr, timm_id in (("backbone_high", variant.backbone_high), ("backbone_low", variant.backbone_low)):
        part = getattr(model, attr)
        if part is None:
            continue
        ref = timm.create_model(timm_id, pretrained=True).state_dict()
        mine = part.state_dict()
        names = {"0": "conv_stem", "1": "bn1"}
        mapped = {}
        for key in mine:
            head, rest = key.split(".", 1)
            mapped[key] = ref[f"{names[head]}.{rest}" if head in names else f"blocks.{int(head) - 2}.{rest}"]
        part.load_state_dict(mapped)


def set_train_mode(model, options: TrainOptions) -> None:
    """Training mode; when fine-tuning official weights the BatchNorm statistics stay frozen, as
    small fine-tuning batches would otherwise overwrite what MPII taught them."""
    model.train()
    if options.init == "official":
        import torch

        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()


def lr_range_test(options: TrainOptions, steps: int = 40, low: float = 1e-5, high: float = 1.0,
                  say: Callable[[str], None] = print) -> tuple[float, list[tuple[float, float]]]:
    """The paper's bound on the cyclical rate: from the starting weights, one step per rate on an
    exponential ramp; the highest rate before the loss diverges."""
    import torch

    from poseapp.training.schedule import highest_stable, range_test_rates

    variant = get_variant(options.variant)
    samples = load_mpii(options.data)
    images = {s.image: read_rgb(s.image) for s in samples}
    model = initial_model(options, say)
    set_train_mode(model, options)
    optimiser = torch.optim.SGD(model.parameters(), lr=low, momentum=options.momentum)
    rng = np.random.default_rng(options.seed)
    sigma = sigma_at(0, 1, variant.resolution // 8)
    rates, losses = range_test_rates(low, high, steps), []
    for rate in rates:
        for group in optimiser.param_groups:
            group["lr"] = rate
        chosen = [samples[i] for i in rng.integers(0, len(samples), options.batch)]
        x, heat, field = make_batch(chosen, images, variant, rng, sigma, Augmentation())
        loss = sum(loss_terms(model.forward_all(x), heat, field).values())
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        losses.append(float(loss.detach()))
        if not np.isfinite(losses[-1]):
            break
    return highest_stable(rates, losses), list(zip(rates, losses))


def make_batch(samples: list[Sample], images: dict[Path, np.ndarray], variant, rng: np.random.Generator | None,
               sigma: float, aug: Augmentation):
    """Inputs (N, 3, S, S) and targets at the passes' resolution (S/8): heatmaps and PAFs."""
    import torch

    size, out = variant.resolution, variant.resolution // 8
    xs, heats, fields = [], [], []
    for s in samples:
        crop, joints, visible = make_example(s, images[s.image], size, rng, aug)
        xs.append(normalise(crop, variant.normalisation))
        heats.append(heatmaps(joints, visible, size, out, sigma))
        fields.append(pafs(joints, visible, size, out, width=max(1.0, sigma)))
    x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).contiguous()
    return x, torch.from_numpy(np.stack(heats)), torch.from_numpy(np.stack(fields))


def loss_terms(outputs, heat, field) -> dict:
    """MSE of every pass against its target (PAF pass, both heatmap passes; Lite: the final pass)."""
    import torch.nn.functional as F  # noqa: N812

    terms = {"heatmaps": F.mse_loss(outputs.heatmaps2, heat)}
    if outputs.heatmaps1 is not None:
        terms["heatmaps1"] = F.mse_loss(outputs.heatmaps1, heat)
    if outputs.pafs is not None:
        terms["pafs"] = F.mse_loss(outputs.pafs, field)
    return terms


def state_numpy(model) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()
            if not k.endswith("num_batches_tracked")}


def validate(model, variant: str, samples: list[Sample]) -> dict[str, float]:
    """PCKh@0.5 and @0.1 of the current weights, crop protocol, through ``poseapp.evaluation``."""
    from poseapp.evaluation import evaluate
    from poseapp.inference.backends import TorchBackend
    from poseapp.inference.engine import Engine

    engine = Engine(variant, backend=TorchBackend(variant, state_numpy(model), "cpu", source="training"))
    result = evaluate(engine, samples, "crop")
    return {"pckh@0.5": result.overall["0.5"], "pckh@0.1": result.overall["0.1"]}


def train(options: TrainOptions, say: Callable[[str], None] = print) -> dict:
    """Train (or resume) into ``options.out``; returns the run record (as in run.json)."""
    import torch

    from poseapp.weights.store import save_state

    variant = get_variant(options.variant)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    samples = load_mpii(options.data)
    if not samples:
        raise PoseappError(f"{options.data} holds no annotated person")
    train_set, val_set = split(samples, options.val_fraction, options.seed)
    images = {s.image: read_rgb(s.image) for s in samples}
    run_file = out / "run.json"
    record = {"options": dataclasses.asdict(options), "epoch": 0, "step": 0, "history": [], "best": None}
    model = initial_model(options, say) if not (out / "last.safetensors").exists() else None
    if model is None:
        from safetensors.numpy import load_file

        from poseapp.weights.convert import load_model

        record = json.loads(run_file.read_text())
        model = load_model(variant.name, load_file(str(out / "last.safetensors")), str(out))
        say(f"resuming {out} after epoch {record['epoch']}")
    device = torch.device(options.device)
    model.to(device)
    set_train_mode(model, options)
    optimiser = torch.optim.SGD(model.parameters(), lr=options.lr_low, momentum=options.momentum)
    if (out / "last.optim.pt").exists() and record["epoch"]:
        optimiser.load_state_dict(torch.load(out / "last.optim.pt", weights_only=True))
    per_epoch = options.steps_per_epoch or max(1, len(train_set) // options.batch)
    rng = np.random.default_rng([options.seed, record["epoch"]])
    aug = Augmentation()
    use_amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    for epoch in range(record["epoch"], options.epochs):
        sigma = sigma_at(epoch, options.epochs, variant.resolution // 8)
        t0, losses = time.perf_counter(), []
        for _ in range(per_epoch):
            lr = cyclical_lr(record["step"], options.cycle_epochs * per_epoch, options.lr_low, options.lr_high,
                             options.lr_decay)
            for group in optimiser.param_groups:
                group["lr"] = lr
            chosen = [train_set[i] for i in rng.integers(0, len(train_set), options.batch)]
            x, heat, field = make_batch(chosen, images, variant, rng, sigma, aug)
            with torch.autocast(device.type, enabled=use_amp):
                terms = loss_terms(model.forward_all(x.to(device)), heat.to(device), field.to(device))
                loss = sum(terms.values())
            optimiser.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimiser)
            scaler.update()
            losses.append(float(loss.detach()))
            record["step"] += 1
        model.eval()
        metrics = validate(model, variant.name, val_set)
        set_train_mode(model, options)
        row = {"epoch": epoch + 1, "step": record["step"], "lr": round(lr, 8), "sigma": round(sigma, 3),
               "loss": float(np.mean(losses)), **metrics, "seconds": round(time.perf_counter() - t0, 2)}
        record["history"].append(row)
        record["epoch"] = epoch + 1
        meta = {"variant": variant.name, "source": f"poseapp train, epoch {epoch + 1}", "run": str(out)}
        state = state_numpy(model)
        save_state(out / "last.safetensors", state, meta)
        tmp = out / "last.optim.pt.tmp"
        torch.save(optimiser.state_dict(), tmp)
        os.replace(tmp, out / "last.optim.pt")
        if record["best"] is None or metrics["pckh@0.5"] >= record["best"]["pckh@0.5"]:
            record["best"] = row
            save_state(out / "best.safetensors", state, meta)
        write_json(run_file, record)
        _write_log(out / "log.csv", record["history"])
        say(f"epoch {epoch + 1}/{options.epochs}: loss {row['loss']:.5f}, PCKh@0.5 {metrics['pckh@0.5']:.1f}, "
            f"@0.1 {metrics['pckh@0.1']:.1f}, {row['seconds']:.0f} s")
    return record


def _write_log(path: Path, history: list[dict]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(history[0]))
        w.writeheader()
        w.writerows(history)
    os.replace(tmp, path)
