"""Resolution order, hash checks and downloads through the real URL code (file:// here)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from poseapp.errors import PoseappError
from poseapp.model.variants import get_variant
from poseapp.weights import cache, graphs, install, models, trained
from poseapp.weights.download import fetch
from poseapp.weights.manifest import git_blob_id, load_manifest
from poseapp.weights.tflite_reader import TFLiteGraph
from tests.conftest import UPSTREAM


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("POSEAPP_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_manifest_pins_upstream_and_blob_ids_match_shared_files():
    m = load_manifest()
    assert m.commit == "78e4bd1913780dd565efe35db03a4aec75907e8c"
    assert m.base_url.startswith("https://raw.githubusercontent.com/daniegr/EfficientPose/78e4bd1")
    for line in (UPSTREAM / "BLOB_IDS.txt").read_text().splitlines():
        blob, path = line.split()
        local = UPSTREAM / path.removeprefix("models/")
        if local.exists():
            assert git_blob_id(local.read_bytes()) == blob
    assert {f.path for f in m.files_for("IV")} == {"tflite/EfficientPoseIV.tflite", "keras/EfficientPoseIV.h5"}


def test_download_from_file_url_converts_and_caches(own_cache, monkeypatch):
    monkeypatch.setenv("POSEAPP_WEIGHTS_SOURCE", UPSTREAM.as_uri())
    seen = []
    path = install.ensure_weights("RT_LITE", lambda done, total: seen.append(done) or True)
    assert path.exists() and install.status("RT_LITE") == install.CACHED
    assert seen and seen[-1] == (UPSTREAM / "tflite/EfficientPoseRT_LITE.tflite").stat().st_size
    assert not list((own_cache / "downloads").glob("*"))  # the raw download is not kept
    state = install.load_state("RT_LITE")
    assert all(v.dtype == np.float32 for v in state.values())


def test_corrupt_download_names_both_hashes_and_caches_nothing(own_cache, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "tflite").mkdir(parents=True)
    data = bytearray((UPSTREAM / "tflite/EfficientPoseRT.tflite").read_bytes())
    data[1000] ^= 0xFF
    (mirror / "tflite/EfficientPoseRT.tflite").write_bytes(bytes(data))
    monkeypatch.setenv("POSEAPP_WEIGHTS_SOURCE", mirror.as_uri())
    with pytest.raises(PoseappError) as err:
        install.ensure_weights("RT")
    msg = str(err.value)
    assert "EfficientPoseRT.tflite" in msg and git_blob_id(bytes(data)) in msg and "98c4c1c48ea7" in msg
    assert not models.cached_path("RT").exists()
    assert not list((own_cache / "downloads").glob("*"))


def test_interrupted_part_file_is_restarted_cleanly(tmp_path):
    src = UPSTREAM / "tflite/EfficientPoseRT_LITE.tflite"
    dest = tmp_path / "x.tflite"
    (tmp_path / "x.tflite.part").write_bytes(b"garbage from an earlier, broken run")
    fetch(src.as_uri(), dest, git_blob_id(src.read_bytes()))
    assert dest.read_bytes() == src.read_bytes()
    assert not (tmp_path / "x.tflite.part").exists()


def test_offline_gives_clear_message(own_cache, monkeypatch):
    monkeypatch.setenv("POSEAPP_WEIGHTS_SOURCE", "http://127.0.0.1:9/models/")
    with pytest.raises(PoseappError, match="could not download .*POSEAPP_WEIGHTS_SOURCE"):
        install.ensure_weights("RT")


def test_folder_source_missing_variant_is_reported(own_cache):
    assert install.status("III") == install.MISSING
    with pytest.raises(PoseappError, match="no weights for III"):
        install.ensure_weights("III")


def test_import_folder_flat_layout_and_wrong_file(own_cache, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    shutil.copy(UPSTREAM / "keras/EfficientPoseI_LITE.h5", flat)
    assert install.import_folder(flat) == ["I_LITE"]
    assert install.status("I_LITE") == install.CACHED
    shutil.copy(UPSTREAM / "tflite/EfficientPoseRT.tflite", flat / "EfficientPoseI.tflite")
    with pytest.raises(PoseappError, match="is not the upstream tflite/EfficientPoseI.tflite"):
        install.import_folder(flat)


def test_keras_and_tflite_conversions_agree():
    from poseapp.weights.convert import convert

    keras = convert(UPSTREAM / "keras/EfficientPoseRT.h5", "RT")
    tfl = convert(UPSTREAM / "tflite/EfficientPoseRT.tflite", "RT")
    assert keras.keys() == tfl.keys()
    w = "pass3.head.weight"
    assert np.abs(keras[w] - tfl[w]).max() < 1e-3  # TFLite stores float16 weights


def test_converter_rejects_other_variants_file():
    from poseapp.weights.convert import convert

    with pytest.raises(PoseappError, match="takes 224px input but I takes 256px"):
        convert(UPSTREAM / "tflite/EfficientPoseRT.tflite", "I")


def test_tflite_reader_rejects_non_tflite(tmp_path):
    bad = tmp_path / "x.tflite"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(PoseappError, match="not a TFLite model"):
        TFLiteGraph(bad)


def test_trained_checkpoint_imports_and_runs_like_the_weights_it_holds(tmp_path, capsys):
    """A `poseapp train` checkpoint holding the official RT weights becomes a model of its own that
    every path (CLI, ONNX engine, result identity) treats like a variant, and gives RT's keypoints."""
    from poseapp.cli import main
    from poseapp.inference.engine import Engine
    from poseapp.io.images import read_rgb

    run = tmp_path / "clinic-run"
    cache.save_state(run / "best.safetensors", install.load_state("RT"),
                     {"variant": "RT", "source": "poseapp train, epoch 3", "run": str(run)})
    assert main(["weights", "import", str(run)]) == 0
    assert "clinic-run" in capsys.readouterr().out
    assert models.trained_models() == {"clinic-run": "RT"}
    assert models.resolve("CLINIC-RUN") == models.ModelRef("clinic-run", get_variant("RT"))
    identity = install.weights_identity("clinic-run")
    assert identity["trained_model"] == "clinic-run" and identity["run"] == str(run)
    rgb = read_rgb(UPSTREAM / "MPII.jpg")
    mine, official = Engine("clinic-run", backend="onnx").predict(rgb), Engine("RT", backend="onnx").predict(rgb)
    assert mine.variant == "clinic-run"
    np.testing.assert_allclose(mine.keypoints, official.keypoints, atol=1e-4)
    assert main(["weights", "list"]) == 0 and "trained RT" in capsys.readouterr().out
    cache.trained_dir().joinpath("clinic-run.safetensors").unlink()
    graphs.ensure_onnx("RT")  # re-exporting an official graph leaves other models' graphs alone


