"""The admin's Import of a back-office file goes through the one import service.

The same checks, all-or-nothing write and report as `import_file` and the import
pages; django-import-export's own write path is closed for these models, and the
derived `TradeDay` can be neither imported nor edited in the admin.
"""

import datetime as dt

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse

from clients.models import Account, Client, Trade, TradeDay
from imports.admin import BranchFileImportMixin
from imports.models import BatchStatus, ImportBatch, ImportKind

from .conftest import TRADE_HEADER, trade_row, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _admin_upload(client, tmp_path, rows):
    path = write_csv(tmp_path / "trades.csv", TRADE_HEADER, rows)
    upload = SimpleUploadedFile("trades.csv", path.read_bytes(), "text/csv")
    return client.post(
        reverse("admin:clients_trade_import"), {"file": upload, "mode": "insert"}
    )


def test_a_bad_file_imported_in_the_admin_writes_nothing_and_reports_each_row(
    book, client, admin_user, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    # when: a branch admin imports trades with one bad row in the admin
    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_upload(
            client, tmp_path, [trade_row("T1"), trade_row("T2", account_no="880012")]
        )
    # then: the import service checked it (a dry-run batch, the import pages' preview)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:detail", args=[batch.pk])
    assert batch.kind == "trades" and batch.dry_run
    assert batch.status == BatchStatus.REJECTED and batch.created_by == admin_user
    assert batch.error_lines() == ["line 3, account_no: unknown account 880012"]
    page = client.get(response["Location"]).content.decode()
    assert "line 3, account_no: unknown account 880012" in page
    assert Trade.objects.count() == 0
    # when: the admin confirms the whole file anyway
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:confirm", args=[batch.pk]))
    # then: all or nothing
    assert Trade.objects.count() == 0
    assert ImportBatch.objects.latest("pk").status == BatchStatus.REJECTED


def test_a_good_file_imported_in_the_admin_keeps_the_derived_days(
    book, client, admin_user, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_upload(client, tmp_path, [trade_row("T1"), trade_row("T2")])
    preview = ImportBatch.objects.get()
    assert preview.status == BatchStatus.DRY_RUN and preview.rows_total == 2
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:confirm", args=[preview.pk]))
    batch = ImportBatch.objects.exclude(pk=preview.pk).get()
    assert batch.status == BatchStatus.DONE and batch.rows_new == 2
    # the service's writer refreshed the account-day totals derived from trades
    day = TradeDay.objects.get()
    assert (day.date, day.trades) == (dt.date(2026, 1, 5), 2)
    assert response.status_code == 302


def test_django_import_export_cannot_write_the_file_kinds(book, client, admin_user):
    client.force_login(admin_user)
    # the confirm step of django-import-export writes rows itself: closed
    response = client.post(
        reverse("admin:clients_client_process_import"),
        {
            "import_file_name": "x.csv",
            "original_file_name": "x.csv",
            "format": "0",
            "resource": "0",
        },
    )
    assert response.status_code == 403
    assert Client.objects.count() == 1
    # every admin of a model with a file kind imports through the one service
    file_kinds = {
        model_admin.import_kind
        for model_admin in admin.site._registry.values()
        if isinstance(model_admin, BranchFileImportMixin)
    }
    assert file_kinds == set(ImportKind.values)


def test_trade_days_are_read_only_in_the_admin(book, client, make):
    from tests.factories import UserFactory

    root = UserFactory(
        username="root", branch=book.branch, is_staff=True, is_superuser=True
    )
    trade = make.Trade(account=Account.objects.get(account_no="880001"))
    day = TradeDay.objects.create(
        account=trade.account,
        date=trade.trade_date,
        trades=1,
        commission=trade.commission,
        amount=trade.amount,
        buy_amount=trade.amount,
    )
    client.force_login(root)
    with pytest.raises(NoReverseMatch):
        reverse("admin:clients_tradeday_import")
    assert client.get(reverse("admin:clients_tradeday_add")).status_code == 403
    change = reverse("admin:clients_tradeday_change", args=[day.pk])
    page = client.get(change)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    client.post(change, {"trades": "99"})
    client.post(
        reverse("admin:clients_tradeday_delete", args=[day.pk]), {"post": "yes"}
    )
    day.refresh_from_db()
    assert day.trades == 1
