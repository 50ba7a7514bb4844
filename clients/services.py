"""Writes to the branch's book that more than one door needs."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Case, Count, DecimalField, Sum, Value, When
from django.utils import timezone

from .models import (
    Side,
    Task,
    TaskKind,
    TaskStatus,
    Trade,
    TradeDay,
    generated_task_title,
)


@transaction.atomic
def trade_days_refresh(
    *,
    branch_id: int,
    dates: Iterable[date] | None = None,
    added: Sequence[tuple] | None = None,
) -> int:
    """Rebuild the per-account daily trade totals of a branch for some (or all) dates.

    Call it in the same transaction that wrote the trades, with the dates they touched;
    the nightly pipeline trusts these totals. Returns the number of client-days written.

    `added` instead of `dates`, when the trades written were all new (none changed):
    their totals per account-day, rows of (account_id, date, trades, commission,
    amount, buy_amount). They are added onto the stored days, which hold the totals
    of every other trade, without re-reading the trades.
    """
    if added is not None:
        return _trade_days_add(added)
    day_list = sorted(set(dates)) if dates is not None else None
    stale = TradeDay.objects.filter(account__branch_id=branch_id)
    trades = Trade.objects.filter(branch_id=branch_id)
    if day_list is not None:
        if not day_list:
            return 0
        stale = stale.filter(date__in=day_list)
        trades = trades.filter(trade_date__in=day_list)
    stale.delete()
    money = DecimalField(max_digits=18, decimal_places=2)
    totals = (
        trades.values("account_id", "trade_date")
        .order_by()
        .annotate(
            n=Count("id"),
            commission_sum=Sum("commission"),
            amount_sum=Sum("amount"),
            buy_sum=Sum(
                Case(
                    When(side=Side.BUY, then="amount"),
                    default=Value(0),
                    output_field=money,
                )
            ),
        )
    )
    if connection.vendor == "postgresql":
        sql, params = totals.values_list(
            "account_id", "trade_date", "n", "commission_sum", "amount_sum", "buy_sum"
        ).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TradeDay._meta.db_table} "
                "(account_id, date, trades, commission, amount, buy_amount) " + sql,
                params,
            )
            return cursor.rowcount
    rows = [
        TradeDay(
            account_id=t["account_id"],
            date=t["trade_date"],
            trades=t["n"],
            commission=t["commission_sum"],
            amount=t["amount_sum"],
            buy_amount=t["buy_sum"],
        )
        for t in totals.iterator(chunk_size=5000)
    ]
    TradeDay.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _trade_days_add(rows: Sequence[tuple]) -> int:
    """Add new trades' per account-day totals onto TradeDay (a missing day starts at 0)."""
    if not rows:
        return 0
    table = TradeDay._meta.db_table
    columns = "account_id, date, trades, commission, amount, buy_amount"
    adding = (
        f"ON CONFLICT (account_id, date) DO UPDATE SET "  # nosec B608 # identifiers from model _meta, values bound
        f"trades = {table}.trades + excluded.trades, "
        f"commission = {table}.commission + excluded.commission, "
        f"amount = {table}.amount + excluded.amount, "
        f"buy_amount = {table}.buy_amount + excluded.buy_amount"
    )
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s) "  # nosec B608 # identifiers from model _meta, values bound
                + adding,
                [tuple(row) for row in rows],
            )
            return len(rows)
        accounts = sorted({int(row[0]) for row in rows})
        days = sorted({str(row[1]) for row in rows})
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} WHERE account_id = ANY(%s) "  # nosec B608 # identifiers from model _meta, values bound
            "AND date BETWEEN %s::date AND %s::date)",
            [accounts, days[0], days[-1]],
        )
        (stored,) = cursor.fetchone()
        # No stored day among them (a new day's file): COPY the days in as they are.
        into = "trade_day_added" if stored else table
        if stored:
            cursor.execute(
                "CREATE TEMP TABLE trade_day_added (account_id bigint, date date, "
                "trades integer, commission numeric, amount numeric, "
                "buy_amount numeric) ON COMMIT DROP"
            )
        text = "".join("\t".join(map(str, row)) + "\n" for row in rows)
        with cursor.copy(f"COPY {into} ({columns}) FROM STDIN") as copy:
            copy.write(text)
        if stored:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} "  # nosec B608 # identifiers from model _meta, values bound
                "FROM trade_day_added " + adding
            )
            cursor.execute("DROP TABLE trade_day_added")
        return len(rows)


