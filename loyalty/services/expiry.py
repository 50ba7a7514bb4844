"""Expiry: the FIFO rule's due expiries appended to the ledger."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, Sum

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
    lots_q = Q(expires_at__isnull=False, dated__lte=as_of) & ~Q(kind=EntryKind.EXPIRY)
    spending_q = Q(expires_at__isnull=True, delta__lt=0, dated__lt=as_of) & ~Q(
        kind=EntryKind.EXPIRY
    )
    recorded_q = Q(kind=EntryKind.EXPIRY, dated__lte=as_of)
    lots, spending, recorded = (
        ledger.filter(lots_q),
        ledger.filter(spending_q),
        ledger.filter(recorded_q),
    )
    points = {client_id: ClientPoints() for client_id in client_ids}

    def by_day(entries, day_field, attribute, sign):
        for client_id, day, total in (
            entries.values_list("client_id", day_field)
            .annotate(total=Sum("delta"))
            .values_list("client_id", day_field, "total")
        ):
            getattr(points[client_id], attribute)[day] = sign * total

    if from_day is None:
        by_day(lots.filter(expires_at__lte=as_of), "expires_at", "lots", 1)
        by_day(spending, "dated", "spent", -1)
        by_day(recorded, "dated", "expired", -1)
    else:
        # The three sums before `from_day` in one pass over the clients' entries.
        earlier = {
            "lots_before": (lots_q & Q(expires_at__lt=from_day), 1),
            "spent_before": (spending_q & Q(dated__lt=from_day), -1),
            "expired_before": (recorded_q & Q(dated__lt=from_day), -1),
        }
        wanted = Q()
        for where, _sign in earlier.values():
            wanted |= where
        sums = (
            ledger.filter(wanted)
            .values("client_id")
            .annotate(
                **{
                    name: Sum("delta", filter=where)
                    for name, (where, _sign) in earlier.items()
                }
            )
        )
        for row in sums:
            for name, (_where, sign) in earlier.items():
                if row[name] is not None:
                    setattr(points[row["client_id"]], name, sign * row[name])
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
