import datetime as dt

import pytest
from django.urls import reverse

from advisors.models import Role
from loyalty.models import CatalogueItem, PointsAdjustment, PointsEntry, Redemption
from loyalty.selectors import points_balance
from tests import factories
from tiers.models import ClientScore, RunStatus, ScoreRun

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client_(make, branch, advisor):
    c = make.Client(branch=branch, advisor=advisor, name="Wang Fang")
    PointsEntry.objects.create(
        branch=branch,
        client=c,
        delta=1200,
        kind="activity",
        dated=dt.date(2026, 1, 5),
        expires_at=dt.date(2028, 1, 5),
        idempotency_key="seed",
    )
    return c


@pytest.fixture
def item(db):
    return CatalogueItem.objects.create(
        code="level2", name="Level-2 行情", points_price=500
    )


def login(client, user):
    client.force_login(user)
    return client


def test_the_client_page_loads_the_points_panel(client, advisor, client_):
    response = login(client, advisor.user).get(
        reverse("client-detail", args=[client_.pk])
    )
    assert reverse("loyalty:client-points", args=[client_.pk]) in response.text


def test_the_panel_shows_balance_history_and_catalogue(client, advisor, client_, item):
    response = login(client, advisor.user).get(
        reverse("loyalty:client-points", args=[client_.pk])
    )
    assert response.status_code == 200
    assert 'data-testid="points-balance">1,200<' in response.text
    assert "Level-2 行情" in response.text
    assert "Activity" in response.text


def test_a_colleagues_client_is_404(client, colleague, client_, item):
    c = login(client, colleague.user)
    assert c.get(reverse("loyalty:client-points", args=[client_.pk])).status_code == 404
    response = c.post(
        reverse("loyalty:client-redeem", args=[client_.pk]),
        {"item": item.pk, "quantity": 1, "idempotency_key": "x"},
    )
    assert response.status_code == 404
    assert points_balance(client=client_) == 1200


def test_redeeming_from_the_panel_twice_with_one_key_redeems_once(
    client, advisor, client_, item
):
    # given
    c = login(client, advisor.user)
    url = reverse("loyalty:client-redeem", args=[client_.pk])
    form = {"item": item.pk, "quantity": 2, "idempotency_key": "double-click"}
    # when
    first = c.post(url, form, **HTMX)
    second = c.post(url, form, **HTMX)
    # then
    assert "Redeemed Level-2 行情 for 1000 points" in first.text
    assert 'data-testid="points-balance">200<' in second.text
    assert Redemption.objects.filter(client=client_).count() == 1


def test_refusals_are_shown_in_the_panel(client, advisor, client_, item):
    c = login(client, advisor.user)
    response = c.post(
        reverse("loyalty:client-redeem", args=[client_.pk]),
        {"item": item.pk, "quantity": 3, "idempotency_key": "k"},
        **HTMX,
    )
    assert "Not enough points: 1500 needed, 1200 available." in response.text
    assert points_balance(client=client_) == 1200


def test_a_large_adjustment_is_approved_by_a_second_manager(
    client, branch, manager_user, client_
):
    # given
    c = login(client, manager_user)
    c.post(
        reverse("loyalty:client-adjust", args=[client_.pk]),
        {"delta": 6000, "reason": "migrated balance"},
        **HTMX,
    )
    adjustment = PointsAdjustment.objects.get()
    own = c.post(
        reverse("loyalty:adjustment-decide", args=[adjustment.pk, "approve"]), **HTMX
    )
    assert "second manager" in own.text
    assert points_balance(client=client_) == 1200
    # and it is listed for the other managers on the analytics page
    listed = c.get(reverse("loyalty:analytics")).text
    assert "migrated balance" in listed
    # when
    second = factories.UserFactory(username="mgr2", role=Role.MANAGER, branch=branch)
    login(client, second).post(
        reverse("loyalty:adjustment-decide", args=[adjustment.pk, "approve"]), **HTMX
    )
    # then
    assert points_balance(client=client_) == 7200


