import datetime as dt
from decimal import Decimal

import pytest

from loyalty.fifo import add_months
from loyalty.models import EntryKind, PointsEntry
from loyalty.selectors import points_balances, redeemed_client_ids
from loyalty.services import points_accrue
from tiers.policy import Policy

D = dt.date(2026, 3, 31)


@pytest.fixture
def client_(make, branch, advisor):
    return make.Client(branch=branch, advisor=advisor)


def accrue(branch, as_of=D):
    return points_accrue(branch=branch, as_of=as_of, policy=Policy())


def test_trade_points_are_commission_rounded_down_per_trade_dated_by_trade(
    make, branch, client_
):
    # given
    account = make.Account(client=client_)
    make.Trade(account=account, trade_date=dt.date(2026, 3, 2), commission="12.99")
    make.Trade(account=account, trade_date=dt.date(2026, 3, 3), commission="0.99")
    make.Trade(account=account, trade_date=dt.date(2026, 4, 1), commission="50")
    # when
    result = accrue(branch)
    # then: 12 points from the first, nothing from the sub-1 CNY and the future trade
    assert result["trade"] == 1
    entry = PointsEntry.objects.get(client=client_)
    assert (entry.delta, entry.kind, entry.dated) == (12, "trade", dt.date(2026, 3, 2))
    assert entry.expires_at == dt.date(2028, 3, 2)
    assert points_balances(branch_id=branch.pk, as_of=D) == {client_.pk: 12}
    assert points_balances(branch_id=branch.pk, as_of=dt.date(2026, 3, 1)) == {}


def test_activity_points_per_channel_and_prospects_earn_too(make, branch, advisor):
    # given
    prospect = make.Client(branch=branch, advisor=advisor, opened_at=None)
    make.Interaction(client=prospect, channel="seminar", date=dt.date(2026, 3, 5))
    make.Interaction(client=prospect, channel="survey", date=dt.date(2026, 3, 6))
    make.Interaction(client=prospect, channel="call", date=dt.date(2026, 3, 7))
    # when
    result = accrue(branch)
    # then
    assert result["activity"] == 2
    assert points_balances(branch_id=branch.pk, as_of=D) == {prospect.pk: 70}
    assert points_balances(branch_id=branch.pk, as_of=dt.date(2026, 3, 5)) == {
        prospect.pk: 50
    }


def test_referral_points_when_referred_assets_first_reach_threshold(
    make, branch, advisor, client_
):
    # given: the referred client's two accounts sum to 10,000 first on 3 March
    referred = make.Client(branch=branch, advisor=advisor, referred_by=client_)
    a1, a2 = make.Account(client=referred), make.Account(client=referred)
    make.Balance(account=a1, date=dt.date(2026, 3, 2), market_value=Decimal("9000"))
    make.Balance(account=a1, date=dt.date(2026, 3, 3), market_value=Decimal("6000"))
    make.Balance(account=a2, date=dt.date(2026, 3, 3), market_value=Decimal("4000"))
    make.Balance(account=a1, date=dt.date(2026, 3, 9), market_value=Decimal("90000"))
    # when
    accrue(branch)
    accrue(branch)
    # then: the referrer earns 500 once, dated by the day the threshold was reached
    entry = PointsEntry.objects.get(kind=EntryKind.REFERRAL)
    assert (entry.client_id, entry.delta, entry.dated) == (
        client_.pk,
        500,
        dt.date(2026, 3, 3),
    )


def test_rerunning_the_same_date_adds_no_entries(make, branch, client_):
    # given
    account = make.Account(client=client_)
    for day in range(1, 20):
        make.Trade(account=account, trade_date=dt.date(2024, 1, day), commission="30")
    make.Interaction(client=client_, channel="seminar", date=dt.date(2024, 1, 2))
    first = accrue(branch, as_of=dt.date(2026, 1, 10))
    count = PointsEntry.objects.count()
    # when
    again = accrue(branch, as_of=dt.date(2026, 1, 10))
    # then
    assert first["expiry"] >= 1
    assert again["entries"] == 0
    assert PointsEntry.objects.count() == count


