"""The person detector's conversion: our TFLite reader and converter against the TFLite runtime
(LiteRT) on the shared images, and our decoding against a reference written from MediaPipe's
graph (``pose_detection_cpu.pbtxt``) one anchor at a time; its fetch, import and hash check."""

from __future__ import annotations

import hashlib
import math
import shutil

import numpy as np
import pytest

from poseapp.errors import MissingWeightsError
from poseapp.inference.preprocess import crop_square, full_box, normalise
from poseapp.io.images import read_rgb
from poseapp.localise import detector
from poseapp.weights import detector_file
from tests.conftest import DETECTOR_DIR, MPII_DIR, SHARED, UPSTREAM

TFLITE = DETECTOR_DIR / "pose_detection.tflite"
IMAGES = [UPSTREAM / "MPII.jpg", *sorted(MPII_DIR.glob("*.jpg")),
          *sorted((SHARED / "data" / "mmpose-samples" / "coco").glob("*.jpg"))]


@pytest.fixture(scope="module")
def runtimes():
    """LiteRT on the file itself, and ONNX Runtime on our conversion of it."""
    import onnxruntime as ort
    from ai_edge_litert.interpreter import Interpreter

    from poseapp.weights.tflite_onnx import onnx_bytes
    from poseapp.weights.tflite_reader import TFLiteGraph

    lite = Interpreter(str(TFLITE))
    lite.allocate_tensors()
    ours = ort.InferenceSession(onnx_bytes(TFLiteGraph(TFLITE)), providers=["CPUExecutionProvider"])

    def reference(x: np.ndarray) -> dict[str, np.ndarray]:
        lite.set_tensor(lite.get_input_details()[0]["index"], x)
        lite.invoke()
        return {d["name"]: lite.get_tensor(d["index"]) for d in lite.get_output_details()}

    def converted(x: np.ndarray) -> dict[str, np.ndarray]:
        return dict(zip(("Identity", "Identity_1"), ours.run(["Identity", "Identity_1"], {"image": x})))

    return reference, converted


def detector_input(path) -> np.ndarray:
    rgb = read_rgb(path)
    return normalise(crop_square(rgb, full_box(*rgb.shape[:2]), detector.SIZE), "tf")[None]


@pytest.mark.parametrize("path", IMAGES, ids=lambda p: p.name)
def test_converted_graph_matches_the_tflite_runtime(runtimes, path):
    reference, converted = runtimes
    x = detector_input(path)
    want, got = reference(x), converted(x)
    for name in ("Identity", "Identity_1"):
        scale = np.abs(want[name]).max()
        assert np.abs(want[name] - got[name]).max() <= 1e-4 * scale + 1e-3, name


