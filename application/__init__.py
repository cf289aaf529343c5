"""The application layer: what the screens and the command line talk to.

After Anki's ``Collection`` and Cosmic Python's service layer. A :class:`application.pod.Pod`
is the open database of one user session. Each module named for an area holds its **use
cases** (plain functions ``f(pod, ...)``, one transaction each, returning the
:class:`application.changes.ChangeSet` of what they changed) and its **read models** (plain
functions returning frozen dataclasses for a screen, a report or a command).

``ui/`` reaches storage only through here (an import-linter contract in the test suite keeps
it so); ``domain/`` holds the rules these functions apply; ``storage/`` and ``reports/`` do
the database and PDF work they ask for.
"""
