"""In a real Chromium: the demo advisor opens a client and redeems a catalogue item."""

import datetime as dt

import pytest

from advisors.models import Role
from loyalty.models import CatalogueItem, PointsEntry, Redemption
from loyalty.selectors import points_balance
from tests import factories


@pytest.mark.browser
def test_the_demo_advisor_redeems_an_item_and_sees_the_balance_drop(
    live_server, browser_page
):
    # given: the demo advisor, one of their clients with 1,200 points, an item at 500
    branch = factories.BranchFactory(code="DEMO", name="Demo branch")
    user = factories.UserFactory(
        username="demo-advisor", password="demo", role=Role.ADVISOR, branch=branch
    )
    advisor = factories.AdvisorFactory(branch=branch, user=user, name="Demo Advisor")
    client = factories.ClientFactory(branch=branch, advisor=advisor, name="Chen Jing")
    PointsEntry.objects.create(
        branch=branch,
        client=client,
        delta=1200,
        kind="activity",
        dated=dt.date.today(),
        expires_at=dt.date.today() + dt.timedelta(days=700),
        idempotency_key="browser-seed",
    )
    item = CatalogueItem.objects.create(
        code="browser_seminar", name="讲座席位 Browser seminar seat", points_price=500
    )
    page = browser_page

    # when: they sign in, open the client and redeem the item
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "demo-advisor")
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    balance = page.locator("[data-testid=points-balance]")
    balance.wait_for()
    assert balance.inner_text() == "1,200"
    page.select_option("#points-panel select[name=item]", str(item.pk))
    page.click("#points-panel form.points-form button[type=submit]")

    # then: the panel shows the new balance and the redemption is in the history
    page.wait_for_function(
        "() => document.querySelector('[data-testid=points-balance]')"
        ".innerText === '700'"
    )
    assert "Browser seminar seat" in page.locator("#points-panel").inner_text()
    assert points_balance(client=client) == 700
    assert Redemption.objects.filter(client=client).count() == 1
