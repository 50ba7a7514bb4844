"""Set-based writes shared by the seeder, the importer and the benchmarks."""

from collections.abc import Iterable, Sequence

from django.db import connection, models


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
