"""The window's connections keep a smaller page cache than the command line's (issue 24: two
readers' 64 MB caches were 128 MB of the window's memory after scrolling a worklist)."""
from __future__ import annotations

from application.pod import Pod


def _cache_kib(engine) -> int:
    with engine.connect() as conn:
        return -conn.exec_driver_sql("PRAGMA cache_size").scalar()


def test_the_window_s_connections_keep_a_smaller_page_cache(engine, context):
    assert _cache_kib(context.pod.engine) == Pod.WINDOW_PAGE_CACHE_MB * 1024 < 64 * 1024
    with context.pod.engine.connect() as first, context.pod.engine.connect() as second:  # every connection
        assert {-c.exec_driver_sql("PRAGMA cache_size").scalar() for c in (first, second)} == {16 * 1024}


def test_the_command_line_s_connections_keep_theirs(tmp_path):
    from storage.db import open_database

    engine = open_database(tmp_path / "cli.db")
    assert _cache_kib(engine) == 64 * 1024
    engine.dispose()


def test_a_long_read_keeps_a_large_cache_meanwhile_and_gives_it_back(engine, context):
    from storage.db import large_page_cache

    with context.pod.engine.connect() as conn:
        with large_page_cache(conn, 64):
            assert -conn.exec_driver_sql("PRAGMA cache_size").scalar() == 64 * 1024
        assert -conn.exec_driver_sql("PRAGMA cache_size").scalar() == Pod.WINDOW_PAGE_CACHE_MB * 1024


def test_an_import_and_a_recompute_from_the_window_keep_the_bulk_cache_while_they_write(engine, context,
                                                                                         monkeypatch):
    """Imports and recomputes started from the window write on its engine's connections: they keep
    64 MB of pages while they work (a period's gaps written with a small cache took a quarter more
    CPU), then give the connection back to the window as it was."""
    import datetime as dt

    import storage.importers.store as store_module
    import storage.measures.local_run as local_run
    from application.imports import import_files
    from domain.measures.period import MeasurementPeriod
    from storage.db import BULK_CACHE_MB
    from storage.measures.recompute import recompute
    from tests.conftest import ROOT

    seen = []
    begin = store_module.Store.begin

    def watched_begin(self):  # each file's transaction, on the import's raw connection
        seen.append(("import", -self.db.execute("PRAGMA cache_size").fetchone()[0]))
        return begin(self)

    monkeypatch.setattr(store_module.Store, "begin", watched_begin)
    bundles = sorted((ROOT.parent / "shared" / "synthea").glob("*.json"))[:1]
    assert bundles
    import_files(context.pod, bundles)
    plan = local_run.plan_writes

    def watched_plan(con, *args, **kwargs):
        seen.append(("recompute", -con.execute("PRAGMA cache_size").fetchone()[0]))
        return plan(con, *args, **kwargs)

    monkeypatch.setattr(local_run, "plan_writes", watched_plan)
    recompute(context.pod.engine, MeasurementPeriod(dt.date(2026, 1, 1), dt.date(2026, 12, 31)), workers=1)
    assert {what for what, _kib in seen} == {"import", "recompute"}
    assert {kib for _what, kib in seen} == {BULK_CACHE_MB * 1024}
    assert _cache_kib(context.pod.engine) == Pod.WINDOW_PAGE_CACHE_MB * 1024  # given back
