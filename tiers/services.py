"""The nightly pipeline of SPEC §3 for a branch and a date, and the policy versions.

`scores_recompute` loads the features set-based, scores them with the pure functions of
`tiers.scoring` and `churn.scoring`, writes the per-client rows of a new run, then in one
transaction raises the new churn flags and generated tasks, drops the results the date
had before and marks the new run done. A run that dies before that transaction leaves
the date's previous results untouched; re-running the date replaces them.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from advisors.models import Branch
from brokercrm.db import copy_rows
from churn.models import ChurnFlag, FlagStatus
from churn.scoring import SUGGESTED_ACTIONS, churn_flags, churn_risk
from churn.services import ChurnScorer, churn_scoring_record
from clients.models import Task, TaskKind, TaskStatus
from loyalty.selectors import redeemed_client_ids
from loyalty.services import points_accrue

from . import features as loaders
from .models import ClientScore, RunStatus, ScoreRun, ScoringPolicy
from .policy import Policy
from .scoring import alert_codes, classify, features_from_sources
from .selectors import policy_for

log = logging.getLogger(__name__)

STALE_RUN = timedelta(hours=6)

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


def score_branch(
    *,
    sources: dict,
    as_of: date,
    policy: Policy,
    redeemed: set[int],
    open_flags,
    churn_scorer=None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Pure part of the run: (features, results, firing flags) for the branch.

    `churn_scorer(features, flags)` gives the churn risk (default: the hand weights).
    """
    features = features_from_sources(sources, as_of, policy, redeemed)
    results = classify(features, policy, as_of)
    flags = churn_flags(features, policy)
    if churn_scorer is None:
        results["churn_risk"] = churn_risk(features, flags, policy)
    else:
        results["churn_risk"] = churn_scorer(features, flags)
    is_open = features["is_open"].astype(bool)
    # The flags open for the client after this run: still open ones and new ones.
    codes = {client_id: set() for client_id in features.index}
    for client_id, code in open_flags:
        if client_id in codes:
            codes[client_id].add(code)
    for code in flags.columns:
        for client_id in flags.index[flags[code].to_numpy()]:
            codes[client_id].add(code)
    results["churn_flags"] = pd.Series(
        [";".join(sorted(codes[c])) for c in features.index], index=features.index
    ).where(is_open, "")
    results["alerts"] = alert_codes(results).where(is_open, "")
    for column in ("contact_overdue", "suitability_warning", "trading_lagging"):
        results[column] = results[column].astype(object).where(is_open, None)
    return features, results, flags


def _features_json(features: pd.DataFrame, results: pd.DataFrame) -> list[str]:
    explain = features[EXPLAIN_COLUMNS].join(results[RANK_COLUMNS].astype("float64"))
    explain["excess_return_90"] = results["excess_return_90"].astype("float64")
    explain["concentration"] = features["concentration"].astype(bool)
    explain["drawdown"] = features["drawdown"].astype(bool)
    text = explain.to_json(orient="records", lines=True, double_precision=4)
    return text.splitlines()


def _write_scores(run: ScoreRun, features, results) -> int:
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


def _new_flags(run, features, flags, open_flags) -> list[ChurnFlag]:
    reasons = {
        "OUTFLOW": lambda f: (
            f"net flow 30d {f.net_flow_30:,.0f}, assets at D-30 {f.assets_30_ago:,.0f}, "
            f"custody-outs 30d {f.custody_outs_30:.0f}"
        ),
        "LOSSES": lambda f: (
            f"return 90d {f.return_90:.1%}, assets {f.assets:,.0f} "
            f"vs {f.assets_90_ago:,.0f} 90 days ago"
        ),
        "DORMANT": lambda f: (
            f"{f.active_days_365_91:.0f} active days D-365..D-91, "
            f"{f.active_days_60:.0f} in the last 60"
        ),
        "DISSATISFIED": lambda f: (
            f"feedback 180d {f.feedback_avg_180}, complaints 90d {f.complaints_90:.0f}"
        ),
    }
    new = []
    for code in flags.columns:
        for client_id in flags.index[flags[code].to_numpy()]:
            if (client_id, code) in open_flags:
                continue
            row = features.loc[client_id]
            new.append(
                ChurnFlag(
                    branch_id=run.branch_id,
                    client_id=int(client_id),
                    code=code,
                    raised_on=run.date,
                    run=run,
                    reason=reasons[code](row),
                    suggested_action=SUGGESTED_ACTIONS[code],
                )
            )
    return new


def _tasks(run, features, results, new_flags, open_tasks) -> list[Task]:
    """The generated tasks to raise: those with no open task of the same key."""
    d = run.date
    advisor = features["advisor_id"]
    tasks = []

    def add(client_id, kind, code, title, due, detail=""):
        if (client_id, kind, code) in open_tasks:
            return
        owner = advisor.get(client_id)
        tasks.append(
            Task(
                branch_id=run.branch_id,
                client_id=int(client_id),
                owner_id=None if pd.isna(owner) else int(owner),
                kind=kind,
                code=code,
                title=title[:200],
                detail=detail,
                due_date=due,
                raised_on=d,
            )
        )

    for flag in new_flags:
        due = d + timedelta(2 if flag.code == "OUTFLOW" else 7)
        add(
            flag.client_id,
            TaskKind.CHURN,
            flag.code,
            f"Churn risk {flag.code}: {flag.suggested_action}",
            due,
            flag.reason,
        )
    for code, column in (("CONCENTRATION", "concentration"), ("DRAWDOWN", "drawdown")):
        for client_id in results.index[results[column].to_numpy(dtype=bool)]:
            title = (
                "Concentration: one position is half the assets or more"
                if code == "CONCENTRATION"
                else "Turning point: a large position is well below cost"
            )
            add(client_id, TaskKind.ALERT, code, title, d + timedelta(3))
    overdue = results["contact_overdue"].fillna(False).astype(bool)
    for client_id in results.index[overdue.to_numpy()]:
        add(
            client_id,
            TaskKind.CADENCE,
            "OVERDUE",
            "Overdue contact for the relationship level",
            d + timedelta(1),
        )
    warning = results["suitability_warning"].fillna(False).astype(bool)
    for client_id in results.index[warning.to_numpy()]:
        add(
            client_id,
            TaskKind.SUITABILITY,
            "SUITABILITY",
            "Suitability warning: behaviour riskier than the questionnaire level",
            d + timedelta(7),
        )
    return tasks


