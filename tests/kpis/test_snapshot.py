"""The nightly run stores SPEC §5's KPI rows; export_kpis writes them, worked by hand."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from churn.models import ChurnFlag
from clients.models import Task
from kpis.models import AdvisorKpi
from tiers.models import ClientScore

from .conftest import E, day, local  # noqa: F401

HEADER = (
    "month,employee_no,clients,aum,net_new_assets,new_clients,lost_clients,"
    "commission,avg_return_90,contact_coverage,minutes_core_dormant,"
    "minutes_maintaining,minutes_precipitating,flags_open,flags_resolved,"
    "median_resolve_days,satisfaction,rank_aum,rank_commission,"
    "rank_net_new_assets,rank_contact_coverage,churn_rate_12m"
)


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
