"""Referrals: the board (a column per state, overdue first) and the same referrals as a table.

Filters: practice, specialty, state (the open ones, every one, or one), urgency and age (days
since ordered). Keys: Enter opens the chart, Ctrl+M moves the selected referral along its
closed loop, Ctrl+P prints its letter to the specialist, Ctrl+L logs outreach about it, F5
reads again; Left/Right go from column to column on the board. Everything is read off the UI
thread; a change touching referrals reads the board again.
"""
from __future__ import annotations

import dataclasses
import logging

from PySide6.QtCore import QAbstractListModel, QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QFrame, QHBoxLayout, QLabel, QListView, QPushButton,
    QScrollArea, QSizePolicy, QStyle, QStyledItemDelegate, QTabWidget, QVBoxLayout, QWidget,
)

from application import referrals as app
from application.practices import practice_codes
from domain.clock import utcnow
from domain.text import counted
from ui import shortcuts, style
from ui.empty_view import EmptyViewMessage
from ui.latest_read import LatestRead
from ui.outreach_dialog import open_outreach_dialog
from ui.referral_actions import edit_expected_days, move_referral, print_letter
from ui.tables import fit_column, worklist_table

log = logging.getLogger(__name__)
ALL = None
URGENCY_LABELS = {"routine": "Routine", "urgent": "Urgent", "stat": "Stat"}
AGE_LABELS = {"0-30": "Ordered in the last 30 days", "31-90": "Ordered 31–90 days ago", "91+": "Ordered over 90 days ago"}
OVERDUE = QColor(style.RISK_COLOURS["complex"])
COLUMN_WIDTH = 238  # the least a column takes; wider screens share their room among the columns
CARD_HEIGHT = 74
TABLE_COLUMNS = ("Patient", "MRN", "Practice", "Specialty", "Urgency", "State", "In state since", "Due / overdue",
                 "Ordered", "Reason")
_Index = QModelIndex | QPersistentModelIndex


def due_text(card: app.ReferralCard, now) -> str:
    if card.due_at is None:
        return ""
    if card.is_overdue(now):
        days = card.overdue_days(now)
        return f"Overdue {days} d" if days else "Overdue today"
    return f"Due {card.due_at:%m/%d}"


# --- the board -----------------------------------------------------------------------------------

class CardsModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.cards: list[app.ReferralCard] = []
        self.now = utcnow()

    def set_cards(self, cards: list[app.ReferralCard], now) -> None:
        self.beginResetModel()
        self.cards, self.now = list(cards), now
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.cards)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.cards):
            return None
        card = self.cards[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:  # what a screen reader says, and tests read
            return f"{card.patient_name} · {card.specialty} · {due_text(card, self.now)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{card.patient_name} (MRN {card.mrn}, {card.practice_code})\n{card.specialty}"
                    + (f" — {card.specialist}" if card.specialist else "") + f"\n{card.reason}\n"
                    f"{URGENCY_LABELS.get(card.urgency, card.urgency)} · {app.LABELS[card.state]} since "
                    f"{card.state_since:%m/%d/%Y}" + (f" · {due_text(card, self.now)}" if card.due_at else ""))
        if role == Qt.ItemDataRole.UserRole:
            return card
        return None


