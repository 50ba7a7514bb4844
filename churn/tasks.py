"""Celery doors onto the churn model's weekly training: one task per branch."""

from celery import group, shared_task

from advisors.models import Branch

from . import services


@shared_task(acks_late=True)
def churn_model_train_task(branch_id: int) -> dict:
    """Train one branch's churn model on its history and store it."""
    branch = Branch.objects.get(pk=branch_id)
    model = services.churn_model_train(branch=branch)
    return {
        "branch": branch.code,
        "version": model.version,
        "accepted": model.accepted,
        "auc_model": model.auc_model,
        "auc_hand": model.auc_hand,
    }


@shared_task
def churn_models_train_task() -> int:
    """The weekly job: queue one training per branch; the number queued."""
    branch_ids = list(Branch.objects.order_by("pk").values_list("pk", flat=True))
    group(churn_model_train_task.si(branch_id) for branch_id in branch_ids)()
    return len(branch_ids)
