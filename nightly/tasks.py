"""Celery doors onto the nightly pipeline: one task per branch, fanned out at 02:00."""

from datetime import date, timedelta

from celery import group, shared_task
from django.utils import timezone

from advisors.models import Branch
from imports.services import batches_expire
from tiers.services import runs_expire

from . import services


@shared_task(acks_late=True)
def scores_recompute_task(branch_id: int, as_of: str) -> dict:
    """Run the nightly pipeline of one branch for one date (idempotent for the date)."""
    branch = Branch.objects.get(pk=branch_id)
    run = services.nightly_run(branch=branch, as_of=date.fromisoformat(as_of))
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
