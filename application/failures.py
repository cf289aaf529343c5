"""What went wrong with the database file or the disk, in words (for the screens)."""
from __future__ import annotations

from storage.failures import reason_of

__all__ = ["reason_of"]
