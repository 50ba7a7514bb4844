"""SPEC §3.1 features as the loaders read them from the database (windows, accounts)."""

import datetime as dt
from decimal import Decimal

import pytest

from clients.services import trade_days_refresh
from tiers.features import load_sources
from tiers.policy import Policy
from tiers.scoring import features_from_sources

D = dt.date(2026, 6, 30)
POLICY = Policy()


def ago(n: int) -> dt.date:
    return D - dt.timedelta(days=n)


@pytest.fixture
def two_accounts(branch, advisor, make):
    client = make.Client(branch=branch, advisor=advisor, client_no="C1")
    first = make.Account(client=client, account_no="A1")
    second = make.Account(client=client, account_no="A2")
    return client, first, second


def load(branch):
    return features_from_sources(load_sources(branch.pk, D, POLICY), D, POLICY)


@pytest.mark.django_db
def test_trade_figures_merge_accounts_and_respect_windows(branch, make, two_accounts):
    # given trades on both accounts, twice on the same day, at each window's edge
    client, first, second = two_accounts
    stock = make.Security(code="600000")
    trades = [
        (first, ago(0), "10"),
        (second, ago(0), "10"),  # same day on another account: one active day
        (first, ago(89), "1"),  # first day of w90
        (first, ago(90), "2"),  # just outside w90
        (first, ago(364), "3"),  # first day of w365
        (second, ago(365), "4"),  # outside w365, but in D-365 … D-91
        (first, D + dt.timedelta(days=1), "99"),  # after D: ignored
    ]
    for account, day, commission in trades:
        make.Trade(
            account=account,
            trade_date=day,
            security=stock,
            commission=Decimal(commission),
        )
    trade_days_refresh(branch_id=branch.pk)

    # when
    row = load(branch).loc[client.pk]

    # then
    assert row["commission_365"] == 10 + 10 + 1 + 2 + 3
    assert row["commission_90"] == 21
    assert row["trades_90"] == 3
    assert row["active_days_90"] == 2
    assert row["amount_90"] == 3000
    assert row["active_days_365_91"] == 2  # D-364, D-365 (D-90 is after D-91)
    assert row["active_days_60"] == 1
    # D's month and the 11 before it: July 2025 … June 2026. June 2026, April 2026
    # (D-89, D-90) and 1 July 2025 (D-364) count; 30 June 2025 (D-365) does not.
    assert row["active_months_12"] == 3
    assert row["last_trade_date"].date() == D


@pytest.mark.django_db
def test_balances_are_taken_at_or_before_each_day_and_summed(
    branch, make, two_accounts
):
    client, first, second = two_accounts
    for account, day, assets in [
        (first, ago(100), "1000"),  # the latest on or before D-90 for A1
        (first, ago(89), "2000"),
        (first, ago(3), "4000"),
        (second, ago(95), "500"),
        (second, ago(31), "700"),  # the latest on or before D-30 for A2
    ]:
        make.Balance(account=account, date=day, market_value=Decimal(assets))

    row = load(branch).loc[client.pk]

    assert row["assets"] == 4000 + 700
    assert row["assets_90_ago"] == 1000 + 500
    assert row["assets_30_ago"] == 2000 + 700
    assert row["assets_avg_90"] == (2000 + 4000) / 2 + 700


@pytest.mark.django_db
def test_flows_positions_interactions_feedback_referrals(branch, make, two_accounts):
    # given
    client, first, second = two_accounts
    for day, kind, amount in [
        (ago(29), "withdrawal", "30000"),
        (ago(30), "deposit", "5000"),  # w90 only
        (ago(5), "custody_in", "1000"),
        (ago(90), "deposit", "777"),  # outside w90
    ]:
        make.CashFlow(account=first, date=day, type=kind, amount=Decimal(amount))
    make.CashFlow(account=second, date=ago(2), type="custody_out", amount=100)
    make.Balance(account=first, date=D, market_value=Decimal("1000"))
    stock = make.Security(code="600001", kind="stock")
    bond = make.Security(code="010001", kind="bond")
    # A1's latest position date is D-1; its zero row is ignored
    sold = make.Security(code="600002", kind="stock")
    make.Position(account=first, date=ago(1), security=sold, quantity=0, market_value=0)
    make.Position(account=first, date=ago(1), security=stock, market_value=300)
    make.Position(account=first, date=ago(1), security=bond, market_value=500)
    make.Position(account=first, date=ago(9), security=stock, market_value=999)
    # A2 sold out on D-2 (only a zero row): it holds nothing, not its older lines
    make.Position(
        account=second, date=ago(2), security=stock, quantity=0, market_value=0
    )
    make.Position(account=second, date=ago(3), security=stock, market_value=900)
    for day, channel, minutes in [
        (ago(89), "call", 10),
        (ago(90), "visit", 60),
        (ago(3), "seminar", 90),
        (ago(4), "complaint", 5),
    ]:
        make.Interaction(client=client, date=day, channel=channel, minutes=minutes)
    make.Feedback(client=client, date=ago(179), score=1)
    make.Feedback(client=client, date=ago(180), score=5)  # outside 180 days
    make.Feedback(client=client, date=ago(1), score=2)
    make.Client(branch=branch, referred_by=client, opened_at=ago(364))
    make.Client(branch=branch, referred_by=client, opened_at=ago(365))

    # when
    row = load(branch).loc[client.pk]

    # then
    assert row["net_flow_30"] == -30000 + 1000 - 100
    assert row["net_flow_90"] == -30000 + 5000 + 1000 - 100
    assert row["custody_outs_30"] == 1
    assert row["max_position_share"] == 0.5
    assert row["equity_share"] == 0.3
    assert (row["contacts_90"], row["contact_minutes_90"]) == (1, 10)
    assert (row["activities_365"], row["complaints_90"]) == (1, 1)
    assert row["interactions_90"] == 3
    assert row["days_since_contact"] == 89
    assert row["feedback_avg_180"] == 1.5
    assert row["referrals_365"] == 1


@pytest.mark.django_db
def test_new_issue_and_recommended_buys(branch, make, two_accounts):
    # given buys of 1000 each: a new issue, one recommended 5 days before, one
    # recommended the same day (too late), and an old stock never recommended
    client, first, _ = two_accounts
    new = make.Security(code="688001", listed_on=ago(30) - dt.timedelta(days=364))
    old = make.Security(code="600002", listed_on=ago(30) - dt.timedelta(days=365))
    tipped = make.Security(code="600003", listed_on=dt.date(2000, 1, 1))
    late = make.Security(code="600004", listed_on=dt.date(2000, 1, 1))
    for security in (new, old, tipped, late):
        make.Trade(account=first, trade_date=ago(30), security=security)
    make.Trade(account=first, trade_date=ago(30), security=old, side="S")
    tip = make.Interaction(client=client, date=ago(35), channel="message")
    tip.recommended.add(tipped)
    same_day = make.Interaction(client=client, date=ago(30), channel="call")
    same_day.recommended.add(late)
    index = make.Security(code="000300", kind="index")
    make.Price(security=index, date=ago(91), close=Decimal("100"))
    make.Price(security=index, date=ago(89), close=Decimal("1000"))
    make.Price(security=index, date=ago(1), close=Decimal("110"))
    trade_days_refresh(branch_id=branch.pk)

    # when
    row = load(branch).loc[client.pk]

    # then
    assert row["buy_amount_90"] == 4000
    assert row["new_issue_share_90"] == 0.25
    assert row["recommended_buy_share_90"] == 0.25
    assert row["benchmark_return_90"] == pytest.approx(0.10)
