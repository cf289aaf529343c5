"""Every keyboard shortcut of the app, in one table that the widgets and the Help dialog both read."""
from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget


@dataclasses.dataclass(frozen=True)
class Shortcut:
    keys: tuple[str, ...]
    description: str


FIND_PATIENT = Shortcut(("Ctrl+K", "Ctrl+F", "F3"), "Find a patient (from anywhere)")
OPEN_CHART = Shortcut(("Return", "Enter"), "Open the chart of the selected patient")
RESULTS = Shortcut(("Down",), "From the search box: move into the results")
CLOSE_CHART = Shortcut(("Esc", "Ctrl+W"), "Close the chart")
NEXT_TAB = Shortcut(("Ctrl+Tab", "Ctrl+PgDown"), "Next tab of the chart")
PREVIOUS_TAB = Shortcut(("Ctrl+Shift+Tab", "Ctrl+PgUp"), "Previous tab of the chart")
NEXT_CHART = Shortcut(("Alt+PgDown",), "Next open chart")
PREVIOUS_CHART = Shortcut(("Alt+PgUp",), "Previous open chart")
PRACTICE_FILTER = Shortcut(("Alt+P",), "Choose the practice to search in")
OPEN_DATABASE = Shortcut(("Ctrl+O",), "Open another database")
SWITCH_USER = Shortcut(("Ctrl+Shift+U",), "Change the current staff member")
SHOW_SHORTCUTS = Shortcut(("F1", "Ctrl+/"), "Show these keyboard shortcuts")
QUIT = Shortcut(("Ctrl+Q",), "Quit Carepod")
IMPORT = Shortcut(("Ctrl+I",), "Import FHIR bundles, NDJSON files or CSV panels")
RECOMPUTE = Shortcut(("Ctrl+R",), "Recompute gaps in care")
LOG_OUTREACH = Shortcut(("Ctrl+L",), "Log an outreach attempt (Today, Gaps, Referrals, the chart)")
MARK_DONE = Shortcut(("Ctrl+D",), "Today: mark the selected item done")
SNOOZE = Shortcut(("Ctrl+S",), "Today: snooze the selected item until a day, with a reason")
UNDO_MARK = Shortcut(("Ctrl+Z",), "Today: undo the last Done or Snooze (the item is back on the list)")
PRINT = Shortcut(("Ctrl+P",), "Print: the day sheet (Today), the referral letter (Referrals, chart)")
REFRESH = Shortcut(("F5",), "Read the list again (Today, Referrals)")
MOVE_REFERRAL = Shortcut(("Ctrl+M",), "Move the selected referral to its next state")
NEW_REFERRAL = Shortcut(("Ctrl+N",), "Chart, Referrals tab: order a new referral")
# the night nurse line
NEW_CALL = Shortcut(("Ctrl+Shift+N",), "New after-hours call (from anywhere)")
SAVE_CALL = Shortcut(("Ctrl+S", "Ctrl+Return"), "Call entry: save the complete call")
SAVE_WAITING = Shortcut(("Ctrl+Shift+S",), "Call entry: save as waiting for a call-back")
PAGE_ON_CALL = Shortcut(("Ctrl+Shift+P",), "Call entry or waiting calls: page the on-call clinician")
PRINT_CALLS = Shortcut(("Ctrl+P",), "After-hours calls: print the call record or the hand-off sheet")
ACKNOWLEDGE = Shortcut(("Ctrl+Shift+A",), "Hand-off: the practice acknowledges the selected calls")
# the care manager's, on a chart (Care plan and Activity tabs) and the month view
TIMER = Shortcut(("Ctrl+T",), "Start or stop the timer on the chart")
LOG_TIME = Shortcut(("Ctrl+Shift+T",), "Log time by hand for the chart's patient")
RISK_TIER = Shortcut(("Ctrl+Shift+R",), "Set the chart's risk tier by hand (or back to computed)")
NEW_GOAL = Shortcut(("Ctrl+G",), "Care plan: add a goal to the chosen plan")
NEW_TASK = Shortcut(("Alt+N",), "Care plan: new task for the chart's patient")
TASK_DONE = Shortcut(("Ctrl+D",), "Care plan: mark the chosen task done")
HAND_OVER = Shortcut(("Ctrl+Shift+H",), "Care plan: hand the chosen task to a colleague")
EDIT_ITEM = Shortcut(("F2",), "Care plan: change the chosen plan, goal, intervention or task")
CARE_MONTH = Shortcut(("Ctrl+Shift+M",), "Care management month of a practice (CCM minutes, transitional care)")

# the order the Help dialog lists them in; sections add their own "go to" keys
ALL: tuple[Shortcut, ...] = (
    FIND_PATIENT, RESULTS, OPEN_CHART, CLOSE_CHART, NEXT_TAB, PREVIOUS_TAB, NEXT_CHART, PREVIOUS_CHART,
    PRACTICE_FILTER, OPEN_DATABASE, SWITCH_USER, IMPORT, RECOMPUTE, LOG_OUTREACH, MARK_DONE, SNOOZE, UNDO_MARK, PRINT,
    REFRESH, MOVE_REFERRAL, NEW_REFERRAL, NEW_CALL, SAVE_CALL, SAVE_WAITING, PAGE_ON_CALL, PRINT_CALLS, ACKNOWLEDGE,
    TIMER, LOG_TIME, RISK_TIER, NEW_GOAL, NEW_TASK, TASK_DONE, HAND_OVER, EDIT_ITEM, CARE_MONTH,
    SHOW_SHORTCUTS, QUIT,
)


def key_sequences(shortcut: Shortcut) -> list[QKeySequence]:
    return [QKeySequence(k) for k in shortcut.keys]


def display_keys(keys: tuple[str, ...]) -> str:
    """Keys as the platform writes them (Ctrl on Linux/Windows, ⌘ on macOS)."""
    return "  or  ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in keys)


def bind(shortcut: Shortcut, parent: QWidget, slot, *,
         context: Qt.ShortcutContext = Qt.ShortcutContext.WidgetWithChildrenShortcut) -> list[QShortcut]:
    """QShortcuts for every key of ``shortcut``, active while focus is inside ``parent``."""
    made = []
    for sequence in key_sequences(shortcut):
        item = QShortcut(sequence, parent)
        item.setContext(context)
        item.activated.connect(slot)
        made.append(item)
    return made

# the medication review window (ui/review_screen.py) and the pharmacist's worklist (ui/reviews_section.py)
REVIEW_RECONCILE = Shortcut(("1", "2", "3", "4"),
                            "Medication review, in the list: continue, changed, stopped, patient not taking")
REVIEW_ADD = Shortcut(("Ctrl+N",), "Medication review: add a medication or a problem; worklist: start the review")
REVIEW_FINISH = Shortcut(("Ctrl+Return", "Ctrl+Enter"), "Medication review: finish it")
REVIEW_SAVE = Shortcut(("Ctrl+S",), "Medication review: save now, or record a response, follow-up or summary")
REVIEW_DOCUMENTS = Shortcut(("Ctrl+P",), "Medication review: print the patient's documents")
REVIEW_LETTERS = Shortcut(("Ctrl+Shift+P",), "Medication review: print the letters to the prescribers")
ALL += (REVIEW_RECONCILE, REVIEW_ADD, REVIEW_FINISH, REVIEW_SAVE, REVIEW_DOCUMENTS, REVIEW_LETTERS)
