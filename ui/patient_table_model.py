"""The patient list as a lazy table model: a page of rows at a time, fetched as the view scrolls."""
from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from application.patients import PAGE_SIZE, PatientRow
from ui import format as fmt

log = logging.getLogger(__name__)

# (text, practice_ids, limit, offset) -> rows: one page of a search
PageFetcher = Callable[[str, "list[int] | None", int, int], list[PatientRow]]

COLUMNS: tuple[tuple[str, Callable[[PatientRow], str]], ...] = (
    ("Name", lambda r: r.display_name),
    ("DOB", lambda r: fmt.date(r.birth_date)),
    ("Age", lambda r: r.age_text()),
    ("Sex", lambda r: fmt.sex(r.sex)),
    ("MRN", lambda r: r.mrn),
    ("Practice", lambda r: r.practice_name),
    ("Phone", lambda r: fmt.phone(r.phone)),
    ("PCP", lambda r: r.pcp),
    ("Risk tier", lambda r: fmt.risk(r.risk_tier)),
)
AGE_COLUMN = 2
MRN_COLUMN = 4
PatientIdRole = Qt.ItemDataRole.UserRole + 1


DISPLAY, TOOLTIP, ALIGNMENT = (int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.ToolTipRole),
                                int(Qt.ItemDataRole.TextAlignmentRole))
PATIENT_ID = int(PatientIdRole)
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
# a page read off the UI thread: ``submit(read, on_done, on_error)`` runs ``read()`` on the task
# runner's read lane and hands its rows (or error) back on the UI thread
Submit = Callable[[Callable[[], list[PatientRow]], Callable[[list[PatientRow]], None],
                   Callable[[BaseException], None]], object]


class PatientTableModel(QAbstractTableModel):
    """Rows of one search; more pages are fetched only when the view scrolls to them.

    A row's texts are formatted the first time the view asks for one of them (the rows
    painted), never for the whole page up front. With ``submit`` the further pages are read
    off the UI thread (see :class:`ui.patient_search.PatientSearch`, which reads the first page
    there too and hands it over with :meth:`show_page`)."""

    def __init__(self, fetch_page: PageFetcher, page_size: int = PAGE_SIZE, parent=None,
                 submit: Submit | None = None):
        super().__init__(parent)
        self._fetch_page = fetch_page
        self._submit = submit
        self.page_size = page_size
        self._rows: list[PatientRow] = []
        self._texts: dict[int, tuple[str, ...]] = {}
        self._text = ""
        self._practice_ids: list[int] | None = None
        self._complete = True
        self._reading = None  # the task reading the next page, when ``submit`` is given
        self._generation = 0  # a new search makes a page still being read out of date
        self.error = ""  # the last failure, shown by the screen instead of a traceback

    # -- filling ------------------------------------------------------------------------
    def _reset(self, text: str, practice_ids, rows: list[PatientRow], complete: bool, error: str = "") -> None:
        self.beginResetModel()
        self._generation += 1
        self._reading = None
        self._text, self._practice_ids = text, practice_ids
        self._rows, self._texts, self._complete, self.error = list(rows), {}, complete, error
        self.endResetModel()

    def search(self, text: str, practice_ids: list[int] | None) -> None:
        """Replace the rows with the first page of a new search, read here."""
        self._reset(text, practice_ids, [], False)
        self.beginResetModel()
        self._rows = self._page(0)
        self.endResetModel()

    def show_page(self, text: str, practice_ids: list[int] | None, rows: list[PatientRow], error: str = "") -> None:
        """Replace the rows with the first page of a new search, read elsewhere (the task runner)."""
        self._reset(text, practice_ids, rows, complete=bool(error) or len(rows) < self.page_size, error=error)

    def show_rows(self, rows: list[PatientRow]) -> None:
        """Show a fixed list (recently opened charts) with nothing more to fetch."""
        self._reset("", None, rows, True)

    def _failed(self, exc: BaseException) -> list[PatientRow]:
        # the database may be locked or gone: say so, keep the window alive
        log.error("patient search failed", exc_info=(type(exc), exc, exc.__traceback__))
        self.error = failure_text(exc)
        self._complete = True
        return []

    def _page(self, offset: int) -> list[PatientRow]:
        try:
            rows = self._fetch_page(self._text, self._practice_ids, self.page_size, offset)
        except Exception as exc:
            return self._failed(exc)
        if len(rows) < self.page_size:
            self._complete = True
        return rows

    def canFetchMore(self, parent=QModelIndex()) -> bool:  # noqa: N802 (Qt's names)
        return not parent.isValid() and not self._complete and self._reading is None

    def fetchMore(self, parent=QModelIndex()) -> None:  # noqa: N802
        if parent.isValid() or self._complete or self._reading is not None:
            return
        if self._submit is None:
            self._append(self._page(len(self._rows)))
            return
        text, practice_ids, offset, generation = self._text, self._practice_ids, len(self._rows), self._generation
        fetch, size = self._fetch_page, self.page_size

        def arrived(rows: list[PatientRow]) -> None:
            if generation == self._generation:
                self._reading = None
                if len(rows) < size:
                    self._complete = True
                self._append(rows)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self._reading = None
                self._failed(exc)

        self._reading = self._submit(lambda: fetch(text, practice_ids, size, offset), arrived, failed)

    def _append(self, more: list[PatientRow]) -> None:
        if not more:
            self._complete = True
            return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(more) - 1)
        self._rows.extend(more)
        self.endInsertRows()

    def texts(self, row: int) -> tuple[str, ...]:
        """The row's cells as shown, formatted once when first asked for."""
        texts = self._texts.get(row)
        if texts is None:
            patient = self._rows[row]
            try:
                texts = tuple(cell(patient) for _title, cell in COLUMNS)
            except Exception:  # a malformed row must not take the window down: shown empty
                log.exception("cannot show patient row %s", getattr(patient, "id", "?"))
                texts = ("",) * len(COLUMNS)
            self._texts[row] = texts
        return texts

    # -- reading ------------------------------------------------------------------------
    @property
    def complete(self) -> bool:
        return self._complete

    def patient_at(self, row: int) -> PatientRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section][0]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        """Never raises: a row that cannot be shown shows as empty. The roles a view asks for
        and this model does not answer (font, colour, decoration…) return at once."""
        role = int(role)
        if role not in (DISPLAY, TOOLTIP, ALIGNMENT, PATIENT_ID) or not index.isValid():
            return None
        row, column = index.row(), index.column()
        if not 0 <= row < len(self._rows) or not 0 <= column < len(COLUMNS):
            return None
        if role == DISPLAY:
            return self.texts(row)[column]
        if role == ALIGNMENT:
            return RIGHT if column == AGE_COLUMN else None
        patient = self._rows[row]
        if role == PATIENT_ID:
            return patient.id
        try:
            if column == MRN_COLUMN:
                return f"MRN {patient.mrn}"  # a long imported identifier is shown elided
            if column == len(COLUMNS) - 1 and patient.risk_override_reason:
                return f"Risk tier set by hand: {patient.risk_override_reason}"
            if column == len(COLUMNS) - 1 and not patient.risk_tier:
                return "No risk tier computed yet"
            if patient.status != "active":
                return f"{fmt.label(patient.status, fmt.STATUS_LABELS)} patient"
        except Exception:  # a malformed row must not take the window down
            log.exception("cannot show patient row %s", getattr(patient, "id", "?"))
        return None


def failure_text(exc: BaseException) -> str:
    """What the screen says when a search could not be run."""
    return f"The search could not be run: {exc.__class__.__name__}: {exc}"
