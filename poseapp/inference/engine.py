"""The inference engine: preprocess -> backend -> decode, for single images and batches."""

from __future__ import annotations

import cv2
import numpy as np

from poseapp.errors import PoseappError
from poseapp.inference.backends import Backend, create_backend
from poseapp.inference.decode import peaks, to_image
from poseapp.inference.preprocess import full_box, preprocess
from poseapp.joints import FLIP
from poseapp.model.variants import Variant
from poseapp.pose import Box, Pose
from poseapp.weights.download import Progress
from poseapp.weights.models import resolve

#: The shortest image side the model is run on: below it nobody can be seen, and a search over a
#: thin strip would need thousands of windows.
MIN_SIDE = 32


def check_shape(rgb: np.ndarray) -> None:
    """PoseappError for an image the model cannot use: not HxWx3, or a side under ``MIN_SIDE`` pixels."""
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise PoseappError(f"an image of shape {rgb.shape} is not a colour image")
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise PoseappError(f"a {rgb.shape[1]}x{rgb.shape[0]} image is too small: poseapp needs at least "
                           f"{MIN_SIDE} pixels on each side")


def snap(box: Box) -> Box:
    """Round a box to whole pixels, as the crop does, so decoding undoes exactly that crop."""
    return Box(int(round(box.x)), int(round(box.y)), max(1, int(round(box.size))), box.angle)


def onto(maps: np.ndarray, src: Box, dst: Box, size: int) -> np.ndarray:
    """(J, S, S) heatmaps of crop ``src`` resampled onto crop ``dst``'s pixels (zero outside ``src``)."""
    a = dst.size / src.size
    c = np.array([dst.x - src.x, dst.y - src.y]) * size / src.size + 0.5 * a - 0.5
    warp = np.array([[a, 0, c[0]], [0, a, c[1]]], np.float32)
    out = cv2.warpAffine(np.ascontiguousarray(maps.transpose(1, 2, 0)), warp, (size, size),
                         flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT)
    return out.reshape(size, size, -1).transpose(2, 0, 1)


class Engine:
    """Runs one EfficientPose model (an official variant or an imported trained one) on crops of RGB images.

    flip: average the heatmaps of each crop and its mirror image (left/right swapped), as the
    paper's test-time augmentation; twice the compute.
    scales: multi-scale testing: each crop is also run at these sizes relative to it (same centre)
    and the heatmaps, warped back onto the crop, are averaged; 1.0 (the crop) is always one.
    refine: sub-pixel peak refinement in decoding (off reproduces upstream's decoding exactly).
    backend: 'auto' (ONNX Runtime on CPU, torch on a GPU), 'onnx', 'torch', or a ready Backend.
    spin: let ONNX Runtime's threads busy-wait (faster alone; off where other threads need the CPU).
    """

    def __init__(self, model: str = "RT", device: str = "auto", backend: Backend | str = "auto",
                 flip: bool = False, refine: bool = True, threads: int | None = None,
                 progress: Progress | None = None, spin: bool = True, scales: tuple[float, ...] = (1.0,)) -> None:
        ref = resolve(model)
        self.model: str = ref.name
        self.variant: Variant = ref.variant
        self.flip = flip
        self.refine = refine
        self.spin = spin
        self.threads = threads
        if not scales or min(scales) <= 0:
            raise PoseappError(f"test scales must be positive, not {scales}")
        self.scales = tuple(sorted({1.0, *(float(x) for x in scales)}))
        if isinstance(backend, str):
            backend = create_backend(ref, device, backend, threads, progress, spin)
        self.backend = backend

    @property
    def size(self) -> int:
        return self.variant.resolution

    @property
    def passes(self) -> int:
        """Forward passes per crop: one per scale, twice with flip."""
        return len(self.scales) * (1 + self.flip)

    def heatmaps(self, batch: np.ndarray, flip: bool | None = None) -> np.ndarray:
        """Final heatmaps for a preprocessed NHWC batch, flip-averaged when asked (None: ``self.flip``)."""
        if not (self.flip if flip is None else flip):
            return self.backend.run(batch)
        both = self.backend.run(np.concatenate([batch, batch[:, :, ::-1]]))
        n = len(batch)
        mirrored = both[n:, list(FLIP), :, ::-1]
        return 0.5 * (both[:n] + mirrored)

    def _crops(self, images: list[np.ndarray], boxes: list[Box]) -> np.ndarray:
        return np.stack([preprocess(im, b, self.size, self.variant.normalisation) for im, b in zip(images, boxes)])

    def _crop_heatmaps(self, images: list[np.ndarray], boxes: list[Box], flip: bool | None) -> np.ndarray:
        return self.heatmaps(self._crops(images, boxes), flip)

    def predict(self, rgb: np.ndarray, box: Box | None = None) -> Pose:
        """The pose in one HxWx3 uint8 RGB image; ``box`` None means upstream's whole frame."""
        return self.predict_batch([rgb], [box])[0]

    def predict_batch(self, images: list[np.ndarray], boxes: list[Box | None], flip: bool | None = None) -> list[Pose]:
        """Poses for several images (or several crops of one image) in one forward pass."""
        for im in {id(im): im for im in images}.values():
            check_shape(im)
        boxes = [snap(b if b is not None else full_box(*im.shape[:2])) for im, b in zip(images, boxes)]
        # On a GPU the heatmaps are decoded where they are (on a CPU, OpenCV's blur is the faster)
        summits = getattr(self.backend, "summits", None) if self.backend.device != "cpu" else None
        if summits is not None and len(self.scales) == 1 and not (self.flip if flip is None else flip):
            points = summits(self._crops(images, boxes), self.refine)  # decoded where the model ran
            return [Pose(to_image(p, b, self.size), b, self.model) for p, b in zip(points, boxes)]
        maps = self._crop_heatmaps(images, boxes, flip)
        for scale in (s for s in self.scales if s != 1.0):
            scaled = [snap(b.scaled(scale)) for b in boxes]
            other = self._crop_heatmaps(images, scaled, flip)
            maps = maps + np.stack([onto(m, src, dst, self.size) for m, src, dst in zip(other, scaled, boxes)])
        maps = maps / len(self.scales) if len(self.scales) > 1 else maps
        return [Pose(to_image(peaks(m, self.refine), b, self.size), b, self.model)
                for m, b in zip(maps, boxes)]
