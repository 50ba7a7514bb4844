"""Writes to the branch's book that more than one door needs."""

from collections.abc import Iterable, Sequence
from datetime import date

from django.db import connection, transaction
from django.db.models import Case, Count, DecimalField, Sum, Value, When

from .models import Side, Trade, TradeDay


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
        f"ON CONFLICT (account_id, date) DO UPDATE SET "
        f"trades = {table}.trades + excluded.trades, "
        f"commission = {table}.commission + excluded.commission, "
        f"amount = {table}.amount + excluded.amount, "
        f"buy_amount = {table}.buy_amount + excluded.buy_amount"
    )
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s) "
                + adding,
                [tuple(row) for row in rows],
            )
            return len(rows)
        accounts = sorted({int(row[0]) for row in rows})
        days = sorted({str(row[1]) for row in rows})
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} WHERE account_id = ANY(%s) "
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
                f"INSERT INTO {table} ({columns}) SELECT {columns} "
                "FROM trade_day_added " + adding
            )
            cursor.execute("DROP TABLE trade_day_added")
        return len(rows)
