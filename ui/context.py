"""What every screen is given: the application's Pod, the task runner, the settings, the user."""
from __future__ import annotations

import dataclasses

from application.pod import Pod
from ui.settings import Settings
from ui.tasks import TaskRunner


@dataclasses.dataclass
class AppContext:
    pod: Pod  # the open database; use cases and read models take it
    settings: Settings
    tasks: TaskRunner  # all database writes and slow reads go through it

    @property
    def database(self) -> str:
        """The file (or URL) shown in the status bar."""
        return self.pod.label

    @property
    def user(self) -> str:
        """The staff member every record and audit event names."""
        return self.settings.user_name

    @classmethod
    def create(cls, pod: Pod, settings: Settings, tasks: TaskRunner | None = None) -> "AppContext":
        """The one place a context is composed: the Pod's actor follows the settings' user."""
        context = cls(pod=pod, settings=settings, tasks=tasks or TaskRunner())
        context.pod = pod.for_window().with_actor(lambda: context.user)
        return context