def reference_decoding(raw: np.ndarray, logits: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """MediaPipe's TensorsToDetections and weighted NonMaxSuppression as its graph configures them,
    written out anchor by anchor: (score, 4 keypoints in 0..1) per detection, best first."""
    anchors = []
    for stride, layers in ((8, 1), (16, 1), (32, 3)):  # strides 8, 16, 32, 32, 32: equal strides share a grid
        n = math.ceil(224 / stride)
        for y in range(n):
            for x in range(n):
                anchors += [((x + 0.5) / n, (y + 0.5) / n)] * (2 * layers)
    found = []
    for i, (ax, ay) in enumerate(anchors):
        score = 1 / (1 + math.exp(-min(max(float(logits[i]), -100.0), 100.0)))
        if score < 0.5:
            continue
        v = raw[i] / 224.0
        cx, cy, w, h = v[0] + ax, v[1] + ay, v[2], v[3]
        points = np.array([[v[4 + 2 * k] + ax, v[5 + 2 * k] + ay] for k in range(4)])
        found.append((score, (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), points))
    found.sort(key=lambda d: -d[0])
    out = []
    while found:
        top = found[0]
        group = [d for d in found if _iou(top[1], d[1]) > 0.3]
        total = sum(d[0] for d in group)
        out.append((top[0], sum(d[0] * d[2] for d in group) / total))
        found = [d for d in found if _iou(top[1], d[1]) <= 0.3]
    return out


def _iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@pytest.mark.parametrize("path", IMAGES, ids=lambda p: p.name)
def test_decoding_matches_the_reference_on_the_tflite_runtimes_outputs(runtimes, path):
    reference, _ = runtimes
    out = reference(detector_input(path))
    raw, logits = out["Identity"][0], out["Identity_1"][0, :, 0]
    want = reference_decoding(raw, logits)
    got = detector.decode(raw, logits)
    assert len(got) == len(want)
    for d, (score, points) in zip(got, want):
        assert d.score == pytest.approx(score, abs=1e-6)
        assert np.abs(d.points - points).max() < 1e-5


def test_the_detector_finds_the_annotated_people_of_the_mpii_images():
    """One pass per image finds every annotated MPII person: the hips' midpoint it gives lies
    within a fifth of the person's height of the annotated one."""
    from poseapp.io.mpii import load_mpii
    from poseapp.joints import INDEX

    det = detector.Detector(threads=1)
    for sample in load_mpii(MPII_DIR):
        found = det.detect(read_rgb(sample.image))
        hips = sample.joints[[INDEX["right_hip"], INDEX["left_hip"]]].mean(0)
        height = sample.scale * 200
        assert min(np.hypot(*(d.points[0] - hips)) for d in found) < 0.2 * height, sample.image.name
    assert det.passes == 5


def test_fetch_checks_the_sha256_and_import_takes_a_folder(tmp_path, monkeypatch, capsys):
    from poseapp.cli import main

    monkeypatch.setenv("POSEAPP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("POSEAPP_DETECTOR_SOURCE", DETECTOR_DIR.as_uri())  # a download through the URL code
    assert detector_file.ready_graph() is None
    assert main(["weights", "fetch", "detector"]) == 0
    graph = detector_file.ready_graph()
    assert graph is not None and detector_file.detector_file().sha256[:16] in graph.name
    assert not list((tmp_path / "cache" / "downloads").glob("*"))
    graph.unlink()

    bad = tmp_path / "bad"
    bad.mkdir()
    data = bytearray(TFLITE.read_bytes())
    data[5000] ^= 0xFF
    (bad / TFLITE.name).write_bytes(bytes(data))
    monkeypatch.setenv("POSEAPP_DETECTOR_SOURCE", bad.as_uri())
    with pytest.raises(MissingWeightsError, match="hash"):
        detector_file.ensure_detector()
    assert detector_file.ready_graph() is None
    monkeypatch.setenv("POSEAPP_DETECTOR_SOURCE", str(bad))
    with pytest.raises(MissingWeightsError, match=hashlib.sha256(bytes(data)).hexdigest()):
        detector_file.ensure_detector()

    offline = tmp_path / "offline"
    offline.mkdir()
    shutil.copy(TFLITE, offline / TFLITE.name)
    assert main(["weights", "import", str(offline)]) == 0  # a folder holding only the detector
    assert detector_file.ready_graph() is not None
    assert "imported: person detector" in capsys.readouterr().out


def test_offline_without_the_detector_the_search_finds_people(tmp_path, monkeypatch, engines, caplog):
    """No detector file and no network: the window search localises, and the log says why."""
    from poseapp.localise.localiser import make_localiser

    monkeypatch.setenv("POSEAPP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("POSEAPP_DETECTOR_SOURCE", str(tmp_path / "nowhere"))
    engine = engines("RT")
    localiser = make_localiser("auto", engine)
    assert localiser.detector is None and "no person detector" in caplog.text
    pose = localiser.locate(engine, read_rgb(MPII_DIR / "004645041.jpg"))
    assert pose.found and pose.extra["localiser"] == "window search"
