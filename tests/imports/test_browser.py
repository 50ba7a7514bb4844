"""In a real Chromium: a branch admin uploads a GBK trade file, checks it, imports it."""

import pytest

from advisors.models import Role
from clients.models import Trade
from tests import factories

from .conftest import TRADE_HEADER, trade_row, write_csv


@pytest.mark.browser
def test_an_admin_checks_then_imports_a_trade_file(
    live_server, browser_page, tmp_path, settings
):
    # given: a branch admin, an account and a security, and a GBK file from the back office
    settings.MEDIA_ROOT = tmp_path / "media"
    branch = factories.BranchFactory(code="HQ01", name="Demo branch")
    factories.UserFactory(
        username="ops", password="pw", role=Role.ADMIN, branch=branch, is_staff=True
    )
    client = factories.ClientFactory(branch=branch, client_no="C0001")
    factories.AccountFactory(client=client, account_no="880001")
    factories.SecurityFactory(code="600000")
    path = write_csv(
        tmp_path / "成交明细.csv",
        TRADE_HEADER + ["备注"],
        [trade_row("T1") + ["x"], trade_row("T2", side="卖出") + [""]],
        encoding="gbk",
    )
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "ops")
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    # when: they open Imports, upload the file and check it
    page.click("text=Imports")
    page.set_input_files("input[name=file]", str(path))
    page.click("text=Check the file")

    # then: the preview shows what was detected, and nothing is written yet
    page.wait_for_selector("text=GBK/GB18030")
    body = page.inner_text("main")
    assert "Trades" in body and "备注" in body and "T2" in body
    assert Trade.objects.count() == 0

    # when: they confirm
    page.click("button:has-text('Import')")

    # then: the batch reports its rows, and the history offers the CSV report
    page.wait_for_selector("text=2 new")
    assert Trade.objects.count() == 2
    page.click("text=← Imports")
    assert page.locator("a:has-text('CSV')").count() == 2
