"""Everything the app remembers between runs, typed, with its defaults in one place.

Stored with QSettings in an INI file: ``$CAREPOD_HOME/settings.ini`` when that is
set (tests, portable installs), the platform's user config location otherwise.
``VERSION`` and :func:`_upgrade` carry older stores forward (Picard's config_upgrade).
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

VERSION = 1
RECENT_LIMIT = 15


# key -> default. Every key the app reads is here; nothing else is read or written.
DEFAULTS: dict[str, object] = {
    "window/geometry": QByteArray(),
    "window/state": QByteArray(),
    "window/section": "Patients",
    "user/name": "",  # the staff member chosen at start (File ▸ Change user); empty: not chosen yet
    "export/folder": "",  # where the last export was written; empty: the user's documents folder
    "patients/practice_id": 0,  # 0: all practices
    "patients/header": QByteArray(),
    "patients/recent": "",  # comma-separated patient ids, most recent first
    "chart/last_tab": 0,
    "gaps/filters": "",  # JSON, written and read by the Gaps worklist
    "reviews/print_folder": "",  # where the last review printout was saved
    "reviews/group": "",  # the pharmacist's worklist: the group shown ("" all)
    "reports/folder": "",  # where reports were last saved; empty: the user's documents folder
}


def _store() -> QSettings:
    home = os.environ.get("CAREPOD_HOME")
    if home:
        return QSettings(str(Path(home) / "settings.ini"), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "Carepod", "Carepod")


def _upgrade(store: QSettings) -> None:
    """Bring a store written by an older version up to ``VERSION`` (nothing to move yet)."""
    store.setValue("settings/version", VERSION)


class Settings:
    """Typed access to the remembered values; ``Settings(store)`` for an explicit store."""

    def __init__(self, store: QSettings | None = None):
        self.store = store if store is not None else _store()
        version = self.store.value("settings/version")
        if version is None or int(version) < VERSION:
            _upgrade(self.store)

    # -- raw access, typed by the default's type --------------------------------------
    def _get(self, key: str):
        default = DEFAULTS[key]
        value = self.store.value(key, default)
        if isinstance(default, QByteArray):
            return value if isinstance(value, QByteArray) else QByteArray()
        if isinstance(default, int):
            try:
                return int(value)
            except (TypeError, ValueError):
                return default
        return "" if value is None else str(value)

    def _set(self, key: str, value) -> None:
        if key not in DEFAULTS:
            raise KeyError(f"{key} is not a Carepod setting")
        self.store.setValue(key, value)

    def sync(self) -> None:
        self.store.sync()

    # -- the values -------------------------------------------------------------------
    @property
    def user_name(self) -> str:
        """The staff member using the app, as chosen from the pod's staff ('' before anyone was
        chosen: never the operating-system login, which names nobody of the pod)."""
        return self._get("user/name").strip()

    @user_name.setter
    def user_name(self, name: str) -> None:
        self._set("user/name", name.strip())

    window_geometry = property(lambda self: self._get("window/geometry"),
                               lambda self, v: self._set("window/geometry", v))
    window_state = property(lambda self: self._get("window/state"),
                            lambda self, v: self._set("window/state", v))
    section = property(lambda self: self._get("window/section"),
                       lambda self, v: self._set("window/section", v))
    results_header = property(lambda self: self._get("patients/header"),
                              lambda self, v: self._set("patients/header", v))
    gaps_filters = property(lambda self: self._get("gaps/filters"),
                            lambda self, v: self._set("gaps/filters", v))
    export_folder = property(lambda self: self._get("export/folder"),
                             lambda self, v: self._set("export/folder", str(v)))
    review_print_folder = property(lambda self: self._get("reviews/print_folder"),
                                   lambda self, v: self._set("reviews/print_folder", v))
    review_group = property(lambda self: self._get("reviews/group"), lambda self, v: self._set("reviews/group", v))
    chart_tab = property(lambda self: self._get("chart/last_tab"),
                         lambda self, v: self._set("chart/last_tab", int(v)))

    @property
    def report_folder(self) -> str:
        """The folder reports are saved into: the last one chosen, else the user's documents."""
        folder = self._get("reports/folder")
        if folder and Path(folder).is_dir():
            return folder
        from PySide6.QtCore import QStandardPaths

        return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())

    @report_folder.setter
    def report_folder(self, folder: str) -> None:
        self._set("reports/folder", str(folder))

    @property
    def practice_filter(self) -> int | None:
        """The practice the search is limited to; None for the whole pod."""
        value = self._get("patients/practice_id")
        return value or None

    @practice_filter.setter
    def practice_filter(self, practice_id: int | None) -> None:
        self._set("patients/practice_id", practice_id or 0)

    @property
    def recent_patient_ids(self) -> list[int]:
        ids = []
        for part in self._get("patients/recent").split(","):
            if part.strip().isdigit():
                ids.append(int(part))
        return ids[:RECENT_LIMIT]

    def remember_opened(self, patient_id: int) -> None:
        ids = [patient_id, *(i for i in self.recent_patient_ids if i != patient_id)][:RECENT_LIMIT]
        self._set("patients/recent", ",".join(map(str, ids)))
