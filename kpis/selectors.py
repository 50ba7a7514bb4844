"""Reads of the managers' numbers, each scoped to the branches the user may read."""

from __future__ import annotations

from datetime import date

from django.db.models import (
    Case,
    IntegerField,
    QuerySet,
    Value,
    When,
)

from advisors.models import Advisor, Branch
from clients.models import Client
from clients.permissions import may_see_branch_kpis
from clients.selectors import branch_in_scope, branch_scope, client_scope
from tiers.models import ClientScore, RunStatus, ScoreRun

from .models import BRANCH_ROW, AdvisorKpi, ClientAssignment, ClientMerge, DuplicateKey
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
        # The signed-in user is read with their branch (advisors.backends).
        if may_see_branch_kpis(user) and branch_in_scope(user, user.branch):
            return user.branch
        raise Branch.DoesNotExist
    first = branches.first()
    if first is None:
        raise Branch.DoesNotExist
    return first


def _readable(user, branch: Branch) -> None:
    """Branch.DoesNotExist unless `user` may read the KPIs of `branch` (no query)."""
    if not (may_see_branch_kpis(user) and branch_in_scope(user, branch)):
        raise Branch.DoesNotExist


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
    _readable(user, branch)
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
    # Runs are few (one a night): read in batches of a year's (plain queries, not a
    # server-side cursor's three round trips), until the months are found.
    batch, start = 400, 0
    while True:
        rows = list(runs[start : start + batch])
        for run_id, day in rows:
            key = month_start(day)
            if key not in chosen:
                chosen[key] = run_id
                if len(chosen) >= months:
                    return list(chosen.values())
        if len(rows) < batch:
            return list(chosen.values())
        start += batch


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
    _readable(user, branch)
    return Advisor.objects.filter(branch=branch).order_by("employee_no")


def assignment_list(*, client) -> QuerySet[ClientAssignment]:
    """A client's moves between advisors, newest first (the client is already scoped)."""
    return ClientAssignment.objects.filter(client=client).select_related(
        "from_advisor", "to_advisor", "moved_by"
    )


def kpi_months(*, branch_id: int) -> list[date]:
    """The months with a done run, newest first (the month picker)."""
    return kpi_months_any(branch_ids=[branch_id])


def kpi_months_any(*, branch_ids) -> list[date]:
    days = (
        ScoreRun.objects.filter(branch_id__in=branch_ids, status=RunStatus.DONE)
        .order_by()
        .values_list("date", flat=True)
        .distinct()
    )
    return sorted({month_start(d) for d in days}, reverse=True)


def kpi_advisor_get(*, user, pk) -> Advisor:
    """An advisor of a branch whose KPIs `user` may read; Advisor.DoesNotExist if not."""
    return Advisor.objects.select_related("branch").get(
        pk=pk, branch__in=kpi_branch_list(user=user)
    )


def kpi_branch_rows(*, branches, month: date | None):
    """(branch, its branch row of the month or None) for each branch, in order.

    Without a month, each branch's latest month.
    """
    ids = [b.pk for b in branches]
    runs = ScoreRun.objects.filter(branch_id__in=ids, status=RunStatus.DONE)
    if month is not None:
        start = month_start(month)
        end = (
            date(start.year + 1, 1, 1)
            if start.month == 12
            else date(start.year, start.month + 1, 1)
        )
        runs = runs.filter(date__gte=start, date__lt=end)
    last: dict[int, int] = {}
    for run_id, branch_id in runs.order_by("branch_id", "-date", "-id").values_list(
        "id", "branch_id"
    ):
        last.setdefault(branch_id, run_id)
    rows = {
        row.branch_id: row
        for row in AdvisorKpi.objects.filter(
            run_id__in=last.values(), employee_no=BRANCH_ROW
        )
    }
    return [(branch, rows.get(branch.pk)) for branch in branches]


def reassign_advisor_list(*, user) -> QuerySet[Advisor]:
    """The advisors a manager may move clients to and from: their branch's."""
    return Advisor.objects.filter(branch__in=branch_scope(user)).order_by(
        "branch__code", "employee_no"
    )