# --- generated tasks (the nightly run's task step) -----------------------------------

GENERATED_KINDS = (
    TaskKind.CHURN,
    TaskKind.ALERT,
    TaskKind.CADENCE,
    TaskKind.SUITABILITY,
)


@dataclass(frozen=True)
class TaskCondition:
    """A condition some step of the nightly run found, that calls for a task.

    `holds`: the clients for whom it holds on D (their open task of this kind and code
    stays open; any other open one closes itself as cleared). `raise_for`: those who
    get a new task when none is open (None: every client in `holds`). `details`: the
    values shown under the title, per client (optional). `due_days`: the task is due
    that many days after D.
    """

    kind: str
    code: str
    holds: frozenset
    due_days: int
    raise_for: frozenset | None = None
    details: dict = field(default_factory=dict)


@dataclass
class TaskPlan:
    """What the task step will write when the run swaps in: new tasks, tasks to close."""

    new: list
    cleared: list


def tasks_plan(
    *, branch_id: int, as_of: date, conditions: Sequence[TaskCondition], owners
) -> TaskPlan:
    """Decide the generated tasks of a run: one per condition without an open task, and
    the open generated tasks whose condition no longer holds (closed as cleared).

    `owners`: the advisor id of each client (a mapping or pandas Series; missing or
    null: no owner). Titles are the clients app's own words (`Task.display_title`);
    the stored title is the same words in the default language.
    """
    open_tasks = {
        (client_id, kind, code): pk
        for pk, client_id, kind, code in Task.objects.filter(
            branch_id=branch_id, status=TaskStatus.OPEN, kind__in=GENERATED_KINDS
        ).values_list("pk", "client_id", "kind", "code")
    }
    holding: set[tuple] = set()
    new: list[Task] = []
    for condition in conditions:
        holds = condition.holds
        raise_for = holds if condition.raise_for is None else condition.raise_for
        holding.update((c, condition.kind, condition.code) for c in holds)
        title = generated_task_title(condition.kind, condition.code, default=True)
        for client_id in sorted(raise_for):
            if (client_id, condition.kind, condition.code) in open_tasks:
                continue
            owner = owners.get(client_id)
            new.append(
                Task(
                    branch_id=branch_id,
                    client_id=int(client_id),
                    owner_id=None if owner is None or owner != owner else int(owner),
                    kind=condition.kind,
                    code=condition.code,
                    title=title[:200],
                    detail=condition.details.get(client_id, ""),
                    due_date=as_of + timedelta(condition.due_days),
                    raised_on=as_of,
                )
            )
    cleared = sorted(pk for key, pk in open_tasks.items() if key not in holding)
    return TaskPlan(new=new, cleared=cleared)


def tasks_apply(plan: TaskPlan) -> dict:
    """Write a task plan (inside the run's swap transaction): raise and clear tasks."""
    # ignore_conflicts: a task opened since the plan read them is not doubled.
    Task.objects.bulk_create(plan.new, ignore_conflicts=True)
    cleared = 0
    now = timezone.now()
    for start in range(0, len(plan.cleared), 5000):
        cleared += Task.objects.filter(
            pk__in=plan.cleared[start : start + 5000], status=TaskStatus.OPEN
        ).update(status=TaskStatus.CLEARED, completed_at=now)
    return {"tasks_created": len(plan.new), "tasks_cleared": cleared}
