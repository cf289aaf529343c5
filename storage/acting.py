"""The one sentence a command says when it is not told who is doing the work (``--as NAME``).

Every command that views, changes, prints or exports what a pod holds (``main.ACTING``) acts as
a staff member of the pod and does nothing without one: it calls :func:`acting_as` first and
exits :data:`NO_ACTOR_EXIT` before opening the database (nothing written, no file created). No
command records the computer's login name instead: the audit trail names someone on the staff
list. Here (not in ``application``) so that the commands living in ``storage`` (import,
evaluate-measure) say the same sentence; ``application.commands.acting`` checks the name."""
from __future__ import annotations

import sys

NO_ACTOR_EXIT = 2


def acting_as(args, command: str, doing: str) -> str | None:
    """The staff member ``args`` names with ``--as`` (``args.as_name``: checked by main.py against
    the pod's active staff and spelt as the pod spells it), or None after saying on standard
    error that the command needs one: ``command`` is the message's prefix (``"report"``),
    ``doing`` what the person does (``"printing the report"``). The caller then returns
    :data:`NO_ACTOR_EXIT`."""
    name = getattr(args, "as_name", None)
    if name:
        return name
    print(f"{command}: say who is {doing} with --as NAME (one of the pod's active staff); "
          "the audit trail records the name", file=sys.stderr)
    return None
