"""Celery doors onto the nightly pipeline: one task per branch, fanned out at 02:00."""

from datetime import date, timedelta

from celery import group, shared_task
from django.core.cache import cache
from django.utils import timezone

from advisors.models import Branch
from brokercrm.jobs import DurableTask
from imports.services import batches_expire
from tiers import services as tiers_services
from tiers.models import RunStatus, ScoreRun
from tiers.services import runs_expire

from . import services


class RecomputeTask(DurableTask):
    def record_failure(self, args, kwargs, reason: str) -> None:
        """A failed run row for the date, which the runs' page shows."""
        branch_id = kwargs.get("branch_id", args[0] if args else None)
        as_of = kwargs.get("as_of", args[1] if len(args) > 1 else None)
        if branch_id is None or as_of is None:
            return
        ScoreRun.objects.create(
            branch_id=branch_id,
            date=date.fromisoformat(as_of),
            status=RunStatus.FAILED,
            error=reason,
            finished_at=timezone.now(),
        )


@shared_task(base=RecomputeTask, bind=True)
def scores_recompute_task(self, branch_id: int, as_of: str) -> dict:
    """Run the nightly pipeline of one branch for one date (idempotent for the date).

    Re-delivered after its worker died, it simply runs again: the dead run's rows were
    never swapped in, and the points accrual appends each earning once.
    """
    branch = Branch.objects.get(pk=branch_id)
    day = date.fromisoformat(as_of)
    # The runs this task's earlier deliveries began are those after the mark it left.
    key = f"jobs:recompute:{self.request.id}"
    mark = cache.get(key)
    if mark is None:
        last = ScoreRun.objects.order_by("-pk").values_list("pk", flat=True).first()
        cache.set(key, last or 0, 7 * 24 * 3600)
    else:
        tiers_services.runs_abandon(
            branch_id=branch_id, as_of=day, after_id=mark, reason="its worker died"
        )
    run = services.nightly_run(branch=branch, as_of=day)
    return {"branch": branch.code, "date": as_of, "run": run.pk, "clients": run.clients}


@shared_task
def nightly_scores_task(as_of: str | None = None) -> int:
    """Fan the night out: one recompute task per branch for D (default yesterday).

    Each branch is its own task, so as many workers as run (on as many machines)
    share the night; the result is the number of branches queued.
    """
    day = as_of or (timezone.localdate() - timedelta(days=1)).isoformat()
    branch_ids = list(Branch.objects.order_by("pk").values_list("pk", flat=True))
    group(scores_recompute_task.si(branch_id, day) for branch_id in branch_ids)()
    return len(branch_ids)


@shared_task
def dead_jobs_expire_task() -> dict:
    """Every 5 minutes: runs and import batches whose process died are marked failed."""
    return {"runs": runs_expire(), "batches": batches_expire()}
