"""The settings panel: what it emits and what it keeps between runs (QSettings)."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt

from poseapp.gui.settings_panel import DEFAULT_ANGLES, SettingsPanel
from poseapp.pipeline import LiveSettings


def test_defaults_are_the_live_defaults(qtbot, tmp_path) -> None:
    panel = SettingsPanel(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(panel)
    got, default = panel.settings(), LiveSettings()
    assert got == default
    assert set(panel.chosen_angles()) == set(DEFAULT_ANGLES) and panel.plot_window.value() == 10


def test_changes_are_emitted_and_kept_for_the_next_run(qtbot, tmp_path) -> None:
    path = str(tmp_path / "s.ini")
    panel = SettingsPanel(QSettings(path, QSettings.Format.IniFormat))
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.changed) as emitted:
        panel.model.setCurrentIndex(panel.model.findData("I_LITE"))
    assert emitted.args[0].model == "I_LITE"
    with qtbot.waitSignal(panel.changed) as emitted:
        panel.threshold.setValue(0.45)
    assert emitted.args[0].threshold == 0.45
    with qtbot.waitSignal(panel.view_changed):
        panel.plot_window.setValue(30)
    panel.roi.setCurrentText("auto")
    panel.mirror.setChecked(True)
    first = panel.angles.item(0)
    first.setCheckState(Qt.CheckState.Unchecked if first.checkState() == Qt.CheckState.Checked
                        else Qt.CheckState.Checked)
    chosen = panel.chosen_angles()

    again = SettingsPanel(QSettings(path, QSettings.Format.IniFormat))  # the next start of the app
    qtbot.addWidget(again)
    s = again.settings()
    assert (s.model, s.threshold, s.roi) == ("I_LITE", 0.45, "auto")
    assert again.plot_window.value() == 30 and again.mirror.isChecked() and again.chosen_angles() == chosen


def test_model_labels_carry_input_size_and_the_rate_measured_here(qtbot, tmp_path) -> None:
    panel = SettingsPanel(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(panel)
    i = panel.model.findData("II")
    assert panel.model.itemText(i) == "II (368 px)"
    panel.record_rate("II", 7.26)
    assert panel.model.itemText(i) == "II (368 px, 7 fps here)"


def test_quality_presets_set_model_flip_and_scales(qtbot, tmp_path) -> None:
    path = str(tmp_path / "s.ini")
    panel = SettingsPanel(QSettings(path, QSettings.Format.IniFormat))
    qtbot.addWidget(panel)
    assert panel.quality.currentText() == "fast"
    with qtbot.waitSignal(panel.changed) as emitted:
        panel.quality.setCurrentText("accurate")
    s = emitted.args[0]
    assert (s.model, s.flip, s.scales) == ("II", False, (0.8, 1.0, 1.2))
    assert s.engine_key() != LiveSettings(model="II").engine_key()  # the engine is rebuilt with them
    again = SettingsPanel(QSettings(path, QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    assert again.quality.currentText() == "accurate" and again.settings().scales == (0.8, 1.0, 1.2)
    with qtbot.waitSignal(again.changed) as emitted:
        again.model.setCurrentIndex(again.model.findData("I"))  # a model by hand: custom, plain
    assert again.quality.currentText() == "custom" and emitted.args[0].scales == (1.0,)
