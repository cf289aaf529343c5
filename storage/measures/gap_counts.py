"""The Gaps worklist's counts (``gap_count``: gaps per measure, period, population group,
practice and state, of the patients not entered in error) kept in step with the gap rows, so that a count reads a few hundred
summary rows instead of counting millions of gaps (0.5-1 s at 1,000,000 patients).

Every write of a measure's gaps goes through :mod:`storage.measures.gap_steps`, a step at a
time; each step adds what it wrote to the counts in its own transaction (new gaps by their
state, a state change as one less of the old state and one more of the new), so a count read
at any moment agrees with the gaps it could read. A patient changing practice moves their gaps'
counts with them, and a patient marked entered-in-error takes theirs out (a trigger on
``patient``, made by migration 0018).

``gap_count_write`` says for which measure and period the counts are in step: the
``gap_write.version`` they were kept at. A measure and period written by anything else (the
version moved on without them) is counted from the gap rows (:mod:`storage.queries.gaps`)
until its next write, which builds its counts again whole (:func:`rebuild`).

Like :mod:`storage.measures.gap_writer`, one of the modules that use SQLite-specific SQL
(upserts, a trigger) for speed, on the recompute's raw sqlite3 connection.
"""
from __future__ import annotations

from collections.abc import Sequence

_PERIOD_KEY = "measure_id, period_start, period_end"
_KEY = f"{_PERIOD_KEY}, group_index"

# the counts of the gaps a condition on ``gap g`` selects, added to what is kept
_ADD = (f"INSERT INTO gap_count ({_KEY}, practice_id, state, n) "
        "SELECT g.measure_id, g.period_start, g.period_end, g.group_index, p.practice_id, g.state, count(*) "
        "FROM gap g JOIN patient p ON p.id = g.patient_id WHERE {where} AND p.entered_in_error = 0 "
        "GROUP BY g.measure_id, g.period_start, g.period_end, g.group_index, p.practice_id, g.state "
        "ON CONFLICT DO UPDATE SET n = n + excluded.n")

# one gap's state counted once more (+1) or once less (-1)
_MOVE = (f"INSERT INTO gap_count ({_KEY}, practice_id, state, n) "
         "SELECT g.measure_id, g.period_start, g.period_end, g.group_index, p.practice_id, ?2, ?3 "
         "FROM gap g JOIN patient p ON p.id = g.patient_id WHERE g.id = ?1 AND p.entered_in_error = 0 "
         "ON CONFLICT DO UPDATE SET n = n + excluded.n")

_PERIOD = "measure_id = ? AND period_start = ? AND period_end = ?"

# A patient's change of practice moves the counts of their gaps, and marking them entered in
# error takes them out (rare writes: an imported patient assigned a practice, a correction).
PATIENT_CHANGED_TRIGGER = f"""
CREATE TRIGGER IF NOT EXISTS gap_count_patient_changed AFTER UPDATE OF practice_id, entered_in_error ON patient
WHEN OLD.practice_id IS NOT NEW.practice_id OR OLD.entered_in_error IS NOT NEW.entered_in_error
BEGIN
    INSERT INTO gap_count ({_KEY}, practice_id, state, n)
        SELECT {_KEY}, OLD.practice_id, state, -count(*) FROM gap
        WHERE patient_id = NEW.id AND OLD.entered_in_error = 0
        GROUP BY {_KEY}, state
        ON CONFLICT DO UPDATE SET n = n + excluded.n;
    INSERT INTO gap_count ({_KEY}, practice_id, state, n)
        SELECT {_KEY}, NEW.practice_id, state, count(*) FROM gap
        WHERE patient_id = NEW.id AND NEW.entered_in_error = 0
        GROUP BY {_KEY}, state
        ON CONFLICT DO UPDATE SET n = n + excluded.n;
END
"""


def in_step(con, mid: str, ps: str, pe: str) -> bool:
    """Are the measure's counts of the period in step with its gaps (before a write step)? A
    measure and period never written and without gaps is: there is nothing to count yet."""
    row = con.execute("SELECT w.version, c.version FROM gap_write w LEFT JOIN gap_count_write c "
                      f"USING ({_PERIOD_KEY}) WHERE w.measure_id = ? AND w.period_start = ? AND w.period_end = ?",
                      (mid, ps, pe)).fetchone()
    if row is None:
        return con.execute(f"SELECT 1 FROM gap WHERE {_PERIOD} LIMIT 1", (mid, ps, pe)).fetchone() is None
    return row[0] == row[1]


def add_new(con, first_id: int, last_id: int) -> None:
    """Count the gaps just inserted with ids ``first_id..last_id``."""
    con.execute(_ADD.format(where="g.id BETWEEN ? AND ?"), (first_id, last_id))


def move_states(con, changes: Sequence[tuple]) -> None:
    """Count the state changes just written: ``(gap_id, from_state, to_state, ...)`` each."""
    con.executemany(_MOVE, [(change[0], state, delta) for change in changes
                            for state, delta in ((change[1], -1), (change[2], 1))])


def rebuild(con, mid: str, ps: str, pe: str) -> None:
    """The measure's counts of the period made again from its gaps."""
    con.execute(f"DELETE FROM gap_count WHERE {_PERIOD}", (mid, ps, pe))
    con.execute(_ADD.format(where="g.measure_id = ? AND g.period_start = ? AND g.period_end = ?"), (mid, ps, pe))


def mark_in_step(con, mid: str, ps: str, pe: str) -> None:
    """The counts are in step with the measure's gaps as of its current ``gap_write`` version."""
    con.execute(f"INSERT INTO gap_count_write ({_PERIOD_KEY}, version) "
                f"SELECT {_PERIOD_KEY}, version FROM gap_write WHERE {_PERIOD} "
                "ON CONFLICT DO UPDATE SET version = excluded.version", (mid, ps, pe))


def after_step(con, mid: str, ps: str, pe: str, *, counted: bool, done: bool) -> None:
    """After a write step bumped the measure's ``gap_write`` version: its counts follow it when
    the step kept them (``counted``); counts out of step are built again whole by the last step."""
    if not counted and done:
        rebuild(con, mid, ps, pe)
        counted = True
    if counted:
        mark_in_step(con, mid, ps, pe)


def build_all(execute) -> None:
    """Every count made from the gaps, in step with every measure's ``gap_write`` (migration
    0018); ``execute(sql)`` runs a statement."""
    execute("DELETE FROM gap_count")
    execute("DELETE FROM gap_count_write")
    execute(_ADD.format(where="1"))
    execute(f"INSERT INTO gap_count_write ({_PERIOD_KEY}, version) SELECT {_PERIOD_KEY}, version FROM gap_write")
