"""Reads of the points ledger: balances, history, the catalogue, the analytics.

Per-user reads start from `clients.selectors.client_scope`; the branch-wide reads
(`points_balances`, `redeemed_client_ids`) serve the nightly pipeline and exports,
which run for a branch, not for a user.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet, Sum

from clients.selectors import scoped

from .models import (
    AdjustmentStatus,
    CatalogueItem,
    PointsAccount,
    PointsAdjustment,
    PointsEntry,
    Redemption,
)


def points_balances(*, branch_id: int, as_of: date) -> dict[int, int]:
    """Each client's balance counting entries dated on or before `as_of`.

    Clients without any such entry are absent (their balance is 0).
    """
    return dict(
        PointsEntry.objects.filter(branch_id=branch_id, dated__lte=as_of)
        .values("client_id")
        .annotate(balance=Sum("delta"))
        .order_by()
        .values_list("client_id", "balance")
    )


def redeemed_client_ids(*, branch_id: int, start: date, end: date) -> set[int]:
    """Clients who redeemed points (a redemption not reversed) between start and end."""
    return set(
        Redemption.objects.filter(branch_id=branch_id, dated__gte=start, dated__lte=end)
        .exclude(entries__kind="reversal")
        .values_list("client_id", flat=True)
        .distinct()
    )


def points_balance(*, client) -> int:
    """A client's current balance (every entry, whatever its date)."""
    account = PointsAccount.objects.filter(client_id=client.pk).first()
    return account.balance if account else 0


def points_entry_list(*, user, client=None) -> QuerySet[PointsEntry]:
    """Ledger entries `user` may see, newest first."""
    entries = scoped(
        PointsEntry.objects.select_related("created_by", "redemption__item"),
        user=user,
    )
    if client is not None:
        entries = entries.filter(client=client)
    return entries.order_by("-dated", "-id")


def redemption_list(*, user, client=None) -> QuerySet[Redemption]:
    redemptions = scoped(Redemption.objects.select_related("item"), user=user)
    if client is not None:
        redemptions = redemptions.filter(client=client)
    return redemptions.order_by("-created_at", "-id")


def catalogue_list(*, branch_id: int) -> QuerySet[CatalogueItem]:
    """Active items offered at the branch (its own and the ones every branch offers)."""
    return CatalogueItem.objects.filter(
        Q(branch__isnull=True) | Q(branch_id=branch_id), is_active=True
    ).order_by("points_price", "code")


def adjustment_list(*, user, status: str | None = AdjustmentStatus.PENDING):
    adjustments = scoped(
        PointsAdjustment.objects.select_related("client", "requested_by"), user=user
    )
    if status:
        adjustments = adjustments.filter(status=status)
    return adjustments.order_by("-requested_at")
