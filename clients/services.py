"""Writes to the branch's book that more than one door needs."""

from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction
from django.db.models import Case, Count, DecimalField, Sum, Value, When

from .models import Side, Trade, TradeDay


@transaction.atomic
def trade_days_refresh(*, branch_id: int, dates: Iterable[date] | None = None) -> int:
    """Rebuild the per-account daily trade totals of a branch for some (or all) dates.

    Call it in the same transaction that wrote the trades, with the dates they touched;
    the nightly pipeline trusts these totals. Returns the number of client-days written.
    """
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
