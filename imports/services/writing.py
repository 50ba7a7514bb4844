"""Writing validated rows of the big kinds: COPY on PostgreSQL, bulk elsewhere.

On PostgreSQL, rows known to be new (insert mode, keys checked chunk by chunk) are
COPYed straight into their table; any other write is staged by COPY into a temp table
and merged with one INSERT … ON CONFLICT (and UPDATE on upsert). The writers take the
same frames (database column names, text/int cells, '' for "the
file says nothing") and give the same counts, so the report never depends on the
database. An empty cell never overwrites a stored value; on insert it takes the
column's default.
"""

import uuid
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import connection, models
from psycopg.copy import QueuedLibpqWriter


class All:
    """Every key asked about is stored."""


ALL = All()


@dataclass
class Counts:
    new: int = 0
    updated: int = 0
    skipped: int = 0


@dataclass
class Target:
    """Where a big kind's rows go and how they are matched to existing rows."""

    model: type[models.Model]
    columns: list[str]  # database columns, in staging order
    key: list[str]  # the unique constraint ON CONFLICT targets
    defaults: dict[str, str]  # SQL default for a column when the file leaves it empty
    # Columns whose cells are validated numbers, dates, codes or ids: they cannot hold
    # a tab, newline or backslash, so COPY needs no escaping for them.
    clean: frozenset = field(default_factory=frozenset)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def field(self, column: str) -> models.Field:
        for f in self.model._meta.concrete_fields:
            if f.column == column:
                return f
        raise KeyError(column)


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(
    frame: pd.DataFrame, columns: list[str], clean=frozenset(), defaults=None
) -> str:
    """Rows in COPY's text format; empty cells become NULL (or the column's default).

    Joining Python strings column-wise is several times faster than DataFrame.to_csv,
    and this is the import's hot loop.
    """
    cells = []
    for column in columns:
        values = frame[column]
        if values.dtype.kind in "iu":
            cells.append(_int_texts(values.to_numpy()))
            continue
        texts = values.to_numpy(dtype=object).tolist()
        if column not in clean:
            joined = "\x00".join(texts)
            if any(ch in joined for ch in "\\\t\n\r"):
                texts = [t.translate(_ESCAPES) for t in texts]
        if "" in texts:
            fill = (defaults or {}).get(column, "\\N")
            texts = [t or fill for t in texts]
        cells.append(texts)
    return "\n".join(map("\t".join, zip(*cells, strict=True))) + "\n"


def _int_texts(values) -> list[str]:
    """Integers as text; ids repeat a lot, so each distinct one is formatted once."""
    if len(values) > 1000:
        uniques, inverse = np.unique(values, return_inverse=True)
        if len(uniques) * 4 < len(values):
            texts = np.array([str(u) for u in uniques.tolist()], dtype=object)
            return texts[inverse].tolist()
    return values.astype(str).tolist()


# Up to this many stored keys are read into memory (some 100 MB) to check a file that
# is mostly imported already.
STORED_KEYS_MAX = 2_000_000
_UNKNOWN = object()
_NO_ORDER = object()


