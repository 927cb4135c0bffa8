"""Every error and warning of the workbook spec, each from a real .xlsx file."""
from __future__ import annotations

import pytest

from lists.issues import Issue
from tests.factories import code, make_measure, make_records, run_import, table_counts, write_xlsx


def _set(sheet: str, index: int, **values):
    def mutate(records):
        records[sheet][index].update(values)
    return mutate


def _drop_sheet(sheet: str):
    return lambda records: records.pop(sheet)


def _append(sheet: str, row):
    return lambda records: records[sheet].append(row(records))


ERRORS = {
    # name: (mutation, write options, (sheet, row, column), words the English message contains)
    "missing required sheet": (_drop_sheet("measures"), {}, ("措施", 0, ""), "required sheet"),
    "missing required column": (None, {"drop_columns": {"enterprises": {"name"}}}, ("企业", 1, "企业名称"), "required column"),
    "missing required value": (_set("enterprises", 1, industry=None), {}, ("企业", 3, "行业"), "required value is missing"),
    "credit code of wrong length": (_set("enterprises", 0, credit_code="91110115123"), {}, ("企业", 2, "统一社会信用代码"), "must be 18 characters"),
    "credit code with wrong check character": (_set("enterprises", 0, credit_code=code(1)[:17] + ("0" if code(1)[17] != "0" else "1")), {},
                                               ("企业", 2, "统一社会信用代码"), "wrong check character"),
    "credit code with a letter never used": (_set("enterprises", 0, credit_code=code(1)[:9] + "I" + code(1)[10:]), {},
                                             ("企业", 2, "统一社会信用代码"), "not allowed"),
    "duplicate credit code": (_set("enterprises", 1, credit_code=code(1)), {}, ("企业", 3, "统一社会信用代码"), "duplicate credit code (same as row 2)"),
    "unknown level": (_set("measures", 0, level="紫色"), {}, ("措施", 2, "预警级别"), "unknown warning level"),
    "blue where the rule set has no blue": (_set("measures", 0, level="蓝色"), {}, ("措施", 2, "预警级别"), "unknown warning level"),
    "unknown action": (_set("measures", 0, action="关停"), {}, ("措施", 2, "措施类型"), "is not allowed"),
    "unknown source type": (_set("enterprises", 0, source_type="面源"), {}, ("企业", 2, "源类型"), "is not allowed"),
    "unknown grade": (_set("enterprises", 0, grade="E"), {}, ("企业", 2, "绩效等级"), "is not allowed"),
    "guarantee neither yes nor no": (_set("enterprises", 0, guarantee="也许"), {}, ("企业", 2, "保障类"), "is not allowed"),
    "number that is not a number": (_set("enterprises", 0, so2_base="很多"), {}, ("企业", 2, "SO2基数"), "is not a number"),
    "negative number": (_set("measures", 1, nox_cut=-1), {}, ("措施", 3, "NOx减排量"), "must not be negative"),
    "longitude out of range": (_set("enterprises", 0, lon=200), {}, ("企业", 2, "经度"), "between 73 and 136"),
    "latitude out of range": (_set("enterprises", 1, lat=60), {}, ("企业", 3, "纬度"), "between 3 and 54"),
    "contact with neither mobile nor email": (_set("contacts", 0, mobile=None, email=None), {}, ("联系人", 2, "手机"), "mobile number or an email"),
    "bad mobile number": (_set("contacts", 0, mobile="12345"), {}, ("联系人", 2, "手机"), "bad mobile number"),
    "bad email": (_set("contacts", 1, email="not-an-email"), {}, ("联系人", 3, "邮箱"), "bad email"),
    "contact order not a whole number": (_set("contacts", 0, order=1.5), {}, ("联系人", 2, "顺序"), "whole number"),
    "contact for an unknown enterprise": (_set("contacts", 0, credit_code=code(99)), {}, ("联系人", 2, "统一社会信用代码"), "neither in the 企业 sheet nor stored"),
    "measure for an unknown enterprise": (_set("measures", 0, credit_code=code(99)), {}, ("措施", 2, "统一社会信用代码"), "neither in the 企业 sheet nor stored"),
    "limit measure without its ratio": (_set("measures", 0, limit_pct=None), {}, ("措施", 2, "限产比例"), "needs 限产比例"),
    "limit ratio above 100": (_set("measures", 0, limit_pct=120), {}, ("措施", 2, "限产比例"), "between 0 and 100"),
    # Enterprise 1's red measure already cuts 3 of its 10 kg SO2; 8 more makes 11.
    "level's total cut above the baseline": (_append("measures", lambda r: make_measure(1, "红色", 0.0, so2_cut=8.0)), {},
                                             ("措施", 8, "SO2减排量"), "exceeds the enterprise's baseline"),
    "duplicate unit name": (_append("units", lambda r: dict(r["units"][0])), {}, ("单位", 4, "单位名称"), "duplicate unit name"),
    "unknown unit kind": (_set("units", 0, kind="公司"), {}, ("单位", 2, "单位类型"), "is not allowed"),
    "unit with neither mobile nor email": (_set("units", 1, email=None), {}, ("单位", 3, "手机"), "mobile number or an email"),
    "duty of an unknown unit": (_set("duties", 0, unit="不存在的单位"), {}, ("单位职责", 2, "单位名称"), "neither in the 单位 sheet nor stored"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_bad_workbook_is_rejected_with_its_place_and_nothing_is_written(name, session, tmp_path):
    mutate, options, (sheet, row, column), words = ERRORS[name]
    records = make_records()
    if mutate:
        mutate(records)
    path = write_xlsx(tmp_path / "bad.xlsx", records, **options)
    before = table_counts(session)

    result = run_import(session, path)

    assert not result.written
    matching = [e for e in result.plan.errors if (e.sheet, e.row, e.column) == (sheet, row, column)]
    assert matching, f"no error at {sheet}!{row} [{column}]; got: {[str(e) for e in result.plan.errors]}"
    assert any(words in e.message for e in matching)
    assert all(e.message_zh for e in matching), "every error is also given in Chinese"
    assert table_counts(session) == before


def test_every_error_is_reported_not_only_the_first(session, tmp_path):
    records = make_records()
    records["enterprises"][0]["lon"] = 500
    records["contacts"][1]["mobile"] = "abc"
    records["measures"][4]["action"] = "关停"
    result = run_import(session, write_xlsx(tmp_path / "bad.xlsx", records))
    assert {(e.sheet, e.row) for e in result.plan.errors} == {("企业", 2), ("联系人", 3), ("措施", 6)}


def test_row_numbers_are_excel_rows_even_after_an_empty_row(session, tmp_path):
    records = make_records()
    records["enterprises"][1]["industry"] = None
    path = write_xlsx(tmp_path / "gap.xlsx", records, blank_rows_after={"enterprises": 1})
    result = run_import(session, path)
    assert [(e.sheet, e.row, e.column) for e in result.plan.errors] == [("企业", 4, "行业")]


def test_blue_is_accepted_where_the_rule_set_has_it(session, tmp_path):
    records = make_records()
    records["measures"].append(make_measure(1, "蓝色", 0.05))
    result = run_import(session, write_xlsx(tmp_path / "blue.xlsx", records), rules="legacy-2017")
    assert result.written, [str(e) for e in result.plan.errors]


def test_english_keys_are_accepted_as_headers_in_any_order(session, tmp_path):
    records = {key: [dict(reversed(list(row.items()))) for row in rows] for key, rows in make_records().items()}
    result = run_import(session, write_xlsx(tmp_path / "en.xlsx", records, english=True))
    assert result.written and result.plan.errors == []


def _warnings(result) -> list[Issue]:
    assert result.written, [str(e) for e in result.plan.errors]
    return result.plan.warnings


def test_enterprise_without_measures_at_a_level_is_warned_about_and_imported(session, tmp_path):
    records = make_records()
    records["measures"] = [m for m in records["measures"] if not (m["credit_code"] == code(2) and m["level"] == "红色")]
    warnings = _warnings(run_import(session, write_xlsx(tmp_path / "w.xlsx", records)))
    assert [(w.sheet, w.row) for w in warnings if "no measures at level(s) red" in w.message] == [("企业", 3)]


@pytest.mark.parametrize("exemption", [{"guarantee": "是"}, {"grade": "A"}, {"grade": "A+"}, {"grade": "引领性"}])
def test_guarantee_and_self_choosing_grades_need_no_measures(session, tmp_path, exemption):
    records = make_records()
    records["enterprises"][1].update(exemption)
    records["measures"] = [m for m in records["measures"] if m["credit_code"] != code(2)]
    warnings = _warnings(run_import(session, write_xlsx(tmp_path / "w.xlsx", records)))
    assert not [w for w in warnings if "no measures" in w.message]


def test_cuts_falling_from_orange_to_red_are_warned_about(session, tmp_path):
    records = make_records()
    records["measures"][2]["so2_cut"] = 1.0  # enterprise 1, red: below orange's 2.0
    warnings = _warnings(run_import(session, write_xlsx(tmp_path / "w.xlsx", records)))
    assert [(w.sheet, w.row, w.column) for w in warnings if "less than at orange" in w.message] == [("措施", 4, "SO2减排量")]


def test_d_grade_enterprise_not_stopping_at_red_is_warned_about(session, tmp_path):
    records = make_records()
    records["enterprises"][0]["grade"] = "D"
    warnings = _warnings(run_import(session, write_xlsx(tmp_path / "w.xlsx", records)))
    assert [(w.sheet, w.row, w.column) for w in warnings if "does not stop" in w.message] == [("企业", 2, "绩效等级")]
    records["measures"][2].update(action="停产", limit_pct=None)
    warnings = _warnings(run_import(session, write_xlsx(tmp_path / "w2.xlsx", records)))
    assert not [w for w in warnings if "does not stop" in w.message]


def test_enterprise_without_a_mobile_contact_is_warned_about(session, tmp_path):
    records = make_records()
    records["contacts"][0]["mobile"] = None
    warnings = _warnings(run_import(session, write_xlsx(tmp_path / "w.xlsx", records)))
    assert [(w.sheet, w.row) for w in warnings if "no contact with a mobile" in w.message] == [("企业", 2)]


def test_unknown_column_is_ignored_with_a_warning(session, tmp_path):
    path = write_xlsx(tmp_path / "w.xlsx", make_records(), extra_columns={"enterprises": "备注"})
    warnings = _warnings(run_import(session, path))
    assert [(w.sheet, w.row, w.column) for w in warnings] == [("企业", 1, "备注")]


def test_mobile_numbers_are_stored_in_e164(session, tmp_path):
    from sqlalchemy import select

    from lists.models import Contact

    records = make_records()
    records["contacts"][0]["mobile"] = "+86 138-0000-0001"
    records["contacts"][1]["mobile"] = "+12025550123"
    run_import(session, write_xlsx(tmp_path / "m.xlsx", records))
    assert sorted(session.scalars(select(Contact.mobile))) == ["+12025550123", "+8613800000001"]


def test_dry_run_validates_and_writes_nothing(session, tmp_path):
    before = table_counts(session)
    result = run_import(session, write_xlsx(tmp_path / "ok.xlsx", make_records()), dry_run=True)
    assert not result.written and result.plan.errors == []
    assert result.to_json()["enterprises"] == 2
    assert table_counts(session) == before


def test_a_file_that_is_not_a_workbook_is_an_error_not_a_crash(session, tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("this is not excel")
    result = run_import(session, path)
    assert not result.written and result.plan.errors[0].message.startswith("cannot read the workbook")
