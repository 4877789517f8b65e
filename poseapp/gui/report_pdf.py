"""A report (``poseapp.report``) printed to an A4 PDF by Qt's own text engine (QTextDocument and
QPdfWriter: fonts embedded, no other dependency); works without a display (offscreen)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF, QUrl
from PySide6.QtGui import QGuiApplication, QImage, QPageLayout, QPageSize, QPdfWriter, QTextDocument

from poseapp.io.atomic import replacing
from poseapp.report import Report


def ensure_app() -> QGuiApplication:
    """The running Qt application, or a new one (offscreen where there is no display)."""
    app = QGuiApplication.instance()
    if app is None:
        headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                            or os.environ.get("WAYLAND_DISPLAY"))
        if headless:
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QGuiApplication([])
    return app


def document(report: Report) -> QTextDocument:
    """The report as a text document with its images as resources."""
    ensure_app()
    doc = QTextDocument()
    for name, rgb in report.images.items():
        h, w = rgb.shape[:2]
        image = QImage(rgb.tobytes(), w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
    doc.setHtml(report.html())
    return doc


def write_pdf(report: Report, path: str | Path) -> int:
    """The report as an A4 PDF at ``path``, complete or not at all; returns its page count."""
    doc = document(report)
    path = Path(path)
    with replacing(path) as tmp:
        writer = QPdfWriter(str(tmp))
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
        writer.setResolution(96)
        writer.setTitle(report.title)
        writer.setCreator("poseapp")
        doc.setPageSize(QSizeF(writer.width(), writer.height()))  # lay out on the A4 page to count pages
        doc.print_(writer)
        pages = doc.pageCount()
        del writer  # closes the file
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise OSError(f"Qt could not write the PDF {path}")
    return pages