class _Copying:
    """What both PostgreSQL writers share: one open COPY, and key look-ups."""

    target: Target
    _copy = None
    _stack: ExitStack | None = None
    # The highest key stored when the import began (None: none stored), read once
    # (the import holds its kind's lock); _NO_ORDER unless text sorts by code point.
    _ceiling = _UNKNOWN
    _stored: set[str] | None = None  # every stored key, once a file is mostly stored

    def _open_copy(self, sql: str) -> None:
        self._stack = ExitStack()
        cursor = self._stack.enter_context(connection.cursor())
        raw = cursor.cursor  # psycopg's own cursor, under Django's wrapper
        self._copy = self._stack.enter_context(
            raw.copy(sql, writer=QueuedLibpqWriter(raw))
        )

    def _end_copy(self) -> None:
        if self._copy is not None:
            stack, self._copy, self._stack = self._stack, None, None
            stack.close()

    def abort(self) -> None:
        """Leave an unfinished COPY (the transaction is being rolled back)."""
        if self._copy is not None:
            stack, self._copy, self._stack = self._stack, None, None
            # The rollback that follows is what matters; a failing COPY end is moot.
            with suppress(Exception):
                stack.__exit__(RuntimeError, RuntimeError("import aborted"), None)

    def existing(self, column: str, values: list[str], scope: dict) -> set[str] | All:
        """Which of these natural keys are already stored (one index probe each).

        Counting first answers the two common cases, a new file (none) and a file
        imported again (all), without sending the keys back.
        """
        unique = set(values)
        if not unique:
            return set()
        if self._stored is not None:
            found = self._stored.intersection(unique)
            return ALL if len(found) == len(unique) else found
        # Sorted: the server sorts the keys of ANY(…) too, and finds them in order.
        distinct = sorted(unique)
        q = connection.ops.quote_name
        where = " AND ".join(f"{q(c)} = %s" for c in scope)
        if self._ceiling is _UNKNOWN:
            self._end_copy()
            with connection.cursor() as cursor:
                if _codepoint_order(cursor):
                    cursor.execute(
                        f"SELECT max({q(column)}) FROM {q(self.target.table)} "  # nosec B608 # quoted target and stage identifiers, values bound
                        f"WHERE {where}",
                        list(scope.values()),
                    )
                    self._ceiling = cursor.fetchone()[0]
                else:
                    self._ceiling = _NO_ORDER
        if self._ceiling is not _NO_ORDER and (
            self._ceiling is None or distinct[0] > self._ceiling
        ):
            # Every key beyond the highest stored when the import began (a new
            # day's file): nothing to look up, and an open COPY keeps streaming.
            return set()
        self._end_copy()
        with connection.cursor() as cursor:
            if self._ceiling is not _NO_ORDER:
                # Keys in a gap between stored ones: one probe of the index tells,
                # with nothing else sent.
                cursor.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {q(self.target.table)} "  # nosec B608 # quoted target and stage identifiers, values bound
                    f"WHERE {where} AND {q(column)} BETWEEN %s AND %s)",
                    [*scope.values(), distinct[0], distinct[-1]],
                )
                if not cursor.fetchone()[0]:
                    return set()
            joined = "\x1f".join(distinct)
            if joined.count("\x1f") == len(distinct) - 1:
                # One text parameter split by the server: far cheaper to send than
                # an array of as many strings.
                keys, param = "string_to_array(%s, chr(31))", joined
            else:
                keys, param = "%s", distinct
            sql = (
                f"FROM {q(self.target.table)} WHERE {where} "
                f"AND {q(column)} = ANY({keys})"
            )
            params = [*scope.values(), param]
            cursor.execute(f"SELECT count(*) {sql}", params)
            found = cursor.fetchone()[0]
            if found * 2 >= len(distinct):
                self._load_stored(cursor, column, where, scope)
            if found == 0:
                return set()
            if found == len(distinct):
                return ALL
            cursor.execute(f"SELECT {q(column)} {sql}", params)
            return {row[0] for row in cursor.fetchall()}

    def _load_stored(self, cursor, column: str, where: str, scope: dict) -> None:
        """A file mostly stored already (imported again): read the stored keys once,
        if they are few enough, and answer the next chunks without the database."""
        q = connection.ops.quote_name
        table = q(self.target.table)
        cursor.execute(
            f"SELECT count(*) FROM {table} WHERE {where}",  # nosec B608 # quoted target and stage identifiers, values bound
            list(scope.values()),
        )
        if cursor.fetchone()[0] > STORED_KEYS_MAX:
            return
        cursor.execute(
            f"SELECT count(*), string_agg({q(column)}, chr(31)) FROM {table} "  # nosec B608 # quoted target and stage identifiers, values bound
            f"WHERE {where}",
            list(scope.values()),
        )
        count, joined = cursor.fetchone()
        keys = joined.split("\x1f") if joined else []
        if len(keys) != count:  # a key holding the separator: as rows instead
            cursor.execute(
                f"SELECT {q(column)} FROM {table} WHERE {where}",  # nosec B608 # quoted target and stage identifiers, values bound
                list(scope.values()),
            )
            keys = [row[0] for row in cursor.fetchall()]
        self._stored = set(keys)


_ORDERS: dict[str, bool] = {}


def _codepoint_order(cursor) -> bool:
    """Whether the database compares text by code point, as Python does (C collation)."""
    name = connection.settings_dict["NAME"]
    if name not in _ORDERS:
        cursor.execute(
            "SELECT datcollate, datlocprovider FROM pg_database "
            "WHERE datname = current_database()"
        )
        collate, provider = cursor.fetchone()
        _ORDERS[name] = provider == "c" and (
            collate in ("C", "POSIX") or collate.startswith("C.")
        )
    return _ORDERS[name]


