"""Set-based writes shared by the seeder, the importer and the benchmarks, and one
read shared by the pages (`rows_by_ids`)."""

import logging
import threading
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, models
from django.db.models import QuerySet
from django.utils import timezone

log = logging.getLogger(__name__)


def copy_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]
) -> int:
    """Append rows to a model's table as fast as the database allows.

    PostgreSQL gets COPY; any other database gets batched bulk inserts. `columns` are
    database column names (`account_id`, not `account`); rows carry plain values in that
    order. No signals, no save(): callers validate first. Returns the rows written.
    """
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        written = 0
        with (
            connection.cursor() as cursor,
            cursor.copy(
                f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
                written += 1
        return written
    fields = {f.column: f.attname for f in model._meta.concrete_fields}
    attnames = [fields[c] for c in columns]
    batch, written = [], 0
    for row in rows:
        batch.append(model(**dict(zip(attnames, row, strict=True))))
        if len(batch) == 5000:
            model.objects.bulk_create(batch)
            written += len(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)
        written += len(batch)
    return written


class Heartbeat:
    """A long job's lease: its row's `heartbeat_at`, refreshed while the job runs.

    A thread of its own (with its own database connection, so the job's open
    transaction does not hide the beat and a long statement does not hold it up)
    writes `heartbeat_at` every JOB_HEARTBEAT_SECONDS. When the process dies the beats
    stop, and a row still "running" whose last beat is older than JOB_LEASE_SECONDS
    is taken for dead (`lease_deadline`).
    """

    def __init__(self, model: type[models.Model], pk, *, every: float | None = None):
        self.rows = model._default_manager.filter(pk=pk)
        self.every = every if every is not None else settings.JOB_HEARTBEAT_SECONDS
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)

    def __enter__(self):
        self.rows.update(heartbeat_at=timezone.now())
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        self.thread.join(timeout=max(self.every, 1) + 30)

    def _beat(self):
        try:
            while not self.stop.wait(self.every):
                try:
                    self.rows.update(heartbeat_at=timezone.now())
                except DatabaseError:  # e.g. SQLite busy: the next beat tries again
                    log.warning("heartbeat of %s not written", self.rows.model)
        finally:
            connection.close()  # this thread's own connection


def lease_deadline(now=None):
    """A running job whose last heartbeat is older than this is dead."""
    return (now or timezone.now()) - timedelta(seconds=settings.JOB_LEASE_SECONDS)


def rows_by_ids(queryset: QuerySet, start: int = 0, stop: int | None = None) -> list:
    """Rows `start:stop` of an ordered queryset, found by id first, then read whole.

    The ids come from `queryset` itself (its filters, scope and order) without the
    joins its `select_related` adds, so the database sorts narrow rows and joins the
    related rows of the page alone, not of every match (an advisor with 2,000 clients
    has 1,300 open tasks, for a page of 20). One query: the ids are a subquery.
    """
    ordering = queryset.query.order_by
    ids = queryset.select_related(None).values("pk")[start:stop]
    rows = queryset.model._default_manager.filter(pk__in=ids).order_by(*ordering)
    rows.query.select_related = queryset.query.select_related
    rows.query.deferred_loading = queryset.query.deferred_loading
    return list(rows)
