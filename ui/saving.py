"""A save a dialog waits for: the use case runs on the task runner's writer while the dialog
stays open; a broken rule comes back as the message to show in it (nothing was saved)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.errors import DomainError


def save_and_wait(context, work: Callable[[], Any], *, label: str = "Saving…", parent=None,
                  failed: str = "It could not be saved") -> tuple[Any, str | None]:
    """(the use case's result, None) once saved, or (None, the message to show)."""
    task = context.tasks.write(lambda job: work(), label=label, parent=parent, on_error=lambda _e: None)
    context.tasks.wait_for(task)
    if isinstance(task.error, DomainError):
        return None, str(task.error)
    if task.error is not None:
        return None, f"{failed}: {task.error}"
    return task.result, None
