"""Importing trades: atomic, idempotent, every bad row named by line and column."""

from decimal import Decimal

import pytest

from clients.models import Trade, TradeDay
from clients.services import trade_days_refresh
from imports.models import BatchStatus

from .conftest import TRADE_HEADER, trade_row

pytestmark = pytest.mark.django_db


def test_a_trade_file_imports_and_records_its_batch(book, csv_file, run, admin_user):
    # given
    path = csv_file(
        TRADE_HEADER,
        [
            trade_row("T1"),
            trade_row("T2", side="S", account_no="880002", code="000001"),
        ],
    )
    # when
    batch = run("trades", path, user=admin_user)
    # then
    assert batch.status == BatchStatus.DONE, batch.message_text()
    assert (batch.rows_new, batch.rows_skipped, batch.rows_failed) == (2, 0, 0)
    assert len(batch.sha256) == 64 and batch.duration_s is not None
    assert batch.created_by == admin_user and batch.file_name == path.name
    trade = Trade.objects.get(trade_id="T1")
    assert trade.account.account_no == "880001" and trade.security.code == "600000"
    assert trade.amount == Decimal("1050.00") and trade.transfer_fee == Decimal("0.02")
    assert trade.branch == book.branch


def test_trade_days_are_refreshed_in_the_same_import(book, csv_file, run):
    path = csv_file(
        TRADE_HEADER,
        [trade_row("T1"), trade_row("T2", side="S", commission="7.00")],
    )
    run("trades", path)
    day = TradeDay.objects.get(account__account_no="880001")
    assert day.trades == 2
    assert day.commission == Decimal("12.00")
    assert day.buy_amount == Decimal("1050.00")


def test_identical_file_is_already_imported_and_overlap_adds_only_new_rows(
    book, csv_file, run
):
    # given
    first = csv_file(TRADE_HEADER, [trade_row("T1"), trade_row("T2")])
    run("trades", first)
    # when
    again = run("trades", first)
    overlapping = run(
        "trades",
        csv_file(TRADE_HEADER, [trade_row("T2"), trade_row("T3"), trade_row("T1")]),
    )
    # then
    assert again.status == BatchStatus.ALREADY_IMPORTED
    assert "already imported" in again.message_text() and again.rows_new == 0
    assert again.previous.status == BatchStatus.DONE
    checked = run("trades", first, dry_run=True)  # the admin's preview says so too
    assert (
        checked.status == BatchStatus.DRY_RUN
        and "already imported" in checked.message_text()
    )
    assert overlapping.status == BatchStatus.DONE
    assert (overlapping.rows_new, overlapping.rows_skipped) == (1, 2)
    assert Trade.objects.count() == 3
    assert TradeDay.objects.get(account__account_no="880001").trades == 3


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"quantity": "12a"}, 'line 3, quantity: "12a" is not a number'),
        ({"account_no": "880012"}, "line 3, account_no: unknown account 880012"),
        ({"code": "999999"}, "line 3, code: unknown security 999999"),
        ({"side": "X"}, 'line 3, side: "X" is not one of B, S'),
        (
            {"trade_date": "2026-13-40"},
            'line 3, trade_date: "2026-13-40" is not a date',
        ),
        (
            {"trade_date": "2999-01-01"},
            "line 3, trade_date: 2999-01-01 is in the future",
        ),
        ({"commission": "-1.00"}, 'line 3, commission: "-1.00" must not be negative'),
        ({"amount": "2000.00"}, "line 3, amount: 2000.00 is not quantity × price"),
        ({"trade_id": ""}, "line 3, trade_id: is required"),
        ({"trade_id": "T1"}, "line 3, trade_id: duplicate of line 2"),
    ],
)
def test_any_bad_row_rejects_the_file_and_names_line_and_column(
    book, csv_file, run, cells, expected
):
    # given: line 1 is the header, line 2 good, line 3 bad, line 4 good
    path = csv_file(
        TRADE_HEADER, [trade_row("T1"), trade_row("T2", **cells), trade_row("T3")]
    )
    # when
    batch = run("trades", path)
    # then
    assert batch.status == BatchStatus.REJECTED
    assert any(line.startswith(expected) for line in batch.error_lines()), (
        batch.error_lines()
    )
    assert batch.rows_failed == 1 and batch.rows_new == 0
    assert Trade.objects.count() == 0 and TradeDay.objects.count() == 0


