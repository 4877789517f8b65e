"""The settings panel: model, device, localisation, smoothing, threshold, plots and angles; kept in QSettings."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QSpinBox,
    QWidget,
)

from poseapp.analysis import PEOPLE
from poseapp.angles import ANGLE_NAMES
from poseapp.draw import DRAW_THRESHOLD
from poseapp.localise.localiser import MODES
from poseapp.model.variants import VARIANTS, get_variant
from poseapp.outputs import DEFAULT_FORMATS, DESCRIPTIONS, FORMATS
from poseapp.pipeline import LiveSettings
from poseapp.presets import PRESETS
from poseapp.weights.models import trained_models

DEFAULT_ANGLES = ("left_knee_flexion", "right_knee_flexion", "left_elbow_flexion", "right_elbow_flexion")


def _devices() -> list[str]:
    from poseapp.inference.backends import available_devices

    return ["auto", *available_devices()]


class SettingsPanel(QWidget):
    """Emits ``changed`` with new LiveSettings, ``view_changed`` for what only the display uses."""

    changed = Signal(object)
    view_changed = Signal()

    def __init__(self, store: QSettings, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        form = QFormLayout(self)
        self.quality = QComboBox()
        self.quality.addItems(["custom", *PRESETS])
        self.quality.setToolTip("fast: RT (camera rate); balanced: II; accurate: II with two more scales "
                                "(three passes a crop). Choosing a model sets it to custom.")
        self.model = QComboBox()
        self._kinds: dict[str, str] = {}  # model -> its variant, for the labels
        self._fill_models()
        self.device = QComboBox()
        self.device.addItems(_devices())
        self.roi = QComboBox()
        self.roi.addItems(["track", *[m for m in MODES if m != "track"]])
        self.people = QComboBox()
        self.people.addItems(list(PEOPLE))
        self.people.setToolTip("one: the followed person only; all: everyone in view with their id, the followed "
                               "one (plots, recording, gait) marked. Click a person to follow them.")
        self.smooth = QComboBox()
        self.smooth.addItems(["oneeuro", "none"])
        self.strength = QSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(1, 50)  # One-Euro min cut-off in tenths of a Hz, reversed: more is smoother
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.plot_window = QSpinBox()
        self.plot_window.setRange(2, 120)
        self.plot_window.setSuffix(" s")
        self.labels = QCheckBox("angle values at the joints")
        self.bands = QCheckBox("normal-range bands")
        self.mirror = QCheckBox("mirror (webcam)")
        self.record_video = QCheckBox("record the annotated video too")
        self.exports = {kind: QCheckBox(kind.upper()) for kind in FORMATS if kind not in DEFAULT_FORMATS}
        for kind, box in self.exports.items():
            box.setToolTip(DESCRIPTIONS[kind])
        export_row = QHBoxLayout()
        for box in self.exports.values():
            export_row.addWidget(box)
        self.height_m = QDoubleSpinBox()
        self.height_m.setRange(0.0, 2.5)
        self.height_m.setDecimals(2)
        self.height_m.setSingleStep(0.01)
        self.height_m.setSuffix(" m")
        self.height_m.setSpecialValueText("not given")
        self.height_m.setToolTip("The subject's height: a recording's gait parameters then come in metres "
                                 "(unless a scale line was drawn with Calibrate)")
        self.angles = QListWidget()
        for name in ANGLE_NAMES:
            item = QListWidgetItem(name.replace("_", " "))
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            self.angles.addItem(item)
        form.addRow("Quality", self.quality)
        form.addRow("Model", self.model)
        form.addRow("Device", self.device)
        form.addRow("Find the person", self.roi)
        form.addRow("People drawn", self.people)
        form.addRow("Smoothing", self.smooth)
        form.addRow("Smoothing strength", self.strength)
        form.addRow("Score threshold", self.threshold)
        form.addRow("Plot window", self.plot_window)
        form.addRow(self.labels)
        form.addRow(self.bands)
        form.addRow(self.mirror)
        form.addRow(self.record_video)
        form.addRow("Record also as", export_row)
        form.addRow("Subject height", self.height_m)
        self.calibration_note = QLabel()  # which calibration a recording will use (set by the window)
        self.calibration_note.setWordWrap(True)
        form.addRow("Calibration", self.calibration_note)
        form.addRow("Angles", self.angles)
        self._restore()
        self.refresh_rates()
        self.quality.currentIndexChanged.connect(self._quality_chosen)
        self.model.currentIndexChanged.connect(self._model_chosen)
        for combo in (self.device, self.roi, self.people, self.smooth):
            combo.currentIndexChanged.connect(self._emit)
        self.strength.valueChanged.connect(self._emit)
        self.threshold.valueChanged.connect(self._emit)
        for box in (self.labels, self.bands, self.mirror, self.record_video, *self.exports.values()):
            box.toggled.connect(self._view)
        self.plot_window.valueChanged.connect(self._view)
        self.height_m.valueChanged.connect(self._view)
        self.angles.itemChanged.connect(self._view)

    def _quality_chosen(self) -> None:
        """A preset picks the model (and flip and scales, which ``settings`` reads from it)."""
        preset = PRESETS.get(self.quality.currentText())
        if preset is not None:
            self.model.blockSignals(True)
            self.model.setCurrentIndex(max(self.model.findData(preset.model), 0))
            self.model.blockSignals(False)
        self._emit()

    def _model_chosen(self) -> None:
        """A model chosen by hand is a custom quality (no flip, one scale)."""
        preset = PRESETS.get(self.quality.currentText())
        if preset is not None and preset.model != self.model.currentData():
            self.quality.blockSignals(True)
            self.quality.setCurrentText("custom")
            self.quality.blockSignals(False)
        self._emit()

    def _fill_models(self) -> None:
        """Official variants, then the trained models imported into this user's cache."""
        self._kinds = {name: name for name in VARIANTS}
        try:
            self._kinds.update(trained_models())
        except OSError:
            pass  # an unreadable cache hides trained models, it does not stop the app
        for name in self._kinds:
            self.model.addItem(name, name)

    def reload_models(self, select: str | None = None) -> None:
        """Re-read the model list (after an import); ``select`` picks a model, which loads it."""
        current = select or self.model.currentData()
        self.model.blockSignals(True)
        self.model.clear()
        self._fill_models()
        self.refresh_rates()
        self.model.setCurrentIndex(max(self.model.findData(current), 0))
        self.model.blockSignals(False)
        self._emit()

    def _number(self, key: str, default: float, cast: type, low: float, high: float) -> float:
        """A stored number, or ``default`` (noted in ``bad_settings``) when the value is damaged."""
        try:
            value = cast(self.store.value(key, default))
            if not low <= value <= high:
                raise ValueError(value)
        except (TypeError, ValueError):
            self.bad_settings.append(key)
            return default
        return value

    def _restore(self) -> None:
        """Each setting from QSettings; a value the panel cannot take (a hand-edited or damaged file)
        falls back to its default and is named in ``bad_settings`` for the window to say so."""
        s = self.store
        self.bad_settings: list[str] = []
        for combo, key, default in ((self.quality, "quality", "fast"), (self.model, "model", "RT"),
                                    (self.device, "device", "auto"),
                                    (self.roi, "roi", "track"), (self.people, "people", "one"),
                                    (self.smooth, "smooth", "oneeuro")):
            value = s.value(key, default)
            i = combo.findData(value) if combo is self.model else combo.findText(str(value))
            if i < 0:
                self.bad_settings.append(key)
                i = combo.findData(default) if combo is self.model else combo.findText(default)
            combo.setCurrentIndex(max(i, 0))
        preset = PRESETS.get(self.quality.currentText())
        if preset is not None and preset.model != self.model.currentData():
            self.quality.setCurrentText("custom")  # a model chosen by hand last time
        self.strength.setValue(int(self._number("strength", 41, int, 1, 50)))  # 1.0 Hz, the live default
        self.threshold.setValue(self._number("threshold", DRAW_THRESHOLD, float, 0.0, 1.0))
        self.plot_window.setValue(int(self._number("plot_window", 10, int, 2, 120)))
        self.height_m.setValue(self._number("height_m", 0.0, float, 0.0, 2.5))
        self.labels.setChecked(s.value("labels", "true") == "true")
        self.bands.setChecked(s.value("bands", "true") == "true")
        self.mirror.setChecked(s.value("mirror", "false") == "true")
        self.record_video.setChecked(s.value("record_video", "false") == "true")
        chosen_exports = str(s.value("exports", "")).split(",")
        for kind, box in self.exports.items():
            box.setChecked(kind in chosen_exports)
        chosen = str(s.value("angles", ",".join(DEFAULT_ANGLES))).split(",")
        for i in range(self.angles.count()):
            item = self.angles.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in chosen
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def save(self) -> None:
        s = self.store
        s.setValue("quality", self.quality.currentText())
        s.setValue("model", self.model.currentData())
        s.setValue("device", self.device.currentText())
        s.setValue("roi", self.roi.currentText())
        s.setValue("people", self.people.currentText())
        s.setValue("smooth", self.smooth.currentText())
        s.setValue("strength", self.strength.value())
        s.setValue("threshold", self.threshold.value())
        s.setValue("plot_window", self.plot_window.value())
        s.setValue("height_m", self.height_m.value())
        s.setValue("labels", "true" if self.labels.isChecked() else "false")
        s.setValue("bands", "true" if self.bands.isChecked() else "false")
        s.setValue("mirror", "true" if self.mirror.isChecked() else "false")
        s.setValue("record_video", "true" if self.record_video.isChecked() else "false")
        s.setValue("exports", ",".join(self.record_formats()[len(DEFAULT_FORMATS):]))
        s.setValue("angles", ",".join(self.chosen_angles()))
        s.sync()

    def refresh_rates(self) -> None:
        """Each model's label: input size (a trained one's variant too) and the inference FPS last
        measured on this machine."""
        for i in range(self.model.count()):
            name = self.model.itemData(i)
            fps = _float_or_none(self.store.value(f"fps/{name}"))
            measured = f", {fps:.0f} fps here" if fps else ""
            kind = self._kinds[name]
            trained = f"trained {kind}, " if kind != name else ""
            self.model.setItemText(i, f"{name} ({trained}{get_variant(kind).resolution} px{measured})")

    def record_rate(self, model: str, fps: float) -> None:
        """Remember ``model``'s inference rate here; labels change only when the rounded rate does."""
        stored = _float_or_none(self.store.value(f"fps/{model}"))
        if stored is not None and round(stored) == round(fps):
            return
        self.store.setValue(f"fps/{model}", round(fps, 1))
        self.refresh_rates()

    def settings(self) -> LiveSettings:
        preset = PRESETS.get(self.quality.currentText())
        return LiveSettings(model=self.model.currentData(), device=self.device.currentText(),
                            roi=self.roi.currentText(), smooth=self.smooth.currentText(),
                            people="all" if self.people.currentText() == "all" and self.roi.currentText() != "full"
                            else "one",
                            min_cutoff_hz=(51 - self.strength.value()) / 10, threshold=self.threshold.value(),
                            flip=preset.flip if preset else False, scales=preset.scales if preset else (1.0,))

    def record_formats(self) -> tuple[str, ...]:
        """The result files of a recording: the CSV and JSON, and the exports ticked."""
        return DEFAULT_FORMATS + tuple(kind for kind, box in self.exports.items() if box.isChecked())

    def height(self) -> float | None:
        """The subject's height in metres, None when not given (or too small to be one)."""
        return self.height_m.value() if self.height_m.value() >= 0.5 else None

    def chosen_angles(self) -> tuple[str, ...]:
        return tuple(self.angles.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.angles.count())
                     if self.angles.item(i).checkState() == Qt.CheckState.Checked)

    def _emit(self) -> None:
        self.save()
        self.changed.emit(self.settings())

    def _view(self) -> None:
        self.save()
        self.view_changed.emit()


def _float_or_none(value: object) -> float | None:
    """A stored rate as a number, None when absent or damaged."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
