"""The nightly pipeline end to end: a small hand-made branch → recompute → export."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

D = dt.date(2026, 6, 30)


@pytest.fixture
def small_branch(branch, advisor, make):
    """Four clients: a big trader, a quiet one, a prospect and a closed one."""
    index = make.Security(code="000300", kind="index", name="CSI 300")
    make.Price(security=index, date=D - dt.timedelta(90), close=Decimal("4000"))
    make.Price(security=index, date=D, close=Decimal("4200"))
    stock = make.Security(code="600519", listed_on=dt.date(2001, 8, 27))
    big = make.Client(branch=branch, advisor=advisor, client_no="C001")
    big_acc = make.Account(client=big, account_no="880001")
    for day, assets in ((D - dt.timedelta(90), "1000000"), (D, "1200000")):
        make.Balance(account=big_acc, date=day, market_value=Decimal(assets))
    for i in range(5):
        make.Trade(
            account=big_acc,
            trade_date=D - dt.timedelta(i * 7),
            security=stock,
            quantity=Decimal("1000"),
            price=Decimal("100"),
            commission=Decimal("80"),
        )
    make.Position(
        account=big_acc,
        date=D,
        security=stock,
        quantity=Decimal("7000"),
        cost_price=Decimal("100"),
        market_value=Decimal("700000"),
    )
    quiet = make.Client(branch=branch, advisor=advisor, client_no="C002")
    quiet_acc = make.Account(client=quiet, account_no="880002")
    make.Balance(account=quiet_acc, date=D - dt.timedelta(10), market_value=50000)
    make.Client(branch=branch, advisor=advisor, client_no="C003", opened_at=None)
    make.Client(
        branch=branch,
        advisor=advisor,
        client_no="C004",
        closed_at=D - dt.timedelta(5),
    )
    from clients.services import trade_days_refresh

    trade_days_refresh(branch_id=branch.pk)
    return branch


def export(branch_code="HQ01", day=D) -> list[dict]:
    out = io.StringIO()
    call_command("export_scores", date=day.isoformat(), branch=branch_code, stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


@pytest.mark.django_db
def test_recompute_then_export_gives_rows(small_branch):
    call_command("recompute", date=D.isoformat(), branch="HQ01", stdout=io.StringIO())
    rows = export()
    assert [r["client_no"] for r in rows] == ["C001", "C002", "C003", "C004"]
    print(rows)
    assert rows[0]["tier"] == "large"
    assert rows[2]["tier"] == ""
    assert rows[2]["maturity_stage"] == "potential"
