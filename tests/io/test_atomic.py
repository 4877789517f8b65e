"""Whole-file writes: never through a link, never over a pipe, a device or a folder; long legal names."""

from __future__ import annotations

import os

import pytest

from poseapp.cli import main
from poseapp.errors import PoseappError
from poseapp.io.atomic import NAME_MAX, replacing, write_json
from tests.conftest import UPSTREAM


def test_a_pipe_a_link_and_a_folder_are_never_replaced_by_a_file(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    real = tmp_path / "real.json"
    real.write_text("{}\n")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    folder = tmp_path / "folder.json"
    folder.mkdir()
    for target, word in ((fifo, "a pipe"), (link, "a link"), (folder, "a folder")):
        with pytest.raises(PoseappError, match=word):
            write_json(target, {"a": 1})
    assert fifo.is_fifo() and link.is_symlink() and real.read_text() == "{}\n" and folder.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.json", "link.json", "pipe.json", "real.json"]


def test_a_target_turned_special_while_written_is_still_not_replaced(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(PoseappError, match="a pipe"), replacing(target) as tmp:
        tmp.write_text("{}")
        os.mkfifo(target)
    assert target.is_fifo() and [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_legal_name_of_255_bytes_is_written(tmp_path):
    name = "w" * (NAME_MAX - len(".json")) + ".json"
    write_json(tmp_path / name, {"a": 1})
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_the_cli_refuses_a_link_as_out_and_leaves_what_it_points_to(tmp_path, capsys):
    real = tmp_path / "keep.png"
    real.write_bytes(b"mine")
    link = tmp_path / "out.png"
    link.symlink_to(real)
    assert main(["image", str(UPSTREAM / "MPII.jpg"), "--out", str(link)]) == 2
    assert "is a link" in capsys.readouterr().err and real.read_bytes() == b"mine" and link.is_symlink()
