import numpy as np

from tests.conftest import SHARED
from tests.gui.test_main_window import wait_for_results, window  # noqa: F401


def test_live(qtbot, window):  # noqa: F811
    w = window()
    w.open(SHARED / "data" / "sports2d-demo" / "demo.mp4")
    wait_for_results(qtbot, w, 3)
    found = []
    w.worker.walker_found.connect(lambda p, k: found.append(k))
    w.find_walker()
    qtbot.waitUntil(lambda: bool(found), timeout=120_000)
    log = []
    w.worker.result.connect(lambda r: log.append((r.frame.index, r.pose.found,
                                                  round(float(np.nanmedian(r.pose.keypoints[:, 0]))),
                                                  r.pose.extra.get("localised"), round(r.pose.score, 2))))
    qtbot.wait(500)
    w.toggle_play()
    qtbot.wait(9000)
    for row in log:
        print(row)
