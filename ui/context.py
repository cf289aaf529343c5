"""What every screen is given: the open database, the settings and who is using the app."""
from __future__ import annotations

import dataclasses

from sqlalchemy.engine import Engine

from ui.settings import Settings


@dataclasses.dataclass
class AppContext:
    engine: Engine
    database: str  # the file (or URL) shown in the status bar
    settings: Settings

    @property
    def user(self) -> str:
        """The staff member every audit event names."""
        return self.settings.user_name
