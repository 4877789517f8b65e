"""The waiting lock: a second holder waits for the first instead of failing (what lets batch
workers start on a model's first use together); the run lock still refuses a second run."""

from __future__ import annotations

import threading

import pytest

from poseapp.errors import PoseappError
from poseapp.io.folder_lock import folder_lock, waiting_lock


def test_a_second_holder_waits_for_the_first(tmp_path):
    order: list[str] = []
    first_in, release, second_in = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with waiting_lock(tmp_path / "x.lock"):
            order.append("first in")
            first_in.set()
            release.wait(10)
            order.append("first out")

    def second() -> None:
        first_in.wait(10)
        with waiting_lock(tmp_path / "x.lock"):
            order.append("second in")
            second_in.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_in.wait(10)
    assert not second_in.wait(0.5)  # held off while the first holds the lock
    release.set()
    for t in threads:
        t.join(10)
    assert order == ["first in", "first out", "second in"]


def test_the_run_lock_refuses_a_second_run(tmp_path):
    with folder_lock(tmp_path), pytest.raises(PoseappError, match="another poseapp run"):
        with folder_lock(tmp_path):
            pass
