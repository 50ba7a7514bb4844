"""Expiry: the FIFO rule's due expiries appended to the ledger."""

from __future__ import annotations

from datetime import date

from django.db.models import Sum

from brokercrm.db import copy_rows
from clients.models import Client

from ..fifo import ClientPoints, expiries_due
from ..models import (
    EntryKind,
    PointsAccount,
    PointsEntry,
)
from .common import ENTRY_COLUMNS


def _expire(*, client_ids, as_of: date, now, from_day: date | None = None) -> dict:
    """Append the expiry entries the FIFO rule says are due by `as_of` (caller's atomic).

    Decides the expiry days from `from_day` on (None: all of them); earlier days enter
    as three sums per client. Locks the clients' points accounts (in client order) so
    nothing spends points that are expiring under it.
    """
    if not client_ids:
        return {"entries": 0, "points": 0}
    client_ids = sorted(set(client_ids))
    # Lock the points accounts (not the clients): the ledger's insert trigger takes
    # the same rows, so an accrual that has just appended earnings already holds
    # them, and a redemption (client row, then account) never waits in a cycle.
    balances = dict(
        PointsAccount.objects.select_for_update()
        .filter(client_id__in=client_ids)
        .order_by("client_id")
        .values_list("client_id", "balance")
    )
    branch_of = dict(
        Client.objects.filter(pk__in=client_ids).values_list("pk", "branch_id")
    )
    ledger = PointsEntry.objects.filter(client_id__in=client_ids).order_by()
    lots = ledger.filter(expires_at__isnull=False, dated__lte=as_of).exclude(
        kind=EntryKind.EXPIRY
    )
    spending = ledger.filter(
        expires_at__isnull=True, delta__lt=0, dated__lt=as_of
    ).exclude(kind=EntryKind.EXPIRY)
    recorded = ledger.filter(kind=EntryKind.EXPIRY, dated__lte=as_of)
    points = {client_id: ClientPoints() for client_id in client_ids}

    def by_day(entries, day_field, attribute, sign):
        for client_id, day, total in (
            entries.values_list("client_id", day_field)
            .annotate(total=Sum("delta"))
            .values_list("client_id", day_field, "total")
        ):
            getattr(points[client_id], attribute)[day] = sign * total

    def before(entries, attribute, sign):
        for client_id, total in entries.values_list("client_id").annotate(
            total=Sum("delta")
        ):
            setattr(points[client_id], attribute, sign * total)

    if from_day is None:
        by_day(lots.filter(expires_at__lte=as_of), "expires_at", "lots", 1)
        by_day(spending, "dated", "spent", -1)
        by_day(recorded, "dated", "expired", -1)
    else:
        before(lots.filter(expires_at__lt=from_day), "lots_before", 1)
        before(spending.filter(dated__lt=from_day), "spent_before", -1)
        before(recorded.filter(dated__lt=from_day), "expired_before", -1)
        window = {"expires_at__gte": from_day, "expires_at__lte": as_of}
        by_day(lots.filter(**window), "expires_at", "lots", 1)
        by_day(spending.filter(dated__gte=from_day), "dated", "spent", -1)
        by_day(recorded.filter(dated__gte=from_day), "dated", "expired", -1)
    rows = []
    for client_id in client_ids:
        owed = expiries_due(points[client_id], available=balances.get(client_id, 0))
        for day, due in owed.items():
            count = len(rows)
            rows.append(
                (
                    branch_of[client_id],
                    client_id,
                    -due,
                    EntryKind.EXPIRY.value,
                    day,
                    None,
                    "",
                    None,
                    f"expiry:{client_id}:{day.isoformat()}:{now.timestamp()}:{count}",
                    None,
                    "",
                    now,
                )
            )
    if rows:
        copy_rows(PointsEntry, ENTRY_COLUMNS, rows)
    return {"entries": len(rows), "points": -sum(r[2] for r in rows)}