def writer_for(target: Target, *, direct: bool = False, track=()):
    """The writer for this database; `direct`: every row is known to be new."""
    if connection.vendor == "postgresql":
        if direct:
            return DirectWriter(target, track)
        return StagingWriter(target)
    return BulkWriter(target)


class DirectWriter(_Copying):
    """PostgreSQL, insert mode, every row known new: COPY straight into the table.

    The importer has already left out the rows whose key is stored and the file's
    repeated keys (under the import's lock), so there is nothing to match: no staging
    table, no INSERT … SELECT. The table's unique constraint stays the final guard: a
    row stored after all fails the COPY, and with it the whole import's transaction.
    """

    def __init__(self, target: Target, track=()):
        self.target = target
        self.staged = 0
        self.checked = True
        self._pending: str | None = None  # the last chunk, sent after the next look-up
        # Distinct values of some columns (the dates to re-total), kept as rows pass.
        self.tracked: dict[str, set] = {c: set() for c in track}
        q = connection.ops.quote_name
        self._columns_sql = ", ".join(q(c) for c in target.columns)
        self._defaults = {c: d.strip("'") for c, d in target.defaults.items()}

    def add(self, frame: pd.DataFrame) -> None:
        """Queue a chunk for the table's COPY.

        It is sent once the next chunk's keys have been looked up (which needs the
        connection, so ends the COPY): the server then inserts it on the other core
        while this one checks the next chunk, and a look-up never waits for it.
        """
        if frame.empty:
            return
        for column, values in self.tracked.items():
            values.update(frame[column].unique().tolist())
        self._send()
        self._pending = copy_text(
            frame, self.target.columns, self.target.clean, self._defaults
        )
        self.staged += len(frame)

    def _send(self) -> None:
        if self._pending is None:
            return
        if self._copy is None:
            table = connection.ops.quote_name(self.target.table)
            self._open_copy(f"COPY {table} ({self._columns_sql}) FROM STDIN")
        data, self._pending = self._pending, None
        self._copy.write(data)

    def existing(self, column: str, values: list[str], scope: dict) -> set[str] | All:
        found = super().existing(column, values, scope)
        self._send()
        return found

    def end(self) -> None:
        """Send the last chunk; the COPY ends at write(), so the server inserts it
        while the importer does its own last work."""
        self._send()

    def abort(self) -> None:
        self._pending = None
        super().abort()

    def drop(self, lines: list[int]) -> None:
        if lines:  # the importer leaves repeated keys out before they are written
            raise RuntimeError("rows already copied cannot be dropped")

    def distinct(self, column: str, *, existing_too: bool = False) -> list:
        if existing_too:
            raise RuntimeError("a direct write matches no stored rows")
        return sorted(self.tracked[column])

    def count(self, mode: str) -> Counts:
        raise RuntimeError("a dry run stages its rows; it never writes them directly")

    def write(self, mode: str) -> Counts:
        self._send()
        self._end_copy()
        return Counts(new=self.staged)


