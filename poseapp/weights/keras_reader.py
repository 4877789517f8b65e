"""Reads weights by layer name from an upstream Keras .h5 file (h5py; no TensorFlow)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from poseapp.errors import PoseappError


class KerasWeights:
    """Layer name -> {'kernel', 'bias', 'gamma', ...: array} for a Keras HDF5 model file."""

    def __init__(self, path: Path) -> None:
        import h5py

        try:
            with h5py.File(path, "r") as f:
                config = json.loads(f.attrs["model_config"])
                group = f["model_weights"]
                self.layers: dict[str, dict[str, np.ndarray]] = {}
                for layer in group.attrs["layer_names"]:
                    name = layer.decode() if isinstance(layer, bytes) else str(layer)
                    names = group[name].attrs.get("weight_names", [])
                    self.layers[name] = {
                        _short(w): np.asarray(group[name][w.decode() if isinstance(w, bytes) else w])
                        for w in names
                    }
        except (OSError, KeyError, ValueError) as exc:
            raise PoseappError(f"{path} is not a readable Keras model file: {exc}") from exc
        self.input_size = config["config"]["layers"][0]["config"]["batch_input_shape"][1]

    def __getitem__(self, layer: str) -> dict[str, np.ndarray]:
        if layer not in self.layers:
            raise PoseappError(f"the Keras file has no layer {layer!r}: is it the right variant?")
        return self.layers[layer]


def _short(weight_name: bytes | str) -> str:
    """'block1a_dwconv_res1/depthwise_kernel:0' -> 'depthwise_kernel'."""
    s = weight_name.decode() if isinstance(weight_name, bytes) else weight_name
    return s.rsplit("/", 1)[-1].split(":")[0]
