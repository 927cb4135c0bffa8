"""Re-imports make new list versions and keep the old; an export imports back unchanged."""
from __future__ import annotations

from openpyxl import load_workbook
from sqlalchemy import select

from config import rulesets
from lists.export import export_lists
from lists.models import Contact, Enterprise, ListVersion, Measure
from tests.factories import code, make_measure, make_records, run_import, table_counts, write_xlsx


def _version(session, credit_code: str) -> ListVersion:
    return session.scalars(select(ListVersion).join(Enterprise, Enterprise.current_version_id == ListVersion.id)
                           .where(Enterprise.credit_code == credit_code)).one()


def _cuts(session, version_id: int, level: str) -> list[float]:
    return list(session.scalars(select(Measure.so2_cut).where(Measure.list_version_id == version_id,
                                                             Measure.level == level).order_by(Measure.position)))


def test_reimport_makes_a_new_version_and_keeps_the_old_one_readable(session, tmp_path):
    records = make_records()
    run_import(session, write_xlsx(tmp_path / "v1.xlsx", records))
    first = _version(session, code(1))
    records["measures"][2]["so2_cut"] = 3.5  # enterprise 1, red
    result = run_import(session, write_xlsx(tmp_path / "v2.xlsx", records))

    assert (result.versions_created, result.unchanged) == (1, 1)
    second = _version(session, code(1))
    assert (first.version, second.version) == (1, 2) and first.id != second.id
    assert _cuts(session, first.id, "red") == [3.0]  # the old version is intact
    assert _cuts(session, second.id, "red") == [3.5]
    assert _version(session, code(2)).version == 1


def test_measures_for_a_stored_enterprise_alone_make_a_new_version_on_its_stored_baseline(session, tmp_path):
    run_import(session, write_xlsx(tmp_path / "v1.xlsx", make_records()))
    measures_only = {"enterprises": [], "contacts": [],
                     "measures": [make_measure(2, level, share) for level, share in (("黄色", .15), ("橙色", .25), ("红色", .4))]}
    result = run_import(session, write_xlsx(tmp_path / "m.xlsx", measures_only))
    assert result.written and result.versions_created == 1
    version = _version(session, code(2))
    assert (version.version, version.so2_base) == (2, 10.0)
    assert _cuts(session, version.id, "red") == [4.0]


def test_measures_over_the_stored_baseline_are_refused(session, tmp_path):
    run_import(session, write_xlsx(tmp_path / "v1.xlsx", make_records()))
    before = table_counts(session)
    too_much = {"enterprises": [], "contacts": [], "measures": [make_measure(2, "红色", 0.3, so2_cut=11.0)]}
    result = run_import(session, write_xlsx(tmp_path / "m.xlsx", too_much))
    assert [(e.sheet, e.row, e.column) for e in result.plan.errors] == [("措施", 2, "SO2减排量")]
    assert table_counts(session) == before


def test_changed_contacts_replace_the_stored_ones_in_their_order(session, tmp_path):
    records = make_records()
    run_import(session, write_xlsx(tmp_path / "v1.xlsx", records))
    records["contacts"].append({"credit_code": code(1), "name": "值班室", "role": "值班电话", "mobile": "13800009999",
                                "email": None, "order": 1})
    result = run_import(session, write_xlsx(tmp_path / "v2.xlsx", records))
    assert (result.contacts_replaced, result.versions_created) == (1, 0)
    enterprise_id = session.scalar(select(Enterprise.id).where(Enterprise.credit_code == code(1)))
    names = session.scalars(select(Contact.name).where(Contact.enterprise_id == enterprise_id).order_by(Contact.position))
    assert list(names) == ["值班室", "联系人1"]


def _cells(path):
    book = load_workbook(path, read_only=True)
    return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def test_export_imports_back_unchanged(session, tmp_path):
    from emergency.demo import records as demo_records

    records = demo_records(enterprises=30, seed=7)
    for m in records["measures"][::7]:  # interleave levels in the source file: order must not matter
        records["measures"].remove(m)
        records["measures"].insert(0, m)
    run_import(session, write_xlsx(tmp_path / "demo.xlsx", records))
    rules = rulesets.load("national-2024")
    export_lists(session=session, path=tmp_path / "out1.xlsx", rules=rules)
    before = table_counts(session)

    again = run_import(session, tmp_path / "out1.xlsx")

    assert again.plan.errors == [] and again.written
    assert (again.versions_created, again.unchanged, again.contacts_replaced, again.new_enterprises) == (0, 30, 0, 0)
    after = table_counts(session)
    assert {k: v for k, v in after.items() if k not in ("imports", "events")} == \
           {k: v for k, v in before.items() if k not in ("imports", "events")}
    export_lists(session=session, path=tmp_path / "out2.xlsx", rules=rules)
    assert _cells(tmp_path / "out1.xlsx") == _cells(tmp_path / "out2.xlsx")
    exported = _cells(tmp_path / "out1.xlsx")
    assert len(exported["企业"]) == 31 and len(exported["措施"]) == 1 + len(records["measures"])


def test_template_has_every_sheet_header_and_drop_down_and_imports_to_nothing(session, tmp_path):
    from lists.export import write_template
    from lists.workbook import SHEETS

    write_template(tmp_path / "t.xlsx", rulesets.load("national-2024"))
    book = load_workbook(tmp_path / "t.xlsx")
    for spec in SHEETS:
        sheet = book[spec.name]
        assert [c.value for c in sheet[1]] == [c.header for c in spec.columns]
        assert sheet.max_row == 2  # one example row
    lists = {dv.formula1 for dv in book["措施"].data_validations.dataValidation}
    assert '"黄色,橙色,红色"' in lists and '"停产,限产,停止运输,停止露天作业,其他"' in lists
    before = table_counts(session)
    result = run_import(session, tmp_path / "t.xlsx")
    assert result.plan.errors == [] and len(result.plan.warnings) == 5  # the five example rows, skipped
    assert {k: v for k, v in table_counts(session).items() if k not in ("imports", "events")} == \
           {k: v for k, v in before.items() if k not in ("imports", "events")}