def reassign_candidates(
    *,
    user,
    from_advisor_id=None,
    segment: str | None = None,
    tier: str | None = None,
    client_nos=(),
) -> QuerySet[Client]:
    """The clients a reassignment would take: a book, a filter, or numbers by hand.

    Nothing without at least one criterion (never the whole branch by accident).
    """
    clients = client_scope(user).select_related("advisor").order_by("client_no")
    if not (from_advisor_id or segment or tier or client_nos):
        return clients.none()
    if from_advisor_id:
        clients = clients.filter(advisor_id=from_advisor_id)
    if client_nos:
        clients = clients.filter(client_no__in=list(client_nos))
    if segment or tier:
        branch_ids = {b.pk for b in branch_scope(user)}
        latest = [
            run_id
            for run_id in (
                ScoreRun.objects.filter(branch_id=b, status=RunStatus.DONE)
                .order_by("-date", "-id")
                .values_list("id", flat=True)
                .first()
                for b in branch_ids
            )
            if run_id
        ]
        scores = ClientScore.objects.filter(run_id__in=latest)
        if segment:
            scores = scores.filter(segment=segment)
        if tier:
            scores = scores.filter(tier=tier)
        clients = clients.filter(pk__in=scores.values("client_id"))
    return clients.exclude(merged_into__isnull=False)


#: The columns a likely duplicate shares: the ID number, or the phone (and the name),
#: compared through their keyed hashes (the numbers are encrypted, SPEC §7), with the
#: DuplicateKey kind counting each.
DUPLICATE_KEYS = (
    ("id_number", "id_number_hash", "id_number"),
    ("phone_name", "phone_hash", "phone"),
)


def duplicate_groups(*, user, limit: int = 50) -> list[tuple[list[str], list[Client]]]:
    """Likely duplicates: ([reasons], clients), merged ones left out.

    Reasons are "id_number" and "phone_name"; clients that share both are one group
    with both reasons. The numbers held twice or more come from their counts
    (DuplicateKey, kept by the database with every write of a client or a merge), a
    partial index's few rows whatever the branch's size; then the clients in `user`'s
    scope holding them by a plain IN list; the name is compared here.
    """
    # NOT IN (merged ids): one hashed set probed per row, where NOT EXISTS made a
    # nested-loop anti-join.
    clients = client_scope(user).exclude(pk__in=ClientMerge.objects.values("merged_id"))
    shared = DuplicateKey.objects.filter(
        branch__in=branch_scope(user), clients__gt=1
    ).order_by("branch_id", "value")
    members: dict[int, Client] = {}
    for reason, column, kind in DUPLICATE_KEYS:
        # A shared phone with different names (a family's line) is no duplicate:
        # read more phones than groups wanted.
        wanted = limit if reason == "id_number" else 4 * limit
        values = list(shared.filter(kind=kind).values_list("value", flat=True)[:wanted])
        if values:
            found = clients.filter(**{f"{column}__in": values})
            for c in found.select_related("advisor", "branch"):
                members[c.pk] = c
    by_key: dict[tuple, list[Client]] = {}
    for c in sorted(members.values(), key=lambda c: c.pk):
        if c.id_number_hash:
            key = ("id_number", c.branch_id, c.id_number_hash)
            by_key.setdefault(key, []).append(c)
        if c.phone_hash:
            key = ("phone_name", c.branch_id, c.phone_hash, c.name)
            by_key.setdefault(key, []).append(c)
    groups: dict[tuple[int, ...], tuple[list[str], list[Client]]] = {}
    counts = {"id_number": 0, "phone_name": 0}
    for key, found in by_key.items():
        reason = key[0]
        if len(found) < 2 or counts[reason] >= limit:
            continue
        counts[reason] += 1
        groups.setdefault(tuple(c.pk for c in found), ([], found))[0].append(reason)
    return sorted(groups.values(), key=lambda g: g[1][0].pk)


def merge_client_get(*, user, pk) -> Client:
    """A client `user` may merge (in scope, not merged already); DoesNotExist if not."""
    return (
        client_scope(user)
        .filter(merged_into__isnull=True)
        .select_related("advisor", "branch")
        .get(pk=int(pk))
    )
