"""Reads of the managers' numbers, each scoped to the branches the user may read."""

from __future__ import annotations

from datetime import date

from django.db.models import Case, IntegerField, QuerySet, Value, When

from advisors.models import Advisor, Branch
from clients.permissions import may_see_branch_kpis
from clients.selectors import branch_scope
from tiers.models import RunStatus, ScoreRun

from .models import BRANCH_ROW, AdvisorKpi, ClientAssignment
from .scoring import month_start


def kpi_branch_list(*, user) -> QuerySet[Branch]:
    """The branches whose KPIs `user` may read (none for an advisor)."""
    if not may_see_branch_kpis(user):
        return Branch.objects.none()
    return branch_scope(user).order_by("code")


def kpi_branch_get(*, user, code: str | None = None) -> Branch:
    """One readable branch (the user's own when no code); Branch.DoesNotExist if not."""
    branches = kpi_branch_list(user=user)
    if code:
        return branches.get(code=code)
    if user.branch_id is not None:
        return branches.get(pk=user.branch_id)
    first = branches.first()
    if first is None:
        raise Branch.DoesNotExist
    return first


def kpi_run_for_month(*, branch_id: int, month: date) -> ScoreRun:
    """The last done run dated in the month (SPEC §5); ScoreRun.DoesNotExist if none."""
    start = month_start(month)
    end = (
        date(start.year + 1, 1, 1)
        if start.month == 12
        else date(start.year, start.month + 1, 1)
    )
    run = (
        ScoreRun.objects.filter(
            branch_id=branch_id,
            status=RunStatus.DONE,
            date__gte=start,
            date__lt=end,
        )
        .order_by("-date", "-id")
        .first()
    )
    if run is None:
        raise ScoreRun.DoesNotExist
    return run


def kpi_latest_month(*, branch_id: int) -> date | None:
    """The month of the branch's latest done run."""
    run = (
        ScoreRun.objects.filter(branch_id=branch_id, status=RunStatus.DONE)
        .order_by("-date")
        .only("date")
        .first()
    )
    return month_start(run.date) if run else None


def _ordered(rows: QuerySet[AdvisorKpi]) -> QuerySet[AdvisorKpi]:
    """Advisors by employee_no, then the branch row."""
    return rows.annotate(
        _is_branch=Case(
            When(employee_no=BRANCH_ROW, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    ).order_by("_is_branch", "employee_no")


def kpi_rows_for_run(*, run: ScoreRun) -> QuerySet[AdvisorKpi]:
    return _ordered(AdvisorKpi.objects.filter(run=run).select_related("advisor"))


def kpi_month_rows(*, user, branch: Branch, month: date) -> QuerySet[AdvisorKpi]:
    """The month's rows (of its last run) for a branch the user may read."""
    kpi_branch_list(user=user).get(pk=branch.pk)
    try:
        run = kpi_run_for_month(branch_id=branch.pk, month=month)
    except ScoreRun.DoesNotExist:
        return AdvisorKpi.objects.none()
    return kpi_rows_for_run(run=run)


def kpi_last_runs(*, branch_id: int, months: int = 13) -> list[int]:
    """The ids of the last done run of each of the branch's latest `months` months."""
    runs = (
        ScoreRun.objects.filter(branch_id=branch_id, status=RunStatus.DONE)
        .order_by("-date", "-id")
        .values_list("id", "date")
    )
    chosen: dict[date, int] = {}
    # Runs are few (one a night); reading their ids and dates is cheap.
    for run_id, day in runs.iterator():
        key = month_start(day)
        if key not in chosen:
            chosen[key] = run_id
            if len(chosen) >= months:
                break
    return list(chosen.values())


def kpi_history(*, branch_id: int, employee_no: str, months: int = 12):
    """One row per month (its last run) for an advisor or the branch, oldest first."""
    run_ids = kpi_last_runs(branch_id=branch_id, months=months)
    return AdvisorKpi.objects.filter(
        run_id__in=run_ids, employee_no=employee_no
    ).order_by("month")


def kpi_branch_history(*, branch_ids, months: int = 12):
    """The branch rows of the last `months` months of several branches."""
    run_ids = []
    for branch_id in branch_ids:
        run_ids += kpi_last_runs(branch_id=branch_id, months=months)
    return AdvisorKpi.objects.filter(
        run_id__in=run_ids, employee_no=BRANCH_ROW
    ).order_by("branch_id", "month")


def advisor_list(*, user, branch: Branch) -> QuerySet[Advisor]:
    """The advisors of a branch whose KPIs the user may read."""
    kpi_branch_list(user=user).get(pk=branch.pk)
    return Advisor.objects.filter(branch=branch).order_by("employee_no")


def assignment_list(*, client) -> QuerySet[ClientAssignment]:
    """A client's moves between advisors, newest first (the client is already scoped)."""
    return ClientAssignment.objects.filter(client=client).select_related(
        "from_advisor", "to_advisor", "moved_by"
    )
