"""django-import-export resources: every model exports; formulas are escaped on export."""

import pytest
import tablib

from advisors import resources as advisor_resources
from clients import resources as client_resources
from clients.models import Client, Trade, TradeDay
from imports.services.report import report_csv

pytestmark = pytest.mark.django_db


def test_text_cells_starting_with_a_formula_prefix_are_escaped(book, make):
    make.Client(
        branch=book.branch,
        client_no="C9",
        name='=HYPERLINK("x")',
        phone="+8613800000000",
        advisor=book.advisor,
    )
    dataset = client_resources.ClientResource().export(
        Client.objects.filter(client_no="C9")
    )
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert row["name"] == '\'=HYPERLINK("x")'
    assert row["phone"] == "'+86*******0000"  # masked, and escaped
    assert row["client_no"] == "C9"


def test_negative_numbers_are_not_mistaken_for_formulas(book, make):
    account = book.accounts.first()
    make.Balance(account=account, cash=-500, market_value=1000, total_assets=500)
    dataset = client_resources.BalanceResource().export()
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert str(row["cash"]).startswith("-500")
    assert row["branch"] == "HQ01"


def test_every_resource_exports(book):
    for module in (client_resources, advisor_resources):
        for name in dir(module):
            if name.endswith("Resource") and name not in ("SafeResource",):
                cls = getattr(module, name)
                if getattr(cls, "_meta", None) and cls._meta.model:
                    assert cls().export() is not None


def test_trade_resource_imports_by_natural_keys(book):
    dataset = tablib.Dataset(
        headers=[
            "branch",
            "trade_id",
            "trade_date",
            "account_no",
            "code",
            "side",
            "quantity",
            "price",
            "amount",
            "commission",
            "stamp_tax",
            "transfer_fee",
            "other_fees",
        ]
    )
    dataset.append(
        [
            "HQ01",
            "R1",
            "2026-01-05",
            "880001",
            "600000",
            "B",
            "100",
            "10.5",
            "1050",
            "5",
            "0",
            "0",
            "0",
        ]
    )
    result = client_resources.TradeResource().import_data(dataset, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert Trade.objects.get(trade_id="R1").account.account_no == "880001"
    # trades written through the resource re-total their days too
    assert TradeDay.objects.get(account__account_no="880001").trades == 1


def test_report_download_escapes_formulas(book, csv_file, run):
    from .conftest import TRADE_HEADER, trade_row

    path = csv_file(TRADE_HEADER, [trade_row("T1", quantity="=1+1")], name="=x.csv")
    text = report_csv(run("trades", path))
    assert ",'=x.csv," in text
    assert '2,quantity,"""=1+1"" is not a number"' in text


def test_admin_lists_offer_import_and_export(book, client, make):
    from tests.factories import UserFactory

    admin = UserFactory(
        username="root", branch=book.branch, is_staff=True, is_superuser=True
    )
    client.force_login(admin)
    for url in (
        "/admin/clients/trade/export/",
        "/admin/clients/client/import/",
        "/admin/advisors/advisor/export/",
    ):
        assert client.get(url).status_code == 200, url


def test_a_branch_admin_imports_into_their_own_branch_only(book, other_branch, rf):
    from django.contrib.admin.sites import site

    from clients.admin import ClientAdmin
    from tests.factories import UserFactory

    # given: the admin page hands the resource the branch admin's branch
    user = UserFactory(username="ba", role="admin", branch=book.branch, is_staff=True)
    request = rf.get("/")
    request.user = user
    kwargs = ClientAdmin(Client, site).get_import_resource_kwargs(request)
    assert kwargs["branch_code"] == "HQ01"
    theirs = tablib.Dataset(
        ["SZ02", "X1", "elsewhere"], headers=["branch", "client_no", "name"]
    )
    unnamed = tablib.Dataset(
        ["", "X2", "mine"], headers=["branch", "client_no", "name"]
    )
    # when
    refused = client_resources.ClientResource(**kwargs).import_data(theirs)
    client_resources.ClientResource(**kwargs).import_data(unnamed)
    # then: the other branch's row is refused, the unnamed one lands in HQ01
    assert refused.has_errors()
    assert not Client.objects.filter(client_no="X1").exists()
    assert Client.objects.get(client_no="X2").branch.code == "HQ01"