def test_every_bad_row_is_reported_not_only_the_first(book, csv_file, run):
    path = csv_file(
        TRADE_HEADER,
        [
            trade_row("T1", quantity="x"),
            trade_row("T2"),
            trade_row("T3", account_no="1", side="?"),
        ],
    )
    batch = run("trades", path)
    assert batch.error_lines() == [
        'line 2, quantity: "x" is not a number',
        "line 4, account_no: unknown account 1",
        'line 4, side: "?" is not one of B, S',
    ]
    assert batch.rows_failed == 2


def test_partial_imports_the_valid_rows_and_reports_the_rest(book, csv_file, run):
    path = csv_file(
        TRADE_HEADER,
        [trade_row("T1"), trade_row("T2", account_no="880012"), trade_row("T3")],
    )
    batch = run("trades", path, partial=True)
    assert batch.status == BatchStatus.DONE
    assert (batch.rows_new, batch.rows_failed) == (2, 1)
    assert batch.error_lines() == ["line 3, account_no: unknown account 880012"]
    assert set(Trade.objects.values_list("trade_id", flat=True)) == {"T1", "T3"}
    assert TradeDay.objects.get().trades == 2


def test_dry_run_checks_and_counts_but_writes_nothing(book, csv_file, run, make):
    make.Trade(
        trade_id="T1",
        account=book.accounts.get(account_no="880001"),
        branch=book.branch,
    )
    path = csv_file(TRADE_HEADER, [trade_row("T1"), trade_row("T2")])
    batch = run("trades", path, dry_run=True)
    assert batch.status == BatchStatus.DRY_RUN
    assert (batch.rows_new, batch.rows_skipped) == (1, 1)
    assert Trade.objects.count() == 1
    # a dry run never counts as "already imported"
    assert run("trades", path).rows_new == 1


def test_upsert_updates_only_what_the_file_says(book, csv_file, run):
    run("trades", csv_file(TRADE_HEADER, [trade_row("T1"), trade_row("T2")]))
    header = [
        "trade_id",
        "trade_date",
        "account_no",
        "code",
        "side",
        "quantity",
        "price",
        "amount",
        "commission",
    ]
    path = csv_file(
        header,
        [
            [
                "T1",
                "2026-01-05",
                "880001",
                "600000",
                "B",
                "100",
                "10.50",
                "1050.00",
                "9.99",
            ],
            [
                "T2",
                "2026-01-05",
                "880001",
                "600000",
                "B",
                "100",
                "10.50",
                "1050.00",
                "",
            ],
            [
                "T3",
                "2026-01-06",
                "880002",
                "600000",
                "S",
                "100",
                "10.50",
                "1050.00",
                "",
            ],
        ],
    )
    batch = run("trades", path, mode="upsert")
    assert (batch.rows_new, batch.rows_updated, batch.rows_skipped) == (1, 1, 1)
    t1, t2, t3 = Trade.objects.order_by("trade_id")
    assert t1.commission == Decimal("9.99") and t1.transfer_fee == Decimal("0.02")
    assert t2.commission == Decimal("5.00")  # empty cell: kept
    assert t3.commission == Decimal("0")  # empty cell on a new row: the default
    assert TradeDay.objects.get(account__account_no="880001").commission == Decimal(
        "14.99"
    )


