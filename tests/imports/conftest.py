"""A small book to import into, and helpers that write import files in tmp_path."""

import csv
import io

import pytest

from imports.services import import_file


@pytest.fixture
def book(branch, make):
    """Advisor E0001, client C0001 with accounts 880001/880002, securities 600000/000001."""
    advisor = make.Advisor(branch=branch, employee_no="E0001", user__username="e1")
    client = make.Client(branch=branch, client_no="C0001", advisor=advisor)
    make.Account(client=client, account_no="880001")
    make.Account(client=client, account_no="880002")
    make.Security(code="600000", name="浦发银行")
    make.Security(code="000001", name="平安银行")
    return client


def write_csv(path, header, rows, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.fixture
def csv_file(tmp_path):
    """`csv_file(header, rows, name=…, encoding=…)` → the path of a new CSV file."""
    counter = iter(range(1000))

    def make(header, rows, *, name=None, encoding="utf-8"):
        path = tmp_path / (name or f"file{next(counter)}.csv")
        return write_csv(path, header, rows, encoding)

    return make


@pytest.fixture
def run(branch):
    """`run(kind, path, **options)` → the finished ImportBatch."""

    def go(kind, path, **options):
        return import_file(branch=branch, kind=kind, path=str(path), **options)

    return go


TRADE_HEADER = [
    "trade_id",
    "trade_date",
    "account_no",
    "code",
    "name",
    "side",
    "quantity",
    "price",
    "amount",
    "commission",
    "stamp_tax",
    "transfer_fee",
    "other_fees",
]


def trade_row(trade_id, /, **cells):
    row = {
        "trade_id": trade_id,
        "trade_date": "2026-01-05",
        "account_no": "880001",
        "code": "600000",
        "name": "浦发银行",
        "side": "B",
        "quantity": "100",
        "price": "10.50",
        "amount": "1050.00",
        "commission": "5.00",
        "stamp_tax": "0",
        "transfer_fee": "0.02",
        "other_fees": "0",
    }
    row.update(cells)
    return [row[c] for c in TRADE_HEADER]
