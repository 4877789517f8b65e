"""Graph templates: how a torch-free install runs variants whose graphs it could not export.

A template is a variant's exported graph with every weight left out (its initializers point to
external data that is never shipped: about a hundred kilobytes, no upstream numbers in it), and a
JSON beside it holding the layer table that converts an upstream file without torch and the
recipe that turns our state dict into the graph's initializers (a copy, a factor that the export
folded in, or the upscaler's matrix, made again in numpy once the weights' upscaler is checked
to be upstream's bilinear one: ``model/upscale.py``). ONNX Runtime
takes the arrays through ``SessionOptions.add_external_initializers`` before it optimises the
graph, so a template runs exactly as fast as, and gives the same heatmaps as, a full export.

``export_template`` (build time, torch and onnx) writes both files; the rest needs numpy only.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from poseapp.errors import PoseappError
from poseapp.model.upscale import bilinear_weight, is_bilinear, upscale_matrix
from poseapp.weights.convert import LayerTable

TEMPLATE_VERSION = 2


def template_paths(folder: Path, variant: str) -> tuple[Path, Path]:
    """The graph and the JSON of ``variant``'s template in ``folder``."""
    stem = f"EfficientPose{variant}.t{TEMPLATE_VERSION}"
    return folder / f"{stem}.onnx", folder / f"{stem}.json"


def template_for(variant: str) -> tuple[Path, Path] | None:
    """The packaged app's template of ``variant`` (its graph and JSON), or None."""
    from poseapp.weights.cache import bundled_dir

    folder = bundled_dir()
    if folder is None:
        return None
    paths = template_paths(folder / "templates", variant)
    return paths if all(p.is_file() for p in paths) else None


def template_table(variant: str) -> LayerTable:
    """The layer table that converts ``variant``'s upstream file without torch."""
    found = template_for(variant)
    if found is None:
        raise PoseappError(f"converting the {variant} weights needs torch, or this app's bundled graph templates")
    return load_spec(found[1])[0]


def load_spec(json_path: Path) -> tuple[LayerTable, list[dict]]:
    """The layer table and the initializer recipe of a template."""
    data = json.loads(Path(json_path).read_text())
    return LayerTable.from_dict(data["table"]), data["recipe"]


def initializers(recipe: list[dict], state: dict[str, np.ndarray], source: str) -> dict[str, np.ndarray]:
    """The graph's initializers made from our state dict, following the recipe."""
    out = {}
    for step in recipe:
        if step["op"] == "upscale":
            out[step["name"]] = _upscale(step, state, source)
            continue
        value = state[step["key"]]
        out[step["name"]] = np.ascontiguousarray(value * np.float32(step.get("factor", 1.0)), np.float32)
    return out


def _upscale(step: dict, state: dict[str, np.ndarray], source: str) -> np.ndarray:
    """The upscaler's matrix (or its transpose), when the weights' upscaler is exactly bilinear."""
    layers = sorted(k for k in state if k.startswith("upscale.") and k.endswith(".weight"))
    if not layers or not all(is_bilinear(state[k], state.get(k.removesuffix("weight") + "bias")) for k in layers):
        raise PoseappError(f"{source}: its upscaler is not the bilinear one, which this install's graph for the "
                           "variant cannot run; it needs the full build (with torch) to export one")
    a = upscale_matrix(step["n"], step["steps"])
    return np.ascontiguousarray(a.T if step["transpose"] else a)


def export_template(variant: str, folder: Path) -> tuple[Path, Path]:
    """Write ``variant``'s template and its JSON into ``folder`` (needs torch and onnx).

    The recipe is found by probing: the module is filled with distinct random values (the upscaler
    bilinear, as every upstream file has it), exported, and each initializer is matched to the
    state-dict entry it came from and the operation that made it.
    """
    import os
    import tempfile

    import onnx
    from onnx import numpy_helper
    from onnx.external_data_helper import convert_model_to_external_data

    from poseapp.weights.convert import layer_table
    from poseapp.weights.onnx_export import export_onnx

    table = layer_table(variant)
    rng = np.random.default_rng(0)
    probe = {k: (rng.uniform(0.5, 1.5, s) * rng.choice([-1, 1], s)).astype(np.float32) for k, s in table.shapes.items()}
    for k, v in probe.items():
        if k.endswith("running_var"):
            probe[k] = np.abs(v)
        if k.startswith("upscale."):  # bilinear and without bias, as upstream's: exported as matrices
            probe[k] = bilinear_weight(v.shape) if k.endswith(".weight") else np.zeros_like(v)
    folder.mkdir(parents=True, exist_ok=True)
    graph_path, json_path = template_paths(folder, variant)
    with tempfile.TemporaryDirectory() as tmp:
        full = export_onnx(variant, probe, Path(tmp) / "probe.onnx", "a probe", fold=False)
        model = onnx.load(str(full))
    recipe = [_match(init.name, numpy_helper.to_array(init), probe) for init in model.graph.initializer]
    convert_model_to_external_data(model, all_tensors_to_one_file=True, location="never-shipped.bin",
                                   size_threshold=0)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        onnx.save_model(model, os.path.join(tmp, graph_path.name))
        os.replace(os.path.join(tmp, graph_path.name), graph_path)  # the external data file stays behind
    json_path.write_text(json.dumps({"version": TEMPLATE_VERSION, "table": table.as_dict(), "recipe": recipe}))
    return graph_path, json_path


def _match(name: str, value: np.ndarray, probe: dict[str, np.ndarray]) -> dict:
    """Which probe entry an initializer holds, and how (copy, folded factor, diagonal, or the
    upscaler's matrix)."""
    if value.ndim == 2:
        for transpose in (False, True):
            a = value.T if transpose else value
            n, steps = a.shape[1], int(round(np.log2(max(a.shape[0], 1) / max(a.shape[1], 1))))
            if steps > 0 and a.shape[0] == n * 2**steps and np.array_equal(a, upscale_matrix(n, steps)):
                return {"name": name, "op": "upscale", "n": n, "steps": steps, "transpose": transpose}
    key = name.removeprefix("net.")
    parts = key.split(".")
    candidates = [key] + [".".join(parts[:i] + parts[i + 1:]) for i, p in enumerate(parts) if p == "1"]
    for cand in candidates:
        src = probe.get(cand)
        if src is None:
            continue
        if src.shape == value.shape:
            factor = float(np.sum(value * src) / np.sum(src * src))
            if np.allclose(value, src * factor, rtol=1e-5, atol=1e-6):
                step = {"name": name, "key": cand, "op": "copy"}
                return step if abs(factor - 1) < 1e-6 else {**step, "factor": float(f"{factor:.6g}")}
        channels = src.shape[0]
        if src.ndim == 4 and src.shape[1] == channels and value.shape == (channels, 1, *src.shape[2:]):
            if np.allclose(value, src[np.arange(channels), np.arange(channels)][:, None]):
                return {"name": name, "key": cand, "op": "diag"}
    raise PoseappError(f"template export: cannot tell where initializer {name} comes from")
