"""In a real Chromium: a manager reads the numbers, moves a book and merges a duplicate;
head office compares the branches; the same pages in Chinese."""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from advisors.models import Advisor, Role
from clients.models import Client
from kpis.models import ClientAssignment, ClientMerge
from tests import factories

from .conftest import E, day

#: Screenshots of every page, as the workspace's browser test keeps them (not committed).
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SHOTS = Path(os.environ.get("KPI_SCREENSHOTS") or ARTIFACTS)


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"kpis-{name}.png"), full_page=True)


def sign_in(page, url, username):
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


@pytest.fixture
def scored_branch(kpi_branch):
    for d in (day(5, 31), E):
        call_command(
            "recompute", date=d.isoformat(), branch="HQ01", stdout=io.StringIO()
        )
    return kpi_branch


@pytest.mark.browser
def test_a_manager_reads_the_numbers_moves_a_book_and_merges_a_duplicate(
    live_server, browser_page, scored_branch
):
    # given
    factories.UserFactory(username="boss2", role=Role.MANAGER, branch=scored_branch)
    twin_a = factories.ClientFactory(
        branch=scored_branch,
        client_no="T1",
        name="Zhao Lei",
        id_number="11010119800101123X",
    )
    twin_b = factories.ClientFactory(
        branch=scored_branch,
        client_no="T2",
        name="Zhao Lei",
        id_number="11010119800101123X",
    )
    factories.AccountFactory(client=twin_b)
    page = browser_page
    url = live_server.url
    sign_in(page, url, "boss2")

    # the branch overview, its churn rate and charts
    page.goto(f"{url}/kpi/branch/?month=2026-06")
    page.wait_for_selector("canvas[data-drawn='1']")
    assert "44.4%" in page.locator("#churn-rate").inner_text()
    shot(page, "branch-en")

    # an advisor's scorecard from the overview
    page.click("text=E001")
    page.wait_for_selector("#scorecard")
    page.wait_for_selector("canvas[data-chart='shares'][data-drawn='1']")
    assert "1,200,000.00" in page.locator("#scorecard").inner_text()
    shot(page, "scorecard-en")

    # the ranking, sorted by net new assets
    page.goto(f"{url}/kpi/ranking/?month=2026-06")
    page.click("a[data-sort=net_new_assets]")
    page.wait_for_url("**sort=net_new_assets**")
    first = page.locator("#ranking tbody tr").first.get_attribute("data-employee")
    assert first == "E002"
    shot(page, "ranking-en")

    # a whole book moved in one action
    alice = Advisor.objects.get(employee_no="E001")
    bob = Advisor.objects.get(employee_no="E002")
    page.goto(f"{url}/kpi/reassign/")
    page.select_option("#from-advisor", str(alice.pk))
    page.click("#reassign-filter button[type=submit]")
    page.wait_for_selector("#reassign-form")
    page.select_option("#to-advisor", str(bob.pk))
    page.fill("#reason", "Alice leaves the branch")
    page.click("#reassign-form button.btn-primary")
    page.wait_for_selector(".alert-success")
    assert not Client.objects.filter(advisor=alice).exists()
    assert ClientAssignment.objects.filter(reason="Alice leaves the branch").exists()

    # a duplicate merged after its preview
    page.goto(f"{url}/kpi/duplicates/")
    page.click(f"a[href*='keep={twin_a.pk}&merge={twin_b.pk}']")
    page.wait_for_selector("#merge-preview")
    shot(page, "merge-en")
    page.click("button.btn-danger")
    page.wait_for_selector(".alert-success")
    assert ClientMerge.objects.filter(kept=twin_a, merged=twin_b).exists()
    assert twin_a.accounts.count() == 1

    # the client page shows a manager the record's history (an advisor does not see it)
    page.goto(f"{url}/clients/{twin_a.pk}/")
    page.locator("[data-testid=record-history] summary").click()
    page.wait_for_selector("[data-testid=record-history] table")
    shot(page, "client-manager-en")

    # the same pages in Chinese
    page.goto(f"{url}/kpi/branch/?month=2026-06")
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("html[lang='zh-hans']")
    text = page.locator("main").inner_text()
    assert "营业部概览" in text and "近12个月流失率" in text
    assert "Branch overview" not in text and "Churn rate" not in text
    shot(page, "branch-zh")
    page.click("text=E001")
    page.wait_for_selector("#scorecard")
    assert "绩效记分卡" in page.locator("main").inner_text()
    shot(page, "scorecard-zh")
    page.goto(f"{url}/kpi/ranking/?month=2026-06")
    shot(page, "ranking-zh")


@pytest.mark.browser
def test_head_office_compares_every_branch(live_server, browser_page, scored_branch):
    factories.BranchFactory(code="SZ02", name="Shenzhen")
    factories.UserFactory(username="hq2", role=Role.HEAD_OFFICE, branch=None)
    page = browser_page
    url = live_server.url
    sign_in(page, url, "hq2")

    page.goto(f"{url}/kpi/")
    page.wait_for_selector("#branches")
    rows = page.locator("#branches tbody tr")
    assert rows.count() == 2
    assert "44.4%" in page.locator("tr[data-branch=HQ01]").inner_text()
    shot(page, "branches-en")
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("html[lang='zh-hans']")
    assert "全部营业部" in page.locator("main").inner_text()
    shot(page, "branches-zh")

    # head office's list of clients: a branch column and a branch filter
    page.goto(f"{url}/book/")
    assert page.locator("[data-testid=branch-cell]").count() > 0
    page.select_option("[data-testid=branch-filter]", "SZ02")
    page.click("#book-filters button[type=submit]")
    page.wait_for_url("**branch=SZ02**")
    assert page.locator("[data-testid=branch-cell]").count() == 0
    shot(page, "book-head-office-zh")
