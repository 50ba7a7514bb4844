"""Celery doors into the import service."""

from celery import shared_task
from django.core.cache import cache

from .models import ImportBatch
from .services import batch_run


def progress_key(batch_id: int) -> str:
    return f"imports:progress:{batch_id}"


@shared_task
def import_batch_run_task(batch_id: int) -> str:
    """Run a confirmed batch; its progress (0–1) is published in the cache."""
    batch = ImportBatch.objects.select_related("branch").get(pk=batch_id)
    key = progress_key(batch_id)
    cache.set(key, 0.0, 24 * 3600)
    batch_run(batch=batch, progress=lambda done: cache.set(key, done, 24 * 3600))
    cache.set(key, 1.0, 24 * 3600)
    return batch.status
