"""The nightly pipeline end to end: a small hand-made branch → recompute → export."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from churn.models import ChurnFlag, FlagStatus
from clients.models import Position, Task
from clients.services import (
    TaskCondition,
    tasks_apply,
    tasks_plan,
    trade_days_refresh,
)
from nightly import services
from tiers import services as tiers_services
from tiers.models import ClientScore, RunStatus, ScoreRun

D = dt.date(2026, 6, 30)
HEADER = (
    "client_no,tier,value_score,contribution_score,maturity_stage,segment,"
    "relationship_recommended,relationship_fit,risk_appetite,trading_ability,"
    "loyalty_type,experience,churn_flags,alerts,points_balance"
)


def days_ago(n: int) -> dt.date:
    return D - dt.timedelta(days=n)


@pytest.fixture
def small_branch(branch, advisor, make):
    """Five clients: a big trader, a leaver, a quiet one, a prospect, a closed one."""
    index = make.Security(code="000300", kind="index", name="CSI 300")
    make.Price(security=index, date=days_ago(95), close=Decimal("4000"))
    make.Price(security=index, date=D, close=Decimal("4200"))
    stock = make.Security(code="600519", listed_on=dt.date(2001, 8, 27))
    fund = make.Security(code="510300", kind="fund", listed_on=dt.date(2012, 5, 28))

    # C001: large, trades weekly, one position of 58% of assets (concentration)
    big = make.Client(branch=branch, advisor=advisor, client_no="C001", risk_level="C3")
    big_acc = make.Account(client=big, account_no="880001")
    make.Balance(account=big_acc, date=days_ago(90), market_value=Decimal("1000000"))
    make.Balance(account=big_acc, date=D, market_value=Decimal("1200000"))
    for i in range(5):
        make.Trade(
            account=big_acc,
            trade_date=days_ago(i * 7),
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

    # C002: two accounts, custody out this month (OUTFLOW), priority never contacted
    leaver = make.Client(
        branch=branch,
        advisor=advisor,
        client_no="C002",
        relationship_level="priority",
        opened_at=dt.date(2025, 1, 10),
    )
    for n, assets in (("880002", "300000"), ("880003", "100000")):
        account = make.Account(client=leaver, account_no=n)
        make.Balance(account=account, date=days_ago(40), market_value=Decimal(assets))
    make.CashFlow(
        account=leaver.accounts.first(),
        date=days_ago(3),
        type="custody_out",
        amount=Decimal("1000"),
    )
    make.Position(
        account=leaver.accounts.first(),
        date=days_ago(40),
        security=fund,
        quantity=Decimal("1000"),
        market_value=Decimal("100000"),
    )

    # C003: small, no trade, a complaint (DISSATISFIED), a seminar (attitudinal)
    quiet = make.Client(branch=branch, advisor=advisor, client_no="C003")
    quiet_acc = make.Account(client=quiet, account_no="880004")
    make.Balance(account=quiet_acc, date=days_ago(10), market_value=Decimal("50000"))
    make.Interaction(client=quiet, date=days_ago(20), channel="complaint")
    make.Interaction(client=quiet, date=days_ago(200), channel="seminar")

    # C004: a prospect contacted this quarter; C005: closed five days ago
    prospect = make.Client(
        branch=branch, advisor=advisor, client_no="C004", opened_at=None
    )
    make.Interaction(client=prospect, date=days_ago(5), channel="call")
    make.Client(branch=branch, advisor=advisor, client_no="C005", closed_at=days_ago(5))
    trade_days_refresh(branch_id=branch.pk)
    return branch


def recompute(day=D, branch="HQ01"):
    call_command("recompute", date=day.isoformat(), branch=branch, stdout=io.StringIO())


def export(day=D, branch_code="HQ01") -> str:
    out = io.StringIO()
    call_command(
        "export_scores",
        date=day.isoformat(),
        branch=branch_code,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


@pytest.mark.django_db
def test_recompute_then_export_gives_the_expected_rows(small_branch):
    # when
    recompute()
    text = export()

    # then (worked by hand: C001 value = 0.4·100 + 0.25·100 + 0.15·100
    # + 20·(½·6.494/10 + ½·1/12) = 87.3; C002's 400k without trades is dormant)
    assert text.splitlines() == [
        HEADER,
        "C001,large,87.3,100.0,current,core,priority,under-served,high,"
        "self_directed,behavioural,seasoned,,CONCENTRATION,400",
        "C002,medium,45.6,50.0,potential,dormant,intermediary,over-served,"
        "low,,none,new,OUTFLOW,,0",
        "C003,small,42.3,50.0,target,maintaining,intermediary,ok,low,,"
        "attitudinal,seasoned,DISSATISFIED,,50",
        "C004,,,,target,,,,,,,,,,0",
        "C005,,,,potential,,,,,,,,,,0",
    ]


@pytest.mark.django_db
def test_run_records_policy_counts_flags_and_tasks(small_branch):
    recompute()

    run = ScoreRun.objects.get()
    assert run.status == RunStatus.DONE
    assert (run.clients, run.open_clients, run.flags_raised) == (5, 3, 2)
    assert run.policy_version is None  # defaults, nothing saved yet
    assert run.duration_s is not None
    flags = set(ChurnFlag.objects.values_list("client__client_no", "code", "status"))
    assert flags == {("C002", "OUTFLOW", "open"), ("C003", "DISSATISFIED", "open")}
    tasks = set(Task.objects.values_list("client__client_no", "kind", "code"))
    assert tasks == {
        ("C001", "alert", "CONCENTRATION"),
        ("C001", "suitability", "SUITABILITY"),
        ("C002", "churn", "OUTFLOW"),
        ("C002", "cadence", "OVERDUE"),
        ("C003", "churn", "DISSATISFIED"),
    }
    score = ClientScore.objects.get(client__client_no="C001")
    assert score.features["commission_rank"] == 100.0
    assert score.features["assets"] == 1_200_000.0


@pytest.mark.django_db
def test_rerunning_a_date_changes_nothing(small_branch):
    # given
    recompute()
    before = export()
    counts = (ChurnFlag.objects.count(), Task.objects.count())

    # when
    recompute()

    # then
    assert export() == before
    assert (ChurnFlag.objects.count(), Task.objects.count()) == counts
    assert ScoreRun.objects.filter(date=D).count() == 1
    assert ClientScore.objects.count() == 5


@pytest.mark.django_db
def test_history_is_kept_per_date(small_branch):
    recompute(days_ago(1))
    recompute()

    assert ScoreRun.objects.filter(status=RunStatus.DONE).count() == 2
    assert ClientScore.objects.count() == 10


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("module", "phase"), [(tiers_services, "scores_write"), (services, "swap")]
)
def test_a_run_that_dies_midway_leaves_the_previous_results(
    small_branch, monkeypatch, module, phase
):
    # given a finished run of the date, then its flags resolved (so a re-run raises)
    recompute()
    before = export()
    ChurnFlag.objects.update(status=FlagStatus.RESOLVED, outcome="not_a_risk")

    # when the next run of the same date dies inside its write phase
    real = getattr(module, phase)

    def dies(*args, **kwargs):
        with transaction.atomic():
            real(*args, **kwargs)
            raise RuntimeError("killed")

    monkeypatch.setattr(module, phase, dies)
    with pytest.raises(RuntimeError, match="killed"):
        recompute()
    monkeypatch.undo()

    # then the date reads as before, nothing was raised, and a re-run completes
    assert export() == before
    assert not ChurnFlag.objects.filter(status=FlagStatus.OPEN).exists()
    assert ScoreRun.objects.get(status=RunStatus.FAILED).error
    assert ClientScore.objects.count() == 5
    recompute()
    assert export() == before
    assert ChurnFlag.objects.filter(status=FlagStatus.OPEN).count() == 2
    assert ScoreRun.objects.filter(date=D).get().status == RunStatus.DONE


@pytest.mark.django_db
def test_leftovers_of_a_killed_run_are_never_read_and_are_cleaned_up(small_branch):
    # given a done run and the rows of a run killed before its swap (no handler ran)
    recompute()
    before = export()
    done = ScoreRun.objects.get()
    killed = ScoreRun.objects.create(branch=small_branch, date=D)
    ScoreRun.objects.filter(pk=killed.pk).update(
        started_at=timezone.now() - dt.timedelta(hours=7)
    )
    ClientScore.objects.bulk_create(
        ClientScore(run=killed, branch=small_branch, date=D, client=s.client)
        for s in ClientScore.objects.filter(run=done)
    )

    # then readers see the done run only, and the next run removes the leftovers
    assert export() == before
    recompute()
    assert not ScoreRun.objects.filter(pk=killed.pk).exists()
    assert ClientScore.objects.count() == 5


@pytest.mark.django_db
def test_a_run_still_going_beside_is_left_alone(small_branch):
    # given another run of the same date that started a moment ago
    other = ScoreRun.objects.create(branch=small_branch, date=D)

    # when this run finishes
    recompute()

    # then the other one is untouched (it will replace this one when it swaps)
    assert ScoreRun.objects.get(pk=other.pk).status == RunStatus.RUNNING
    assert ScoreRun.objects.filter(status=RunStatus.DONE).count() == 1


@pytest.mark.django_db
def test_query_count_does_not_grow_with_clients(branch, advisor, make):
    def grow(n):
        for _ in range(n):
            client = make.Client(branch=branch, advisor=advisor)
            account = make.Account(client=client)
            make.Balance(account=account, date=days_ago(3))
            make.Trade(account=account, trade_date=days_ago(2))
            make.Position(account=account, date=days_ago(2))
            make.CashFlow(account=account, date=days_ago(2))
            make.Interaction(client=client, date=days_ago(2))
            make.Feedback(client=client, date=days_ago(2))
        trade_days_refresh(branch_id=branch.pk)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            services.nightly_run(branch=branch, as_of=D)
        return len(captured)

    grow(2)
    queries()  # first run raises tasks and flags for the first clients
    small = queries()
    grow(10)
    queries()
    large = queries()

    assert large == small


@pytest.mark.django_db
def test_export_to_a_file_and_errors(small_branch, tmp_path):
    path = tmp_path / "scores.csv"
    call_command(
        "export_scores",
        date=D.isoformat(),
        branch="HQ01",
        output=str(path),
        stderr=io.StringIO(),
    )
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [r["client_no"] for r in rows] == ["C001", "C002", "C003", "C004", "C005"]

    with pytest.raises(CommandError, match="unknown branch"):
        call_command("export_scores", date=D.isoformat(), branch="NOPE")
    with pytest.raises(CommandError, match="not a YYYY-MM-DD"):
        call_command("recompute", date="2026-13-01")


@pytest.mark.django_db
def test_recompute_defaults_to_yesterday_for_every_branch(branch, other_branch):
    out = io.StringIO()
    call_command("recompute", stdout=out)

    runs = ScoreRun.objects.order_by("branch__code")
    assert [r.branch.code for r in runs] == ["HQ01", "SZ02"]
    assert len({r.date for r in runs}) == 1
    assert "HQ01" in out.getvalue()


@pytest.mark.django_db
def test_flag_stays_open_and_is_not_raised_again(small_branch):
    recompute(days_ago(1))
    recompute()

    outflow = ChurnFlag.objects.filter(code="OUTFLOW")
    assert outflow.count() == 1
    assert outflow.get().status == FlagStatus.OPEN
    assert outflow.get().raised_on == days_ago(1)


@pytest.mark.django_db
def test_generated_tasks_close_themselves_when_their_condition_clears(
    small_branch, make
):
    # given a night that raised a concentration alert (C001), an overdue-contact task
    # (C002, priority, never contacted) and an outflow churn task (C002)
    recompute()
    opened = {
        (t.client.client_no, t.kind, t.code) for t in Task.objects.filter(status="open")
    }
    assert ("C001", "alert", "CONCENTRATION") in opened
    assert ("C002", "cadence", "OVERDUE") in opened
    assert ("C002", "churn", "OUTFLOW") in opened

    # when the position is sold down, C002 is called, and the date runs again
    Position.objects.filter(account__client__client_no="C001").update(
        market_value=Decimal("100000")
    )
    c002 = Task.objects.filter(client__client_no="C002").first().client
    make.Interaction(client=c002, date=D, channel="call")
    recompute()

    # then those two tasks are cleared; the churn task stays while its flag is open
    status = {
        (t.client.client_no, t.kind, t.code): t.status for t in Task.objects.all()
    }
    assert status[("C001", "alert", "CONCENTRATION")] == "cleared"
    assert status[("C002", "cadence", "OVERDUE")] == "cleared"
    assert status[("C002", "churn", "OUTFLOW")] == "open"
    # (with the big position gone C001's behaviour is no longer riskier than C3)
    assert status[("C001", "suitability", "SUITABILITY")] == "cleared"
    assert ScoreRun.objects.get(date=D).counts["tasks_cleared"] == 3


@pytest.mark.django_db
def test_task_step_alone_raises_once_and_clears(branch, advisor, make):
    one, two = (make.Client(branch=branch, advisor=advisor) for _ in range(2))
    owners = {one.pk: advisor.pk, two.pk: None}
    holds = TaskCondition(
        kind="alert", code="DRAWDOWN", holds=frozenset({one.pk, two.pk}), due_days=3
    )
    # A churn condition raises only for new flags, but keeps open tasks of all.
    churn = TaskCondition(
        kind="churn",
        code="LOSSES",
        holds=frozenset({one.pk, two.pk}),
        raise_for=frozenset({one.pk}),
        due_days=7,
    )
    plan = tasks_plan(
        branch_id=branch.pk, as_of=D, conditions=[holds, churn], owners=owners
    )
    assert sorted((t.client_id, t.code) for t in plan.new) == sorted(
        [(one.pk, "DRAWDOWN"), (two.pk, "DRAWDOWN"), (one.pk, "LOSSES")]
    )
    assert tasks_apply(plan) == {"tasks_created": 3, "tasks_cleared": 0}
    task = Task.objects.get(client=one, code="DRAWDOWN")
    assert task.owner_id == advisor.pk and task.due_date == D + dt.timedelta(3)

    # the same conditions again: nothing new; then DRAWDOWN clears for `two` only
    again = tasks_plan(
        branch_id=branch.pk, as_of=D, conditions=[holds, churn], owners=owners
    )
    assert again.new == [] and again.cleared == []
    later = tasks_plan(
        branch_id=branch.pk,
        as_of=D,
        conditions=[
            TaskCondition(
                kind="alert", code="DRAWDOWN", holds=frozenset({one.pk}), due_days=3
            ),
            churn,
        ],
        owners=owners,
    )
    assert tasks_apply(later) == {"tasks_created": 0, "tasks_cleared": 1}
    assert Task.objects.get(client=two, code="DRAWDOWN").status == "cleared"


@pytest.mark.django_db
def test_one_stock_in_two_accounts_at_29_percent_each_is_one_58_percent_position(
    branch, advisor, make
):
    # given a C3 client holding one stock in each of two accounts, 29% of assets each
    stock = make.Security(code="600036")
    client = make.Client(
        branch=branch, advisor=advisor, client_no="C9", risk_level="C3"
    )
    for account_no in ("889001", "889002"):
        account = make.Account(client=client, account_no=account_no)
        make.Balance(account=account, date=D, market_value=Decimal("500000"))
        make.Position(
            account=account,
            date=D,
            security=stock,
            quantity=Decimal("10000"),
            cost_price=Decimal("30"),
            market_value=Decimal("290000"),
        )

    # when the night runs
    services.nightly_run(branch=branch, as_of=D)

    # then the client's position is 58%: concentration, high risk appetite, warning
    score = ClientScore.objects.get(client=client)
    assert score.features["max_position_share"] == pytest.approx(0.58)
    assert score.alerts == "CONCENTRATION"
    assert score.risk_appetite == "high"
    assert score.suitability_warning is True
    assert Task.objects.filter(client=client, code="CONCENTRATION").exists()
