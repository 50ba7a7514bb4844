"""The nightly run stores SPEC §5's KPI rows; export_kpis writes them, worked by hand."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from advisors.models import Role
from churn.models import ChurnFlag
from clients.models import Task
from clients.services import trade_days_refresh
from kpis.models import AdvisorKpi, ClientAssignment
from kpis.services import clients_reassign
from tiers.models import ClientScore

E = dt.date(2026, 6, 20)
HEADER = (
    "month,employee_no,clients,aum,net_new_assets,new_clients,lost_clients,"
    "commission,avg_return_90,contact_coverage,minutes_core_dormant,"
    "minutes_maintaining,minutes_precipitating,flags_open,flags_resolved,"
    "median_resolve_days,satisfaction,rank_aum,rank_commission,"
    "rank_net_new_assets,rank_contact_coverage,churn_rate_12m"
)


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


def recompute(d):
    call_command("recompute", date=d.isoformat(), branch="HQ01", stdout=io.StringIO())


def export(month="2026-06", **options):
    out = io.StringIO()
    call_command(
        "export_kpis",
        month=month,
        branch="HQ01",
        stdout=out,
        stderr=io.StringIO(),
        **options,
    )
    return out.getvalue()


@pytest.mark.django_db
def test_the_month_to_date_worked_by_hand(kpi_branch):
    # given the segments the rules give (C003, C004: value 0.4·50 + 0.25·50 or 25
    # + 0.15·50 + stability ≈ 40.1 and 40.2: maintaining)
    recompute(E)
    segments = dict(ClientScore.objects.values_list("client__client_no", "segment"))
    assert segments["C001"] == "core"
    assert segments["C002"] == "dormant"
    assert segments["C003"] == segments["C004"] == "maintaining"

    # when
    text = export()

    # then
    # E001: C001 (C005 closed: lost, its custody-out counts; C002 moved away)
    # E002: C002 (its deposit before the move counts for B), C003 (new)
    # branch: returns 0.2, 10/420 and 0 over 3 → 0.0746; coverage C001 no, C002 yes
    # churn: C005 and C006 closed in 12 months ÷ mean(5 open a year ago, 4 now)
    assert text.splitlines() == [
        HEADER,
        "2026-06,E001,1,1200000.00,-30000.00,0,1,240.00,0.2000,0.0,"
        "10,0,0,0,1,4.0,5.00,1,1,2,2,",
        "2026-06,E002,2,500000.00,40000.00,1,0,0.00,0.0238,100.0,"
        "20,5,0,1,1,20.0,2.00,2,2,1,1,",
        "2026-06,E003,0,0.00,0.00,0,0,0.00,,,0,0,0,0,0,,,,,,,",
        "2026-06,*,4,1725000.00,15000.00,1,1,240.00,0.0746,50.0,"
        "30,8,0,1,2,12.0,3.50,,,,,44.4",
    ]


@pytest.mark.django_db
def test_a_day_before_the_move_counts_the_client_for_the_old_advisor(kpi_branch):
    recompute(day(6, 9))

    rows = {r.employee_no: r for r in AdvisorKpi.objects.filter(date=day(6, 9))}
    # C001, C002 and C005 (not closed until the 12th); B has the new C003
    assert (rows["E001"].clients, rows["E002"].clients) == (3, 1)
    assert rows["E001"].net_new_assets == Decimal("50000.00")
    assert rows["E002"].net_new_assets == Decimal("0.00")


@pytest.mark.django_db
def test_a_past_month_is_its_last_run_and_reruns_replace_rows(kpi_branch):
    recompute(day(6, 9))
    recompute(E)
    recompute(E)

    assert AdvisorKpi.objects.filter(date=E).count() == 4
    assert AdvisorKpi.objects.filter(date=day(6, 9)).count() == 4
    assert export().splitlines()[1].startswith("2026-06,E001,1,1200000.00")


@pytest.mark.django_db
def test_the_flags_open_after_the_run_count(kpi_branch):
    recompute(E)

    open_flags = ChurnFlag.objects.filter(status="open")
    assert list(open_flags.values_list("client__client_no", "code")) == [
        ("C003", "DISSATISFIED")
    ]
    assert Task.objects.filter(client__client_no="C003", status="open").exists()


@pytest.mark.django_db
def test_export_to_a_file(kpi_branch, tmp_path):
    recompute(E)
    path = tmp_path / "kpis.csv"

    export(output=str(path))

    assert path.read_text(encoding="utf-8").splitlines()[0] == HEADER


@pytest.mark.django_db
def test_a_month_without_a_run_is_an_error(kpi_branch):
    recompute(E)

    with pytest.raises(CommandError, match="no nightly run .* 2026-05"):
        export(month="2026-05")
    with pytest.raises(CommandError, match="YYYY-MM"):
        export(month="June")
    with pytest.raises(CommandError, match="unknown branch"):
        call_command("export_kpis", month="2026-06", branch="NOPE")
