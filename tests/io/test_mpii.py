"""MPII annotation files: the shared ones load; a damaged record is one message naming it."""

from __future__ import annotations

import json

import pytest

from poseapp.cli import main
from poseapp.errors import PoseappError
from poseapp.io.mpii import load_mpii
from tests.conftest import MPII_DIR


def test_shared_annotations_load():
    samples = load_mpii(MPII_DIR)
    assert len(samples) == 5 and all(s.scale > 0 and s.joints.shape == (16, 2) for s in samples)


def _broken(tmp_path, change) -> str:
    records = json.loads((MPII_DIR / "test_mpii.json").read_text())
    change(records[2])
    (tmp_path / "test_mpii.json").write_text(json.dumps(records).replace('"__nan__"', "NaN"))
    for image in MPII_DIR.glob("*.jpg"):
        (tmp_path / image.name).symlink_to(image)
    return str(tmp_path)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r.update(scale=0), "scale must be a positive number"),
        (lambda r: r.update(scale=-1.5), "scale must be a positive number"),
        (lambda r: r.update(scale="__nan__"), "scale must be a positive number"),
        (lambda r: r.update(center=["__nan__", 3]), "center must be two finite numbers"),
        (lambda r: r.update(center=[1, 2, 3]), "center must be two finite numbers"),
        (lambda r: r["joints"].pop(), "not 16 x 2"),
        (lambda r: (r["joints"][12].__setitem__(0, "__nan__"), r["joints_vis"].__setitem__(12, 1)),
         "visible joint is NaN"),
        (lambda r: r.update(joints_vis=[1] * 15), "joints_vis must be 16"),
        (lambda r: r["joints"].__setitem__(9, list(r["joints"][8])), "head size"),
        (lambda r: r.pop("center"), "'center'"),
    ],
)
def test_a_damaged_record_is_named(tmp_path, change, message):
    folder = _broken(tmp_path, change)
    with pytest.raises(PoseappError, match="record 2") as err:
        load_mpii(folder)
    assert message in str(err.value)


def test_eval_on_a_damaged_file_exits_2_with_the_record(tmp_path, capsys):
    folder = _broken(tmp_path, lambda r: r.update(scale=0))
    assert main(["eval", "--data", folder]) == 2
    err = capsys.readouterr().err
    assert "record 2" in err and "Traceback" not in err
    (tmp_path / "test_mpii.json").write_text('{"not": "a list"}')
    assert main(["eval", "--data", folder]) == 2
