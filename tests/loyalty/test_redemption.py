import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from advisors.models import Role
from loyalty.models import AdjustmentStatus, CatalogueItem, PointsEntry
from loyalty.selectors import points_balance
from loyalty.services import (
    PointsError,
    adjustment_approve,
    adjustment_reject,
    adjustment_request,
    entry_reverse,
    redemption_create,
)
from tests import factories

ON = dt.date(2026, 3, 2)


@pytest.fixture
def client_(make, branch, advisor):
    return make.Client(branch=branch, advisor=advisor)


@pytest.fixture
def item(db):
    return CatalogueItem.objects.create(
        code="research", name="Research", points_price=300, free_tiers=["large"]
    )


def give(client, points, key="gift"):
    return PointsEntry.objects.create(
        branch=client.branch,
        client=client,
        delta=points,
        kind="activity",
        dated=dt.date(2026, 3, 1),
        expires_at=dt.date(2028, 3, 1),
        idempotency_key=key,
    )


def redeem(user, client, item, key="k", quantity=1):
    return redemption_create(
        user=user,
        client=client,
        item=item,
        quantity=quantity,
        idempotency_key=key,
        on=ON,
    )


def test_redeeming_takes_the_points_and_records_the_redemption(advisor, client_, item):
    # given
    give(client_, 1000)
    # when
    redemption = redeem(advisor.user, client_, item, quantity=2)
    # then
    assert points_balance(client=client_) == 400
    assert redemption.points == 600
    entry = redemption.entries.get()
    assert (entry.kind, entry.delta, entry.dated) == ("redemption", -600, ON)


def test_not_enough_points_is_refused_with_a_message(advisor, client_, item):
    give(client_, 299)
    with pytest.raises(PointsError, match="Not enough points: 300 needed, 299"):
        redeem(advisor.user, client_, item)
    assert points_balance(client=client_) == 299


def test_the_same_key_twice_gives_one_redemption_and_the_same_answer(
    advisor, client_, item
):
    give(client_, 1000)
    first = redeem(advisor.user, client_, item, key="abc")
    again = redeem(advisor.user, client_, item, key="abc")
    assert again.pk == first.pk
    assert points_balance(client=client_) == 700


def test_the_same_key_with_another_payload_is_refused(advisor, client_, item):
    give(client_, 1000)
    redeem(advisor.user, client_, item, key="abc")
    with pytest.raises(PointsError, match="already used for a different redemption"):
        redeem(advisor.user, client_, item, key="abc", quantity=2)
    assert points_balance(client=client_) == 700


def test_an_advisor_cannot_redeem_for_a_colleagues_client(colleague, client_, item):
    give(client_, 1000)
    with pytest.raises(PermissionDenied):
        redeem(colleague.user, client_, item)
    assert points_balance(client=client_) == 1000


def test_stock_runs_out(advisor, client_, item):
    give(client_, 10_000)
    item.stock = 1
    item.save()
    redeem(advisor.user, client_, item, key="1")
    with pytest.raises(PointsError, match="Out of stock"):
        redeem(advisor.user, client_, item, key="2")
    item.refresh_from_db()
    assert item.stock == 0


def test_a_tier_that_gets_the_item_free_pays_nothing(
    advisor, client_, item, monkeypatch
):
    # given: the nightly run put the client in the large tier
    monkeypatch.setattr(
        "loyalty.services.redemptions.client_tier", lambda client: "large"
    )
    # when
    redemption = redeem(advisor.user, client_, item)
    # then
    assert redemption.points == 0
    assert points_balance(client=client_) == 0


def test_reversing_a_redemption_gives_the_points_back(
    advisor, manager_user, client_, item
):
    give(client_, 1000)
    redemption = redeem(advisor.user, client_, item)
    reversal = entry_reverse(
        user=manager_user, entry=redemption.entries.get(), reason="wrong item"
    )
    assert reversal.delta == 300
    assert points_balance(client=client_) == 1000
    with pytest.raises(PointsError, match="already reversed"):
        entry_reverse(
            user=manager_user,
            entry=redemption.entries.get(kind="redemption"),
            reason="again",
        )


def test_reversing_points_already_spent_is_refused(
    advisor, manager_user, client_, item
):
    gift = give(client_, 300)
    redeem(advisor.user, client_, item)
    with pytest.raises(PointsError, match="not have enough points"):
        entry_reverse(user=manager_user, entry=gift, reason="duplicate import")
    assert points_balance(client=client_) == 0


def test_advisors_cannot_adjust_or_reverse(advisor, client_):
    gift = give(client_, 300)
    with pytest.raises(PermissionDenied):
        adjustment_request(user=advisor.user, client=client_, delta=10, reason="x")
    with pytest.raises(PermissionDenied):
        entry_reverse(user=advisor.user, entry=gift, reason="x")


def test_a_small_adjustment_is_applied_at_once(manager_user, client_):
    adjustment = adjustment_request(
        user=manager_user, client=client_, delta=100, reason="goodwill"
    )
    assert adjustment.status == AdjustmentStatus.APPLIED
    assert points_balance(client=client_) == 100


def test_a_large_adjustment_needs_a_second_manager(manager_user, branch, client_):
    # given
    second = factories.UserFactory(username="mgr2", role=Role.MANAGER, branch=branch)
    adjustment = adjustment_request(
        user=manager_user, client=client_, delta=5000, reason="migration"
    )
    assert adjustment.status == AdjustmentStatus.PENDING
    assert points_balance(client=client_) == 0
    # when the requester tries to approve their own
    with pytest.raises(PermissionDenied, match="second manager"):
        adjustment_approve(user=manager_user, adjustment=adjustment)
    # then a second manager can
    adjustment = adjustment_approve(user=second, adjustment=adjustment)
    assert adjustment.status == AdjustmentStatus.APPLIED
    assert adjustment.decided_by == second
    assert points_balance(client=client_) == 5000


def test_a_rejected_adjustment_changes_nothing(manager_user, branch, client_):
    second = factories.UserFactory(username="mgr2", role=Role.MANAGER, branch=branch)
    adjustment = adjustment_request(
        user=manager_user, client=client_, delta=-9000, reason="typo"
    )
    adjustment_reject(user=second, adjustment=adjustment)
    with pytest.raises(PointsError):
        adjustment_approve(user=second, adjustment=adjustment)
    assert points_balance(client=client_) == 0


def test_a_higher_tier_item_costs_points_and_leaves_the_tier_alone(
    advisor, client_, item, monkeypatch
):
    # given: a small-tier client; the item is free only for the large tier
    monkeypatch.setattr(
        "loyalty.services.redemptions.client_tier", lambda client: "small"
    )
    give(client_, 1000)
    # when
    redemption = redeem(advisor.user, client_, item)
    # then
    assert (redemption.points, redemption.tier) == (300, "small")
    assert points_balance(client=client_) == 700
