"""A small hand-made branch for the KPI tests, pages and browser tests."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from advisors.models import Role
from churn.models import ChurnFlag
from clients.services import trade_days_refresh
from kpis.models import ClientAssignment
from kpis.services import clients_reassign

E = dt.date(2026, 6, 20)


def day(month, d, year=2026):
    return dt.date(year, month, d)


def local(d: dt.date, hour=10):
    return timezone.make_aware(dt.datetime.combine(d, dt.time(hour)))


@pytest.fixture
def kpi_branch(branch, make):
    """Three advisors (the third with no client), five clients and a move on 10 June."""
    a = make.Advisor(branch=branch, employee_no="E001", user__username="alice")
    b = make.Advisor(branch=branch, employee_no="E002", user__username="bob")
    make.Advisor(branch=branch, employee_no="E003", user__username="carol")
    index = make.Security(code="000300", kind="index", name="CSI 300")
    make.Price(security=index, date=E - dt.timedelta(95), close=Decimal("4000"))
    make.Price(security=index, date=E, close=Decimal("4000"))
    stock = make.Security(code="600519")

    # C001 (A): the big trader (core); 0.2 return; contacted only 36 days before E
    c1 = make.Client(branch=branch, advisor=a, client_no="C001")
    acc = make.Account(client=c1, account_no="880001")
    make.Balance(account=acc, date=E - dt.timedelta(95), market_value=Decimal("1e6"))
    make.Balance(account=acc, date=E, market_value=Decimal("1200000"))
    for trade_day in (day(5, 20), day(5, 27), day(6, 3), day(6, 10), day(6, 17)):
        make.Trade(account=acc, trade_date=trade_day, security=stock, commission=80)
    make.Interaction(client=c1, advisor=a, date=day(5, 15), minutes=15)
    make.Feedback(client=c1, date=day(6, 12), score=5)
    # a flag raised on 1 June, resolved on the 5th: 4 days
    ChurnFlag.objects.create(
        branch=branch,
        client=c1,
        code="LOSSES",
        status="resolved",
        outcome="retained",
        raised_on=day(6, 1),
        resolved_at=local(day(6, 5)),
    )

    # C002 (A, moved to B on 10 June): 400k without trades (dormant); +50k −10k
    c2 = make.Client(branch=branch, advisor=a, client_no="C002")
    acc = make.Account(client=c2, account_no="880002")
    make.Balance(account=acc, date=E - dt.timedelta(100), market_value=Decimal("4e5"))
    make.Balance(account=acc, date=E, market_value=Decimal("450000"))
    make.CashFlow(account=acc, date=day(6, 5), type="deposit", amount=50000)
    make.CashFlow(account=acc, date=day(6, 15), type="withdrawal", amount=10000)
    make.Interaction(client=c2, advisor=a, date=day(6, 8), minutes=10)
    make.Interaction(client=c2, advisor=b, date=day(6, 16), minutes=20, channel="visit")

    # C003 (B): opened on 5 June; a poor score (DISSATISFIED); an old flag resolved
    c3 = make.Client(branch=branch, advisor=b, client_no="C003", opened_at=day(6, 5))
    acc = make.Account(client=c3, account_no="880003")
    make.Balance(account=acc, date=day(6, 6), market_value=Decimal("50000"))
    make.Feedback(client=c3, date=day(6, 11), score=2)
    make.Interaction(client=c3, advisor=b, date=day(6, 18), minutes=5)
    make.Interaction(
        client=c3, advisor=b, date=day(6, 19), minutes=9, channel="seminar"
    )
    ChurnFlag.objects.create(
        branch=branch,
        client=c3,
        code="DISSATISFIED",
        status="resolved",
        outcome="not_a_risk",
        raised_on=day(5, 20),
        resolved_at=local(day(6, 9)),
    )

    # C004 (no advisor): the branch row only; +5k; a call logged by nobody
    c4 = make.Client(branch=branch, advisor=None, client_no="C004")
    acc = make.Account(client=c4, account_no="880004")
    make.Balance(account=acc, date=day(1, 5), market_value=Decimal("20000"))
    make.Balance(account=acc, date=day(6, 2), market_value=Decimal("25000"))
    make.CashFlow(account=acc, date=day(6, 2), type="deposit", amount=5000)
    make.Interaction(client=c4, advisor=None, date=day(6, 3), minutes=3)

    # C005 (A): custody out on 11 June, closed on the 12th (lost this month)
    c5 = make.Client(branch=branch, advisor=a, client_no="C005", closed_at=day(6, 12))
    acc = make.Account(client=c5, account_no="880005")
    make.CashFlow(account=acc, date=day(6, 11), type="custody_out", amount=30000)
    # C006 (B): closed last September (in the 12 months, not this month)
    make.Client(branch=branch, advisor=b, client_no="C006", closed_at=day(9, 1, 2025))
    trade_days_refresh(branch_id=branch.pk)

    # the move of C002 to B, on 10 June
    manager = make.User(username="boss", role=Role.MANAGER, branch=branch)
    clients_reassign(
        user=manager, client_ids=[c2.pk], to_advisor_id=b.pk, reason="A leaves"
    )
    ClientAssignment.objects.update(moved_on=day(6, 10), moved_at=local(day(6, 10)))
    return branch


@pytest.fixture(autouse=True)
def _english_after():
    """A page switched to Chinese must not leave Chinese active for the next test."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)
