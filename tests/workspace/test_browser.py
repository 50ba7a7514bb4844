"""In a real Chromium: the advisor's day, from Today to the household, in both languages.

Screenshots of every page go to tests/artifacts/ (not committed).
"""

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from advisors.models import Role
from churn.models import ChurnFlag, FlagStatus
from clients.models import Household, Interaction, Task, TaskKind, TaskStatus
from loyalty.models import CatalogueItem
from tests import factories
from tiers.models import ClientScore, RunStatus, ScoreRun

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
#: Two English words in a row: a sentence left untranslated on a Chinese page.
ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,})+\b")
#: Words that stay as they are in Chinese (product and format names, the switch).
ALLOWED = {"BrokerCRM", "CSV", "Excel", "English"}


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"workspace-{name}.png"), full_page=True)


def _seed():
    # The catalogue comes from a data migration, which a transactional test run before
    # this one in the same worker has flushed: load it again when it is gone.
    if not CatalogueItem.objects.exists():
        call_command("loaddata", "points_catalogue", verbosity=0)
    today = timezone.localdate()
    branch = factories.BranchFactory(code="DEMO", name="演示营业部")
    user = factories.UserFactory(
        username="demo-advisor",
        password="demo",
        role=Role.ADVISOR,
        branch=branch,
        first_name="丽",
        last_name="孙",
    )
    advisor = factories.AdvisorFactory(branch=branch, user=user, name="孙丽")
    other = factories.AdvisorFactory(branch=branch, name="王强")
    household = Household.objects.create(branch=branch, name="陈家")
    names = ["陈静", "陈明", "李华", "张伟", "刘洋", "赵敏"]
    clients = [
        factories.ClientFactory(
            branch=branch,
            advisor=advisor,
            name=n,
            client_no=f"C{i:05d}",
            phone=f"1391234{i:04d}",
            relationship_level="priority",
            household=household if i < 2 else None,
        )
        for i, n in enumerate(names)
    ]
    theirs = factories.ClientFactory(branch=branch, advisor=other, name="外人")
    security = factories.SecurityFactory(code="600519", name="贵州茅台")
    account = factories.AccountFactory(client=clients[0])
    factories.PositionFactory(
        account=account,
        security=security,
        date=today - dt.timedelta(days=1),
        quantity=Decimal("100"),
        cost_price=Decimal("2000"),
        market_value=Decimal("150000"),
    )
    segments = [
        "core",
        "maintaining",
        "dormant",
        "precipitating",
        "core",
        "maintaining",
    ]
    for back in (60, 30, 1):
        day = today - dt.timedelta(days=back)
        run = ScoreRun.objects.create(branch=branch, date=day, status=RunStatus.DONE)
        for i, c in enumerate(clients + [theirs]):
            ClientScore.objects.create(
                run=run,
                branch=branch,
                date=day,
                client=c,
                is_open=True,
                segment=segments[i % 6],
                tier=["large", "medium", "small"][i % 3],
                value_score=90.0 - 10 * i - back / 10,
                churn_risk=10.0 * i,
                maturity_stage="current",
                relationship_recommended="priority",
                relationship_fit="ok",
                risk_appetite="medium",
                loyalty_type="behavioural",
                contact_overdue=i == 0,
                cadence_days=30,
                churn_flags="OUTFLOW" if i == 1 else "",
                features={
                    "assets": 300_000.0 - 40_000 * i - back * 100,
                    "commission_365": 900.0,
                    "trades_90": 5,
                    "commission_rank": 70,
                    "assets_rank": 80,
                    "active_days_rank": 60,
                    "stability": 0.6,
                    "tenure_years": 4.0,
                    "turnover_90": 1.2,
                    "max_position_share": 0.4,
                    "equity_share": 0.8,
                    "new_issue_share_90": 0.0,
                },
            )
    flag = ChurnFlag.objects.create(
        branch=branch,
        client=clients[1],
        code="OUTFLOW",
        raised_on=today - dt.timedelta(days=1),
        run=run,
        facts={"net_flow_30": -90000, "assets_30_ago": 160000, "custody_outs_30": 1},
    )
    Task.objects.create(
        branch=branch,
        client=clients[0],
        owner=advisor,
        kind=TaskKind.CADENCE,
        code="OVERDUE",
        title="Overdue contact for the relationship level",
        due_date=today - dt.timedelta(days=1),
    )
    task = Task.objects.create(
        branch=branch,
        client=clients[1],
        owner=advisor,
        kind=TaskKind.CHURN,
        code="OUTFLOW",
        title="Churn risk",
        due_date=today,
    )
    for i, c in enumerate(clients[1:4]):
        Interaction.objects.create(
            branch=branch,
            interaction_id=f"seed{i}",
            date=today - dt.timedelta(days=3 + i),
            client=c,
            advisor=advisor,
            channel="call",
            minutes=20 + 10 * i,
            summary="回访",
        )
    return {
        "clients": clients,
        "theirs": theirs,
        "flag": flag,
        "task": task,
        "household": household,
    }


