"""Celery doors into the import service."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from brokercrm.jobs import DurableTask

from .models import BatchStatus, ImportBatch
from .services import batch_run


def progress_key(batch_id: int) -> str:
    return f"imports:progress:{batch_id}"


class ImportTask(DurableTask):
    def record_failure(self, args, kwargs, reason: str) -> None:
        batch_id = kwargs.get("batch_id", args[0] if args else None)
        ImportBatch.objects.filter(
            pk=batch_id,
            status__in=[BatchStatus.QUEUED, BatchStatus.RUNNING],
        ).update(status=BatchStatus.FAILED, message=reason, finished_at=timezone.now())


@shared_task(base=ImportTask)
def import_batch_run_task(batch_id: int) -> str:
    """Run a confirmed batch; its progress (0–1) is published in the cache.

    Idempotent: a batch already finished is not run again (a message handed out twice);
    one left `running` by a worker that died is run again from the start (its
    transaction was rolled back with the dead connection).
    """
    batch = ImportBatch.objects.select_related("branch").get(pk=batch_id)
    if batch.is_finished:
        return batch.status
    key = progress_key(batch_id)
    cache.set(key, 0.0, 24 * 3600)
    batch_run(batch=batch, progress=lambda done: cache.set(key, done, 24 * 3600))
    cache.set(key, 1.0, 24 * 3600)
    return batch.status
