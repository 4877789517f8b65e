"""torchrun with two CPU processes (Gloo) trains exactly what one process with their joint batch
trains: the draws are shared out and DistributedDataParallel averages the gradients."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from safetensors.numpy import load_file

from poseapp.weights import install
from tests.conftest import MPII_DIR

# BatchNorm is frozen when fine-tuning official weights, so per-process batches of 2 normalise
# exactly like one batch of 4 and the two runs must agree to rounding.
ARGS = ["train", "--variant", "RT", "--data", str(MPII_DIR), "--epochs", "1", "--steps-per-epoch", "3",
        "--init", "official", "--val-fraction", "0", "--lr-low", "1e-3", "--lr-high", "1e-2", "--seed", "3"]


@pytest.mark.slow
def test_two_processes_under_torchrun_equal_one_with_the_joint_batch(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    two, one = tmp_path / "two", tmp_path / "one"
    launched = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                               "-m", "poseapp", *ARGS, "--batch", "2", "--out", str(two)],
                              capture_output=True, text=True, env=env, timeout=900)
    assert launched.returncode == 0, launched.stderr[-3000:]
    single = subprocess.run([sys.executable, "-m", "poseapp", *ARGS, "--batch", "4", "--out", str(one)],
                            capture_output=True, text=True, env=env, timeout=900)
    assert single.returncode == 0, single.stderr[-3000:]
    run_two, run_one = (json.loads((d / "run.json").read_text()) for d in (two, one))
    assert run_two["processes"] == 2 and run_two["global_batch"] == 4 == run_one["global_batch"]
    assert run_two["step"] == run_one["step"] == 3
    assert run_two["history"][0]["loss"] == pytest.approx(run_one["history"][0]["loss"], rel=1e-4)
    a, b = load_file(str(two / "last.safetensors")), load_file(str(one / "last.safetensors"))
    start = install.load_state("RT")
    trained = max(float(np.abs(b[k] - start[k]).max()) for k in b)
    apart = max(float(np.abs(a[k] - b[k]).max()) for k in a)
    assert trained > 1e-5 and apart < 0.01 * trained  # both moved, and moved alike
    assert launched.stdout.count('"epochs"') == 1  # only the first process reports
