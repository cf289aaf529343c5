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
