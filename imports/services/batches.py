"""Import a file as a batch: the one service every door (command, admin page, task) uses."""

import logging
import os
import time
import uuid
from collections.abc import Callable
from contextlib import closing

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from brokercrm.db import Heartbeat, lease_deadline
from clients.masking import mask_text
from clients.permissions import may_import, may_import_kind

from ..models import BatchStatus, ImportBatch, ImportMode
from .importers import IMPORTERS, Context, SmallImporter
from .reading import FileRejected, open_table, read_ahead, scan

logger = logging.getLogger(__name__)

GLOBAL_KINDS = ("securities", "prices")  # market data shared by every branch


class _Rollback(Exception):
    """Leaves the import's transaction without writing (bad rows, or a dry run)."""


def batch_create(
    *,
    branch,
    path: str,
    kind: str | None = None,
    file_name: str | None = None,
    mode: str = ImportMode.INSERT,
    partial: bool = False,
    dry_run: bool = False,
    user=None,
) -> ImportBatch:
    """Record a file waiting to be imported (the admin's upload, or a command's)."""
    return ImportBatch.objects.create(
        branch=branch,
        kind=kind or "",
        mode=mode,
        partial=partial,
        dry_run=dry_run,
        file_name=file_name or os.path.basename(path),
        file_path=str(path),
        file_size=os.path.getsize(path) if os.path.exists(path) else 0,
        created_by=user if user is not None and user.is_authenticated else None,
        status=BatchStatus.QUEUED,
    )


def batch_previewed(batch: ImportBatch) -> bool:
    """A checked file whose rows were read: it may be imported (maybe partially)."""
    return (
        batch.dry_run
        and batch.status in (BatchStatus.DRY_RUN, BatchStatus.REJECTED)
        and batch.rows_total > 0
    )


def batch_confirm(*, user, preview: ImportBatch, partial: bool = False) -> ImportBatch:
    """Import a previewed file for real: a new batch of the same file, to run next."""
    if not may_import(user):
        raise PermissionDenied(_("Imports are the branch admin's."))
    if not batch_previewed(preview):
        raise ValidationError(
            _("Only a checked file (a dry run) that has rows can be imported."),
            code="not_previewed",
        )
    return batch_create(
        branch=preview.branch,
        path=preview.file_path,
        kind=preview.kind,
        file_name=preview.file_name,
        mode=preview.mode,
        partial=preview.partial or partial,
        user=user,
    )


def batch_upload(
    *,
    branch,
    upload,
    kind: str | None = None,
    mode: str = ImportMode.INSERT,
    partial: bool = False,
    user=None,
) -> ImportBatch:
    """Store an uploaded file and record its check (a dry run) as a batch.

    The preview every upload door shows (the import pages, the admin's Import): the
    caller queues `batch_run` for it, and the import itself is a second batch of the
    same file once the preview is confirmed.
    """
    name = get_valid_filename(os.path.basename(upload.name)) or "upload"
    stored = default_storage.save(f"imports/{uuid.uuid4().hex}/{name}", upload)
    return batch_create(
        branch=branch,
        path=default_storage.path(stored),
        kind=kind,
        file_name=upload.name,
        mode=mode,
        partial=partial,
        dry_run=True,
        user=user,
    )


def import_file(
    *,
    branch,
    path: str,
    kind: str | None = None,
    file_name: str | None = None,
    mode: str = ImportMode.INSERT,
    partial: bool = False,
    dry_run: bool = False,
    user=None,
    progress: Callable[[float], None] | None = None,
) -> ImportBatch:
    """Import one back-office file into a branch and return its batch with the report.

    Atomic unless `partial`: any bad row and nothing is written. Idempotent: existing
    natural keys are skipped (insert) or updated where the file has a value (upsert),
    and an identical file already imported is not read again.
    """
    batch = batch_create(
        branch=branch,
        path=path,
        kind=kind,
        file_name=file_name,
        mode=mode,
        partial=partial,
        dry_run=dry_run,
        user=user,
    )
    return batch_run(batch=batch, progress=progress)


def batch_run(
    *, batch: ImportBatch, progress: Callable[[float], None] | None = None
) -> ImportBatch:
    """Run a recorded batch: read, check and write its file, then save the report."""
    started = time.monotonic()
    batch.status = BatchStatus.RUNNING
    batch.started_at = batch.heartbeat_at = timezone.now()
    batch.save(update_fields=["status", "started_at", "heartbeat_at"])
    try:
        with Heartbeat(ImportBatch, batch.pk):
            _run(batch, progress)
    except FileRejected as exc:
        batch.status = BatchStatus.REJECTED
        batch.message_code = exc.code
        batch.message_params = _masked(exc.params)
    except Exception as exc:
        logger.exception("import batch %s failed", batch.pk)
        batch.status = BatchStatus.FAILED
        batch.message = mask_text(f"{type(exc).__name__}: {exc}")
    batch.duration_s = round(time.monotonic() - started, 3)
    batch.finished_at = timezone.now()
    batch.save()
    return batch


def _masked(params: dict | None) -> dict:
    """A message's parameters with any ID or phone number in them masked."""
    return {
        key: mask_text(value) if isinstance(value, str) else value
        for key, value in (params or {}).items()
    }


