"""One patient's chart: a header with who they are, and the tabs of :mod:`ui.chart_tabs`."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QTabWidget,
    QVBoxLayout, QWidget,
)

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
        ("Age", p.age_text()),
        ("Sex", fmt.sex(p.sex)),
        ("DOB", fmt.date(p.birth_date)),
        ("MRN", p.mrn),
        ("Practice", "Not known yet: assign one" if chart.practice_holding
         else f"{chart.practice_name} ({chart.practice_code})"),
        ("PCP", chart.pcp or "None attributed"),
        ("Payer", payer or "None on record"),
        ("Consent", consent_text(chart)),
        ("Status", status),
    ]


def linked_text(record) -> str:
    """'Elm Street Clinic (ELM) · MRN E100 · Smith, Joan': the same person's other record."""
    return f"{record.practice_name} ({record.practice_code}) · MRN {record.mrn} · {record.name}"


class AssignPracticeDialog(QDialog):
    """Which practice a patient who waits in the holding place belongs to."""

    def __init__(self, patient_name: str, practices: list[tuple[int, str, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("assignPracticeDialog")
        self.setWindowTitle("Assign to a practice")
        intro = QLabel(f"The imported data did not tell which practice {patient_name} belongs to. Until a "
                       "practice is assigned, the patient is in no practice's lists or rates.")
        intro.setWordWrap(True)
        self.practice_combo = QComboBox(objectName="assignPractice")
        for practice_id, code, name in practices:
            self.practice_combo.addItem(f"{name} ({code})", practice_id)
        form = QFormLayout()
        form.addRow("&Practice:", self.practice_combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Assign")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(460, 180)

    def chosen(self) -> int | None:
        return self.practice_combo.currentData()


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


class LazyTab(QWidget):
    """A chart tab built the first time it is shown (``make()`` returns its widget)."""

    def __init__(self, make, parent: QWidget | None = None):
        super().__init__(parent)
        self._make = make
        self.content: QWidget | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def build(self) -> QWidget:
        if self.content is None:
            self.content = self._make()
            self._make = None
            self._layout.addWidget(self.content)
            if self.isVisible():  # shown now, not at the next turn of the event loop
                self.content.show()
        return self.content


class ChartHeader(QFrame):
    open_patient = Signal(int)  # the same person's record at another practice
    assign_requested = Signal()  # the patient waits in the holding place for a practice

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
                alert = (caption == "Status" and p.status != "active") or (caption == "Practice"
                                                                            and chart.practice_holding)
                line.addLayout(self._field(caption, value, alert=alert))
            if start == 0 and chart.practice_holding:
                self.assign_button = QPushButton("Assign to a practice…", objectName="chartAssignPractice")
                self.assign_button.clicked.connect(self.assign_requested.emit)
                line.addWidget(self.assign_button, 0, Qt.AlignmentFlag.AlignBottom)
            line.addStretch(1)
            layout.addLayout(line)
        # the same person at other practices, confirmed by a person (never merged)
        self.linked: list[QPushButton] = []
        for record in chart.linked_records:
            line = QHBoxLayout()
            caption = QLabel("Same person at:")
            caption.setProperty("role", "caption")
            text = QLabel(linked_text(record), objectName="chartLinkedRecord")
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            button = QPushButton("Open that chart", objectName="chartOpenLinked")
            button.setToolTip(f"Open {record.name}'s chart at {record.practice_name}")
            button.clicked.connect(lambda _checked=False, pid=record.patient_id: self.open_patient.emit(pid))
            self.linked.append(button)
            line.addWidget(caption)
            line.addWidget(text)
            line.addWidget(button)
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
    open_patient = Signal(int)  # another chart asked for (the same person at another practice)

    def __init__(self, context: AppContext, chart: Chart, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.chart = chart
        self.patient_id = chart.patient.id
        self.setObjectName("chartView")
        self.header = ChartHeader(chart)
        from ui.chart_timer import TimerWidget

        self.timer = TimerWidget(context, chart)
        self.header.title_row.addWidget(self.timer, 0, Qt.AlignmentFlag.AlignVCenter)
        self.header.open_patient.connect(self.open_patient.emit)
        self.header.assign_requested.connect(self.assign_practice)
        # a dialog factory tests can replace; the real one is modal
        self.make_assign_dialog = AssignPracticeDialog
        self.tabs = QTabWidget(objectName="chartTabs")
        self.tabs.setDocumentMode(True)
        self.tab_titles: list[str] = []
        for spec in CHART_TABS:
            factory = load_factory(spec.factory)
            if factory is None:
                continue
            counter = load_factory(spec.count) if spec.count else None
            if spec.count == "" or (spec.count and counter is None):  # its count comes with its widget
                widget, count = factory(context, chart)
            else:  # built when first shown: opening a chart builds one tab, not nine
                widget = LazyTab(lambda factory=factory: factory(context, chart)[0])
                count = counter(chart) if counter is not None else None
            self.tab_titles.append(spec.title)
            self.tabs.addTab(widget, "")
            self._set_count(self.tabs.count() - 1, count)
            self._follow_count(widget)
        self.tabs.currentChanged.connect(self._build_tab)
        self.tabs.tabBarClicked.connect(lambda index: QTimer.singleShot(0, lambda: self._tab_chosen_on_the_bar(index)))
        self._build_tab(self.tabs.currentIndex())
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
        """Ctrl+Tab / Ctrl+Shift+Tab: the next or previous tab, with the focus inside it, so the
        tab's own keys (Ctrl+N on Referrals, Alt+N on Care plan…) work at once."""
        count = self.tabs.count()
        if count:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % count)
            self.focus_current_tab()

    def focus_current_tab(self) -> None:
        self._focus_into(self.tabs.currentWidget())

    def _tab_chosen_on_the_bar(self, index: int) -> None:
        # arrow keys on the tab bar keep the focus there (for the next arrow); a click moves it in
        if not self.tabs.tabBar().hasFocus():
            self._focus_into(self.tabs.widget(index))

    @staticmethod
    def _focus_into(widget: QWidget | None) -> None:
        """The focus on the first control of a tab that takes it from the keyboard (its list, a field)."""
        if widget is None:
            return
        for child in widget.findChildren(QWidget):
            if child.isVisibleTo(widget) and child.isEnabled() and \
                    child.focusPolicy() & Qt.FocusPolicy.TabFocus == Qt.FocusPolicy.TabFocus:
                child.setFocus(Qt.FocusReason.TabFocusReason)
                return
        widget.setFocus(Qt.FocusReason.TabFocusReason)

    def _build_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if isinstance(widget, LazyTab) and widget.content is None:
            self._follow_count(widget.build())

    def _set_count(self, index: int, count: int | None) -> None:
        if index < 0:
            return
        title = self.tab_titles[index].replace("&", "&&")  # a plain ampersand, not a mnemonic
        self.tabs.setTabText(index, title if count is None else f"{title} ({count})")

    def _follow_count(self, widget: QWidget) -> None:
        """A tab whose count can change while shown (the Gaps tab's period) keeps its title true."""
        signal = getattr(widget, "count_changed", None)
        if signal is not None:
            signal.connect(lambda count, page=widget: self._set_count(self._index_of(page), count))

    def _index_of(self, widget: QWidget) -> int:
        """The tab holding ``widget`` (its page, or the page it was built into); -1: none."""
        return next((i for i in range(self.tabs.count())
                     if self.tabs.widget(i) is widget or self.tab_widget(i) is widget), -1)

    def tab_widget(self, index: int) -> QWidget | None:
        """The tab's own widget (None: a tab not built yet, never shown)."""
        widget = self.tabs.widget(index)
        return widget.content if isinstance(widget, LazyTab) else widget

    def show_tab(self, title: str) -> QWidget:
        """Show the tab (built if it was not yet) and return its widget."""
        index = self.tab_titles.index(title)
        self.tabs.setCurrentIndex(index)
        self._build_tab(index)
        return self.tab_widget(index)

    def current_tab_title(self) -> str:
        return self.tab_titles[self.tabs.currentIndex()]

    def assign_practice(self):
        """The patient waits in the holding place: a person says which practice (on the writer);
        the change set has the chart read anew, in that practice."""
        from application.gaps import practice_choices
        from application.holding import assign_practice

        dialog = self.make_assign_dialog(self.chart.patient.display_name, practice_choices(self.context.pod), self)
        if not dialog.exec() or dialog.chosen() is None:
            return None
        practice_id, pod, patient_id = dialog.chosen(), self.context.pod, self.patient_id
        return self.context.tasks.write(lambda job: assign_practice(pod, [patient_id], practice_id),
                                        label="Assigning the practice…", parent=self)

    def gap_period_end(self):
        """The measurement period the Gaps tab shows (kept when the chart is read anew)."""
        for index in range(self.tabs.count()):  # a Gaps tab never shown shows the current period
            chosen = getattr(self.tab_widget(index), "chosen_period_end", None)
            if callable(chosen):
                return chosen()
        return None
