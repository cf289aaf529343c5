"""bench/size_model.py builds the compact fact layout issue 24's redesign would use and measures
it: the layout must keep everything the pod's fact tables hold (every coding in its order with
its display, every time to the second, every coded fact), or its size would mean nothing."""
from __future__ import annotations

import importlib.util
import sqlite3
import sys
from pathlib import Path
from storage.codings import facts_with_text, with_text

ROOT = Path(__file__).resolve().parents[2]


def _size_model():
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("size_model", ROOT / "bench" / "size_model.py")
    module = sys.modules["size_model"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_compact_layout_keeps_every_fact_and_is_smaller(tmp_path, capsys):
    from storage.demo.generate import create_demo_pod

    pod, scratch = tmp_path / "pod.db", tmp_path / "compact.db"
    create_demo_pod(pod, practices=2, patients=300, seed=7)
    # a fact without a code keeps its text; a time just before midnight stays on its day
    con = sqlite3.connect(pod)
    herbal = con.execute("INSERT INTO coding_concept (system, code, display) "
                         "VALUES ('', '', 'Herbal tea from a neighbour')").lastrowid
    assert con.execute(f"UPDATE clinical_fact SET code = '', concept_id = {herbal} "
                       "WHERE id = (SELECT min(id) FROM clinical_fact WHERE kind = 'medication_statement')").rowcount == 1
    assert con.execute("UPDATE clinical_fact SET recorded_at = '2024-12-31 23:59:59.999900' WHERE id = 2").rowcount == 1
    con.commit()
    con.close()
    before = pod.read_bytes()
    assert _size_model().main(["--db", str(pod), "--scratch", str(scratch)]) == 0
    out = capsys.readouterr().out
    assert pod.read_bytes() == before  # the pod is only read

    con = sqlite3.connect(scratch)
    con.execute("ATTACH ? AS pod", (str(pod),))
    # every coding, in its order within its fact and role, with its system, code and display
    codings = ("SELECT c.fact_id, r.name, k.system, k.code, n.display FROM fact_coding c "
               "JOIN role r ON r.id = c.role JOIN concept n ON n.id = c.concept_id JOIN code k ON k.id = n.code_id "
               "ORDER BY c.fact_id, r.name, c.position")
    original = f"SELECT fact_id, role, system, code, display FROM {with_text('pod.')} ORDER BY fact_id, role, id"
    assert con.execute(codings).fetchall() == con.execute(original).fetchall()
    assert len(con.execute(original).fetchall()) > 1000
    # each fact's code, coded value, kind and times
    facts = ("SELECT f.id, kd.name, k.system, k.code, n.display, vk.code, "
             "CASE WHEN vn.id IS NULL THEN f.value_text ELSE vn.display END, "
             "datetime(f.start_at, 'unixepoch'), datetime(f.end_at, 'unixepoch'), "
             "datetime(f.recorded_at, 'unixepoch'), f.start_raw "
             "FROM clinical_fact f JOIN kind kd ON kd.id = f.kind "
             "JOIN concept n ON n.id = f.concept_id JOIN code k ON k.id = n.code_id "
             "LEFT JOIN concept vn ON vn.id = f.value_concept_id LEFT JOIN code vk ON vk.id = vn.code_id ORDER BY f.id")
    original = ("SELECT id, kind, code_system, code, display, "
                "nullif(value_code, ''), value_text, substr(start_at, 1, 19), substr(end_at, 1, 19), "
                f"substr(recorded_at, 1, 19), start_raw FROM {facts_with_text('pod.')} f ORDER BY id")
    assert con.execute(facts).fetchall() == con.execute(original).fetchall()
    # the criteria's copy: the same facts under the same codes on the same days
    coded = ("SELECT k.system, k.code, c.id, c.patient_id, date(c.start_day * 86400, 'unixepoch'), "
             "date(c.end_day * 86400, 'unixepoch'), datetime(c.start_at, 'unixepoch') "
             "FROM coded_fact c JOIN code k ON k.id = c.code_id ORDER BY 1, 2, 3")
    original = ("SELECT n.system, n.code, c.id, c.patient_id, c.start_day, c.end_day, substr(c.start_at, 1, 19) "
                "FROM pod.coded_fact c JOIN pod.coding_concept n ON n.id = c.concept_id ORDER BY 1, 2, 3")
    assert con.execute(coded).fetchall() == con.execute(original).fetchall()
    con.close()

    assert "rows, fact_coding:" in out and "the fact tables:" in out
    # the two reads timed on both layouts give the same answer on each
    assert out.count("  yes") == 2 and "  NO" not in out
    now, compact = (float(x.replace(",", "")) for x in
                    out.split("the fact tables: ")[1].split(" MB compact")[0].split(" MB now, "))
    assert compact < now  # (the codings are compact in the pod already, migration 0021)
