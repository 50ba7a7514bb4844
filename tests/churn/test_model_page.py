"""The managers' churn model page: who may see it, what it shows, in a real browser."""

import datetime as dt

import pytest

from advisors.models import Role
from churn.models import ChurnFlag
from churn.services import churn_model_train
from tests import factories

from .history import plant_history


@pytest.fixture
def trained(branch):
    plant_history(branch, clients=200, signal=True)
    return churn_model_train(branch=branch)


@pytest.mark.django_db
def test_advisors_may_not_see_the_model_page(client, advisor):
    client.force_login(advisor.user)
    assert client.get("/churn/model/").status_code == 403


@pytest.mark.django_db
def test_a_manager_sees_the_model_against_the_hand_weights(
    client, manager_user, trained, branch
):
    closed = branch.clients.filter(closed_at__isnull=False).order_by("-closed_at")[0]
    ChurnFlag.objects.create(
        branch=branch,
        client=closed,
        code="DORMANT",
        raised_on=closed.closed_at - dt.timedelta(days=20),
        status="resolved",
        outcome="lost",
    )
    client.force_login(manager_user)
    page = client.get("/churn/model/").content.decode()
    assert f"Model v{trained.version}" in page
    assert f"{trained.auc_model:.3f}" in page and f"{trained.auc_hand:.3f}" in page
    assert 'id="churn-chart-data"' in page and "<canvas" in page
    assert "Days since the last advisor contact" in page or "Advisor contacts" in page
    assert "<script>" not in page  # data only, no inline code
    rows = page.split('id="flag-outcomes"')[1].split("</table>")[0]
    month = (closed.closed_at - dt.timedelta(days=20)).strftime("%Y-%m")
    assert f"<td>{month}</td>" in rows
    assert ">1 (100%)" in rows  # the flagged client did leave within 90 days


@pytest.mark.django_db
def test_the_page_says_why_the_hand_weights_stay(client, manager_user, branch):
    plant_history(branch, clients=200, signal=False, seed=3)
    model = churn_model_train(branch=branch)
    assert not model.accepted
    client.force_login(manager_user)
    page = client.get("/churn/model/").content.decode()
    assert 'id="hand-reason"' in page
    assert str(model.get_reason_display()).replace("'", "&#x27;") in page


@pytest.mark.django_db
def test_head_office_picks_a_branch_and_sees_it_in_chinese(
    client, head_office_user, trained, other_branch
):
    client.force_login(head_office_user)
    page = client.get(
        "/churn/model/?branch=HQ01", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "流失模型" in page
    assert f"{trained.auc_model:.3f}" in page
    other = client.get("/churn/model/?branch=SZ02").content.decode()
    assert f"{trained.auc_model:.3f}" not in other


@pytest.mark.browser
def test_the_demo_manager_opens_the_model_page(live_server, browser_page):
    branch = factories.BranchFactory(code="DEMO", name="Demo branch")
    factories.UserFactory(
        username="demo-manager", password="demo", role=Role.MANAGER, branch=branch
    )
    plant_history(branch, clients=200, signal=True)
    model = churn_model_train(branch=branch)
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "demo-manager")
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.click("text=Churn model")
    page.wait_for_url(f"{live_server.url}/churn/model/")
    auc_model = page.locator("[data-metric=auc-model]").inner_text()
    auc_hand = page.locator("[data-metric=auc-hand]").inner_text()
    assert auc_model == f"{model.auc_model:.3f}"
    assert auc_hand == f"{model.auc_hand:.3f}"
    assert float(auc_model) > float(auc_hand)
    # Both charts are drawn by static/js/churn_model.js.
    page.wait_for_function(
        "() => window.Chart && Chart.getChart('roc-chart') && "
        "Chart.getChart('calibration-chart')"
    )
    assert page.locator("#lift tbody tr").count() == 10
    # the same page in Chinese: the figures, and no English heading left
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("html[lang='zh-hans']")
    text = page.locator("main").inner_text()
    assert "流失模型" in text and "Churn model" not in text
    assert page.locator("[data-metric=auc-model]").inner_text() == auc_model
    assert page.locator("[data-metric=auc-hand]").inner_text() == auc_hand
    page.wait_for_function("() => window.Chart && Chart.getChart('roc-chart')")