def test_a_manager_reverses_an_entry(client, manager_user, client_):
    entry = PointsEntry.objects.get(client=client_)
    response = login(client, manager_user).post(
        reverse("loyalty:entry-reverse", args=[entry.pk]),
        {"reason": "imported twice"},
        **HTMX,
    )
    assert "Entry reversed." in response.text
    assert points_balance(client=client_) == 0


def test_analytics_is_for_managers(client, advisor, manager_user):
    assert (
        login(client, advisor.user).get(reverse("loyalty:analytics")).status_code == 403
    )
    response = login(client, manager_user).get(reverse("loyalty:analytics"))
    assert response.status_code == 200
    assert reverse("loyalty:analytics") in response.text  # the nav link


def test_analytics_lists_loyal_not_valuable_and_valuable_not_loyal(
    client, make, branch, advisor, manager_user, django_assert_max_num_queries
):
    # given: a nightly run with a loyal low-value client and a valuable disloyal one
    run = ScoreRun.objects.create(
        branch=branch, date=dt.date(2026, 3, 31), status=RunStatus.DONE
    )
    loyal = make.Client(branch=branch, advisor=advisor, name="Loyal Li")
    valuable = make.Client(branch=branch, advisor=advisor, name="Rich Zhao")
    for c, value, kind, segment in [
        (loyal, 20.0, "emotional", "precipitating"),
        (valuable, 92.0, "behavioural", "core"),
    ]:
        ClientScore.objects.create(
            run=run,
            branch=branch,
            date=run.date,
            client=c,
            is_open=True,
            tier="medium",
            value_score=value,
            loyalty_type=kind,
            segment=segment,
        )
    make.Interaction(client=loyal, channel="visit", minutes=30, date=run.date)
    make.Interaction(client=loyal, channel="seminar", minutes=90, date=run.date)
    for _ in range(10):
        make.Client(branch=branch, advisor=advisor)
    login(client, manager_user)
    # when
    with django_assert_max_num_queries(16):
        response = client.get(reverse("loyalty:analytics"), {"end": "2026-03-31"})
    # then
    text = response.text
    loyal_part, _, valuable_part = text.partition("Valuable but not loyal")
    assert "Loyal Li" in loyal_part and "Rich Zhao" not in loyal_part
    assert "Rich Zhao" in valuable_part
    report = response.context["report"]
    assert report.loyalty_types == {
        "emotional": 1,
        "attitudinal": 0,
        "behavioural": 1,
        "none": 0,
    }
    # 30 contact minutes × 2 CNY; the seminar is an activity, not a contact
    assert report.total.contact_minutes == 30
    assert report.total.cost_to_serve == 60


def test_head_office_sees_the_branch_of_each_client_and_narrows_to_one_branch(
    client, make, branch, advisor, head_office_user
):
    # given: a scored valuable-but-not-loyal client in each of two branches
    other = make.Branch(code="B2", name="Second branch")
    for b, name in ((branch, "Here Hu"), (other, "There Tan")):
        run = ScoreRun.objects.create(
            branch=b, date=dt.date(2026, 3, 31), status=RunStatus.DONE
        )
        ClientScore.objects.create(
            run=run,
            branch=b,
            date=run.date,
            client=make.Client(branch=b, name=name),
            is_open=True,
            tier="large",
            value_score=95.0,
            loyalty_type="none",
            segment="core",
        )
    login(client, head_office_user)
    # when / then: every branch, each row naming its branch
    everything = client.get(reverse("loyalty:analytics"), {"end": "2026-03-31"})
    assert everything.text.count('data-testid="loyalty-branch-cell"') == 2
    assert "Second branch" in everything.text
    assert 'data-testid="loyalty-branch-filter"' in everything.text
    # narrowed to one branch
    one = client.get(
        reverse("loyalty:analytics"), {"end": "2026-03-31", "branch": "B2"}
    )
    assert [r.client.name for r in one.context["report"].valuable_not_loyal] == [
        "There Tan"
    ]
    assert one.context["report"].total.clients == 1