def test_chinese_headers_and_sides_and_dates(book, csv_file, run):
    header = [
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
        "备注",
    ]
    rows = [
        [
            "T1",
            "20260105",
            "880001",
            "600000",
            "浦发银行",
            "证券买入",
            "100",
            "10.5",
            "1,050.00",
            "5",
            "0",
            "0",
            "首笔",
        ],
        [
            "T2",
            "2026/01/06",
            "880001",
            "600000",
            "浦发银行",
            "卖出",
            "100",
            "10.5",
            "1050",
            "5",
            "1.05",
            "0",
            "",
        ],
    ]
    batch = run("trades", csv_file(header, rows))
    assert batch.status == BatchStatus.DONE, batch.error_lines()
    assert batch.ignored_columns == ["备注"]
    assert "other_fees" not in batch.matched_columns
    sides = dict(Trade.objects.values_list("trade_id", "side"))
    assert sides == {"T1": "B", "T2": "S"}
    assert str(Trade.objects.get(trade_id="T2").trade_date) == "2026-01-06"


def test_files_are_streamed_in_chunks_with_the_same_result(
    book, csv_file, run, monkeypatch
):
    # given: chunks of two rows, a duplicate across chunks, a known trade
    from imports.services import reading

    monkeypatch.setattr(reading, "CHUNK_ROWS", 2)
    run("trades", csv_file(TRADE_HEADER, [trade_row("T0")]))
    rows = [trade_row(f"T{i}") for i in range(1, 6)]
    rows += [trade_row("T2"), trade_row("T0"), trade_row("T9", quantity="x")]
    # when
    rejected = run("trades", csv_file(TRADE_HEADER, rows))
    partial = run("trades", csv_file(TRADE_HEADER, rows), partial=True)
    # then
    assert rejected.error_lines() == [
        "line 7, trade_id: duplicate of line 3",
        'line 9, quantity: "x" is not a number',
    ]
    assert (partial.rows_total, partial.rows_new, partial.rows_skipped) == (8, 5, 1)
    assert partial.rows_failed == 2
    assert Trade.objects.count() == 6
    assert TradeDay.objects.get().trades == 6


def test_an_upsert_dry_run_counts_changes_and_writes_none(book, csv_file, run):
    run("trades", csv_file(TRADE_HEADER, [trade_row("T1"), trade_row("T2")]))
    changed = [trade_row("T1", commission="8.88"), trade_row("T2"), trade_row("T3")]
    batch = run("trades", csv_file(TRADE_HEADER, changed), mode="upsert", dry_run=True)
    assert batch.status == BatchStatus.DRY_RUN
    assert (batch.rows_new, batch.rows_updated, batch.rows_skipped) == (1, 1, 1)
    assert Trade.objects.get(trade_id="T1").commission == Decimal("5.00")
    assert Trade.objects.count() == 2


def _days():
    return sorted(
        TradeDay.objects.values_list(
            "account_id", "date", "trades", "commission", "amount", "buy_amount"
        )
    )


def assert_days_total_every_trade(branch):
    """TradeDay as the import left it equals a re-totalling of every trade."""
    kept = _days()
    trade_days_refresh(branch_id=branch.pk)
    assert kept == _days()


def test_a_fresh_import_totals_its_trade_days(book, csv_file, run):
    # given
    rows = [
        trade_row("T1"),
        trade_row("T2", side="S", commission="7.00", stamp_tax="1.05"),
        trade_row("T3", account_no="880002", commission=""),
        trade_row("T4", trade_date="2026-01-06", quantity="200", amount="2100.00"),
    ]
    # when
    batch = run("trades", csv_file(TRADE_HEADER, rows))
    # then
    assert batch.status == BatchStatus.DONE and batch.rows_new == 4
    day = TradeDay.objects.get(account__account_no="880001", date="2026-01-05")
    assert (day.trades, day.commission, day.amount, day.buy_amount) == (
        2,
        Decimal("12.00"),
        Decimal("2100.00"),
        Decimal("1050.00"),
    )
    other = TradeDay.objects.get(account__account_no="880002")
    assert (other.trades, other.commission) == (1, Decimal("0"))
    assert TradeDay.objects.count() == 3
    assert_days_total_every_trade(book.branch)


