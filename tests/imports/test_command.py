"""`manage.py import_file`: prints the report, exits non-zero when the file is rejected."""

import io

import pytest
from django.core.management import CommandError, call_command

from clients.models import Trade
from imports.models import ImportBatch

from .conftest import TRADE_HEADER, trade_row

pytestmark = pytest.mark.django_db


def _call(*args):
    out = io.StringIO()
    call_command("import_file", *args, stdout=out)
    return out.getvalue()


def test_command_imports_and_prints_the_report(book, csv_file):
    path = csv_file(TRADE_HEADER, [trade_row("T1"), trade_row("T2")])
    out = _call("trades", str(path), "--branch", "HQ01")
    assert "new: 2 updated: 0 skipped: 0 failed: 0" in out
    assert Trade.objects.count() == 2
    assert "already imported" in _call("trades", str(path), "--branch", "HQ01")


def test_command_rejects_a_bad_file_with_each_bad_row(book, csv_file):
    path = csv_file(TRADE_HEADER, [trade_row("T1"), trade_row("T2", quantity="12a")])
    with pytest.raises(CommandError, match="1 of 2 rows are bad"):
        _call("trades", str(path), "--branch", "HQ01")
    batch = ImportBatch.objects.get()
    assert batch.error_lines() == ['line 3, quantity: "12a" is not a number']
    assert Trade.objects.count() == 0


def test_command_partial_dry_run_and_upsert_options(book, csv_file):
    path = csv_file(TRADE_HEADER, [trade_row("T1"), trade_row("T2", side="?")])
    out = _call("trades", str(path), "--branch", "HQ01", "--partial", "--dry-run")
    assert "new: 1" in out and "failed: 1" in out and 'line 3, side: "?"' in out
    assert Trade.objects.count() == 0
    _call("trades", str(path), "--branch", "HQ01", "--partial", "--mode", "upsert")
    assert Trade.objects.count() == 1


def test_command_refuses_an_unknown_branch(book, csv_file):
    with pytest.raises(CommandError, match="no branch with code NOPE"):
        _call("trades", "x.csv", "--branch", "NOPE")
