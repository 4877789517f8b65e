"""Training RT for a few dozen steps on the five shared MPII images, on CPU: the loss falls, the
checkpoint saves, resumes and reloads, and `poseapp eval --weights` runs on it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from poseapp.cli import main
from poseapp.inference.backends import OnnxBackend, TorchBackend
from poseapp.io.images import read_rgb
from poseapp.training.trainer import TrainOptions, load_data, train
from poseapp.weights import models
from poseapp.weights.cache import load_state_file
from poseapp.weights.graphs import checkpoint_graph
from tests.conftest import MPII_DIR


@pytest.mark.slow
def test_train_resume_and_eval(tmp_path, capsys):
    run = tmp_path / "run"
    options = TrainOptions(variant="RT", data=str(MPII_DIR), out=str(run), epochs=2, steps_per_epoch=15, batch=4,
                           init="scratch", val_fraction=0, lr_high=0.05, cycle_epochs=2)
    first = train(options, say=lambda m: None)
    assert first["epoch"] == 2 and (run / "best.safetensors").exists() and (run / "last.optim.pt").exists()
    resumed = train(TrainOptions(**{**options.__dict__, "epochs": 3}), say=lambda m: None)
    losses = [h["loss"] for h in resumed["history"]]
    assert resumed["epoch"] == 3 and len(losses) == 3 and resumed["step"] == 45
    assert losses[-1] < 0.5 * losses[0]
    assert (run / "log.csv").read_text().count("\n") == 4
    curves = read_rgb(run / "curves.png")
    assert curves.shape[0] > 300 and (curves < 128).any()  # three panels with curves drawn
    capsys.readouterr()
    assert main(["eval", "--data", str(MPII_DIR), "--weights", str(run / "best.safetensors"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "RT" and result["images"] == 5
    # that ran the checkpoint's ONNX graph, written without torch: what the trained module computes
    variant, graph = checkpoint_graph(run / "best.safetensors")
    image = read_rgb(sorted(MPII_DIR.glob("*.jpg"))[0])[None, :224, :224].astype(np.float32) / 127.5 - 1
    trained = TorchBackend(variant, load_state_file(run / "best.safetensors")).run(image)
    assert np.abs(OnnxBackend(str(graph), 1).run(image) - trained).max() <= 1e-4 * np.abs(trained).max() + 1e-6
    assert main(["weights", "import", str(run), "--name", "rt-from-scratch"]) == 0
    capsys.readouterr()
    try:  # the imported model runs like a variant: exported to ONNX, picked by name
        assert main(["eval", "--data", str(MPII_DIR), "--model", "rt-from-scratch", "--json"]) == 0
        imported = json.loads(capsys.readouterr().out)
        assert imported["model"] == "rt-from-scratch"
        assert imported["overall"]["0.5"] == pytest.approx(result["overall"]["0.5"], abs=3)
    finally:
        models.cached_path("rt-from-scratch").unlink()


@pytest.mark.slow
def test_fine_tuning_official_weights_does_not_collapse(tmp_path):
    run = tmp_path / "tune"
    options = TrainOptions(variant="RT", data=str(MPII_DIR), out=str(run), epochs=1, steps_per_epoch=10, batch=4,
                           init="official", val_fraction=0, lr_low=1e-5, lr_high=1e-4)
    record = train(options, say=lambda m: None)
    assert record["best"]["pckh@0.5"] >= 90  # the official RT scores 98.7 on these images


@pytest.mark.slow
def test_lr_range_test_stops_where_the_loss_diverges():
    from poseapp.training.trainer import lr_range_test

    options = TrainOptions(variant="RT", data=str(MPII_DIR), batch=2, init="scratch")
    verdict, curve = lr_range_test(options, steps=8, low=1e-4, high=1e3, say=lambda m: None)
    rates = [r for r, _ in curve]
    assert rates[0] == pytest.approx(1e-4) and verdict["highest_stable"] in rates and verdict["highest_stable"] < 1e3
    assert verdict["suggested"] <= verdict["lowest_loss"] / 10 < verdict["highest_stable"]


def test_a_diverging_run_stops_with_a_message_and_keeps_good_weights(tmp_path):
    """A peak rate far past the range test's: the run stops within a few steps, saying so, instead
    of training on NaN; no NaN weights are written."""
    from poseapp.errors import PoseappError

    options = TrainOptions(variant="RT", data=str(MPII_DIR), out=str(tmp_path / "run"), epochs=3, batch=2,
                           steps_per_epoch=40, init="scratch", lr_low=5.0, lr_high=10.0, val_fraction=0.2)
    with pytest.raises(PoseappError, match="training diverged at step"):
        train(options, say=lambda m: None)
    assert not (tmp_path / "run" / "last.safetensors").exists()
    (tmp_path / "run" / "run.json").write_text("{not json")
    (tmp_path / "run" / "last.safetensors").write_bytes(b"")
    with pytest.raises(PoseappError, match="cannot resume"):
        train(options, say=lambda m: None)


def test_the_data_sets_own_split_files_are_used(tmp_path):
    records = json.loads((MPII_DIR / "test_mpii.json").read_text())
    for image in {r["image"] for r in records}:
        (tmp_path / image).symlink_to(MPII_DIR / image)
    (tmp_path / "mpii_train.json").write_text(json.dumps(records[:3]))
    (tmp_path / "mpii_val.json").write_text(json.dumps(records[3:]))
    train_set, val_set, how = load_data(TrainOptions(data=str(tmp_path)))
    assert len(train_set) == 3 and len(val_set) == 2 and "mpii_val.json" in how
    mixed, held, how = load_data(TrainOptions(data=str(MPII_DIR), val_fraction=0.4, seed=1))
    assert len(mixed) == 3 and len(held) == 2 and "seeded" in how
    assert not {id(s) for s in mixed} & {id(s) for s in held}