class CardDelegate(QStyledItemDelegate):
    """A referral as a card: patient and practice, specialty, time in state, overdue in red."""

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        return QSize(120, CARD_HEIGHT)  # as wide as the column: the card is painted in the row's width

    def paint(self, painter, option, index) -> None:
        card: app.ReferralCard = index.data(Qt.ItemDataRole.UserRole)
        if card is None:
            return
        now = index.model().now
        painter.save()
        rect = option.rect.adjusted(3, 3, -3, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setPen(QPen(QColor(style.ACCENT if selected else style.BORDER), 2 if selected else 1))
        painter.setBrush(QBrush(QColor(style.ACCENT_LIGHT if selected else "white")))
        painter.drawRoundedRect(rect, 4, 4)
        overdue = card.is_overdue(now)
        if overdue:
            painter.fillRect(QRect(rect.left() + 1, rect.top() + 1, 4, rect.height() - 1), OVERDUE)
        inner = rect.adjusted(9, 5, -5, -4)
        metrics = painter.fontMetrics()
        line = metrics.height() + 1
        bold = QFont(option.font)
        bold.setBold(True)

        def text(row: int, value: str, align, font=None, colour=style.TEXT, room: int | None = None) -> int:
            painter.setFont(font or option.font)
            painter.setPen(QColor(colour) if isinstance(colour, str) else colour)
            fitted = painter.fontMetrics().elidedText(value, Qt.TextElideMode.ElideRight, room or inner.width())
            painter.drawText(QRect(inner.left(), inner.top() + row * line, inner.width(), line), align, fitted)
            return painter.fontMetrics().horizontalAdvance(fitted)

        code = text(0, card.practice_code, Qt.AlignmentFlag.AlignRight, colour=style.MUTED)
        text(0, card.patient_name, Qt.AlignmentFlag.AlignLeft, bold, room=inner.width() - code - 8)
        urgency = f" · {URGENCY_LABELS.get(card.urgency)}" if card.urgency != "routine" else ""
        text(1, card.specialty + urgency, Qt.AlignmentFlag.AlignLeft)
        due = due_text(card, now)
        due_width = text(2, due, Qt.AlignmentFlag.AlignRight, bold if overdue else None,
                         OVERDUE if overdue else style.MUTED) if due else 0
        small = QFont(option.font)
        small.setPointSizeF(option.font.pointSizeF() - 1)
        text(2, f"since {card.state_since:%m/%d}", Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, small,
             style.MUTED, room=inner.width() - due_width - 4)
        painter.restore()


class BoardColumnView(QFrame):
    """One state: its heading (how many, how many overdue) and its cards."""

    def __init__(self, board: "ReferralBoard", index: int):
        super().__init__()
        self.setObjectName("boardColumn")
        self.board, self.index = board, index
        self.state = ""
        self.heading = QLabel()
        self.heading.setObjectName("boardColumnHeading")
        self.heading.setWordWrap(True)
        self.more = QLabel()
        self.more.setProperty("role", "hint")
        self.more.setWordWrap(True)
        self.model = CardsModel(self)
        self.list = QListView()
        self.list.setObjectName("boardCards")
        self.list.setModel(self.model)
        self.list.setItemDelegate(CardDelegate(self.list))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setUniformItemSizes(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.list.activated.connect(lambda _i: board.activated.emit())
        self.list.installEventFilter(board)
        self.empty = EmptyViewMessage(self.list)  # the first column says how referrals come, on an empty board
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.heading)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.more)
        self.setMinimumWidth(COLUMN_WIDTH)
        self.setMaximumWidth(COLUMN_WIDTH * 2)

    def show_column(self, column: app.BoardColumn, now) -> None:
        self.state = column.state
        overdue = f" · <span style='color:{OVERDUE.name()}'>{column.overdue:,} overdue</span>" if column.overdue else ""
        self.heading.setText(f"<b>{column.label}</b><br>{column.total:,}{overdue}")
        was = self.selected()
        self.model.set_cards(column.cards, now)
        # F5 or a change: the same card stays chosen; a card that left the column takes the choice
        # with it (never to another patient's card, where the next Ctrl+M would land)
        kept = next((i for i, card in enumerate(column.cards) if was is not None and card.id == was.id), None)
        if kept is not None:
            self.list.setCurrentIndex(self.model.index(kept, 0))
        hidden = column.total - len(column.cards)
        self.more.setText(f"{hidden:,} more — narrow the filters or use the table" if hidden > 0 else "")
        self.more.setVisible(hidden > 0)

    def selected(self) -> app.ReferralCard | None:
        index = self.list.currentIndex()
        return index.data(Qt.ItemDataRole.UserRole) if index.isValid() else None


