"""The training loop: MSE on every detection pass, SGD with momentum 0.9 on a decaying triangular
cyclical rate, PCKh validation through ``poseapp.evaluation``, checkpoints that resume.

A run folder holds ``last.safetensors`` (weights, variant in the metadata), ``last.optim.pt``
(optimiser state), ``best.safetensors`` (best validation PCKh@0.5), ``run.json`` (options, epoch,
step, history), ``log.csv`` (one row per epoch) and ``curves.png`` (loss and PCKh). Every
file is written to a temporary name and renamed, so an interrupted run resumes from its last complete epoch.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from poseapp.errors import PoseappError
from poseapp.io.atomic import replacing, write_json
from poseapp.io.mpii import Sample, load_mpii, standard_split
from poseapp.model.variants import get_variant
from poseapp.training.dataset import epoch_loader
from poseapp.training.distributed import Processes, barrier, join, leave, mean
from poseapp.training.schedule import cyclical_lr
from poseapp.training.targets import sigma_at

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
    workers: int = 0  # data-loader processes per training process
    val_flip: bool = False  # the paper's test-time flip in validation
    val_scales: tuple[float, ...] = (1.0,)  # multi-scale validation


def split(samples: list[Sample], val_fraction: float, seed: int) -> tuple[list[Sample], list[Sample]]:
    """A seeded random train/validation split; with no validation share, both are every sample."""
    if val_fraction <= 0 or len(samples) < 2:
        return samples, samples
    order = np.random.default_rng(seed).permutation(len(samples))
    n_val = max(1, int(round(val_fraction * len(samples))))
    return [samples[i] for i in order[n_val:]], [samples[i] for i in order[:n_val]]


def load_data(options: TrainOptions) -> tuple[list[Sample], list[Sample], str]:
    """Training and validation people and how they were split: the data set's own files
    (``*train*.json`` and ``*val*.json``, MPII's usual split) when present, else a seeded share."""
    files = standard_split(options.data)
    if files is not None and options.val_fraction > 0:
        train_set, val_set = load_mpii(options.data, files[0]), load_mpii(options.data, files[1])
        how = "files: " + ", ".join(f.name for f in files[0]) + " / " + ", ".join(f.name for f in files[1])
    else:
        samples = load_mpii(options.data)
        train_set, val_set = split(samples, options.val_fraction, options.seed)
        how = f"seeded {options.val_fraction:.0%} share" if options.val_fraction > 0 else "none (validates on training)"
    if not train_set:
        raise PoseappError(f"{options.data} holds no annotated person")
    return train_set, val_set, how


def initial_model(options: TrainOptions, say: Callable[[str], None]):
    """The model to start from: random (seeded, so a run repeats), ImageNet backbones through timm,
    or our converted official weights."""
    from poseapp.model.efficientpose import create_model

    torch.manual_seed(options.seed)
    model = create_model(options.variant)
    if options.init == "official":
        from poseapp.model.efficientpose import check_state
        from poseapp.weights.install import load_state

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
    small fine-tuning batches would otherwise overwrite what MPII taught them. The final upscaling
    is outside every loss term (the passes are supervised at S/8), so it keeps its weights."""
    model.train()
    for p in model.upscale.parameters():
        p.requires_grad_(False)
    if options.init == "official":
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()


def lr_range_test(options: TrainOptions, steps: int = 40, low: float = 1e-5, high: float = 1.0,
                  say: Callable[[str], None] = print) -> tuple[dict, list[tuple[float, float]]]:
    """The paper's bound on the cyclical rate: from the starting weights, one step per rate on an
    exponential ramp. Returns ``schedule.suggested_rate``'s verdict (a peak rate to train with, well
    below where the loss diverges) and the (rate, loss) curve."""
    from poseapp.training.schedule import range_test_rates, suggested_rate

    variant = get_variant(options.variant)
    train_set, _, _ = load_data(options)
    model = initial_model(options, say)
    set_train_mode(model, options)
    optimiser = torch.optim.SGD(model.parameters(), lr=low, momentum=options.momentum)
    sigma = sigma_at(0, 1, variant.resolution // 8)
    rates, losses = range_test_rates(low, high, steps), []
    batches = epoch_loader(train_set, variant, sigma, options.seed, 0, steps, options.batch, workers=options.workers)
    for rate, (x, heat, field) in zip(rates, batches):
        for group in optimiser.param_groups:
            group["lr"] = rate
        loss = sum(loss_terms(model.forward_all(x), heat, field).values())
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        losses.append(float(loss.detach()))
        if not np.isfinite(losses[-1]):
            break
    return suggested_rate(rates[:len(losses)], losses), list(zip(rates, losses))


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


def validate(model, variant: str, samples: list[Sample], flip: bool = False,
             scales: tuple[float, ...] = (1.0,)) -> dict[str, float]:
    """PCKh@0.5 and @0.1 of the current weights, crop protocol, through ``poseapp.evaluation``
    (optionally with the paper's flip and multi-scale testing)."""
    from poseapp.evaluation import evaluate
    from poseapp.inference.backends import TorchBackend
    from poseapp.inference.engine import Engine

    backend = TorchBackend(variant, state_numpy(model), "cpu", source="training")
    engine = Engine(variant, backend=backend, flip=flip, scales=scales)
    result = evaluate(engine, samples, "crop")
    return {"pckh@0.5": result.overall["0.5"], "pckh@0.1": result.overall["0.1"]}


class AllPasses(torch.nn.Module):
    """The model with ``forward_all`` as its ``forward``: what DistributedDataParallel wraps."""

    def __init__(self, net: torch.nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor):
        return self.net.forward_all(x)


def train(options: TrainOptions, say: Callable[[str], None] = print) -> dict:
    """Train (or resume) into ``options.out``; returns the run record (as in run.json).

    Under torchrun every process trains on its share of each step's draws (``--batch`` is per
    process) and DistributedDataParallel averages the gradients; the first process validates and
    writes the run folder.
    """
    procs, device = join(options.device)
    try:
        return _train(options, say if procs.main else (lambda _: None), procs, device)
    finally:
        barrier(procs)
        leave(procs)


def _train(options: TrainOptions, say: Callable[[str], None], procs: Processes, device: torch.device) -> dict:
    variant = get_variant(options.variant)
    out = Path(options.out)
    if procs.main:
        out.mkdir(parents=True, exist_ok=True)
    barrier(procs)
    train_set, val_set, how = load_data(options)
    run_file = out / "run.json"
    record = {"options": dataclasses.asdict(options), "split": how, "processes": procs.world,
              "global_batch": options.batch * procs.world, "epoch": 0, "step": 0, "history": [], "best": None}
    if (out / "last.safetensors").exists():
        from safetensors.numpy import load_file

        from poseapp.model.efficientpose import load_model

        try:
            record = json.loads(run_file.read_text())
            missing = {"epoch", "step", "history"} - set(record)
            if missing:
                raise ValueError(f"no {', '.join(sorted(missing))}")
        except (OSError, ValueError, TypeError) as exc:
            raise PoseappError(f"cannot resume {out}: {run_file.name} is missing or damaged ({exc}); "
                               "train into a new folder") from exc
        model = load_model(variant.name, load_file(str(out / "last.safetensors")), str(out))
        say(f"resuming {out} after epoch {record['epoch']}")
    else:
        model = initial_model(options, say)
    model.to(device)
    set_train_mode(model, options)
    net = AllPasses(model)
    if procs.active:
        ids = [device.index] if device.type == "cuda" else None
        net = torch.nn.parallel.DistributedDataParallel(net, device_ids=ids)
    optimiser = torch.optim.SGD(model.parameters(), lr=options.lr_low, momentum=options.momentum)
    if (out / "last.optim.pt").exists() and record["epoch"]:
        optimiser.load_state_dict(torch.load(out / "last.optim.pt", weights_only=True, map_location=device))
    per_epoch = options.steps_per_epoch or max(1, len(train_set) // (options.batch * procs.world))
    use_amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    watch = DivergenceWatch(out)
    say(f"training {variant.name} on {len(train_set)} people ({how}), {procs.world} process(es) x batch "
        f"{options.batch}, {per_epoch} steps per epoch, {options.workers} loader worker(s), on {device}")
    for epoch in range(record["epoch"], options.epochs):
        sigma = sigma_at(epoch, options.epochs, variant.resolution // 8)
        t0, total, steps = time.perf_counter(), torch.zeros((), device=device), 0
        batches = epoch_loader(train_set, variant, sigma, options.seed, epoch, per_epoch, options.batch,
                               procs.rank, procs.world, options.workers)
        for x, heat, field in batches:
            lr = cyclical_lr(record["step"], options.cycle_epochs * per_epoch, options.lr_low, options.lr_high,
                             options.lr_decay)
            for group in optimiser.param_groups:
                group["lr"] = lr
            with torch.autocast(device.type, enabled=use_amp):
                terms = loss_terms(net(x.to(device)), heat.to(device), field.to(device))
                loss = sum(terms.values())
            optimiser.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimiser)
            scaler.update()
            total += loss.detach()  # summed on the device: no host sync per step
            steps += 1
            record["step"] += 1
            if record["step"] % DIVERGENCE_CHECK_STEPS == 0:
                watch.check(float(loss.detach()), record["step"], record["epoch"])
        epoch_loss = mean(float(total) / max(steps, 1), procs)
        watch.check(epoch_loss, record["step"], record["epoch"])
        if procs.main:
            model.eval()
            metrics = validate(model, variant.name, val_set, options.val_flip, tuple(options.val_scales))
            set_train_mode(model, options)
            row = {"epoch": epoch + 1, "step": record["step"], "lr": round(lr, 8), "sigma": round(sigma, 3),
                   "loss": epoch_loss, **metrics, "seconds": round(time.perf_counter() - t0, 2)}
            _save_epoch(out, record, row, model, optimiser, variant.name)
            say(f"epoch {epoch + 1}/{options.epochs}: loss {row['loss']:.5f}, PCKh@0.5 {metrics['pckh@0.5']:.1f}, "
                f"@0.1 {metrics['pckh@0.1']:.1f}, {row['seconds']:.0f} s")
        else:
            record["epoch"] = epoch + 1
        barrier(procs)
    return json.loads(run_file.read_text()) if procs.main else record


#: Steps between the divergence checks (each costs one host sync).
DIVERGENCE_CHECK_STEPS = 5


class DivergenceWatch:
    """Stops a run whose loss becomes NaN or infinite, or grows ``blowup`` times past its lowest
    value: the epoch is not saved, so ``last.safetensors`` stays the last good weights."""

    def __init__(self, out: Path, blowup: float = 20.0) -> None:
        self.out, self.blowup, self.lowest = out, blowup, math.inf

    def check(self, loss: float, step: int, epoch: int) -> None:
        if math.isfinite(loss) and loss <= self.blowup * self.lowest:
            self.lowest = min(self.lowest, loss)
            return
        kept = (f"the last good weights are epoch {epoch}'s in {self.out / 'last.safetensors'}" if epoch
                else "no epoch finished, so nothing was saved")
        raise PoseappError(f"training diverged at step {step} (loss {loss:.4g}, lowest {self.lowest:.4g}): {kept}. "
                           "Lower --lr-high (poseapp train --lr-range-test suggests one) and run again.")


def _save_epoch(out: Path, record: dict, row: dict, model, optimiser, variant: str) -> None:
    """Weights, optimiser, best weights, run.json, log.csv and curves.png, each written atomically."""
    from poseapp.weights.cache import save_state

    record["history"].append(row)
    record["epoch"] = row["epoch"]
    meta = {"variant": variant, "source": f"poseapp train, epoch {row['epoch']}", "run": str(out)}
    state = state_numpy(model)
    save_state(out / "last.safetensors", state, meta)
    with replacing(out / "last.optim.pt") as tmp:
        torch.save(optimiser.state_dict(), tmp)
    if record["best"] is None or row["pckh@0.5"] >= record["best"]["pckh@0.5"]:
        record["best"] = row
        save_state(out / "best.safetensors", state, meta)
    write_json(out / "run.json", record)
    _write_log(out / "log.csv", record["history"])
    _write_curves(out / "curves.png", record["history"])


def _write_curves(path: Path, history: list[dict]) -> None:
    """Loss and validation PCKh against epoch, as a PNG beside the log."""
    from poseapp.io.images import write_image
    from poseapp.plot import line_chart

    epochs = np.array([h["epoch"] for h in history], float)
    chart = line_chart(epochs, {"training loss (MSE, all passes)": np.array([h["loss"] for h in history]),
                                "validation PCKh@0.5 (%)": np.array([h["pckh@0.5"] for h in history]),
                                "validation PCKh@0.1 (%)": np.array([h["pckh@0.1"] for h in history])},
                       columns=1, panel=(560, 170), x_unit=" ep",
                       fixed={"validation PCKh@0.5 (%)": (0, 100, 25), "validation PCKh@0.1 (%)": (0, 100, 25)})
    write_image(path, chart)


def _write_log(path: Path, history: list[dict]) -> None:
    with replacing(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(history[0]))
        w.writeheader()
        w.writerows(history)
