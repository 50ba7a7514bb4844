"""Reads of the scoring results: policies, runs and each client's latest scores."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet, Subquery

from clients.models import Client
from clients.selectors import branch_scope, scoped

from .models import ClientScore, RunStatus, ScoreRun, ScoringPolicy
from .policy import Policy


def policy_for(*, branch) -> tuple[int | None, Policy]:
    """The branch's current policy version and its `Policy`; defaults when none saved."""
    branch_id = getattr(branch, "pk", branch)
    current = (
        ScoringPolicy.objects.filter(branch_id=branch_id).order_by("-version").first()
    )
    if current is None:
        return None, Policy()
    return current.version, Policy.from_dict(current.data)


def run_latest(*, branch_id: int, as_of: date | None = None) -> ScoreRun | None:
    """The latest finished run of the branch dated on or before `as_of`."""
    runs = ScoreRun.objects.filter(branch_id=branch_id, status=RunStatus.DONE)
    if as_of is not None:
        runs = runs.filter(date__lte=as_of)
    return runs.order_by("-date", "-id").first()


def run_latest_key(*, branch_id: int) -> tuple[int, int | None] | None:
    """The id and policy version of the branch's latest finished run (what
    `run_latest` finds), alone."""
    return (
        ScoreRun.objects.filter(branch_id=branch_id, status=RunStatus.DONE)
        .order_by("-date", "-id")
        .values_list("pk", "policy_version")
        .first()
    )


def run_for_date(*, branch_id: int, day: date) -> ScoreRun | None:
    """The finished run of the branch for exactly `day`, if any."""
    return (
        ScoreRun.objects.filter(branch_id=branch_id, status=RunStatus.DONE, date=day)
        .order_by("-id")
        .first()
    )


def client_scores_latest(
    *, branch_id: int, as_of: date | None = None
) -> QuerySet[ClientScore]:
    """Every client's score row of the branch's latest run on or before `as_of`."""
    run = run_latest(branch_id=branch_id, as_of=as_of)
    if run is None:
        return ClientScore.objects.none()
    return ClientScore.objects.filter(run=run)


def latest_tiers(client_ids) -> dict[int, str]:
    """The tier of each client in its branch's latest run (clients without one omitted)."""
    client_ids = list(client_ids)
    if not client_ids:
        return {}
    branch_ids = set(
        Client.objects.filter(pk__in=client_ids).values_list("branch_id", flat=True)
    )
    run_ids = [
        run.pk
        for run in (run_latest(branch_id=b) for b in branch_ids)
        if run is not None
    ]
    return dict(
        ClientScore.objects.filter(
            run_id__in=run_ids, client_id__in=client_ids, tier__isnull=False
        ).values_list("client_id", "tier")
    )


def client_score_history(*, user, client, limit: int = 30) -> QuerySet[ClientScore]:
    """A client's scores of finished runs, newest first (for the client page)."""
    return scoped(
        ClientScore.objects.filter(client=client, run__status=RunStatus.DONE),
        user=user,
    ).order_by("-date", "-run_id")[:limit]


def client_score_latest(*, user, client) -> ClientScore | None:
    """The client's scores in its branch's latest finished run, if `user` may see it
    (with the run): one query, the latest run's id a subquery."""
    latest = (
        ScoreRun.objects.filter(branch_id=client.branch_id, status=RunStatus.DONE)
        .order_by("-date", "-id")
        .values("pk")[:1]
    )
    return (
        scoped(ClientScore.objects.filter(client=client), user=user)
        .filter(run_id=Subquery(latest))
        .select_related("run")
        .first()
    )


def run_list(*, user) -> QuerySet[ScoreRun]:
    """The scoring runs of the branches `user` may read, newest first."""
    return ScoreRun.objects.filter(
        branch_id__in=branch_scope(user).values("pk")
    ).select_related("branch")
