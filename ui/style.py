"""The look of Carepod in one place: Fusion style, a calm palette, and a short style sheet.

Widgets name their role with ``setObjectName`` or the ``role`` property and never set
colours or fonts themselves.
"""
from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#2c6e8f"
ACCENT_LIGHT = "#e3eef4"
TEXT = "#1f2a33"
MUTED = "#5d6b76"
BORDER = "#d5dce2"
PANEL = "#f5f7f9"
RISK_COLOURS = {"low": "#4f7d5c", "moderate": "#52708a", "rising": "#a77a12", "high": "#c0582b",
                "complex": "#a8323e"}
BASE_POINT_SIZE = 10

STYLE_SHEET = f"""
QMainWindow, QDialog {{ background: white; }}
QListWidget#navigation {{
    background: {PANEL}; border: none; border-right: 1px solid {BORDER};
    font-size: {BASE_POINT_SIZE + 1}pt; padding-top: 8px; outline: 0;
}}
QListWidget#navigation::item {{ padding: 9px 16px; color: {TEXT}; border-left: 3px solid transparent; }}
QListWidget#navigation::item:selected {{
    background: {ACCENT_LIGHT}; color: {ACCENT}; border-left: 3px solid {ACCENT}; font-weight: bold;
}}
QLineEdit#patientSearch {{
    font-size: {BASE_POINT_SIZE + 2}pt; padding: 6px 8px; border: 1px solid {BORDER}; border-radius: 4px;
}}
QLineEdit#patientSearch:focus {{ border: 1px solid {ACCENT}; }}
QLabel[role="hint"] {{ color: {MUTED}; }}
QLabel[role="empty"] {{ color: {MUTED}; font-style: italic; padding: 10px 4px; }}
QLabel[role="sectionTitle"] {{
    font-weight: bold; color: {ACCENT}; padding-top: 6px; font-size: {BASE_POINT_SIZE + 1}pt;
}}
QLabel[role="caption"] {{ color: {MUTED}; font-size: {BASE_POINT_SIZE - 1}pt; }}
QLabel[role="value"] {{ color: {TEXT}; }}
QLabel#chartName {{ font-size: {BASE_POINT_SIZE + 6}pt; font-weight: bold; color: {TEXT}; }}
QFrame#chartHeader {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 4px; }}
QLabel[role="risk"] {{ color: white; border-radius: 3px; padding: 1px 8px; font-weight: bold; }}
QLabel[role="status-alert"] {{ color: {RISK_COLOURS["complex"]}; font-weight: bold; }}
QTableView, QTreeWidget {{
    border: 1px solid {BORDER}; gridline-color: #edf0f2; alternate-background-color: #f8fafb;
    selection-background-color: {ACCENT}; selection-color: white;
}}
QTreeWidget::item {{ padding: 2px 0; }}
QHeaderView::section {{
    background: {PANEL}; border: none; border-bottom: 1px solid {BORDER}; border-right: 1px solid #e6eaee;
    padding: 5px 6px; font-weight: bold; color: {TEXT};
}}
QTabWidget::pane {{ border: 1px solid {BORDER}; top: -1px; }}
QTabBar::tab {{ padding: 6px 14px; border: 1px solid transparent; color: {MUTED}; }}
QTabBar::tab:selected {{ color: {TEXT}; border: 1px solid {BORDER}; border-bottom: 2px solid {ACCENT};
    background: white; font-weight: bold; }}
QStatusBar {{ background: {PANEL}; border-top: 1px solid {BORDER}; color: {MUTED}; }}
QStatusBar QLabel {{ padding: 0 8px; }}
"""


def risk_style(tier: str) -> str:
    """The background of a risk-tier badge."""
    return f"background: {RISK_COLOURS.get(tier, MUTED)};"


def apply(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor("white"))
    palette.setColor(QPalette.ColorRole.Base, QColor("white"))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("white"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f8fafb"))
    app.setPalette(palette)
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