def test_trained_checkpoint_import_refuses_bad_files(tmp_path):
    state = install.load_state("RT")
    unnamed = cache.save_state(tmp_path / "a" / "best.safetensors", state, {"source": "somewhere"})
    with pytest.raises(PoseappError, match="which variant"):
        trained.import_checkpoint(unnamed)
    wrong = cache.save_state(tmp_path / "b" / "best.safetensors", state, {"variant": "I"})
    with pytest.raises(PoseappError, match="do not fit I"):
        trained.import_checkpoint(wrong)
    good = cache.save_state(tmp_path / "c" / "best.safetensors", state, {"variant": "RT"})
    with pytest.raises(PoseappError, match="official variant"):
        trained.import_checkpoint(good, "ii-lite")
    (tmp_path / "junk.safetensors").write_text("not a checkpoint")
    with pytest.raises(PoseappError, match="not a safetensors"):
        trained.import_checkpoint(tmp_path / "junk.safetensors")
    with pytest.raises(PoseappError, match="unknown model 'nobody'"):
        models.resolve("nobody")
    assert not models.trained_models()


def test_bundled_graph_runs_without_weights_or_network(tmp_path, monkeypatch):
    """A packaged app's first start: nothing cached, offline, the bundled RT graph is used as it is."""
    import os

    graph = graphs.ensure_onnx("RT")  # the session cache's graph, before the empty cache takes over
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    shutil.copy2(graph, bundled / graph.name)
    stale = bundled / graph.name.replace(graph.name.rsplit("-", 1)[1], "g0.onnx")
    shutil.copy2(graph, stale)
    os.utime(stale, (2e9, 2e9))  # newer, but of an old graph layout: never picked
    empty = tmp_path / "first-start-cache"
    monkeypatch.setenv("POSEAPP_CACHE", str(empty))
    monkeypatch.setenv("POSEAPP_BUNDLED", str(bundled))
    monkeypatch.setenv("POSEAPP_WEIGHTS_SOURCE", "http://127.0.0.1:9/models/")
    assert graphs.ensure_onnx("RT") == bundled / graph.name
    assert not empty.exists()  # nothing downloaded, converted or exported