def _swap(run: ScoreRun, new_flags, tasks, counts: dict, started: float) -> None:
    """Make the new run the date's results, in one transaction."""
    with transaction.atomic():
        # Swaps of one branch take turns (a manual run beside the nightly one).
        Branch.objects.select_for_update().filter(pk=run.branch_id).first()
        ChurnFlag.objects.bulk_create(new_flags, ignore_conflicts=True)
        # ignore_conflicts: a task opened since the run read them is not doubled.
        Task.objects.bulk_create(tasks, ignore_conflicts=True)
        _dead_or_replaced(run).delete()
        run.status = RunStatus.DONE
        run.flags_raised = len(new_flags)
        run.tasks_created = len(tasks)
        run.counts = {**counts, "tasks_created": len(tasks)}
        run.finished_at = timezone.now()
        run.duration_s = round(time.monotonic() - started, 3)
        # force_update: if another run removed this one, fail rather than re-insert.
        run.save(force_update=True)


def _dead_or_replaced(run: ScoreRun):
    """Other runs of the run's branch and date, except ones still running now.

    A run still `running` after STALE_RUN is taken for dead (killed before it could
    record its failure).
    """
    alive = Q(status=RunStatus.RUNNING, started_at__gte=timezone.now() - STALE_RUN)
    return (
        ScoreRun.objects.filter(branch_id=run.branch_id, date=run.date)
        .exclude(pk=run.pk)
        .exclude(alive)
    )


def scores_recompute(*, branch: Branch, as_of: date) -> ScoreRun:
    """Run the whole nightly pipeline of SPEC §3 for one branch and date D.

    Deliberately not one transaction: the rows are written first (COPY, autocommit)
    and made current by `_swap`'s short transaction, so readers never wait on a
    long-running write and a dead run leaves the date's previous results.
    """
    started = time.monotonic()
    version, policy = policy_for(branch=branch)
    run = ScoreRun.objects.create(
        branch=branch, date=as_of, policy_version=version, status=RunStatus.RUNNING
    )
    # Leftovers of runs of this date that died before their swap.
    _dead_or_replaced(run).exclude(status=RunStatus.DONE).delete()
    timings: dict[str, float] = {}
    mark = time.monotonic()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.monotonic()
        timings[name] = round(now - mark, 3)
        mark = now

    try:
        points = points_accrue(
            branch=branch, as_of=as_of, policy=policy, policy_version=version
        )
        lap("points_accrue")
        with transaction.atomic():  # one snapshot-consistent read of every source
            sources = loaders.load_sources(branch.pk, as_of, policy, timings)
        redeemed = redeemed_client_ids(
            branch_id=branch.pk, start=as_of - timedelta(364), end=as_of
        )
        open_flags = set(
            ChurnFlag.objects.filter(
                branch=branch, status=FlagStatus.OPEN, raised_on__lte=as_of
            ).values_list("client_id", "code")
        )
        scorer = ChurnScorer(branch_id=branch.pk, policy=policy, as_of=as_of)
        mark = time.monotonic()
        features, results, flags = score_branch(
            sources=sources,
            as_of=as_of,
            policy=policy,
            redeemed=redeemed,
            open_flags=open_flags,
            churn_scorer=scorer,
        )
        churn_scoring_record(run=run, scorer=scorer)
        new_flags = _new_flags(run, features, flags, open_flags)
        open_tasks = set(
            Task.objects.filter(branch=branch, status=TaskStatus.OPEN)
            .exclude(kind=TaskKind.MANUAL)
            .values_list("client_id", "kind", "code")
        )
        tasks = _tasks(run, features, results, new_flags, open_tasks)
        lap("score")
        _write_scores(run, features, results)
        lap("write")
        is_open = features["is_open"].astype(bool)
        counts = {
            "clients": len(features),
            "open_clients": int(is_open.sum()),
            "flags_raised": len(new_flags),
            "alerts": int(
                results["concentration"].astype(bool).sum()
                + results["drawdown"].astype(bool).sum()
            ),
            "points": _jsonable(points),
            "timings": timings,
        }
        run.clients = counts["clients"]
        run.open_clients = counts["open_clients"]
        run.alerts = counts["alerts"]
        _swap(run, new_flags, tasks, counts, started)
        lap("swap")
        ScoreRun.objects.filter(pk=run.pk).update(
            counts={**run.counts, "timings": timings}
        )
    except BaseException as exc:
        _mark_failed(run, exc, started)
        raise
    log.info(
        "recompute %s %s: %s clients in %.1fs",
        branch.code,
        as_of,
        run.clients,
        run.duration_s,
    )
    return run


def _mark_failed(run: ScoreRun, exc: BaseException, started: float) -> None:
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
