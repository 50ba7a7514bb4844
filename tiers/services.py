"""The tiers app's steps of the nightly run (SPEC §3), and the policy versions.

The orchestrator (`nightly.services.nightly_run`) calls them in order: `run_start`
records a run, `scores_compute` loads the features set-based and classifies them with
the pure functions of `tiers.scoring`, `scores_write` appends the per-client rows
(COPY), and inside the orchestrator's swap transaction `run_lock` then `run_finish`
drop the results the date had before and mark the new run done. A run that dies before
that transaction leaves the date's previous results untouched (`run_fail`).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import date

import numpy as np
import pandas as pd
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from advisors.models import Branch
from brokercrm.db import copy_rows, lease_deadline
from clients.models import TaskKind
from clients.services import TaskCondition

from . import features as loaders
from .models import ClientScore, RunStatus, ScoreRun, ScoringPolicy
from .policy import Policy
from .scoring import alert_codes, classify, features_from_sources
from .selectors import policy_for

log = logging.getLogger(__name__)


# The values kept with each client's scores to explain them (SPEC: explainable).
EXPLAIN_COLUMNS = [
    "assets",
    "assets_30_ago",
    "assets_90_ago",
    "assets_avg_90",
    "commission_365",
    "commission_90",
    "trades_90",
    "active_days_90",
    "amount_90",
    "net_flow_30",
    "net_flow_90",
    "custody_outs_30",
    "return_90",
    "benchmark_return_90",
    "turnover_90",
    "max_position_share",
    "equity_share",
    "new_issue_share_90",
    "recommended_buy_share_90",
    "tenure_years",
    "active_months_12",
    "active_days_365_91",
    "active_days_60",
    "contacts_90",
    "contact_minutes_90",
    "activities_365",
    "complaints_90",
    "referrals_365",
    "feedback_avg_180",
    "days_since_contact",
]
RANK_COLUMNS = ["commission_rank", "assets_rank", "active_days_rank", "stability"]

SCORE_COLUMNS = [
    "tier",
    "value_score",
    "contribution_score",
    "maturity_stage",
    "segment",
    "relationship_recommended",
    "relationship_fit",
    "cadence_days",
    "contact_overdue",
    "risk_appetite",
    "suitability_warning",
    "trading_ability",
    "trading_lagging",
    "loyalty_type",
    "experience",
    "churn_risk",
    "churn_flags",
    "alerts",
]


class RunInterrupted(RuntimeError):
    """Raised when a run cannot finish; the date keeps its previous results."""


def _column(values: pd.Series, cast=None) -> list:
    """A column as plain Python values, None for null."""
    array = np.array(values.tolist(), dtype=object)
    missing = pd.isna(array)
    if cast is not None and (~missing).any():
        array[~missing] = [cast(v) for v in array[~missing]]
    array[missing] = None
    return array.tolist()


def scores_classify(
    *, sources: dict, as_of: date, policy: Policy, redeemed: set[int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pure part of the tiers step: (features, results) for the branch.

    The results lack the churn columns (`churn_risk`, `churn_flags`): the churn step
    adds them before `scores_write`.
    """
    features = features_from_sources(sources, as_of, policy, redeemed)
    results = classify(features, policy, as_of)
    is_open = features["is_open"].astype(bool)
    results["alerts"] = alert_codes(results).where(is_open, "")
    for column in ("contact_overdue", "suitability_warning", "trading_lagging"):
        results[column] = results[column].astype(object).where(is_open, None)
    return features, results