def test_status_says_what_is_really_there(own_cache, tmp_path, monkeypatch):
    """Offline with nothing cached: every variant needs a download; a folder source holds only
    what is in it (III and IV are not in upstream's shared folder)."""
    monkeypatch.delenv("POSEAPP_WEIGHTS_SOURCE")
    assert {install.status(v) for v in ("RT", "III", "IV")} == {install.DOWNLOAD}
    monkeypatch.setenv("POSEAPP_WEIGHTS_SOURCE", str(UPSTREAM))
    assert install.status("RT") == install.IN_SOURCE and install.status("IV") == install.MISSING
    install.import_folder(UPSTREAM)
    assert install.status("RT") == install.CACHED and install.status("IV") == install.MISSING
    models.cached_path("I").unlink()
    models.cached_path("I").mkdir()  # a folder where the file should be is not weights
    assert install.status("I") != install.CACHED
    with pytest.raises(PoseappError, match="not a regular file"):
        cache.sha256(models.cached_path("I"))


def test_download_is_cut_off_past_the_limit(tmp_path):
    endless = tmp_path / "endless.tflite"
    with open(endless, "wb") as f:
        f.truncate(3 * 2**20)
    with pytest.raises(PoseappError, match="sent more than 1.0 MB"):
        fetch(endless.as_uri(), tmp_path / "got.tflite", "0" * 40, limit=2**20)
    assert not list(tmp_path.glob("got*"))


def test_non_finite_weights_and_case_twins_are_refused(tmp_path):
    state = install.load_state("RT")
    key = next(iter(state))
    for name, value, message in (("nan", np.full_like(state[key], np.nan), "NaN or infinite"),
                                 ("huge", state[key] * 1e30, "over 1e\\+06 in size"),
                                 ("int8", state[key].astype(np.int8), "int8 values")):
        path = cache.save_state(tmp_path / name / "best.safetensors", {**state, key: value}, {"variant": "RT"})
        with pytest.raises(PoseappError, match=message):
            trained.import_checkpoint(path, f"{name}model")
    good = cache.save_state(tmp_path / "ok" / "best.safetensors", state, {"variant": "RT"})
    for bad_name in ("knee\nmodel", "tab\tmodel", "k" * 101):
        with pytest.raises(PoseappError, match="cannot name a model"):
            trained.import_checkpoint(good, bad_name)
    try:
        assert trained.import_checkpoint(good, "kneemodel") == "kneemodel"
        with pytest.raises(PoseappError, match="differ only in case"):
            trained.import_checkpoint(good, "KNEEMODEL")
        assert models.resolve("KNEEMODEL").name == "kneemodel"
    finally:
        models.cached_path("kneemodel").unlink()


def test_download_progress_is_plain_lines_in_a_log(capsys):
    from poseapp.weights.download import text_progress

    report = text_progress("EfficientPoseRT")
    for done in (0, 50_000, 100_000):
        assert report(done, 100_000)
    err = capsys.readouterr().err
    assert "\r" not in err
    assert err.splitlines() == ["EfficientPoseRT: downloading (0.1 MB)", "EfficientPoseRT: downloaded"]