def test_points_expire_after_24_months_oldest_first_after_spending(
    make, branch, client_, advisor
):
    # given: 100 earned on 1 Jan 2024, 100 on 1 Feb 2024
    account = make.Account(client=client_)
    make.Trade(account=account, trade_date=dt.date(2024, 1, 1), commission="100")
    make.Trade(account=account, trade_date=dt.date(2024, 2, 1), commission="100")
    accrue(branch, as_of=dt.date(2024, 2, 1))
    # and 150 redeemed in March 2024: the January lot first, then 50 of February's
    from loyalty.models import CatalogueItem
    from loyalty.services import redemption_create

    item = CatalogueItem.objects.create(code="t150", name="Test", points_price=150)
    redemption_create(
        user=advisor.user,
        client=client_,
        item=item,
        idempotency_key="k1",
        on=dt.date(2024, 3, 1),
    )
    # when
    result = accrue(branch, as_of=dt.date(2026, 2, 1))
    # then: nothing left of January's lot, 50 of February's expire on 1 Feb 2026
    expiries = list(
        PointsEntry.objects.filter(kind="expiry").values_list("dated", "delta")
    )
    assert expiries == [(dt.date(2026, 2, 1), -50)]
    assert result["points_expired"] == 50
    assert points_balances(branch_id=branch.pk, as_of=dt.date(2026, 2, 1)) == {
        client_.pk: 0
    }
    assert points_balances(branch_id=branch.pk, as_of=dt.date(2026, 1, 31)) == {
        client_.pk: 50
    }
    assert redeemed_client_ids(
        branch_id=branch.pk, start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31)
    ) == {client_.pk}
    assert (
        redeemed_client_ids(
            branch_id=branch.pk, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31)
        )
        == set()
    )


def test_accrual_reads_each_source_once_whatever_the_number_of_clients(
    make, branch, advisor, django_assert_max_num_queries
):
    # given
    for _ in range(15):
        c = make.Client(branch=branch, advisor=advisor)
        make.Trade(account=make.Account(client=c), trade_date=dt.date(2026, 3, 1))
        make.Interaction(client=c, channel="seminar", date=dt.date(2026, 3, 1))
    # when / then (15 on PostgreSQL: of them, the interactions' settled watermarks
    # are a savepoint, the tables' lock, one read and the release)
    with django_assert_max_num_queries(15):
        result = accrue(branch)
    assert result["trade"] == 15
    assert result["activity"] == 15


def test_add_months_clamps_to_month_end():
    assert add_months(dt.date(2024, 2, 29), 24) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 11, 30), 3) == dt.date(2025, 2, 28)


def test_a_late_imported_old_trade_expires_at_the_next_run(make, branch, client_):
    # given: a nightly run, then a trade of 25 months ago imported late
    account = make.Account(client=client_)
    make.Trade(account=account, trade_date=dt.date(2026, 3, 1), commission="10")
    accrue(branch, as_of=D)
    make.Trade(account=account, trade_date=dt.date(2024, 2, 20), commission="40")
    # when
    result = accrue(branch, as_of=D + dt.timedelta(days=1))
    # then: earned on its trade date, expired on its expiry day, the rest untouched
    assert (result["trade"], result["expiry"], result["points_expired"]) == (1, 1, 40)
    expiry = PointsEntry.objects.get(kind="expiry")
    assert expiry.dated == dt.date(2026, 2, 20)
    assert points_balances(branch_id=branch.pk, as_of=D) == {client_.pk: 10}


def test_lots_expiring_on_skipped_nights_expire_at_the_next_run(make, branch, client_):
    # given: lots expiring on 2 and 4 April 2026; runs on 31 March, then 6 April
    account = make.Account(client=client_)
    make.Trade(account=account, trade_date=dt.date(2024, 4, 2), commission="20")
    make.Trade(account=account, trade_date=dt.date(2024, 4, 4), commission="30")
    make.Trade(account=account, trade_date=dt.date(2024, 4, 9), commission="7")
    assert accrue(branch, as_of=D)["expiry"] == 0
    # when
    result = accrue(branch, as_of=dt.date(2026, 4, 6))
    # then
    assert result["expiry"] == 2
    assert sorted(
        PointsEntry.objects.filter(kind="expiry").values_list("dated", "delta")
    ) == [(dt.date(2026, 4, 2), -20), (dt.date(2026, 4, 4), -30)]
    assert accrue(branch, as_of=dt.date(2026, 4, 6))["entries"] == 0
