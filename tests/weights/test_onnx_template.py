"""Graph templates: an install without torch converts an upstream file with the bundled layer table
and runs the variant from its weightless template, with the keypoints of the full export."""

from __future__ import annotations

import json

import numpy as np
import pytest

from poseapp.errors import PoseappError
from poseapp.inference.engine import Engine
from poseapp.io.images import read_rgb
from poseapp.model.upscale import bilinear_weight
from poseapp.weights.onnx_template import export_template, initializers, load_spec
from tests.conftest import UPSTREAM
from tests.helpers import run_without

VARIANTS = ("I", "RT_LITE")


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundled")
    for variant in VARIANTS:
        graph, _ = export_template(variant, folder / "templates")
        assert graph.stat().st_size < 400_000  # structure only: no weights inside
        assert not list((folder / "templates").glob("*.bin"))
    return folder


@pytest.mark.parametrize("variant", VARIANTS)
def test_torch_free_install_runs_a_downloaded_variant_from_its_template(bundled, tmp_path, variant):
    cache = tmp_path / "cache"
    body = (
        "import json\n"
        "from poseapp.inference.engine import Engine\n"
        "from poseapp.io.images import read_rgb\n"
        "from poseapp.weights import models\n"
        f"engine = Engine({variant!r}, backend='onnx')\n"
        f"pose = engine.predict(read_rgb({str(UPSTREAM / 'MPII.jpg')!r}))\n"
        "print(json.dumps({'keypoints': pose.keypoints.tolist(), 'graph': engine.backend.path,"
        f" 'cached': models.cached_path({variant!r}).exists()}}))\n"
    )
    env = {"POSEAPP_BUNDLED": str(bundled), "POSEAPP_CACHE": str(cache), "POSEAPP_WEIGHTS_SOURCE": str(UPSTREAM)}
    run = run_without(("torch", "torchvision", "timm", "onnx"), body, env)
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["graph"].endswith(".t2.onnx") and got["cached"]  # converted without torch, run from the template
    full = Engine(variant, backend="onnx").predict(read_rgb(UPSTREAM / "MPII.jpg"))
    np.testing.assert_allclose(np.array(got["keypoints"]), full.keypoints, atol=1e-3)


def test_a_kernel_the_template_cannot_run_is_refused(bundled):
    _, recipe = load_spec(bundled / "templates" / "EfficientPoseI.t2.json")
    steps = [s for s in recipe if s["op"] == "upscale"]
    assert {s["transpose"] for s in steps} == {False, True} and {s["n"] for s in steps} == {32}
    state = {f"upscale.{i}.weight": bilinear_weight((16, 16, 4, 4)) for i in range(3)}
    state |= {f"upscale.{i}.bias": np.zeros(16, np.float32) for i in range(3)}
    made = initializers(steps, state, "upstream's weights")
    assert {a.shape for a in made.values()} == {(256, 32), (32, 256)}
    state["upscale.1.weight"] = state["upscale.1.weight"] * np.float32(1.1)  # a trained upscaler
    with pytest.raises(PoseappError, match="not the bilinear one"):
        initializers(steps, state, "a trained checkpoint")

