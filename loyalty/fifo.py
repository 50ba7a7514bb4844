"""Points expiry, first in first out (SPEC §4): pure functions, no Django, no I/O.

Points expire 24 months after the day they were earned; spending (redemptions, negative
adjustments, reversals of a redemption's refund) consumes the oldest points first, so
whatever is left of a lot on its expiry day is what expires. Both the nightly accrual and
the redemption service ask `expiries_due` which expiry entries the ledger should hold.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same calendar day `months` later (the month's last day when it has none)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Movement:
    """One ledger entry as the FIFO model sees it."""

    id: int
    delta: int
    dated: date
    expires_at: date | None = None
    is_expiry: bool = False
    reverses_id: int | None = None


def expiries_due(movements: Iterable[Movement], *, as_of: date) -> dict[date, int]:
    """Points that should have expired on each day ≤ `as_of`, by the FIFO rule.

    Lots expire at the start of their expiry day (points earned on D are spendable up to
    the day before D + 24 months). Recorded expiry entries are ignored: the answer is
    what the ledger *should* say, and the caller appends the difference. A reversal of
    an earning takes its points from that lot first.
    """
    ordered = sorted(
        (m for m in movements if m.dated <= as_of and not m.is_expiry),
        key=lambda m: (m.dated, m.id),
    )
    lots: list[list] = []  # [expires_at | None, remaining, entry id], oldest first
    by_id: dict[int, list] = {}
    due: dict[date, int] = defaultdict(int)
    deficit = 0  # spending not covered by any lot (only if entries disagree)

    def expire_until(day: date) -> None:
        for lot in lots:
            if lot[0] is not None and lot[0] <= day and lot[1] > 0:
                due[lot[0]] += lot[1]
                lot[1] = 0

    def consume(amount: int, first: list | None = None) -> None:
        nonlocal deficit
        if first is not None:
            taken = min(first[1], amount)
            first[1] -= taken
            amount -= taken
        for lot in lots:
            if amount == 0:
                break
            taken = min(lot[1], amount)
            lot[1] -= taken
            amount -= taken
        deficit += amount

    for movement in ordered:
        expire_until(movement.dated)
        if movement.delta > 0:
            credit = movement.delta
            paid = min(deficit, credit)
            deficit -= paid
            lot = [movement.expires_at, credit - paid, movement.id]
            lots.append(lot)
            by_id[movement.id] = lot
        else:
            consume(-movement.delta, by_id.get(movement.reverses_id))
    expire_until(as_of)
    return {day: points for day, points in sorted(due.items()) if points > 0}