def test_new_trades_add_onto_the_days_already_stored(book, csv_file, run):
    # given: a day already holding trades of two accounts
    run(
        "trades",
        csv_file(
            TRADE_HEADER,
            [trade_row("T1"), trade_row("T2", side="S", account_no="880002")],
        ),
    )
    # when: an overlapping file adds a trade to that day and one on another day
    batch = run(
        "trades",
        csv_file(
            TRADE_HEADER,
            [
                trade_row("T1"),
                trade_row("T3", commission="1.10"),
                trade_row("T4", trade_date="2026-01-06", side="S"),
            ],
        ),
    )
    # then
    assert (batch.rows_new, batch.rows_skipped) == (2, 1)
    day = TradeDay.objects.get(account__account_no="880001", date="2026-01-05")
    assert (day.trades, day.commission, day.amount, day.buy_amount) == (
        2,
        Decimal("6.10"),
        Decimal("2100.00"),
        Decimal("2100.00"),
    )
    assert TradeDay.objects.get(account__account_no="880002").trades == 1
    assert_days_total_every_trade(book.branch)


def test_amounts_finer_than_a_cent_total_as_stored(book, csv_file, run):
    # given: cells the database rounds to the cent
    rows = [trade_row("T1", amount="1050.005", commission="0.125"), trade_row("T2")]
    # when
    batch = run("trades", csv_file(TRADE_HEADER, rows))
    # then
    assert batch.status == BatchStatus.DONE, batch.error_lines()
    day = TradeDay.objects.get()
    stored = Trade.objects.get(trade_id="T1")
    assert day.amount == stored.amount + Decimal("1050.00")
    assert day.commission == stored.commission + Decimal("5.00")
    assert_days_total_every_trade(book.branch)


def test_a_repeated_trade_id_is_a_bad_row_and_only_its_first_line_counts(
    book, csv_file, run, monkeypatch
):
    # given: chunks of three rows; T1 repeated in its chunk and in a later one, T5
    # bad on its first line and good on its second
    from imports.services import reading

    monkeypatch.setattr(reading, "CHUNK_ROWS", 3)
    rows = [
        trade_row("T1"),
        trade_row("T1", commission="9.99"),
        trade_row("T5", quantity="x"),
        trade_row("T5"),
        trade_row("T1", commission="8.88"),
        trade_row("T6"),
    ]
    # when
    rejected = run("trades", csv_file(TRADE_HEADER, rows))
    partial = run("trades", csv_file(TRADE_HEADER, rows), partial=True)
    # then
    expected = [
        "line 3, trade_id: duplicate of line 2",
        'line 4, quantity: "x" is not a number',
        "line 6, trade_id: duplicate of line 2",
    ]
    assert rejected.status == BatchStatus.REJECTED
    assert rejected.error_lines() == expected
    assert partial.status == BatchStatus.DONE and partial.error_lines() == expected
    assert (partial.rows_new, partial.rows_failed) == (3, 3)
    assert Trade.objects.get(trade_id="T1").commission == Decimal("5.00")
    assert set(Trade.objects.values_list("trade_id", flat=True)) == {"T1", "T5", "T6"}
    assert TradeDay.objects.get().trades == 3