def _no_english(page, where):
    # Option texts too (the points catalogue, filters): innerText leaves them out.
    text = page.evaluate(
        "() => document.body.innerText + ' ' + Array.from("
        "document.querySelectorAll('option'), o => o.textContent).join(' | ')"
    )
    found = [m for m in ENGLISH.findall(text) if m not in ALLOWED]
    assert not found, f"English on the Chinese {where}: {found[:5]}"


@pytest.mark.browser
def test_an_advisors_day_in_the_workspace(live_server, browser_page):
    data = _seed()
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    url = live_server.url

    # Today: tasks and flags, a task completed in place
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "demo-advisor")
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    assert page.locator("#today-tasks [data-testid=task-item]").count() == 2
    assert page.locator("#today-flags [data-testid=flag-item]").count() == 1
    page.wait_for_timeout(300)
    _shot(page, "today-en")
    item = page.locator(f"#task-{data['task'].pk}")
    item.locator("[data-testid=task-done]").click()
    item.locator("input[name=outcome]").fill("客户同意保留账户")
    item.locator("button[type=submit]", has_text="Mark done").click()
    page.locator(f"#task-{data['task'].pk} .bg-green-lt").wait_for()
    data["task"].refresh_from_db()
    assert data["task"].status == TaskStatus.DONE

    # the book: filtered, sorted, saved, exported
    page.goto(f"{url}/book/")
    page.click("text=More filters")
    page.locator("#more-filters label", has_text="Core").first.click()
    page.click("#book-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*segment=core.*"))
    page.click("[data-testid=sort-assets]")
    page.wait_for_url(re.compile(r".*ordering=-assets.*"))
    rows = page.locator("[data-testid=book-table] tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).inner_text().startswith("C00000")
    page.fill("#save-filter input[name=name]", "核心客户")
    page.click("#save-filter button[type=submit]")
    page.locator("[data-testid=saved-filter]", has_text="核心客户").wait_for()
    _shot(page, "book-en")
    with page.expect_download() as download:
        page.click("[data-testid=export-csv]")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    exported = list(csv.reader(io.StringIO(text)))
    assert len(exported) == 3 and "139****0000" in text and "13912340000" not in text

    # the client page: log a call, see the cadence cleared, resolve the flag, set the level
    page.goto(f"{url}/clients/{data['clients'][0].pk}/")
    assert page.locator("[data-testid=cadence-overdue]").count() == 1
    page.locator("[data-testid=badge-tier]").click()
    page.locator("[data-testid=why-tier]").wait_for()
    page.select_option("#ic-channel", "call")
    page.fill("#ic-minutes", "15")
    page.fill("#log-contact textarea[name=summary]", "讨论了仓位调整")
    page.click("#log-contact button[type=submit]")
    page.locator("[data-testid=timeline]", has_text="讨论了仓位调整").wait_for()
    page.locator("[data-testid=cadence-ok]").wait_for()
    assert page.locator("[data-testid=cadence-overdue]").count() == 0
    page.select_option("[data-testid=relationship-level]", "partnership")
    page.click("#relationship-panel button[type=submit]")
    page.locator("[data-testid=relationship-actual]", has_text="Partnership").wait_for()
    _shot(page, "client-en")

    page.goto(f"{url}/clients/{data['clients'][1].pk}/")
    flag_item = page.locator(f"#flag-{data['flag'].pk}")
    flag_item.locator("select[name=outcome]").select_option("retained")
    flag_item.locator("button[type=submit]").click()
    page.locator(f"#flag-{data['flag'].pk} .bg-green-lt").wait_for()
    data["flag"].refresh_from_db()
    assert data["flag"].status == FlagStatus.RESOLVED

    # the household, the tasks
    page.click("[data-testid=household-link]")
    page.wait_for_url(re.compile(r".*/households/\d+/"))
    assert "陈静" in page.locator("body").inner_text()
    _shot(page, "household-en")
    page.goto(f"{url}/tasks/")
    _shot(page, "tasks-en")

    # another advisor's client is not found
    response = page.goto(f"{url}/clients/{data['theirs'].pk}/")
    assert response.status == 404

    # in Chinese: no English sentence on any page
    page.goto(f"{url}/")
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_load_state("load")
    page.locator("html[lang=zh-hans]").wait_for()
    for name, path in (
        ("today", "/"),
        ("book", "/book/?segment=core&ordering=-assets"),
        ("client", f"/clients/{data['clients'][0].pk}/"),
        ("tasks", "/tasks/?view=all"),
        ("household", f"/households/{data['household'].pk}/"),
    ):
        page.goto(f"{url}{path}")
        page.wait_for_load_state("networkidle")
        _no_english(page, name)
        _shot(page, f"{name}-zh")
    # the navigation names the advisor as Chinese writes it: family name first
    assert page.locator("[data-testid=user-name]").inner_text() == "孙丽"
    # the points panel: the tier and the catalogue in Chinese
    page.goto(f"{url}/clients/{data['clients'][0].pk}/")
    page.locator("[data-testid=points-tier]", has_text="大户").wait_for()
    page.locator("#points-panel select option", has_text="讲座席位").wait_for(
        state="attached"
    )