class StagingWriter(_Copying):
    """PostgreSQL: COPY every chunk into a temp table, then one INSERT … ON CONFLICT."""

    def __init__(self, target: Target):
        self.target = target
        self.stage = f"import_stage_{uuid.uuid4().hex[:12]}"
        self.staged = 0
        # Set by the importer when each staged key was found not stored (insert mode).
        self.checked = False
        q = connection.ops.quote_name
        columns = ", ".join(
            f"{q(c)} {target.field(c).db_type(connection)}" for c in target.columns
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE {self.stage} (_line integer, {columns}) "
                "ON COMMIT DROP"
            )
        self._columns_sql = ", ".join(q(c) for c in target.columns)

    def add(self, frame: pd.DataFrame) -> None:
        """Queue a chunk into the staging COPY, which stays open across chunks.

        A worker thread feeds the server while the next chunk is parsed, so reading
        and validating overlap with PostgreSQL's own work on the other core.
        """
        if frame.empty:
            return
        data = copy_text(frame, ["_line", *self.target.columns], self.target.clean)
        if self._copy is None:
            self._open_copy(
                f"COPY {self.stage} (_line, {self._columns_sql}) FROM STDIN"
            )
        self._copy.write(data)
        self.staged += len(frame)

    def end(self) -> None:
        """Finish staging: the COPY must end before the connection runs anything else."""
        self._end_copy()

    def drop(self, lines: list[int]) -> None:
        self._end_copy()
        if not lines:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {self.stage} WHERE _line = ANY(%s)",  # nosec B608 # quoted target and stage identifiers, values bound
                [list(lines)],
            )
            self.staged -= cursor.rowcount

    def distinct(self, column: str, *, existing_too: bool = False) -> list:
        """Distinct values of a column in the file (and in the rows they match)."""
        self._end_copy()
        q = connection.ops.quote_name
        sql = f"SELECT DISTINCT {q(column)} FROM {self.stage}"  # nosec B608 # quoted target and stage identifiers, values bound
        if existing_too:
            sql += (
                f" UNION SELECT DISTINCT t.{q(column)} FROM {q(self.target.table)} t "  # nosec B608 # quoted target and stage identifiers, values bound
                f"JOIN {self.stage} s ON {self._join()}"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return [row[0] for row in cursor.fetchall()]

    def _join(self) -> str:
        q = connection.ops.quote_name
        return " AND ".join(f"t.{q(k)} = s.{q(k)}" for k in self.target.key)

    def count(self, mode: str) -> Counts:
        """What write() would do, counted without writing (a dry run)."""
        self._end_copy()
        q = connection.ops.quote_name
        target = self.target
        table = q(target.table)
        counts = Counts()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            if self.checked:
                counts.new = self.staged
            else:
                cursor.execute(
                    f"SELECT count(*) FROM {self.stage} s WHERE NOT EXISTS "  # nosec B608 # quoted target and stage identifiers, values bound
                    f"(SELECT 1 FROM {table} t WHERE {self._join()})"
                )
                counts.new = cursor.fetchone()[0]
            if mode == "upsert":
                cursor.execute(
                    f"SELECT count(*) FROM {table} t JOIN {self.stage} s "  # nosec B608 # quoted target and stage identifiers, values bound
                    f"ON {self._join()} WHERE {self._differs()}"
                )
                counts.updated = cursor.fetchone()[0]
            cursor.execute(f"DROP TABLE {self.stage}")
        counts.skipped = self.staged - counts.new - counts.updated
        return counts

    def _differs(self) -> str:
        q = connection.ops.quote_name
        changing = [c for c in self.target.columns if c not in self.target.key]
        return (
            "("
            + " OR ".join(
                f"(s.{q(c)} IS NOT NULL AND s.{q(c)} IS DISTINCT FROM t.{q(c)})"
                for c in changing
            )
            + ")"
        )

    def write(self, mode: str) -> Counts:
        self._end_copy()
        q = connection.ops.quote_name
        target = self.target
        table = q(target.table)
        counts = Counts()
        with connection.cursor() as cursor:
            # Enough memory to hash-join the staged rows against the table's keys.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            if mode == "upsert":
                changing = [c for c in target.columns if c not in target.key]
                sets = ", ".join(
                    f"{q(c)} = COALESCE(s.{q(c)}, t.{q(c)})" for c in changing
                )
                cursor.execute(
                    f"UPDATE {table} t SET {sets} FROM {self.stage} s "  # nosec B608 # quoted target and stage identifiers, values bound
                    f"WHERE {self._join()} AND {self._differs()}"
                )
                counts.updated = cursor.rowcount
            values = ", ".join(
                f"COALESCE(s.{q(c)}, {target.defaults[c]})"
                if c in target.defaults
                else f"s.{q(c)}"
                for c in target.columns
            )
            keys = ", ".join(q(k) for k in target.key)
            # Unless every staged key was already looked up (self.checked), NOT
            # EXISTS finds the rows already there with one anti-join, far cheaper
            # than a conflict per row; ON CONFLICT stays as the guarantee either way.
            unseen = (
                ""
                if self.checked
                else f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {self._join()})"  # nosec B608 # quoted target and stage identifiers, values bound
            )
            cursor.execute(
                f"INSERT INTO {table} ({self._columns_sql}) SELECT {values} "  # nosec B608 # quoted target and stage identifiers, values bound
                f"FROM {self.stage} s {unseen} ON CONFLICT ({keys}) DO NOTHING"
            )
            counts.new = cursor.rowcount
            cursor.execute(f"DROP TABLE {self.stage}")
        counts.skipped = self.staged - counts.new - counts.updated
        return counts


