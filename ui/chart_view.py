"""One patient's chart: a header with who they are, and the tabs of :mod:`ui.chart_tabs`."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from application.chart import Chart
from ui import format as fmt
from ui import shortcuts, style
from ui.chart_tabs import CHART_TABS, consent_text
from ui.context import AppContext
from ui.sections import load_factory


def header_fields(chart: Chart) -> list[tuple[str, str]]:
    """(caption, value) pairs of the chart header, in reading order."""
    p = chart.patient
    payer = chart.payer + (f" · {p.member_id}" if p.member_id else "")
    status = fmt.label(p.status, fmt.STATUS_LABELS)
    if p.status == "deceased" and p.deceased_date:
        status += f" {fmt.date(p.deceased_date)}"
    return [
        ("Age", f"{p.age()} y"),
        ("Sex", fmt.sex(p.sex)),
        ("DOB", fmt.date(p.birth_date)),
        ("MRN", p.mrn),
        ("Practice", f"{chart.practice_name} ({chart.practice_code})"),
        ("PCP", chart.pcp or "None attributed"),
        ("Payer", payer or "None on record"),
        ("Consent", consent_text(chart)),
        ("Status", status),
    ]


class ElidedLabel(QLabel):
    """A one-line label that ends in "…" when it does not fit, instead of being cut mid-word."""

    def __init__(self, text: str = "", **kwargs):
        super().__init__(text, **kwargs)
        self._full = text
        self.setMinimumWidth(40)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        super().setText(text)

    def full_text(self) -> str:
        return self._full

    def minimumSizeHint(self):  # noqa: N802
        hint = super().minimumSizeHint()
        hint.setWidth(40)
        return hint

    def paintEvent(self, event) -> None:  # noqa: N802
        from PySide6.QtGui import QPainter

        painter = QPainter(self)
        text = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, self.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)


class ChartHeader(QFrame):
    def __init__(self, chart: Chart, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("chartHeader")
        p = chart.patient
        name = QLabel(p.display_name, objectName="chartName")
        name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        tier = p.effective_risk_tier
        why = chart.risk.explanation if chart.risk is not None else ""
        self.risk = QLabel(f"{fmt.risk(tier)} risk", objectName="riskBadge")
        self.risk.setProperty("role", "risk")
        self.risk.setStyleSheet(style.risk_style(tier))
        tip = why + (f"\nComputed as of {fmt.date(chart.risk.computed_on)}"
                     if chart.risk is not None and chart.risk.computed_on else "")
        self.risk.setToolTip(tip)
        if tier is None:  # never tiered: no tier, not "low" (setVisible(True) here would make it a window)
            self.risk.hide()
        if p.risk_override:
            self.risk.setText(f"{fmt.risk(tier)} risk (set by hand)")
            self.risk.setToolTip(f"Set by hand: {p.risk_override_reason}\nComputed: {tip or 'none yet'}")
        title = QHBoxLayout()
        title.addWidget(name)
        title.addSpacing(12)
        title.addWidget(self.risk, 0, Qt.AlignmentFlag.AlignVCenter)
        # why the patient is in the tier, in a line (the whole sentence on hover and in the Summary)
        reason_text = (f"Override: {p.risk_override_reason}" if p.risk_override else
                       why.partition(": ")[2] if tier else why or "No risk tier computed yet")
        self.risk_reason = ElidedLabel(reason_text, objectName="riskReason")
        self.risk_reason.setProperty("role", "hint")
        self.risk_reason.setToolTip(tip)
        title.addWidget(self.risk_reason, 1, Qt.AlignmentFlag.AlignVCenter)
        self.title_row = title

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(6)
        layout.addLayout(title)
        self.values: dict[str, QLabel] = {}
        fields = header_fields(chart)
        per_line = (len(fields) + 1) // 2  # two lines, so a long payer name never widens the window
        for start in (0, per_line):
            line = QHBoxLayout()
            line.setSpacing(26)
            for caption, value in fields[start:start + per_line]:
                line.addLayout(self._field(caption, value, alert=caption == "Status" and p.status != "active"))
            line.addStretch(1)
            layout.addLayout(line)

    def _field(self, caption: str, value: str, *, alert: bool) -> QVBoxLayout:
        caption_label = QLabel(caption)
        caption_label.setProperty("role", "caption")
        value_label = QLabel(value)
        value_label.setProperty("role", "status-alert" if alert else "value")
        value_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.values[caption] = value_label
        box = QVBoxLayout()
        box.setSpacing(0)
        box.addWidget(caption_label)
        box.addWidget(value_label)
        return box


class ChartView(QWidget):
    """A chart as it was read; when the patient's records change, the Patients section reads
    the chart again and puts a new view in this one's place (the same tab stays chosen)."""

    close_requested = Signal()

    def __init__(self, context: AppContext, chart: Chart, parent: QWidget | None = None):
        super().__init__(parent)
        self.chart = chart
        self.patient_id = chart.patient.id
        self.setObjectName("chartView")
        self.header = ChartHeader(chart)
        from ui.chart_timer import TimerWidget

        self.timer = TimerWidget(context, chart)
        self.header.title_row.addWidget(self.timer, 0, Qt.AlignmentFlag.AlignVCenter)
        self.context = context
        self.tabs = QTabWidget(objectName="chartTabs")
        self.tabs.setDocumentMode(True)
        self.tab_titles: list[str] = []
        for spec in CHART_TABS:
            factory = load_factory(spec.factory)
            if factory is None:
                continue
            widget, count = factory(context, chart)
            self.tab_titles.append(spec.title)
            title = spec.title.replace("&", "&&")  # a plain ampersand, not a mnemonic
            self.tabs.addTab(widget, title if count is None else f"{title} ({count})")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.setSpacing(8)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        shortcuts.bind(shortcuts.CLOSE_CHART, self, self.close_requested.emit)
        shortcuts.bind(shortcuts.NEXT_TAB, self, lambda: self.step_tab(1))
        shortcuts.bind(shortcuts.PREVIOUS_TAB, self, lambda: self.step_tab(-1))
        shortcuts.bind(shortcuts.TIMER, self, self.timer.toggle)
        shortcuts.bind(shortcuts.LOG_TIME, self, self.log_time)
        shortcuts.bind(shortcuts.RISK_TIER, self, self.set_risk_tier)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def log_time(self):
        """Ctrl+Shift+T: the Time tab, its form for time logged by hand."""
        from ui.chart_time import TimePanel

        return self.show_tab("Time").findChild(TimePanel).log_time()

    def set_risk_tier(self):
        from ui.risk_dialog import open_risk_dialog

        self.dialog = open_risk_dialog(self.context, self.chart, self)
        return self.dialog

    def step_tab(self, step: int) -> None:
        count = self.tabs.count()
        if count:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % count)

    def show_tab(self, title: str) -> QWidget:
        index = self.tab_titles.index(title)
        self.tabs.setCurrentIndex(index)
        return self.tabs.widget(index)

    def current_tab_title(self) -> str:
        return self.tab_titles[self.tabs.currentIndex()]