@pytest.mark.postgres
def test_a_trade_stored_behind_the_importers_back_fails_the_whole_import(
    book, csv_file, run, make, monkeypatch
):
    # given: another writer stores T2 after the importer found it new
    from imports.services.importers import TradeImporter

    adding = TradeImporter.adding

    def racing(importer, good):
        make.Trade(
            trade_id="T2",
            account=book.accounts.get(account_no="880001"),
            branch=book.branch,
        )
        adding(importer, good)

    monkeypatch.setattr(TradeImporter, "adding", racing)
    # when
    batch = run("trades", csv_file(TRADE_HEADER, [trade_row("T1"), trade_row("T2")]))
    # then: the unique constraint refuses it, and nothing of the file is written
    assert batch.status == BatchStatus.FAILED
    assert "trade_unique_id" in batch.message_text()
    assert not Trade.objects.filter(trade_id="T1").exists()
    assert TradeDay.objects.count() == 0


def test_a_file_read_ahead_reports_progress_from_the_importing_thread(
    book, csv_file, branch, monkeypatch
):
    # given: five chunks
    import threading

    from imports.services import import_file, reading

    monkeypatch.setattr(reading, "CHUNK_ROWS", 2)
    path = csv_file(TRADE_HEADER, [trade_row(f"T{i}") for i in range(10)])
    seen = []
    # when
    batch = import_file(
        branch=branch,
        kind="trades",
        path=str(path),
        progress=lambda done: seen.append((done, threading.current_thread())),
    )
    # then
    assert batch.status == BatchStatus.DONE and batch.rows_new == 10
    fractions = [done for done, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {thread for _, thread in seen} == {threading.current_thread()}


def test_a_csv_the_parser_cannot_read_is_rejected_whole(book, csv_file, run):
    # given: a quote opened on line 4 and never closed
    path = csv_file(TRADE_HEADER, [trade_row("T1"), trade_row("T2")])
    path.write_text(path.read_text() + ",".join(trade_row('"T3')) + "\n")
    # when
    batch = run("trades", path)
    # then
    assert batch.status == BatchStatus.REJECTED
    assert "the CSV cannot be read" in batch.message_text()
    assert Trade.objects.count() == 0 and TradeDay.objects.count() == 0


@pytest.mark.postgres
def test_without_code_point_order_every_chunk_is_looked_up(
    book, csv_file, run, monkeypatch
):
    # given: a database whose text order is not Python's, and chunks of two rows
    from django.db import connection

    from imports.services import reading, writing

    monkeypatch.setitem(writing._ORDERS, connection.settings_dict["NAME"], False)
    monkeypatch.setattr(reading, "CHUNK_ROWS", 2)
    run("trades", csv_file(TRADE_HEADER, [trade_row("T0"), trade_row("T3")]))
    rows = [trade_row(f"T{i}") for i in range(1, 6)] + [trade_row("T2")]
    # when
    batch = run("trades", csv_file(TRADE_HEADER, rows), partial=True)
    # then
    assert batch.error_lines() == ["line 7, trade_id: duplicate of line 3"]
    assert (batch.rows_new, batch.rows_skipped, batch.rows_failed) == (4, 1, 1)
    assert Trade.objects.count() == 6
    assert_days_total_every_trade(book.branch)


def test_a_file_imported_again_in_another_order_finds_every_stored_trade(
    book, csv_file, run, monkeypatch
):
    # given: ten trades stored, and chunks of three rows
    from imports.services import reading

    monkeypatch.setattr(reading, "CHUNK_ROWS", 3)
    run("trades", csv_file(TRADE_HEADER, [trade_row(f"T{i}") for i in range(10)]))
    # when: the same trades shuffled, with a new one and a repeat among them
    order = [7, 2, 9, 0, 5, 3, 8, 1, 6, 4]
    rows = [trade_row(f"T{i}") for i in order]
    rows[5:5] = [trade_row("T10"), trade_row("T8")]
    batch = run("trades", csv_file(TRADE_HEADER, rows), partial=True)
    # then
    assert batch.error_lines() == ["line 10, trade_id: duplicate of line 8"]
    assert (batch.rows_new, batch.rows_skipped, batch.rows_failed) == (1, 10, 1)
    assert Trade.objects.count() == 11
    assert_days_total_every_trade(book.branch)
