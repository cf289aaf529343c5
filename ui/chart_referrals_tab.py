"""The chart's Referrals tab: the patient's referrals with their history, and what can be done
with them: order a new one (Ctrl+N), move the selected one along its closed loop (Ctrl+M), print
its letter to the specialist (Ctrl+P), log outreach about it (Ctrl+L).

Built from the chart read model; after a change the Patients section reads the chart again and
rebuilds the tab in place (the ChangeSet names the patient).
"""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from domain.clock import utcnow
from ui import shortcuts
from ui.chart_tabs import referral_lines, record_list
from ui.outreach_dialog import open_outreach_dialog
from ui.referral_actions import move_referral, new_referral, print_letter


class ChartReferralsTab(QWidget):
    def __init__(self, context, chart, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("chartReferralsTab")
        self.context, self.chart = context, chart
        self.patient = chart.patient
        self.referrals = list(chart.referrals)
        self.referral_dialog = None
        self.outreach_dialog = None
        self.list = record_list("Referrals and their history",
                                ("Ordered", "Specialty", "Reason", "Urgency", "State", "Since", "Due"),
                                "No referrals on record", referral_lines(chart, utcnow()))
        self.list.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.new_button = QPushButton("New referral…", objectName="chartNewReferral")
        self.move_button = QPushButton("Move…", objectName="chartMoveReferral")
        self.letter_button = QPushButton("Letter…", objectName="chartReferralLetter")
        self.outreach_button = QPushButton("Log outreach…", objectName="chartReferralOutreach")
        for button, shortcut in ((self.new_button, shortcuts.NEW_REFERRAL), (self.move_button, shortcuts.MOVE_REFERRAL),
                                 (self.letter_button, shortcuts.PRINT), (self.outreach_button, shortcuts.LOG_OUTREACH)):
            button.setToolTip(f"{shortcut.description} ({shortcuts.display_keys(shortcut.keys)})")
            button.setAutoDefault(False)
        self.new_button.clicked.connect(self.new_referral)
        self.move_button.clicked.connect(self.move_selected)
        self.letter_button.clicked.connect(lambda: self.print_selected_letter())
        self.outreach_button.clicked.connect(self.log_outreach)
        self.message = QLabel(objectName="chartReferralMessage")
        self.message.setProperty("role", "hint")
        buttons = QHBoxLayout()
        for button in (self.new_button, self.move_button, self.letter_button, self.outreach_button):
            buttons.addWidget(button)
        buttons.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(8)
        layout.addLayout(buttons)
        layout.addWidget(self.list, 1)
        layout.addStretch(0)
        shortcuts.bind(shortcuts.NEW_REFERRAL, self, self.new_referral)
        shortcuts.bind(shortcuts.MOVE_REFERRAL, self, self.move_selected)
        shortcuts.bind(shortcuts.PRINT, self, lambda: self.print_selected_letter())
        shortcuts.bind(shortcuts.LOG_OUTREACH, self, self.log_outreach)
        if self.referrals:
            self.list.tree.setCurrentItem(self.list.tree.topLevelItem(0))
        self._update_buttons()

    def selected(self):
        """The referral of the selected line (a history line selects its referral)."""
        item = self.list.tree.currentItem()
        if item is None:
            return None
        top = item.parent() or item
        index = self.list.tree.indexOfTopLevelItem(top)
        return self.referrals[index] if 0 <= index < len(self.referrals) else None

    def select(self, referral_id: int) -> None:
        index = next(i for i, r in enumerate(self.referrals) if r.id == referral_id)
        self.list.tree.setCurrentItem(self.list.tree.topLevelItem(index))

    def _update_buttons(self) -> None:
        referral = self.selected()
        self.move_button.setEnabled(referral is not None and referral.state not in ("closed", "cancelled", "declined"))
        self.letter_button.setEnabled(referral is not None)
        self.outreach_button.setEnabled(True)

    def new_referral(self):
        return new_referral(self.context, self, self.patient.id, self.patient.display_name)

    def move_selected(self):
        referral = self.selected()
        if referral is None:
            return None
        text = f"{self.patient.display_name} — {referral.specialty}: {referral.reason}"
        return move_referral(self.context, self, referral.id, referral.state, referral.state_since, text)

    def print_selected_letter(self, path: str | None = None):
        referral = self.selected()
        if referral is None:
            return None
        return print_letter(self.context, self, referral.id, self.patient.display_name, referral.specialty, path=path,
                            on_done=lambda printed: self.message.setText(f"Letter written to {printed.path}."))

    def log_outreach(self):
        referral = self.selected()
        return open_outreach_dialog(self.context, self, self.patient.id, self.patient.display_name,
                                    referral_id=referral.id if referral is not None and referral.state not in (
                                        "closed", "cancelled", "declined") else None)


def chart_referrals_tab(context, chart):
    """The chart's tab factory (``ui.chart_tabs.CHART_TABS``): (widget, number of referrals)."""
    tab = ChartReferralsTab(context, chart)
    return tab, len(tab.referrals)
