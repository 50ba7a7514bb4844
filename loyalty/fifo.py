"""Points expiry, first in first out (SPEC §4): pure functions, no Django, no I/O.

Points expire 24 months after the day they were earned, and spending consumes the
oldest points first. Because every lot lives equally long, "oldest first" is also
"soonest to expire first", and FIFO reduces to one running sum: by the start of day y
everything expiring on or before y is gone, either spent or expired, so the points that
have expired by y are

    E(y) = max(E(previous expiry day), C(y) − S(y))

with C(y) the points of the lots expiring on or before y and S(y) the points spent
before y. A reversal of an earning carries its lot's expiry day and a negative delta,
so it takes the lot back out of C (the correction is as if the points were never
earned); a reversal of a spending is a new lot. The ledger then owes an expiry entry of
E(y) − (expiry already recorded through y) on each day y.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same calendar day `months` later (the month's last day when it has none)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class ClientPoints:
    """One client's ledger, summed by day, as the FIFO rule reads it.

    Sums before the window's first day are carried as three numbers, so a nightly run
    reads only the days it has to decide.
    """

    lots_before: int = 0  # lot points expiring before the window
    spent_before: int = 0  # points spent before the window
    expired_before: int = 0  # expiry entries dated before the window
    lots: dict[date, int] = field(default_factory=dict)  # by expiry day
    spent: dict[date, int] = field(default_factory=dict)  # by day spent
    expired: dict[date, int] = field(default_factory=dict)  # recorded, by day


def expiries_due(
    points: ClientPoints, *, available: int | None = None
) -> dict[date, int]:
    """The expiry entries still owed, by day, oldest first.

    `available` (the client's balance) caps the total: the ledger never goes below 0,
    whatever the history says.
    """
    lots_total = points.lots_before
    spent_days = sorted(points.spent)
    spent_total, next_spent = points.spent_before, 0
    recorded_total = points.expired_before
    recorded_days = sorted(points.expired)
    next_recorded = 0
    owed: dict[date, int] = {}
    for day in sorted(points.lots):
        lots_total += points.lots[day]
        while next_spent < len(spent_days) and spent_days[next_spent] < day:
            spent_total += points.spent[spent_days[next_spent]]
            next_spent += 1
        while (
            next_recorded < len(recorded_days) and recorded_days[next_recorded] <= day
        ):
            recorded_total += points.expired[recorded_days[next_recorded]]
            next_recorded += 1
        due = lots_total - spent_total - recorded_total
        if available is not None:
            due = min(due, available)
        if due > 0:
            owed[day] = due
            recorded_total += due
            if available is not None:
                available -= due
    return owed
