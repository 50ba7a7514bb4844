"""File formats: encodings detected, XLSX read safely, size limit before parsing."""

import time
import zipfile

import openpyxl
import pytest

from clients.models import Trade
from imports.models import BatchStatus

from .conftest import TRADE_HEADER, trade_row

pytestmark = pytest.mark.django_db

CHINESE_HEADER = [
    "成交编号",
    "成交日期",
    "资金账号",
    "证券代码",
    "证券名称",
    "买卖标志",
    "成交数量",
    "成交价格",
    "成交金额",
    "佣金",
    "印花税",
    "过户费",
    "其他费用",
]


@pytest.mark.parametrize(
    ("encoding", "label"),
    [
        ("utf-8", "UTF-8"),
        ("utf-8-sig", "UTF-8 BOM"),
        ("gbk", "GBK/GB18030"),
        ("gb18030", "GBK/GB18030"),
    ],
)
def test_csv_encodings_are_detected_not_asked(book, csv_file, run, encoding, label):
    rows = [trade_row("T1", side="买入"), trade_row("T2", side="证券卖出")]
    batch = run("trades", csv_file(CHINESE_HEADER, rows, encoding=encoding))
    assert batch.status == BatchStatus.DONE, (batch.message_text(), batch.error_lines())
    assert batch.encoding == label
    assert batch.matched_columns[:2] == ["trade_id", "trade_date"]
    assert Trade.objects.count() == 2


def test_text_that_is_neither_utf8_nor_gbk_is_rejected(book, tmp_path, run):
    path = tmp_path / "junk.csv"
    path.write_bytes(b"trade_id,trade_date\n\xff\xfe\xff\xff\x80\x80\n")
    batch = run("trades", path)
    assert batch.status == BatchStatus.REJECTED
    assert "neither UTF-8 nor GBK" in batch.message_text()


def _xlsx(path, header, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_with_chinese_headers_and_typed_cells(book, tmp_path, run):
    import datetime as dt

    path = _xlsx(
        tmp_path / "trades.xlsx",
        CHINESE_HEADER,
        [
            [
                "T1",
                dt.datetime(2026, 1, 5),
                880001,
                "600000",
                "浦发银行",
                "买入",
                100,
                10.5,
                1050,
                5,
                0,
                0,
                0,
            ],
            [
                "T2",
                "2026-01-05",
                "880002",
                "000001",
                "平安银行",
                "卖出",
                200,
                9.99,
                1998.0,
                5,
                1,
                None,
                None,
            ],
        ],
    )
    batch = run("trades", path)
    assert batch.status == BatchStatus.DONE, batch.error_lines()
    assert batch.encoding == "XLSX" and batch.rows_new == 2
    assert Trade.objects.get(trade_id="T1").account.account_no == "880001"


def test_xlsx_bad_row_is_named_by_its_spreadsheet_row(book, tmp_path, run):
    path = _xlsx(
        tmp_path / "bad.xlsx",
        TRADE_HEADER,
        [trade_row("T1"), trade_row("T2", quantity="12a")],
    )
    batch = run("trades", path)
    assert batch.status == BatchStatus.REJECTED
    assert batch.error_lines() == ['line 3, quantity: "12a" is not a number']


def test_zip_bomb_is_refused_quickly_before_inflating(book, tmp_path, run):
    # given: a "workbook" whose sheet inflates 1000-fold
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (30 << 20))
    assert path.stat().st_size < 200_000
    # when
    started = time.monotonic()
    batch = run("trades", path)
    # then
    assert time.monotonic() - started < 5
    assert batch.status == BatchStatus.REJECTED
    assert "zip bomb" in batch.message_text()


def test_xml_entity_expansion_in_xlsx_is_refused(book, tmp_path, run):
    source = _xlsx(tmp_path / "ok.xlsx", TRADE_HEADER, [trade_row("T1")])
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    path = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename in ("xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"):
                body = data.decode()
                body = body.split("?>", 1)[1] if body.startswith("<?xml") else body
                data = (laughs + body.replace(">T1<", ">&lol3;<")).encode()
            new.writestr(item, data)
    batch = run("trades", path)
    assert batch.status == BatchStatus.REJECTED
    assert (
        "Entities" in batch.message_text() or "entit" in batch.message_text().lower()
    ), batch.message_text()
    assert Trade.objects.count() == 0


def test_oversized_file_is_refused_before_it_is_read(book, csv_file, run, settings):
    settings.IMPORT_MAX_FILE_BYTES = 100
    path = csv_file(TRADE_HEADER, [trade_row(f"T{i}") for i in range(20)])
    batch = run("trades", path)
    assert batch.status == BatchStatus.REJECTED
    assert "over the import limit of 100 bytes" in batch.message_text()
    assert batch.sha256 == "" and batch.encoding == "" and batch.rows_total == 0


def test_missing_required_columns_are_named(book, csv_file, run):
    batch = run("trades", csv_file(["trade_id", "trade_date"], [["T1", "2026-01-05"]]))
    assert batch.status == BatchStatus.REJECTED
    assert "account_no" in batch.message_text() and "quantity" in batch.message_text()


def test_blank_lines_are_skipped_and_line_numbers_stay_true(book, tmp_path, run):
    path = tmp_path / "gaps.csv"
    lines = [
        ",".join(TRADE_HEADER),
        ",".join(trade_row("T1")),
        "",
        ",".join(trade_row("T2", side="Q")),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    batch = run("trades", path)
    assert batch.error_lines() == ['line 4, side: "Q" is not one of B, S']
    assert batch.rows_total == 2


def test_cells_with_spaces_are_trimmed(book, tmp_path, run):
    path = tmp_path / "padded.csv"
    path.write_text(
        " trade_id , trade_date ,account_no,code,side,quantity,price,amount\n"
        " T1 , 2026-01-05 , 880001 ,600000, B ,100,10.5, 1050 \n",
        encoding="utf-8",
    )
    batch = run("trades", path)
    assert batch.status == BatchStatus.DONE, batch.error_lines()
    assert Trade.objects.get().trade_id == "T1"


def test_a_header_only_file_imports_nothing_and_an_empty_file_is_refused(
    book, csv_file, tmp_path, run
):
    header_only = run("trades", csv_file(TRADE_HEADER, []))
    assert header_only.status == BatchStatus.DONE and header_only.rows_total == 0
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused = run("trades", empty)
    assert refused.status == BatchStatus.REJECTED
    assert "no header row" in refused.message_text()


@pytest.mark.parametrize("chunk_rows", [1, 1000])
def test_quoted_cells_spanning_lines_keep_line_numbers_true_in_big_files(
    book, tmp_path, run, monkeypatch, chunk_rows
):
    from imports.services import reading

    monkeypatch.setattr(reading, "CHUNK_ROWS", chunk_rows)
    good = ",".join(trade_row("T1")).replace("浦发银行", '"浦发\n银行"')
    note = ",".join(trade_row("T2")) + ',"remark\nover\nlines"'
    bad = ",".join(trade_row("T3", side="Z")) + ","
    path = tmp_path / "multi.csv"
    path.write_text(
        ",".join([*TRADE_HEADER, "备注"])
        + "\n"
        + "\n".join([good + ",", note, bad])
        + "\n",
        encoding="utf-8",
    )
    batch = run("trades", path)
    # header 1; T1 on lines 2-3; T2 on 4-6; T3 on 7
    assert batch.error_lines() == ['line 7, side: "Z" is not one of B, S']