class BulkWriter:
    """Any other database: the same rows, matched in Python, written with bulk_create."""

    BATCH = 2000

    def __init__(self, target: Target):
        self.target = target
        self.frames: list[pd.DataFrame] = []

    @property
    def staged(self) -> int:
        return sum(len(f) for f in self.frames)

    def abort(self) -> None:
        pass

    def end(self) -> None:
        pass

    def existing(self, column: str, values: list[str], scope: dict) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(values), 500):
            found.update(
                self.target.model.objects.filter(
                    **scope, **{f"{column}__in": values[i : i + 500]}
                ).values_list(column, flat=True)
            )
        return found

    def add(self, frame: pd.DataFrame) -> None:
        if not frame.empty:
            self.frames.append(frame[["_line", *self.target.columns]])

    def drop(self, lines: list[int]) -> None:
        gone = set(lines)
        self.frames = [f[~f["_line"].isin(gone)] for f in self.frames]

    def _rows(self) -> list[dict]:
        """Every staged row as {attname: python value or None}."""
        target = self.target
        fields = [target.field(c) for c in target.columns]
        rows = []
        for frame in self.frames:
            for record in frame[target.columns].itertuples(index=False, name=None):
                row = {}
                for f, value in zip(fields, record, strict=True):
                    if value is None or value == "" or (value != value):  # NaN
                        row[f.attname] = None
                    else:
                        row[f.attname] = f.to_python(value)
                rows.append(row)
        return rows

    def distinct(self, column: str, *, existing_too: bool = False) -> list:
        attname = self.target.field(column).attname
        rows = self._rows()
        values = {r[attname] for r in rows}
        if existing_too:
            for existing in self._existing(rows).values():
                values.add(getattr(existing, attname))
        return sorted(values)

    def _existing(self, rows: list[dict]) -> dict[tuple, models.Model]:
        target = self.target
        keys = [target.field(k).attname for k in target.key]
        wanted = {tuple(r[k] for k in keys) for r in rows}
        found: dict[tuple, models.Model] = {}
        first = keys[0]
        firsts = sorted({k[0] for k in wanted}, key=str)
        for i in range(0, len(firsts), 500):
            candidates = target.model.objects.filter(
                **{f"{first}__in": firsts[i : i + 500]}
            )
            for obj in candidates.iterator(chunk_size=2000):
                key = tuple(getattr(obj, k) for k in keys)
                if key in wanted:
                    found[key] = obj
        return found

    def count(self, mode: str) -> Counts:
        return self.write(mode, dry_run=True)

    def write(self, mode: str, *, dry_run: bool = False) -> Counts:
        target = self.target
        keys = [target.field(k).attname for k in target.key]
        rows = self._rows()
        existing = self._existing(rows)
        counts = Counts()
        creating, changed, changed_fields = [], [], set()
        created_keys = set()
        for row in rows:
            key = tuple(row[k] for k in keys)
            obj = existing.get(key)
            if obj is None:
                values = {}
                for column in target.columns:
                    f = target.field(column)
                    value = row[f.attname]
                    if value is None and column in target.defaults:
                        value = f.to_python(target.defaults[column].strip("'"))
                    values[f.attname] = value
                creating.append(target.model(**values))
                existing[key] = creating[-1]
                created_keys.add(key)
                continue
            if mode != "upsert" or key in created_keys:
                counts.skipped += 1
                continue
            fields = [
                attname
                for attname, value in row.items()
                if value is not None and getattr(obj, attname) != value
            ]
            if not fields:
                counts.skipped += 1
                continue
            for attname in fields:
                setattr(obj, attname, row[attname])
            changed.append(obj)
            changed_fields.update(fields)
            counts.updated += 1
        counts.new = len(creating)
        if dry_run:  # counted: the objects were read for this call only
            creating, changed = [], []
        if creating:
            target.model.objects.bulk_create(creating, batch_size=self.BATCH)
        if changed:
            target.model.objects.bulk_update(
                changed, sorted(changed_fields), batch_size=self.BATCH
            )
        return counts
