"""The nightly run of SPEC §3 for a branch and a date D: one orchestrator, each app's step.

`nightly_run` goes down the layers, calling each app's own step in order:

1. loyalty: `points_accrue` appends the points earned up to D and expires lots;
2. tiers: `scores_compute` reads every source set-based and classifies the clients;
3. churn: `churn_evaluate` decides the flags that fire and the churn risk score;
4. clients: `tasks_plan` decides the generated tasks (raised, and cleared when their
   condition no longer holds);
5. the per-client rows of the run are appended (`tiers.services.scores_write`);
6. `swap`: one short transaction raises the new flags, writes the tasks, takes the KPI
   snapshot (`SNAPSHOT_STEPS`) and makes the run the date's results.

Guarantees: a run that dies before the swap leaves the date's previous results (its
rows are dropped, or never read); re-running a date replaces them.

Extension points:
- KPI snapshot (managers' KPIs): append a callable to `SNAPSHOT_STEPS`. It gets the
  `NightlyContext` inside the swap transaction, after flags and tasks are written, and
  returns a dict of counts kept in the run's `counts` under its name; it rolls back
  with the run when anything fails.
- Churn risk: the churn step (`churn.services.churn_evaluate`) owns the risk score; a
  trained model replaces the hand weights there, not here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from django.db import transaction

from advisors.models import Branch
from brokercrm.db import Heartbeat
from churn import services as churn_services
from clients import services as clients_services
from kpis import services as kpis_services
from loyalty import selectors as loyalty_selectors
from loyalty import services as loyalty_services
from tiers import services as tiers_services
from tiers.models import ScoreRun
from tiers.policy import Policy

log = logging.getLogger(__name__)


@dataclass
class NightlyContext:
    """What the steps of one run have decided so far (read-only for snapshot steps)."""

    run: ScoreRun
    branch: Branch
    as_of: date
    policy: Policy
    points: dict = field(default_factory=dict)
    features: pd.DataFrame | None = None
    results: pd.DataFrame | None = None
    churn: churn_services.ChurnOutcome | None = None
    tasks: clients_services.TaskPlan | None = None
    counts: dict = field(default_factory=dict)


# Steps run inside the swap transaction after the flags and tasks: (name, callable).
SNAPSHOT_STEPS: list[tuple[str, Callable[[NightlyContext], dict | None]]] = [
    ("kpis", kpis_services.kpi_snapshot_step),
]


def nightly_run(*, branch: Branch, as_of: date) -> ScoreRun:
    """Run the whole nightly pipeline of SPEC §3 for one branch and date D.

    Deliberately not one transaction: the rows are written first (COPY, autocommit)
    and made current by `swap`'s short transaction, so readers never wait on a
    long-running write and a dead run leaves the date's previous results.
    """
    started = time.monotonic()
    run, policy = tiers_services.run_start(branch=branch, as_of=as_of)
    ctx = NightlyContext(run=run, branch=branch, as_of=as_of, policy=policy)
    timings: dict[str, float] = {}
    mark = time.monotonic()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.monotonic()
        timings[name] = round(now - mark, 3)
        mark = now

    heartbeat = Heartbeat(ScoreRun, run.pk)
    heartbeat.__enter__()
    try:
        ctx.points = loyalty_services.points_accrue(
            branch=branch,
            as_of=as_of,
            policy=policy,
            policy_version=run.policy_version,
        )
        lap("points_accrue")
        redeemed = loyalty_selectors.redeemed_client_ids(
            branch_id=branch.pk, start=as_of - timedelta(364), end=as_of
        )
        ctx.features, ctx.results = tiers_services.scores_compute(
            branch_id=branch.pk,
            as_of=as_of,
            policy=policy,
            redeemed=redeemed,
            timings=timings,
        )
        mark = time.monotonic()
        ctx.churn = churn_services.churn_evaluate(
            branch_id=branch.pk, as_of=as_of, features=ctx.features, policy=policy
        )
        ctx.results["churn_risk"] = ctx.churn.risk
        ctx.results["churn_flags"] = ctx.churn.codes
        ctx.tasks = clients_services.tasks_plan(
            branch_id=branch.pk,
            as_of=as_of,
            conditions=[
                *ctx.churn.task_conditions(),
                *tiers_services.task_conditions(ctx.results),
            ],
            owners=ctx.features["advisor_id"],
        )
        lap("score")
        tiers_services.scores_write(run, ctx.features, ctx.results)
        lap("write")
        is_open = ctx.features["is_open"].astype(bool)
        ctx.counts = {
            "clients": len(ctx.features),
            "open_clients": int(is_open.sum()),
            "flags_raised": len(ctx.churn.new_flags),
            "alerts": int(
                ctx.results["concentration"].astype(bool).sum()
                + ctx.results["drawdown"].astype(bool).sum()
            ),
            "points": ctx.points,
            "timings": timings,
        }
        run.clients = ctx.counts["clients"]
        run.open_clients = ctx.counts["open_clients"]
        run.alerts = ctx.counts["alerts"]
        swap(ctx, started=started)
        lap("swap")
        run.counts = {**run.counts, "timings": dict(timings)}
        ScoreRun.objects.filter(pk=run.pk).update(counts=run.counts)
    except BaseException as exc:
        tiers_services.run_fail(run, exc, started)
        raise
    finally:
        heartbeat.__exit__(None, None, None)
    log.info(
        "recompute %s %s: %s clients in %.1fs",
        branch.code,
        as_of,
        run.clients,
        run.duration_s,
    )
    return run


def swap(ctx: NightlyContext, *, started: float) -> None:
    """Make the new run the date's results, with its flags, tasks and snapshots."""
    with transaction.atomic():
        tiers_services.run_lock(ctx.run)
        churn_services.churn_flags_raise(run_id=ctx.run.pk, outcome=ctx.churn)
        ctx.counts.update(clients_services.tasks_apply(ctx.tasks))
        for name, step in SNAPSHOT_STEPS:
            ctx.counts[name] = step(ctx) or {}
        tiers_services.run_finish(ctx.run, counts=ctx.counts, started=started)