def scores_compute(
    *, branch_id: int, as_of: date, policy: Policy, redeemed: set[int], timings=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tiers step: every source read in one snapshot, then classified."""
    with transaction.atomic():  # one snapshot-consistent read of every source
        sources = loaders.load_sources(branch_id, as_of, policy, timings)
    return scores_classify(
        sources=sources, as_of=as_of, policy=policy, redeemed=redeemed
    )


# Days from D to the due date of the tasks the tiers' results call for.
TASK_DUE_DAYS = {"CONCENTRATION": 3, "DRAWDOWN": 3, "OVERDUE": 1, "SUITABILITY": 7}


def task_conditions(results: pd.DataFrame) -> list[TaskCondition]:
    """The conditions in the run's results that call for a task (SPEC §3.4, §4)."""

    def holding(column) -> frozenset:
        mask = results[column].fillna(False).astype(bool).to_numpy()
        return frozenset(int(c) for c in results.index[mask])

    return [
        TaskCondition(
            kind=TaskKind.ALERT,
            code="CONCENTRATION",
            holds=holding("concentration"),
            due_days=TASK_DUE_DAYS["CONCENTRATION"],
        ),
        TaskCondition(
            kind=TaskKind.ALERT,
            code="DRAWDOWN",
            holds=holding("drawdown"),
            due_days=TASK_DUE_DAYS["DRAWDOWN"],
        ),
        TaskCondition(
            kind=TaskKind.CADENCE,
            code="OVERDUE",
            holds=holding("contact_overdue"),
            due_days=TASK_DUE_DAYS["OVERDUE"],
        ),
        TaskCondition(
            kind=TaskKind.SUITABILITY,
            code="SUITABILITY",
            holds=holding("suitability_warning"),
            due_days=TASK_DUE_DAYS["SUITABILITY"],
        ),
    ]


def _features_json(features: pd.DataFrame, results: pd.DataFrame) -> list[str]:
    explain = features[EXPLAIN_COLUMNS].join(results[RANK_COLUMNS].astype("float64"))
    explain["excess_return_90"] = results["excess_return_90"].astype("float64")
    explain["concentration"] = features["concentration"].astype(bool)
    explain["drawdown"] = features["drawdown"].astype(bool)
    text = explain.to_json(orient="records", lines=True, double_precision=4)
    return text.splitlines()


def scores_write(run: ScoreRun, features, results) -> int:
    """Append the run's per-client rows (COPY on PostgreSQL)."""
    payload = _features_json(features, results)
    casts = {
        "cadence_days": int,
        "contact_overdue": bool,
        "suitability_warning": bool,
        "trading_lagging": bool,
    }
    columns_data = [
        _column(results[column], casts.get(column)) for column in SCORE_COLUMNS
    ]
    is_open = features["is_open"].astype(bool).tolist()
    as_json = connection.vendor == "postgresql"
    columns = [
        "run_id",
        "branch_id",
        "date",
        "client_id",
        "is_open",
        *SCORE_COLUMNS,
        "features",
    ]
    client_ids = results.index.tolist()
    rows = (
        (
            run.pk,
            run.branch_id,
            run.date,
            int(client_ids[i]),
            is_open[i],
            *values,
            payload[i] if as_json else json.loads(payload[i]),
        )
        for i, values in enumerate(zip(*columns_data, strict=True))
    )
    return copy_rows(ClientScore, columns, rows)


def run_start(*, branch: Branch, as_of: date) -> tuple[ScoreRun, Policy]:
    """Record a new run of the branch for D (running) with its policy version."""
    version, policy = policy_for(branch=branch)
    run = ScoreRun.objects.create(
        branch=branch,
        date=as_of,
        policy_version=version,
        status=RunStatus.RUNNING,
        heartbeat_at=timezone.now(),
    )
    # Leftovers of runs of this date that died before their swap.
    _dead_or_replaced(run).exclude(status=RunStatus.DONE).delete()
    return run, policy


def run_lock(run: ScoreRun) -> None:
    """Inside the swap transaction: swaps of one branch take turns."""
    # (A manual run beside the nightly one.)
    Branch.objects.select_for_update().filter(pk=run.branch_id).first()


def run_finish(run: ScoreRun, *, counts: dict, started: float) -> None:
    """Inside the swap transaction: the new run becomes the date's results."""
    _dead_or_replaced(run).delete()
    run.status = RunStatus.DONE
    run.flags_raised = counts.get("flags_raised", 0)
    run.tasks_created = counts.get("tasks_created", 0)
    run.counts = _jsonable(counts)
    run.finished_at = timezone.now()
    run.duration_s = round(time.monotonic() - started, 3)
    # force_update: if another run removed this one, fail rather than re-insert.
    run.save(force_update=True)


def _dead_or_replaced(run: ScoreRun):
    """Other runs of the run's branch and date, except ones still running now.

    A run still `running` whose lease ran out is taken for dead (killed before it
    could record its failure).
    """
    alive = Q(status=RunStatus.RUNNING) & ~_lease_expired()
    return (
        ScoreRun.objects.filter(branch_id=run.branch_id, date=run.date)
        .exclude(pk=run.pk)
        .exclude(alive)
    )


def _lease_expired(now=None) -> Q:
    deadline = lease_deadline(now)
    return Q(heartbeat_at__lt=deadline) | Q(
        heartbeat_at__isnull=True, started_at__lt=deadline
    )


def runs_expire(*, now=None) -> int:
    """Mark failed the runs left `running` by a process that died (lease expired).

    Their rows stay until the date is run again, which replaces them.
    """
    return (
        ScoreRun.objects.filter(status=RunStatus.RUNNING)
        .filter(_lease_expired(now))
        .update(
            status=RunStatus.FAILED,
            error="The process running it stopped (no heartbeat); run the date again.",
            finished_at=now or timezone.now(),
        )
    )


def run_fail(run: ScoreRun, exc: BaseException, started: float) -> None:
    """Record the failure and drop the dead run's rows, if the connection still can."""
    try:
        with transaction.atomic():
            ScoreRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED,
                error=repr(exc)[:2000],
                finished_at=timezone.now(),
                duration_s=round(time.monotonic() - started, 3),
            )
            ClientScore.objects.filter(run_id=run.pk).delete()
    except (DatabaseError, TransactionManagementError):
        # Inside a caller's broken transaction: the caller rolls it all back anyway;
        # a run row left `running` is never read and the next run deletes it.
        log.warning("could not mark run %s failed", run.pk)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


@transaction.atomic
def scoring_policy_save(
    *, branch: Branch, data: dict, user=None, note: str = ""
) -> ScoringPolicy:
    """Store a new version of the branch's policy after validating it."""
    policy = Policy.from_dict(data)
    last = (
        ScoringPolicy.objects.select_for_update()
        .filter(branch=branch)
        .order_by("-version")
        .first()
    )
    return ScoringPolicy.objects.create(
        branch=branch,
        version=(last.version + 1) if last else 1,
        data=policy.to_dict(),
        note=note,
        created_by=user,
    )


def runs_abandon(*, branch_id: int, as_of: date, after_id: int, reason: str) -> int:
    """Mark failed the runs of a date still `running` whose worker died, and drop
    their rows (a re-delivered task calls it for the runs its earlier delivery began).
    """
    with transaction.atomic():
        dead = list(
            ScoreRun.objects.filter(
                branch_id=branch_id,
                date=as_of,
                status=RunStatus.RUNNING,
                pk__gt=after_id,
            ).values_list("pk", flat=True)
        )
        ClientScore.objects.filter(run_id__in=dead).delete()
        ScoreRun.objects.filter(pk__in=dead).update(
            status=RunStatus.FAILED, error=reason, finished_at=timezone.now()
        )
    return len(dead)