class ReferralBoard(QScrollArea):
    activated = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("referralBoard")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.body = QWidget()
        self.row = QHBoxLayout(self.body)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(6)
        self.row.addStretch(0)
        self.setWidget(self.body)
        self.columns: list[BoardColumnView] = []

    def show_columns(self, columns: list[app.BoardColumn], now) -> None:
        while len(self.columns) < len(columns):
            view = BoardColumnView(self, len(self.columns))
            self.row.insertWidget(len(self.columns), view)
            self.columns.append(view)
        for view, column in zip(self.columns, columns):
            view.show_column(column, now)
            view.show()
        for view in self.columns[len(columns):]:
            view.hide()

    def set_empty_text(self, text: str) -> None:
        """What the first column says while it has no cards (how a referral comes to be)."""
        for position, view in enumerate(self.columns):
            view.empty.set_text(text if position == 0 else "")

    def visible_columns(self) -> list[BoardColumnView]:
        return [c for c in self.columns if not c.isHidden()]

    def current_column(self) -> BoardColumnView | None:
        focused = next((c for c in self.visible_columns() if c.list.hasFocus()), None)
        return focused or getattr(self, "_last", None)

    def selected(self) -> app.ReferralCard | None:
        column = self.current_column()
        return column.selected() if column is not None else None

    def focus_first(self) -> None:
        columns = self.visible_columns()
        column = next((c for c in columns if c.model.rowCount()), columns[0] if columns else None)
        if column is not None:
            self._focus(column, 0)

    def _focus(self, column: BoardColumnView, row: int) -> None:
        self._last = column
        column.list.setFocus(Qt.FocusReason.OtherFocusReason)
        if column.model.rowCount():
            column.list.setCurrentIndex(column.model.index(min(row, column.model.rowCount() - 1), 0))
        self.ensureWidgetVisible(column)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        """Left and Right move between the columns, keeping the row."""
        if event.type() == event.Type.FocusIn:
            self._last = next((c for c in self.columns if c.list is watched), None)
        if event.type() == event.Type.KeyPress and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            columns = self.visible_columns()
            current = next((c for c in columns if c.list is watched), None)
            if current is not None:
                step = -1 if event.key() == Qt.Key.Key_Left else 1
                position = columns.index(current) + step
                if 0 <= position < len(columns):
                    self._focus(columns[position], max(current.list.currentIndex().row(), 0))
                return True
        return super().eventFilter(watched, event)


# --- the table ------------------------------------------------------------------------------------

