import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from loyalty.models import CatalogueItem, PointsEntry
from loyalty.selectors import points_balance, points_balances
from loyalty.services import points_accrue, points_merge, redemption_create
from tiers.policy import Policy

D = dt.date(2026, 3, 31)


def test_a_merge_carries_points_and_their_expiry_to_the_surviving_client(
    make, branch, advisor, manager_user
):
    # given: a duplicate with an old and a new lot and a redemption; a survivor
    duplicate = make.Client(branch=branch, advisor=advisor)
    survivor = make.Client(branch=branch, advisor=advisor)
    account = make.Account(client=duplicate)
    make.Trade(account=account, trade_date=dt.date(2024, 5, 1), commission="300")
    make.Trade(account=account, trade_date=dt.date(2026, 3, 1), commission="80")
    make.Interaction(client=survivor, channel="seminar", date=dt.date(2026, 3, 2))
    points_accrue(branch=branch, as_of=D, policy=Policy())
    item = CatalogueItem.objects.create(code="x", name="X", points_price=100)
    redemption_create(
        user=advisor.user, client=duplicate, item=item, idempotency_key="k", on=D
    )
    assert points_balance(client=duplicate) == 280
    # when
    copied = points_merge(user=manager_user, source=duplicate, target=survivor)
    again = points_merge(user=manager_user, source=duplicate, target=survivor)
    # then
    assert copied == 3 and again == 0
    assert points_balance(client=duplicate) == 0
    assert points_balance(client=survivor) == 330
    # and the duplicate's old lot still expires on its day, now on the survivor
    result = points_accrue(branch=branch, as_of=dt.date(2026, 5, 1), policy=Policy())
    assert result["points_expired"] == 200  # 300 earned, 100 of it redeemed
    balances = points_balances(branch_id=branch.pk, as_of=dt.date(2026, 5, 1))
    assert balances[survivor.pk] == 130
    assert points_balance(client=survivor) == 130
    assert not PointsEntry.objects.filter(client=duplicate, kind="expiry").exists()


def test_only_a_manager_merges(make, branch, advisor):
    a = make.Client(branch=branch, advisor=advisor)
    b = make.Client(branch=branch, advisor=advisor)
    with pytest.raises(PermissionDenied):
        points_merge(user=advisor.user, source=a, target=b)