def batches_expire(*, now=None) -> int:
    """Mark failed the batches left `running` by a process that died (lease expired).

    The import ran in one transaction, so nothing of it was written; the file can
    be imported again.
    """
    deadline = lease_deadline(now)
    return (
        ImportBatch.objects.filter(status=BatchStatus.RUNNING)
        .filter(
            Q(heartbeat_at__lt=deadline)
            | Q(heartbeat_at__isnull=True, started_at__lt=deadline)
        )
        .update(
            status=BatchStatus.FAILED,
            message_code="stopped",
            message_params={},
            finished_at=now or timezone.now(),
        )
    )


def _run(batch: ImportBatch, progress) -> None:
    file_scan = scan(batch.file_path)  # the size limit comes first, before any parsing
    batch.file_size, batch.sha256 = file_scan.size, file_scan.sha256
    table, kind = open_table(batch.file_path, file_scan, batch.kind or None)
    batch.kind = kind
    if not may_import_kind(batch.created_by, kind):
        # A detected kind the uploader may not write: securities and prices are every
        # branch's, imported by head office's system administrator only.
        raise FileRejected("shared_kind", kind=kind)
    batch.encoding = table.encoding_label
    batch.matched_columns = table.matched
    batch.ignored_columns = table.ignored
    previous = _already_imported(batch)
    if previous is not None:
        batch.previous = previous
        if not batch.dry_run:
            batch.status = BatchStatus.ALREADY_IMPORTED
            batch.rows_total = batch.rows_skipped = previous.rows_total
            batch.message_code = "already_imported"
            batch.message_params = _seen(previous)
            return
    errors: list = []
    importer = None
    counts = None
    phases = {"start": time.monotonic()}
    try:
        with transaction.atomic():
            _lock(batch, kind)
            importer = IMPORTERS[kind](
                Context(batch.branch, batch.mode, dry_run=batch.dry_run), errors
            )
            try:
                exact = isinstance(importer, SmallImporter)
                # closing(): the reading thread stops at once if a chunk fails.
                with closing(read_ahead(table, progress, exact_lines=exact)) as chunks:
                    for chunk in chunks:
                        importer.add(chunk)
                importer.close()
                phases["read, checked and staged"] = time.monotonic()
                if errors and not batch.partial:
                    raise _Rollback
                if batch.dry_run:
                    counts = importer.count(batch.mode)
                else:
                    counts = importer.write(batch.mode)
                phases["written"] = time.monotonic()
            except BaseException:
                importer.abort()  # an open COPY would block the rollback
                raise
            if batch.dry_run:
                raise _Rollback
        phases["committed"] = time.monotonic()
    except _Rollback:
        pass
    logger.info(
        "import batch %s (%s, %s rows): %s",
        batch.pk,
        kind,
        importer.total if importer else 0,
        ", ".join(_durations(phases)),
    )
    errors.sort(key=lambda e: (e[0] if e[0] is not None else 0, e[1]))
    # The report quotes cells: an ID or phone number in one is kept masked.
    batch.errors = [
        [line, column, code, _masked(params)] for line, column, code, params in errors
    ]
    batch.rows_total = importer.total
    batch.rows_failed = importer.failed
    if counts is not None:
        batch.rows_new, batch.rows_updated = counts.new, counts.updated
        batch.rows_skipped = counts.skipped
    if errors and not batch.partial:
        batch.status = BatchStatus.REJECTED
        batch.message_code = "rejected"
        batch.message_params = {"failed": importer.failed, "total": importer.total}
    elif batch.dry_run:
        batch.status = BatchStatus.DRY_RUN
        batch.message_code = "dry_run"
        if batch.previous is not None:
            batch.message_code = "dry_run_seen"
            batch.message_params = _seen(batch.previous)
    else:
        batch.status = BatchStatus.DONE
        if errors:
            batch.message_code = "partial"
            batch.message_params = {"failed": importer.failed}


def _seen(previous: ImportBatch) -> dict:
    when = timezone.localtime(previous.finished_at or previous.created_at)
    return {"when": f"{when:%Y-%m-%d %H:%M}", "batch": previous.pk}


def _durations(phases: dict[str, float]) -> list[str]:
    names, times = list(phases), list(phases.values())
    return [
        f"{names[i]} in {times[i] - times[i - 1]:.2f}s" for i in range(1, len(times))
    ]


def _already_imported(batch: ImportBatch) -> ImportBatch | None:
    return (
        ImportBatch.objects.filter(
            branch=batch.branch,
            kind=batch.kind,
            sha256=batch.sha256,
            status=BatchStatus.DONE,
            dry_run=False,
        )
        .exclude(pk=batch.pk)
        .order_by("-finished_at")
        .first()
    )


def _lock(batch: ImportBatch, kind: str) -> None:
    """One import of a kind at a time per branch (market data: at all), on PostgreSQL."""
    if connection.vendor != "postgresql":
        return  # SQLite serialises writers already
    scope = "*" if kind in GLOBAL_KINDS else str(batch.branch_id)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"import:{kind}:{scope}"]
        )
