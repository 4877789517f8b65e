"""The inference engine: preprocess -> backend -> decode, for single images and batches."""

from __future__ import annotations

import numpy as np

from poseapp.inference.backends import Backend, create_backend
from poseapp.inference.decode import peaks, to_image
from poseapp.inference.preprocess import full_box, preprocess
from poseapp.joints import FLIP
from poseapp.model.variants import Variant, get_variant
from poseapp.pose import Box, Pose
from poseapp.weights.download import Progress


def snap(box: Box) -> Box:
    """Round a box to whole pixels, as the crop does, so decoding undoes exactly that crop."""
    return Box(int(round(box.x)), int(round(box.y)), max(1, int(round(box.size))))


class Engine:
    """Runs one EfficientPose variant on crops of RGB images.

    flip: average the heatmaps of each crop and its mirror image (left/right swapped), as the
    paper's test-time augmentation; twice the compute.
    refine: sub-pixel peak refinement in decoding (off reproduces upstream's decoding exactly).
    backend: 'auto' (ONNX Runtime on CPU, torch on a GPU), 'onnx', 'torch', or a ready Backend.
    spin: let ONNX Runtime's threads busy-wait (faster alone; off where other threads need the CPU).
    """

    def __init__(self, variant: str = "RT", device: str = "auto", backend: Backend | str = "auto",
                 flip: bool = False, refine: bool = True, threads: int | None = None,
                 progress: Progress | None = None, spin: bool = True) -> None:
        self.variant: Variant = get_variant(variant)
        self.flip = flip
        self.refine = refine
        self.spin = spin
        if isinstance(backend, str):
            backend = create_backend(self.variant.name, device, backend, threads, progress, spin)
        self.backend = backend

    @property
    def size(self) -> int:
        return self.variant.resolution

    def heatmaps(self, batch: np.ndarray, flip: bool | None = None) -> np.ndarray:
        """Final heatmaps for a preprocessed NHWC batch, flip-averaged when asked (None: ``self.flip``)."""
        if not (self.flip if flip is None else flip):
            return self.backend.run(batch)
        both = self.backend.run(np.concatenate([batch, batch[:, :, ::-1]]))
        n = len(batch)
        mirrored = both[n:, list(FLIP), :, ::-1]
        return 0.5 * (both[:n] + mirrored)

    def predict(self, rgb: np.ndarray, box: Box | None = None) -> Pose:
        """The pose in one HxWx3 uint8 RGB image; ``box`` None means upstream's whole frame."""
        return self.predict_batch([rgb], [box])[0]

    def predict_batch(self, images: list[np.ndarray], boxes: list[Box | None], flip: bool | None = None) -> list[Pose]:
        """Poses for several images (or several crops of one image) in one forward pass."""
        boxes = [snap(b if b is not None else full_box(*im.shape[:2])) for im, b in zip(images, boxes)]
        batch = np.stack([preprocess(im, b, self.size, self.variant.normalisation)
                          for im, b in zip(images, boxes)])
        maps = self.heatmaps(batch, flip)
        return [Pose(to_image(peaks(m, self.refine), b, self.size), b, self.variant.name)
                for m, b in zip(maps, boxes)]
