"""The two lists a medication review is made of, each a table with a form for the chosen line:
the medications (reconciled one by one: keys 1–4 in the table) and the drug-therapy problems
with their recommendations and the prescriber's response.

The pages edit the review's own lines (plain domain objects the screen holds) and emit
``changed`` after each edit; the screen saves the draft. In a finished review the lines are
read-only, except a problem's response, which is recorded with ``response_requested``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QCompleter, QFormLayout, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QMessageBox, QPlainTextEdit, QPushButton, QTableView, QVBoxLayout, QWidget,
)

from domain.medication_review import (
    CATEGORY_LABELS, MEDICATION_KIND_LABELS, MEDICATION_KINDS, NEED_LABELS, NEED_OF_CATEGORY, PROBLEM_CATEGORIES,
    RECONCILIATION_LABELS, RECONCILIATIONS, RESPONSE_LABELS, RESPONSES, DrugTherapyProblem, ReviewedMedication,
)
from ui import format as fmt
from ui.date_field import DateField
from ui.tables import make_read_only_list

RECONCILE_KEYS = {Qt.Key.Key_1: "continue", Qt.Key.Key_2: "changed", Qt.Key.Key_3: "stopped",
                  Qt.Key.Key_4: "not_taking"}


class LinesModel(QAbstractTableModel):
    """A table over a list of lines; each column is a caption and a function of the line."""

    def __init__(self, columns: Sequence[tuple[str, Callable[[object], str]]], lines: list,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.columns, self.lines = list(columns), lines

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt's names)
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.lines):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            try:
                return self.columns[index.column()][1](self.lines[index.row()])
            except Exception:  # a half-typed line never breaks the painting
                return ""
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][0]
        return None

    def reset(self) -> None:
        self.beginResetModel()
        self.endResetModel()

    def line_changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))


def _table(model: LinesModel, name: str, widths: Sequence[int]) -> QTableView:
    table = QTableView(objectName=name)
    table.setModel(model)
    make_read_only_list(table)
    table.setWordWrap(False)
    table.setTabKeyNavigation(False)  # Tab leaves the table for the form below
    table.verticalHeader().setDefaultSectionSize(26)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    header.setHighlightSections(False)
    for column, width in enumerate(widths):
        header.resizeSection(column, width)
    return table


def _combo(items: Sequence[tuple[str, str]], name: str, *, editable: bool = False) -> QComboBox:
    combo = QComboBox(objectName=name)
    for value, label in items:
        combo.addItem(label, value)
    combo.setEditable(editable)
    if editable:
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    return combo


def _text_box(name: str, placeholder: str, lines: int = 2) -> QPlainTextEdit:
    box = QPlainTextEdit(objectName=name)
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)  # Tab moves on, as in every other field
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 14)
    return box


def _set_text(edit: QLineEdit, value: str) -> None:
    """Fill a field showing the start of its text (a long one would otherwise show its end)."""
    edit.setText(value)
    edit.setCursorPosition(0)


def _set_combo(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    if index < 0 and combo.isEditable():
        combo.setEditText(value)
        combo.lineEdit().setCursorPosition(0)
    else:
        combo.setCurrentIndex(max(index, 0))


def _combo_value(combo: QComboBox) -> str:
    if combo.isEditable():
        return combo.currentText().strip()
    return combo.currentData() or ""


class LinesPage(QWidget):
    """A table of lines with a form for the current one (both pages are this)."""

    changed = Signal()

    def __init__(self, lines: list, editable: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.lines, self.editable = lines, editable
        self._loading = False

    def current_row(self) -> int:
        index = self.table.currentIndex()
        return index.row() if index.isValid() and index.row() < len(self.lines) else -1

    def current_line(self):
        row = self.current_row()
        return self.lines[row] if row >= 0 else None

    def select_row(self, row: int) -> None:
        if 0 <= row < len(self.lines):
            self.table.setCurrentIndex(self.model.index(row, 0))
            self.table.scrollTo(self.model.index(row, 0))

    def _current_moved(self, *_args) -> None:
        self._load(self.current_line())

    def _load(self, line) -> None:
        self._loading = True
        try:
            self.fill_form(line)
        finally:
            self._loading = False
        # no line: no form of empty fields, a sentence instead
        self.form_box.setVisible(line is not None)
        self.empty_label.setVisible(not self.lines)

    def _edited(self, *_args) -> None:
        if self._loading:
            return
        row = self.current_row()
        if row < 0:
            return
        self.store_form(self.lines[row])
        self.model.line_changed(row)
        self.changed.emit()

    def _watch(self, *widgets) -> None:
        for widget in widgets:
            if isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(self._edited)
                if widget.isEditable():
                    widget.editTextChanged.connect(self._edited)
            elif isinstance(widget, QPlainTextEdit):
                widget.textChanged.connect(self._edited)
            elif isinstance(widget, DateField):
                widget.date_changed.connect(self._edited)
            elif isinstance(widget, QLineEdit):
                widget.textEdited.connect(self._edited)

    def refresh(self) -> None:
        row = self.current_row()
        self.model.reset()
        self.select_row(row if row >= 0 else 0)
        self._load(self.current_line())

    def fill_form(self, line) -> None:
        raise NotImplementedError

    def store_form(self, line) -> None:
        raise NotImplementedError

    def removal_question(self, line) -> str | None:
        """What to ask before the line goes ("" to remove it without asking; None: it cannot go)."""
        raise NotImplementedError

    def remove_current(self) -> None:
        line = self.current_line()
        question = self.removal_question(line) if self.editable and line is not None else None
        if question is None:
            return
        if question and QMessageBox.question(self, "Remove", question) != QMessageBox.StandardButton.Yes:
            return
        row = self.current_row()
        del self.lines[row]
        self.model.reset()
        self.select_row(min(row, len(self.lines) - 1))
        self._load(self.current_line())
        self.changed.emit()

    def lay_out(self, left: QFormLayout, right: QFormLayout, hint: QLabel, form_name: str,
                stretch: tuple[int, int], empty: str) -> None:
        """The table over its hint, the form of the chosen line in two columns, the buttons below;
        ``empty`` is said instead of the form while there is no line."""
        self.empty_label = QLabel(empty, objectName=f"{form_name}Empty")
        self.empty_label.setProperty("role", "empty")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        self.form_box = QWidget(objectName=form_name)
        grid = QGridLayout(self.form_box)
        grid.setContentsMargins(0, 4, 0, 0)
        grid.setHorizontalSpacing(24)
        grid.addLayout(left, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.setColumnStretch(0, stretch[0])
        grid.setColumnStretch(1, stretch[1])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.form_box)
        layout.addLayout(buttons)
        self.table.selectionModel().currentRowChanged.connect(self._current_moved)
        self.add_button.clicked.connect(self.add_line)
        self.remove_button.clicked.connect(self.remove_current)
        # shown or hidden only now, in their layouts: a widget without a parent would be a window
        for widget in (self.add_button, self.remove_button, hint):
            widget.setVisible(self.editable)

    def add_line(self) -> None:
        raise NotImplementedError


def _form(*rows: tuple[str, QWidget]) -> QFormLayout:
    form = QFormLayout()
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setHorizontalSpacing(10)
    form.setVerticalSpacing(6)
    for caption, widget in rows:
        label = QLabel(caption)
        label.setBuddy(widget)
        form.addRow(label, widget)
    return form


# --- medications --------------------------------------------------------------------------------

def _reconciled(m: ReviewedMedication) -> str:
    return RECONCILIATION_LABELS.get(m.action, m.action)


MEDICATION_COLUMNS = (
    ("Medication", lambda m: m.name + ("" if m.fact_id else "  (added)")),
    ("Kind", lambda m: MEDICATION_KIND_LABELS.get(m.kind, m.kind)),
    ("What it is for", lambda m: m.indication),
    ("How to take it", lambda m: m.dose),
    ("Prescriber", lambda m: m.prescriber),
    ("Started", lambda m: fmt.date(m.start_date)),
    ("Reconciled", _reconciled),
    ("Patient's own words", lambda m: m.patient_words),
)


class MedicationsPage(LinesPage):
    """The medication list being reviewed: keys 1–4 in the table reconcile the line and move on."""

    def __init__(self, lines: list[ReviewedMedication], *, editable: bool, conditions: Sequence[str],
                 prescribers: Sequence[str], parent: QWidget | None = None):
        super().__init__(lines, editable, parent)
        self.setObjectName("reviewMedications")
        self.model = LinesModel(MEDICATION_COLUMNS, lines, self)
        self.table = _table(self.model, "medicationTable", (290, 120, 150, 190, 130, 86, 130))
        self.table.installEventFilter(self)
        self.hint = hint = QLabel("In the list: 1 Continue · 2 Changed · 3 Stopped · 4 Patient not taking (then the next line) · "
                      "Ctrl+N adds a medication the record does not have · Tab goes to the form below")
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)

        self.name_edit = QLineEdit(objectName="medName")
        self.kind_combo = _combo([(k, MEDICATION_KIND_LABELS[k]) for k in MEDICATION_KINDS], "medKind")
        self.for_edit = QLineEdit(objectName="medFor")
        self.for_edit.setPlaceholderText("What it is for, in the patient's words (e.g. blood pressure)")
        self.how_edit = QLineEdit(objectName="medHow")
        self.how_edit.setPlaceholderText("How to take it (e.g. 1 tablet by mouth every morning)")
        self.prescriber_combo = _combo([(p, p) for p in prescribers], "medPrescriber", editable=True)
        self.started_edit = DateField("Started", objectName="medStarted")
        self.reconcile_combo = _combo([("", "Not yet reconciled")] + [(a, RECONCILIATION_LABELS[a])
                                                                      for a in RECONCILIATIONS], "medReconciled")
        self.words_edit = QLineEdit(objectName="medWords")
        self.words_edit.setPlaceholderText("What the patient said about it, in their words")
        self.note_edit = QLineEdit(objectName="medNote")
        self.note_edit.setPlaceholderText("Pharmacist's note (printed on the medication list)")
        self.source_label = QLabel(objectName="medSource")
        self.source_label.setProperty("role", "hint")
        self.for_edit.setCompleter(QCompleter(list(conditions), self.for_edit))

        left = _form(("&Medication", self.name_edit), ("&Kind", self.kind_combo), ("What it is &for", self.for_edit),
                     ("&How to take it", self.how_edit), ("&Prescriber", self.prescriber_combo))
        right = _form(("&Reconciled", self.reconcile_combo), ("Patient's own &words", self.words_edit),
                      ("&Started", self.started_edit), ("N&ote", self.note_edit), ("", self.source_label))
        self.add_button = QPushButton("&Add a medication (Ctrl+N)", objectName="addMedication")
        self.remove_button = QPushButton("Remove the added &line", objectName="removeMedication")
        self.lay_out(left, right, hint, "medForm", (1, 1),
                     "No medications on this review yet." + (" Ctrl+N adds one the patient takes." if editable else ""))
        self._watch(self.name_edit, self.kind_combo, self.for_edit, self.how_edit, self.prescriber_combo,
                    self.started_edit, self.reconcile_combo, self.words_edit, self.note_edit)
        self.select_row(0)
        self._load(self.current_line())

    # the form
    def fill_form(self, m: ReviewedMedication | None) -> None:
        m = m or ReviewedMedication("")
        _set_text(self.name_edit, m.name)
        _set_combo(self.kind_combo, m.kind)
        _set_text(self.for_edit, m.indication)
        _set_text(self.how_edit, m.dose)
        _set_combo(self.prescriber_combo, m.prescriber)
        self.started_edit.set_date(m.start_date)
        _set_combo(self.reconcile_combo, m.action)
        _set_text(self.words_edit, m.patient_words)
        _set_text(self.note_edit, m.note)
        self.source_label.setText("From the record" + (f" · RxNorm {m.rxnorm}" if m.rxnorm else "")
                                  if m.fact_id else "Added during the review")
        # a line from the record keeps the record's name; one added here is named here
        self.name_edit.setReadOnly(not self.editable or m.fact_id is not None)
        for widget in (self.kind_combo, self.for_edit, self.how_edit, self.prescriber_combo, self.started_edit,
                       self.reconcile_combo, self.words_edit, self.note_edit):
            widget.setEnabled(self.editable)
        self.remove_button.setEnabled(self.editable and m.fact_id is None and bool(self.lines))

    def store_form(self, m: ReviewedMedication) -> None:
        if m.fact_id is None:
            m.name = self.name_edit.text().strip()
        m.kind = _combo_value(self.kind_combo)
        m.indication = self.for_edit.text().strip()
        m.dose = self.how_edit.text().strip()
        m.prescriber = _combo_value(self.prescriber_combo)
        if self.started_edit.is_valid():
            m.start_date = self.started_edit.date()
        m.action = _combo_value(self.reconcile_combo)
        m.patient_words = self.words_edit.text().strip()
        m.note = self.note_edit.text().strip()

    def started_error(self) -> str:
        return "" if self.started_edit.is_valid() else f"Started: “{self.started_edit.text()}” is not a date."

    # actions
    def reconcile(self, action: str) -> None:
        row = self.current_row()
        if not self.editable or row < 0:
            return
        self.lines[row].action = action
        self.model.line_changed(row)
        self.changed.emit()
        if row + 1 < len(self.lines):
            self.select_row(row + 1)
        else:
            self._load(self.lines[row])

    def add_medication(self) -> None:
        if not self.editable:
            return
        self.lines.append(ReviewedMedication(name="", kind="otc"))
        self.model.reset()
        self.select_row(len(self.lines) - 1)
        self._load(self.lines[-1])
        self.name_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.changed.emit()

    def removal_question(self, line: ReviewedMedication) -> str | None:
        if line.fact_id is not None:
            return None  # a line from the record is reconciled (stopped, not taking), never removed
        return f"Remove {line.name} from this review's list?" if line.name else ""

    def add_line(self) -> None:
        self.add_medication()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.table and event.type() == QEvent.Type.KeyPress and self.editable:
            if event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier) \
                    and event.key() in RECONCILE_KEYS:
                self.reconcile(RECONCILE_KEYS[event.key()])
                return True
            if event.key() == Qt.Key.Key_Delete:
                self.remove_current()
                return True
        return super().eventFilter(watched, event)


# --- problems ---------------------------------------------------------------------------------------

def category_label(category: str) -> str:
    need = NEED_LABELS.get(NEED_OF_CATEGORY.get(category, ""), "")
    return f"{CATEGORY_LABELS.get(category, category)} ({need})" if need else CATEGORY_LABELS.get(category, category)


def _response(p: DrugTherapyProblem) -> str:
    text = RESPONSE_LABELS.get(p.response, p.response)
    return text + (f" {fmt.date(p.responded_at)}" if p.responded_at else "")


PROBLEM_COLUMNS = (
    ("Category", lambda p: CATEGORY_LABELS.get(p.category, p.category)),
    ("About", lambda p: p.about),
    ("Problem", lambda p: p.description),
    ("Recommendation to the prescriber", lambda p: p.recommendation),
    ("Prescriber", lambda p: p.prescriber),
    ("Sent", lambda p: fmt.date(p.recommended_on)),
    ("Response", _response),
)


class ProblemsPage(LinesPage):
    """Drug-therapy problems: category, what it is about, the recommendation and its response."""

    response_requested = Signal(object)  # the problem whose response fields are to be recorded

    def __init__(self, problems: list[DrugTherapyProblem], *, editable: bool, responses_open: bool,
                 medication_names: Callable[[], list[str]], conditions: Sequence[str], prescribers: Sequence[str],
                 parent: QWidget | None = None):
        super().__init__(problems, editable, parent)
        self.setObjectName("reviewProblems")
        self.responses_open = responses_open  # a finished review: responses are entered here
        self.medication_names = medication_names
        self.model = LinesModel(PROBLEM_COLUMNS, problems, self)
        self.table = _table(self.model, "problemTable", (190, 210, 260, 300, 130, 86))
        self.table.installEventFilter(self)

        self.category_combo = _combo([(c, category_label(c)) for c in PROBLEM_CATEGORIES], "problemCategory")
        self.medication_combo = _combo([("", "")], "problemMedication")
        self.condition_combo = _combo([("", "")] + [(c, c) for c in conditions], "problemCondition", editable=True)
        self.description_box = _text_box("problemDescription", "The problem, as a pharmacist would write it")
        self.recommendation_box = _text_box("problemRecommendation", "What you recommend to the prescriber")
        self.prescriber_combo = _combo([(p, p) for p in prescribers], "problemPrescriber", editable=True)
        self.talked_edit = _text_box("problemTalkedAbout", "For the patient's action plan: what we talked about, "
                                                           "in plain words")
        self.todo_edit = _text_box("problemPatientAction", "For the patient's action plan: what I need to do "
                                                           "(empty: not on the plan)")
        self.sent_edit = DateField("Sent to the prescriber", objectName="problemSent")
        self.sent_edit.setPlaceholderText("when finished")
        self.response_combo = _combo([(r, RESPONSE_LABELS[r]) for r in RESPONSES], "problemResponse")
        self.responded_edit = DateField("Response date", objectName="problemResponded")
        self.responded_edit.setToolTip("The day the prescriber's response came back: 03/05/2026, t (today)")
        self.response_note_edit = QLineEdit(objectName="problemResponseNote")
        self.response_note_edit.setPlaceholderText("What the prescriber changed or why not")
        self.record_button = QPushButton("Record the response (Ctrl+S)", objectName="recordResponse")
        self.record_button.clicked.connect(lambda: self.response_requested.emit(self.current_line()))

        # mnemonics unique on the page and beside the header's (V, E)
        left = _form(("&Category", self.category_combo), ("&Medication", self.medication_combo),
                     ("C&ondition", self.condition_combo), ("&Problem", self.description_box),
                     ("Recommen&dation", self.recommendation_box), ("Pre&scriber", self.prescriber_combo))
        right = _form(("What we &talked about", self.talked_edit), ("What &I need to do", self.todo_edit),
                      ("Sent on", self.sent_edit), ("&Response", self.response_combo),
                      ("Came &back on", self.responded_edit), ("Response &note", self.response_note_edit),
                      ("", self.record_button))
        self.add_button = QPushButton("&Add a problem (Ctrl+N)", objectName="addProblem")
        self.remove_button = QPushButton("Remove the problem (De&lete)", objectName="removeProblem")
        hint = QLabel("Ctrl+N adds a problem · each is tied to a medication or a condition and goes to a prescriber")
        hint.setProperty("role", "hint")
        self.lay_out(left, right, hint, "problemForm", (3, 2),
                     "No drug-therapy problems recorded." + (" Ctrl+N adds one." if editable else ""))
        self._watch(self.category_combo, self.medication_combo, self.condition_combo, self.description_box,
                    self.recommendation_box, self.prescriber_combo, self.talked_edit, self.todo_edit, self.sent_edit,
                    self.response_combo, self.responded_edit, self.response_note_edit)
        self.record_button.setVisible(responses_open)  # in its layout by now
        self.select_row(0)
        self._load(self.current_line())

    def _fill_medications(self, current: str) -> None:
        names = [""] + self.medication_names()
        if current and current not in names:
            names.append(current)
        self.medication_combo.clear()
        for name in names:
            self.medication_combo.addItem(name, name)
        _set_combo(self.medication_combo, current)

    def fill_form(self, p: DrugTherapyProblem | None) -> None:
        p = p or DrugTherapyProblem(PROBLEM_CATEGORIES[0], "")
        _set_combo(self.category_combo, p.category)
        self._fill_medications(p.medication)
        _set_combo(self.condition_combo, p.condition)
        self.description_box.setPlainText(p.description)
        self.recommendation_box.setPlainText(p.recommendation)
        _set_combo(self.prescriber_combo, p.prescriber)
        self.talked_edit.setPlainText(p.talked_about)
        self.todo_edit.setPlainText(p.patient_action)
        self.sent_edit.set_date(p.recommended_on)
        _set_combo(self.response_combo, p.response)
        self.responded_edit.set_date(p.responded_at)
        _set_text(self.response_note_edit, p.response_note)
        for widget in (self.category_combo, self.medication_combo, self.condition_combo, self.description_box,
                       self.recommendation_box, self.prescriber_combo, self.talked_edit, self.todo_edit,
                       self.sent_edit):
            widget.setEnabled(self.editable)
        for widget in (self.response_combo, self.responded_edit, self.response_note_edit):
            widget.setEnabled(self.editable or self.responses_open)
        self.record_button.setEnabled(self.responses_open)
        self.remove_button.setEnabled(self.editable and bool(self.lines))

    def store_form(self, p: DrugTherapyProblem) -> None:
        if self.editable:
            p.category = _combo_value(self.category_combo)
            p.medication = _combo_value(self.medication_combo)
            p.condition = _combo_value(self.condition_combo)
            p.description = self.description_box.toPlainText().strip()
            p.recommendation = self.recommendation_box.toPlainText().strip()
            p.prescriber = _combo_value(self.prescriber_combo)
            p.talked_about = self.talked_edit.toPlainText().strip()
            p.patient_action = self.todo_edit.toPlainText().strip()
            if self.sent_edit.is_valid():
                p.recommended_on = self.sent_edit.date()
        if self.editable or self.responses_open:
            p.response = _combo_value(self.response_combo)
            if self.responded_edit.is_valid():
                p.responded_at = self.responded_edit.date()
            p.response_note = self.response_note_edit.text().strip()

    def date_errors(self) -> list[str]:
        return [f"{field.caption}: “{field.text()}” is not a date." for field in (self.sent_edit, self.responded_edit)
                if not field.is_valid()]

    def add_problem(self) -> None:
        if not self.editable:
            return
        default_prescriber = self.prescriber_combo.itemText(0) if self.prescriber_combo.count() else ""
        self.lines.append(DrugTherapyProblem(PROBLEM_CATEGORIES[0], "", prescriber=default_prescriber))
        self.model.reset()
        self.select_row(len(self.lines) - 1)
        self._load(self.lines[-1])
        self.category_combo.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.changed.emit()

    def removal_question(self, line: DrugTherapyProblem) -> str | None:
        return f"Remove the problem “{line.description}” from this review?" if line.description else ""

    def add_line(self) -> None:
        self.add_problem()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if watched is self.table and event.type() == QEvent.Type.KeyPress and self.editable \
                and event.key() == Qt.Key.Key_Delete:
            self.remove_current()
            return True
        return super().eventFilter(watched, event)