class ReferralTableModel(QAbstractTableModel):
    """Referrals a page at a time as the view scrolls (``application.referrals.table_page``)."""

    def __init__(self, pod, parent=None):
        super().__init__(parent)
        self.pod = pod
        self.flt = app.ReferralFilter()
        self.now = utcnow()
        self.cards: list[app.ReferralCard] = []
        self._after = None
        self._more = False

    def show_first_page(self, flt: app.ReferralFilter, now, cards: list[app.ReferralCard], after) -> None:
        self.beginResetModel()
        self.flt, self.now, self.cards, self._after = flt, now, list(cards), after
        self._more = after is not None
        self.endResetModel()

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: N802
        return not parent.isValid() and self._more

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: N802
        if parent.isValid() or not self._more:
            return
        try:
            cards, after = app.table_page(self.pod, self.flt, self.now, self._after)
        except Exception:
            log.exception("Could not read more referrals")
            self._more = False
            return
        self._after, self._more = after, after is not None
        if cards:
            start = len(self.cards)
            self.beginInsertRows(QModelIndex(), start, start + len(cards) - 1)
            self.cards += cards
            self.endInsertRows()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.cards)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(TABLE_COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return TABLE_COLUMNS[section]
        return None

    def card_at(self, row: int) -> app.ReferralCard | None:
        return self.cards[row] if 0 <= row < len(self.cards) else None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        try:
            card = self.card_at(index.row()) if index.isValid() else None
            if card is None:
                return None
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                return (card.patient_name, card.mrn, card.practice_code,
                        card.specialty + (f" — {card.specialist}" if card.specialist else ""),
                        URGENCY_LABELS.get(card.urgency, card.urgency), app.LABELS[card.state],
                        f"{card.state_since:%m/%d/%Y}", due_text(card, self.now), f"{card.ordered_at:%m/%d/%Y}",
                        card.reason)[index.column()]
            if card.is_overdue(self.now) and index.column() == 7:
                if role == Qt.ItemDataRole.ForegroundRole:
                    return QBrush(OVERDUE)
                if role == Qt.ItemDataRole.FontRole:
                    font = QFont()
                    font.setBold(True)
                    return font
        except Exception:  # data() is called while painting: it must never raise
            log.exception("Referral row %s could not be shown", index.row())
        return None


# --- the section -----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Read:
    flt: app.ReferralFilter
    now: object
    columns: list[app.BoardColumn]
    first_page: list[app.ReferralCard]
    after: tuple | None


class ReferralsSection(QWidget):
    open_patient = Signal(int)
    loaded = Signal()

    def __init__(self, context, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("referralsSection")
        self.context, self.pod = context, context.pod
        self._shown_once = False
        self.reads = LatestRead(context, self, self._make_read, self._show, self._failed)
        self.referral_dialog = None
        self.outreach_dialog = None

        title = QLabel("Referrals")
        title.setProperty("role", "sectionTitle")
        self.practice_combo = QComboBox(objectName="referralPractice")
        self.specialty_combo = QComboBox(objectName="referralSpecialtyFilter")
        self.state_combo = QComboBox(objectName="referralState")
        self.urgency_combo = QComboBox(objectName="referralUrgencyFilter")
        self.age_combo = QComboBox(objectName="referralAge")
        for combo in (self.practice_combo, self.specialty_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
            combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.practice_combo.setMaximumWidth(300)
        self.specialty_combo.setMaximumWidth(220)
        self.state_combo.addItem("Open referrals", ALL)
        self.state_combo.addItem("Every state (closed too)", "*")
        for state in app.STATES:
            self.state_combo.addItem(app.LABELS[state], state)
        self.urgency_combo.addItem("Any urgency", ALL)
        for urgency in app.URGENCIES:
            self.urgency_combo.addItem(URGENCY_LABELS[urgency], urgency)
        self.age_combo.addItem("Any age", ALL)
        for key, label in AGE_LABELS.items():
            self.age_combo.addItem(label, key)

        self.open_button = QPushButton("Open chart", objectName="referralOpen")
        self.move_button = QPushButton("Move…", objectName="referralMove")
        self.outreach_button = QPushButton("Log outreach…", objectName="referralOutreach")
        self.letter_button = QPushButton("Letter…", objectName="referralLetter")
        self.days_button = QPushButton("Expected days…", objectName="referralExpectedDays")
        for button, shortcut in ((self.open_button, shortcuts.OPEN_CHART), (self.move_button, shortcuts.MOVE_REFERRAL),
                                 (self.outreach_button, shortcuts.LOG_OUTREACH), (self.letter_button, shortcuts.PRINT)):
            button.setToolTip(f"{shortcut.description} ({shortcuts.display_keys(shortcut.keys)})")
            button.setAutoDefault(False)
        self.days_button.setToolTip("How long each state may last at each urgency before a referral is overdue")
        self.open_button.clicked.connect(self.open_selected)
        self.move_button.clicked.connect(self.move_selected)
        self.outreach_button.clicked.connect(self.log_outreach)
        self.letter_button.clicked.connect(self.print_selected_letter)
        self.days_button.clicked.connect(lambda: edit_expected_days(self.context, self))
        self.status_label = QLabel(objectName="referralStatus")
        self.status_label.setProperty("role", "hint")
        self.status_label.setWordWrap(True)

        self.board = ReferralBoard()
        self.board.activated.connect(self.open_selected)
        self.table_model = ReferralTableModel(self.pod, self)
        self.table = worklist_table(self.table_model, "referralTable", (170, 84, 74, 190, 78, 116, 110, 118, 92))
        self.table_empty = EmptyViewMessage(self.table)
        self.table.activated.connect(lambda _i: self.open_selected())
        self.views = QTabWidget(objectName="referralViews")
        self.views.setDocumentMode(True)
        self.views.addTab(self.board, "&Board")
        self.views.addTab(self.table, "&Table")

        filters = QHBoxLayout()
        for caption, widget in (("&Practice", self.practice_combo), ("&Specialty", self.specialty_combo),
                                ("Stat&e", self.state_combo), ("&Urgency", self.urgency_combo),
                                ("A&ge", self.age_combo)):
            label = QLabel(caption)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget, 1 if widget in (self.practice_combo, self.specialty_combo) else 0)
            filters.addSpacing(6)
        filters.addStretch(0)
        actions = QHBoxLayout()
        for button in (self.open_button, self.move_button, self.outreach_button, self.letter_button):
            actions.addWidget(button)
        actions.addWidget(self.status_label, 1)
        actions.addWidget(self.days_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 12)
        layout.addWidget(title)
        layout.addLayout(filters)
        layout.addLayout(actions)
        layout.addWidget(self.views, 1)

        self._choices_filled = False
        for combo in (self.practice_combo, self.specialty_combo, self.state_combo, self.urgency_combo, self.age_combo):
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        shortcuts.bind(shortcuts.MOVE_REFERRAL, self, self.move_selected)
        shortcuts.bind(shortcuts.PRINT, self, self.print_selected_letter)
        shortcuts.bind(shortcuts.LOG_OUTREACH, self, self.log_outreach)
        shortcuts.bind(shortcuts.REFRESH, self, self.refresh)

    # -- reading -------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            # the filters' choices on one reader beside the first answer on the other, not before it
            self._fill_choices(then_refresh=False)
            self.refresh()

    def _fill_choices(self, then_refresh: bool = True):
        pod = self.pod
        return self.context.tasks.read(lambda job: (app.practice_choices(pod), app.specialties(pod),
                                                    practice_codes(pod)), parent=self,
                                       on_done=lambda choices: self._choices_read(choices, then_refresh))

    def _choices_read(self, choices, then_refresh: bool = True) -> None:
        self._set_choices(choices)
        if then_refresh:
            self.refresh()

    def _set_choices(self, choices) -> None:
        practices, specialties, codes = choices
        for combo in (self.practice_combo, self.specialty_combo):
            combo.blockSignals(True)
        practice, specialty = self.practice_combo.currentData(), self.specialty_combo.currentData()
        self.practice_combo.clear()
        self.practice_combo.addItem("All practices", ALL)
        for practice_id, code, name in practices:
            self.practice_combo.addItem(f"{name} ({code})", practice_id)
        fit_column(self.table, TABLE_COLUMNS.index("Practice"), codes)  # inactive ones' and the holding place's too
        self.specialty_combo.clear()
        self.specialty_combo.addItem("Every specialty", ALL)
        for name in specialties:
            self.specialty_combo.addItem(name, name)
        for combo, value in ((self.practice_combo, practice), (self.specialty_combo, specialty)):
            index = combo.findData(value) if value is not None else 0
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)
        self._choices_filled = True

    def current_filter(self) -> app.ReferralFilter:
        state = self.state_combo.currentData()
        return app.ReferralFilter(practice_id=self.practice_combo.currentData(),
                                  specialty=self.specialty_combo.currentData(),
                                  state=None if state in (ALL, "*") else state, urgency=self.urgency_combo.currentData(),
                                  age=self.age_combo.currentData(), show_closed=state == "*")

    def set_filter(self, flt: app.ReferralFilter) -> None:
        """Show exactly this filter (another screen's request: one practice's referrals)."""
        state = "*" if flt.show_closed and not flt.state else flt.state
        for combo, value in ((self.practice_combo, flt.practice_id), (self.specialty_combo, flt.specialty),
                             (self.state_combo, state), (self.urgency_combo, flt.urgency), (self.age_combo, flt.age)):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(combo.findData(value), 0))
            combo.blockSignals(False)
        self.refresh()

    def refresh(self):
        """Read the board and the table's first page again (in the background); returns the task."""
        return self.reads.start() if self._shown_once else None

    def _make_read(self):
        pod, flt, now = self.pod, self.current_filter(), utcnow()
        self.status_label.setText("Reading the referrals…")

        def read(job) -> _Read:
            columns = app.board(pod, flt, now)
            cards, after = app.table_page(pod, flt, now)
            return _Read(flt, now, columns, cards, after)

        return read

    def _failed(self, error: BaseException) -> None:
        log.error("The referrals could not be read", exc_info=(type(error), error, error.__traceback__))
        self.status_label.setText(f"The referrals could not be read: {error}")

    def _show(self, read: _Read) -> None:
        self.board.show_columns(read.columns, read.now)
        self.table_model.show_first_page(read.flt, read.now, read.first_page, read.after)
        total = sum(c.total for c in read.columns)
        overdue = sum(c.overdue for c in read.columns)
        every_open = read.flt == app.ReferralFilter(practice_id=read.flt.practice_id)  # no filter chosen
        if total:
            self.status_label.setText(f"{counted(total, 'referral')} · {overdue:,} overdue · "
                                      "overdue first in every column")
        else:
            self.status_label.setText("No open referrals." if every_open else "No referral matches these filters.")
        guide = self.HOW_REFERRALS_COME if not total and every_open else ""
        self.board.set_empty_text(guide)
        self.table_empty.set_text(guide)
        if self.table_model.rowCount() and not self.table.currentIndex().isValid():
            self.table.setCurrentIndex(self.table_model.index(0, 0))
        self.loaded.emit()

    # what an empty board says when no referral is open (a new pod, or every loop closed)
    HOW_REFERRALS_COME = ("A referral is ordered from the patient's chart: find the patient (Ctrl+K), open the "
                          "Referrals tab, then New referral… (Ctrl+N). It starts here, in Ordered.")

    def apply_changes(self, changes) -> None:
        if not self._shown_once:
            return
        if changes.touches("practices"):
            self._fill_choices()
        elif changes.touches("referrals", "patients"):
            self.refresh()

    # -- the selected referral -------------------------------------------------------------------------
    def selected(self) -> app.ReferralCard | None:
        if self.views.currentWidget() is self.table:
            index = self.table.currentIndex()
            return self.table_model.card_at(index.row()) if index.isValid() else None
        return self.board.selected()

    def _nothing_selected(self) -> None:
        self.status_label.setText("Choose a referral first (arrow keys on the board or the table).")

    def open_selected(self) -> None:
        card = self.selected()
        if card is not None:
            self.open_patient.emit(card.patient_id)

    def move_selected(self):
        card = self.selected()
        if card is None:
            self._nothing_selected()
            return None
        text = f"{card.patient_name} (MRN {card.mrn}) — {card.specialty}: {card.reason}"
        return move_referral(self.context, self, card.id, card.state, card.state_since, text)

    def print_selected_letter(self, path: str | None = None):
        card = self.selected()
        if card is None:
            self._nothing_selected()
            return None
        return print_letter(self.context, self, card.id, card.patient_name, card.specialty, path=path,
                            on_done=lambda printed: self.status_label.setText(f"Letter written to {printed.path}."))

    def log_outreach(self):
        card = self.selected()
        if card is None:
            self._nothing_selected()
            return None
        return open_outreach_dialog(self.context, self, card.patient_id, card.patient_name, referral_id=card.id,
                                    on_logged=lambda result: self.status_label.setText(
                                        f"Outreach logged for {card.patient_name}: {result.describe()}."))


def referrals_section(context) -> ReferralsSection:
    """The main window's section factory (``ui.sections``)."""
    return ReferralsSection(context)
