"""Corrections: a manager's reversal of an entry and manual adjustments (large ones
wait for a second manager)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import permissions

from ..models import (
    ADJUSTMENT_MAX_POINTS,
    AdjustmentStatus,
    CatalogueItem,
    EntryKind,
    PointsAdjustment,
    PointsEntry,
)
from .common import PointsError, _append, _policy, lock_client
from .expiry import _expire


def _check_manager(user, client) -> None:
    if not permissions.may_adjust_points(user, client):
        raise PermissionDenied(_("Only a manager of the client's branch may do this."))


@transaction.atomic
def entry_reverse(*, user, entry: PointsEntry, reason: str, on=None) -> PointsEntry:
    """Correct an entry by appending its opposite (a manager's decision).

    Reversing a redemption also cancels it and puts the stock back. Expiry entries and
    reversals are not reversed (make an adjustment instead).
    """
    client = entry.client
    _check_manager(user, client)
    if entry.kind in (EntryKind.EXPIRY, EntryKind.REVERSAL):
        raise PointsError(
            _("Expiry entries and reversals cannot be reversed."), code="invalid"
        )
    if not reason.strip():
        raise PointsError(_("Say why the entry is reversed."), code="invalid")
    on = on or timezone.localdate()
    lock_client(client.pk)
    if PointsEntry.objects.filter(reverses=entry).exists():
        raise PointsError(_("This entry was already reversed."))
    if entry.delta > 0:
        # Take back only points that are still there: expire what is due first.
        _expire(client_ids=[client.pk], as_of=on, now=timezone.now())
    reversal = _append(
        client=client,
        delta=-entry.delta,
        kind=EntryKind.REVERSAL,
        on=on,
        key=f"reversal:{entry.pk}",
        user=user,
        note=reason,
        reverses=entry,
        # Taking back an earning takes back that lot (FIFO treats it as never earned).
        expires_at=entry.expires_at if entry.delta > 0 else None,
        source_type=entry.source_type,
        source_id=entry.source_id,
        redemption_id=entry.redemption_id,
    )
    if entry.redemption_id is not None:
        redemption = entry.redemption
        CatalogueItem.objects.filter(pk=redemption.item_id, stock__isnull=False).update(
            stock=F("stock") + redemption.quantity
        )
    return reversal


@dataclass(frozen=True)
class _Approval:
    needed: bool
    threshold: int


def _approval(client, delta) -> _Approval:
    threshold = int(_policy(client.branch)[1].points.large_adjustment_points)
    return _Approval(abs(delta) >= threshold, threshold)


@transaction.atomic
def adjustment_request(*, user, client, delta: int, reason: str) -> PointsAdjustment:
    """A manager's manual adjustment: applied now, or held for a second manager if large."""
    _check_manager(user, client)
    delta = int(delta)
    if delta == 0:
        raise PointsError(_("An adjustment must change the balance."), code="invalid")
    if abs(delta) > ADJUSTMENT_MAX_POINTS:
        raise PointsError(
            _("An adjustment may change at most %(limit)s points.")
            % {"limit": ADJUSTMENT_MAX_POINTS},
            code="invalid",
        )
    if not reason.strip():
        raise PointsError(_("Say why the points are adjusted."), code="invalid")
    adjustment = PointsAdjustment.objects.create(
        branch_id=client.branch_id,
        client=client,
        delta=delta,
        reason=reason,
        requested_by=user,
    )
    if not _approval(client, delta).needed:
        _apply(adjustment, decided_by=None)
    return adjustment


@transaction.atomic
def adjustment_approve(*, user, adjustment: PointsAdjustment) -> PointsAdjustment:
    """A second manager approves a large adjustment; the requester cannot approve it."""
    adjustment = PointsAdjustment.objects.select_for_update().get(pk=adjustment.pk)
    _check_manager(user, adjustment.client)
    if adjustment.requested_by_id == user.pk:
        raise PermissionDenied(
            _("A second manager must approve this: you requested it.")
        )
    if adjustment.status != AdjustmentStatus.PENDING:
        raise PointsError(_("This adjustment is no longer waiting for approval."))
    _apply(adjustment, decided_by=user)
    return adjustment


@transaction.atomic
def adjustment_reject(*, user, adjustment: PointsAdjustment) -> PointsAdjustment:
    """A manager turns down a pending adjustment (the requester may withdraw it)."""
    adjustment = PointsAdjustment.objects.select_for_update().get(pk=adjustment.pk)
    _check_manager(user, adjustment.client)
    if adjustment.status != AdjustmentStatus.PENDING:
        raise PointsError(_("This adjustment is no longer waiting for approval."))
    adjustment.status = AdjustmentStatus.REJECTED
    adjustment.decided_by = user if user.pk != adjustment.requested_by_id else None
    adjustment.decided_at = timezone.now()
    adjustment.save(update_fields=["status", "decided_by", "decided_at"])
    return adjustment


def _apply(adjustment: PointsAdjustment, *, decided_by) -> None:
    client = adjustment.client
    lock_client(client.pk)
    on = timezone.localdate()
    if adjustment.delta < 0:
        _expire(client_ids=[client.pk], as_of=on, now=timezone.now())
    entry = _append(
        client=client,
        delta=adjustment.delta,
        kind=EntryKind.ADJUSTMENT,
        on=on,
        key=f"adjustment:{adjustment.pk}",
        user=decided_by or adjustment.requested_by,
        note=adjustment.reason,
        source_type="adjustment",
        source_id=adjustment.pk,
    )
    adjustment.status = AdjustmentStatus.APPLIED
    adjustment.decided_by = decided_by
    adjustment.decided_at = timezone.now()
    adjustment.entry = entry
    adjustment.save(update_fields=["status", "decided_by", "decided_at", "entry"])
