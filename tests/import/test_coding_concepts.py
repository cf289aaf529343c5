"""A coding's text is kept once, in coding_concept (storage.codings): an import writes each new
concept with the file that needs it, and a file undone takes its new concepts with it, so the next
file does not name a concept that is gone."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from storage.codings import with_text
from storage.importers.run import import_paths
from test_bad_input import PATIENT, bundle, condition

LOCAL = "http://example.org/local-codes"


def _codings(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            f"SELECT c.role, c.system, c.code, c.display FROM {with_text()} c ORDER BY c.id"))]


def test_each_text_is_kept_once_and_read_back_whole(engine, tmp_path):
    coded = {"coding": [{"system": LOCAL, "code": "X1", "display": "Local one"},
                        {"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes"}]}
    path = tmp_path / "two.json"
    path.write_text(bundle(PATIENT, condition(code=coded), condition(id="c2", code=coded)))
    assert import_paths(engine, [path]).exit_status == 0
    assert _codings(engine) == [("code", LOCAL, "X1", "Local one"), ("code", "http://snomed.info/sct", "44054006",
                                                                    "Diabetes")] * 2
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM coding_concept")).scalar() == 2


def test_a_file_undone_takes_its_new_concepts_with_it(engine, tmp_path, monkeypatch):
    from storage.importers.loader import FileLoader

    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(bundle(PATIENT, condition(code={"coding": [{"system": LOCAL, "code": "X1", "display": "One"}]})))
    second.write_text(bundle(dict(PATIENT, id="p2", identifier=[{"type": {"coding": [{"code": "MR"}]}, "value": "M2"}]),
                             condition(id="c2", subject={"reference": "Patient/p2"},
                                       code={"coding": [{"system": LOCAL, "code": "X1", "display": "One"}]})))
    real = FileLoader.finish_warnings
    calls = {"n": 0}

    def fails_once(self):  # the first file fails once its codings and their new concept are written
        calls["n"] += 1
        if calls["n"] == 1:
            self.store.flush()
            raise RuntimeError("the disk went away")
        return real(self)

    monkeypatch.setattr(FileLoader, "finish_warnings", fails_once)
    report = import_paths(engine, [first, second])
    assert report.files_rejected == 1 and calls["n"] == 2
    assert _codings(engine) == [("code", LOCAL, "X1", "One")]  # the second file's, naming a concept that is there
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM coding_concept")).scalar() == 1
        assert conn.execute(sa.text("PRAGMA foreign_key_check")).all() == []


def test_a_concept_is_never_changed_or_removed(engine, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(bundle(PATIENT, condition(code={"coding": [{"system": LOCAL, "code": "X1", "display": "One"}]})))
    assert import_paths(engine, [path]).exit_status == 0
    for sql in ("UPDATE coding_concept SET code = 'X2'", "DELETE FROM coding_concept"):
        with pytest.raises(sa.exc.IntegrityError, match="never"):
            with engine.begin() as conn:
                conn.execute(sa.text(sql))
    assert _codings(engine) == [("code", LOCAL, "X1", "One")]


def test_codings_of_missing_facts_stop_the_upgrade_with_nothing_changed(db_path):
    import sqlite3

    from storage.db import create_engine
    from storage.migrate import current_revision, upgrade_to

    engine = create_engine(db_path)
    upgrade_to(engine, "0020")
    engine.dispose()
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA foreign_keys = OFF")  # another tool, with its checks off
    con.execute("INSERT INTO fact_coding (fact_id, role, system, code, display) VALUES (999, 'code', 's', 'c', '')")
    con.commit()
    con.close()
    engine = create_engine(db_path)
    try:
        with pytest.raises(Exception, match="1 codings name clinical facts that are not in the database"):
            upgrade_to(engine, "head")
        assert current_revision(engine) == "0020"
    finally:
        engine.dispose()
