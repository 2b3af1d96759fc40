"""Responder rules for the profile: per tool name, answer with a result or an error after a
delay, without anyone at the keyboard. Edited in a small table, saved with the profile."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from voicepanel.session.tool_responders import (
    MAX_DELAY_S,
    TRANSFER_RULE,
    ResponderRule,
    ResponderRules,
    RuleAction,
)
from voicepanel.ui.empty_state import EmptyHint
from voicepanel.ui.error_banner import ErrorBanner

COLUMNS = ("Tool name", "Answer with", "Result, error or destination", "Delay (s)")
ACTIONS = {RuleAction.RESULT: "a result", RuleAction.ERROR: "an error"}
INTRO = (
    "When VAPI calls a tool named here, VoicePanel answers by itself after the delay. A delay "
    f"longer than VAPI's wait shows what the assistant does when a tool is too slow. Name a rule "
    f"<b>{TRANSFER_RULE}</b> to answer transfer requests with a destination."
)


class ResponderRulesDialog(QDialog):
    def __init__(self, rules: ResponderRules, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("responderRulesDialog")
        self.setWindowTitle(f"Responder rules: {rules.profile}")
        self.rules = rules
        layout = QVBoxLayout(self)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.banner = ErrorBanner(self)
        layout.addWidget(self.banner)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("responderRulesTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        EmptyHint(self.table, "No rules yet: Add rule, then type the tool's name.")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 160), (1, 100), (3, 80)):
            header.resizeSection(column, width)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        add = QPushButton("Add rule")
        add.setObjectName("addRule")
        add.clicked.connect(lambda: self.add_rule(ResponderRule("")))
        remove = QPushButton("Remove")
        remove.setObjectName("removeRule")
        remove.clicked.connect(self.remove_selected)
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout.addLayout(row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout.addWidget(buttons)
        for rule in rules.rules:
            self.add_rule(rule)
        self.resize(640, 320)

    def add_rule(self, rule: ResponderRule) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(rule.tool))
        action = QComboBox()
        for value, label in ACTIONS.items():
            action.addItem(label, value)
        action.setCurrentIndex(list(ACTIONS).index(rule.action))
        self.table.setCellWidget(row, 1, action)
        self.table.setItem(row, 2, QTableWidgetItem(rule.text))
        delay = QDoubleSpinBox()
        delay.setRange(0.0, MAX_DELAY_S)
        delay.setDecimals(1)
        delay.setSingleStep(0.5)
        delay.setValue(rule.delay_s)
        self.table.setCellWidget(row, 3, delay)
        if not rule.tool:
            self.table.setCurrentCell(row, 0)
            self.table.editItem(self.table.item(row, 0))

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for row in rows or [self.table.currentRow()]:
            if row >= 0:
                self.table.removeRow(row)

    def edited_rules(self) -> list[ResponderRule]:
        rules = []
        for row in range(self.table.rowCount()):
            tool = (self.table.item(row, 0) or QTableWidgetItem()).text().strip()
            text = (self.table.item(row, 2) or QTableWidgetItem()).text().strip()
            action = self.table.cellWidget(row, 1)
            delay = self.table.cellWidget(row, 3)
            assert isinstance(action, QComboBox) and isinstance(delay, QDoubleSpinBox)
            if not tool and not text:
                continue  # an empty row the tester added and left
            rules.append(ResponderRule(tool, action.currentData(), text, delay.value()))
        return rules

    def save(self) -> None:
        try:
            self.rules.replace(self.edited_rules())
        except Exception as error:  # noqa: BLE001 - shown in the dialog
            self.banner.show_error(error)
            return
        self.accept()
